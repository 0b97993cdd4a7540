"""GET /schedules and POST /schedules/simulate: learning-rate schedules on their own."""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
from fastapi import APIRouter

from ..engine.schedules import SCHEDULES, learning_rates
from .deps import SettingsDep
from .errors import limit_error
from .models import SCHEDULE_MODELS, ScheduleInfo, ScheduleSimulateRequest, ScheduleSimulateResponse, UpdateRule
from .responses import json_response

router = APIRouter(tags=["schedules"])


def schedule_arrays(schedule: Any, base_lr: float, steps: int, where: tuple) -> tuple[np.ndarray, np.ndarray | None]:
    """The schedule's lr (and OneCycle momentum) per step; a 422 at `where` if any is undefined."""
    lr, momentum = learning_rates(schedule.model_dump(), base_lr, steps)
    if not np.isfinite(lr).all() or (momentum is not None and not np.isfinite(momentum).all()):
        step = int(np.argmin(np.isfinite(lr))) + 1
        raise limit_error(
            where,
            f"this schedule's learning rate is undefined at step {step} (a phase of zero length, as when "
            "pct_start * total_steps <= 1): torch raises ZeroDivisionError there",
            kind="schedule_undefined",
        )
    return lr, momentum


def schedule_schema(kind: str) -> dict:
    schema = SCHEDULE_MODELS[kind].model_json_schema()
    schema["properties"].pop("kind", None)
    schema["required"] = [r for r in schema.get("required", []) if r != "kind"]
    if not schema["required"]:
        schema.pop("required")
    return schema


@cache
def info(kind: str) -> ScheduleInfo:
    s = SCHEDULES[kind]
    return ScheduleInfo(
        kind=kind,
        title=s.title,
        reference=s.reference,
        formula=UpdateRule(latex=s.formula_latex, text=s.formula_text),
        parameters=schedule_schema(kind),
    )


@router.get("/schedules", summary="Learning-rate schedules and their parameters")
def list_schedules() -> list[ScheduleInfo]:
    return [info(kind) for kind in SCHEDULES]


@router.post("/schedules/simulate", response_model=ScheduleSimulateResponse, summary="A schedule's lr at every step")
def simulate_schedule(request: ScheduleSimulateRequest, settings: SettingsDep):
    if request.steps > settings.max_steps:
        raise limit_error(("steps",), f"{request.steps} steps exceed the limit of {settings.max_steps}")
    lr, momentum = schedule_arrays(request.schedule, request.lr, request.steps, ("schedule",))
    payload = {"steps": request.steps, "step": np.arange(1, request.steps + 1), "lr": lr}
    if momentum is not None:
        payload["momentum"] = momentum
    return json_response(payload)
