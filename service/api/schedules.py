"""GET /schedules and POST /schedules/simulate: learning-rate schedules on their own."""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
from fastapi import APIRouter, Depends, Response
from starlette.concurrency import run_in_threadpool

from ..engine.schedules import SCHEDULES, learning_rates, onecycle_overflow
from .admission import AdmitDep
from .deps import SettingsDep
from .errors import TOO_LARGE, UNAVAILABLE, count, known_query, limit_error
from .models import (
    SCHEDULE_MODELS,
    ScheduleInfo,
    ScheduleSimulateRequest,
    ScheduleSimulateResponse,
    UpdateRule,
    uses_cycled_momentum,
)
from .negotiation import NOT_ACCEPTABLE, json_only
from .responses import json_response

router = APIRouter(tags=["schedules"])


def schedule_arrays(
    schedule: Any, base_lr: float, steps: int, where: tuple, *, overflow_diverges: bool = True
) -> tuple[np.ndarray, np.ndarray | None]:
    """The schedule's lr (and OneCycle momentum) per step. Undefined values (NaN: a phase of zero length,
    where torch raises) are a 422 at `where`. A learning rate that overflows float64 (an exponential
    growth) is left to the run, which diverges at that step, unless `overflow_diverges` is False (the
    schedule alone, with no run to diverge: a 422 too)."""
    spec = schedule.model_dump()
    lr, momentum = learning_rates(spec, base_lr, steps)
    undefined = np.isnan(lr)
    if momentum is not None:
        undefined |= ~np.isfinite(momentum)
    if undefined.any():
        step = int(np.argmax(undefined)) + 1
        what = "learning rate" if np.isnan(lr[step - 1]) else "momentum"
        beyond = onecycle_overflow(spec)
        if beyond:
            raise limit_error(
                where,
                f"this schedule's learning rate overflows float64 ({beyond}): use a smaller max_lr or factor",
                kind="schedule_overflow",
            )
        raise limit_error(
            where,
            f"this schedule's {what} is undefined at step {step} (a phase of zero length, as when "
            "pct_start * total_steps <= 1): torch raises ZeroDivisionError there",
            kind="schedule_undefined",
        )
    if not overflow_diverges and not np.isfinite(lr).all():
        step = int(np.argmin(np.isfinite(lr))) + 1
        raise limit_error(
            where,
            f"this schedule's learning rate overflows float64 at step {step}: ask for fewer steps or a smaller "
            "growth (a run with this schedule diverges there)",
            kind="schedule_overflow",
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


@router.post(
    "/schedules/simulate",
    response_model=ScheduleSimulateResponse,
    summary="A schedule's lr at every step",
    dependencies=[Depends(json_only), Depends(known_query())],
    responses={**NOT_ACCEPTABLE, **TOO_LARGE, **UNAVAILABLE},
)
async def simulate_schedule(request: ScheduleSimulateRequest, settings: SettingsDep, admit: AdmitDep):
    if request.steps > settings.max_steps:
        raise limit_error(("steps",), f"{count(request.steps)} steps exceed the limit of {settings.max_steps}")
    # Per step its number, lr and momentum, and about as many again while they are made and written.
    await admit(request.steps * 2 * (2 + uses_cycled_momentum(request.schedule)))
    return await run_in_threadpool(schedule_response, request)


def schedule_response(request: ScheduleSimulateRequest) -> Response:
    lr, momentum = schedule_arrays(request.schedule, request.lr, request.steps, ("schedule",), overflow_diverges=False)
    payload = {"steps": request.steps, "step": np.arange(1, request.steps + 1), "lr": lr}
    if momentum is not None:
        payload["momentum"] = momentum
    return json_response(payload)
