"""POST /simulate: validated request in, one engine call, JSON out."""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Body, Depends, Response

from ..engine import REGISTRY, RunSpec, simulate
from ..settings import Settings, get_settings
from .errors import limit_error
from .models import SimulateRequest, SimulateResponse, cycled_hyperparameter
from .responses import json_response
from .schedules import schedule_arrays

router = APIRouter(tags=["simulate"])

SettingsDep = Annotated[Settings, Depends(get_settings)]


def check_limits(request: SimulateRequest, settings: Settings) -> None:
    """Reject requests over the configured sizes before any compute (422 naming limit and value)."""
    steps, dim = request.gradients.shape
    explicit = request.gradients.kind == "sequence"
    if steps > settings.max_steps:
        field = ("gradients", "values" if explicit else "steps")
        raise limit_error(field, f"{steps} steps exceed the limit of {settings.max_steps}")
    if dim > settings.max_dim:
        field = ("gradients", "values" if explicit else "dim")
        raise limit_error(field, f"D = {dim} exceeds the limit of {settings.max_dim} coordinates")
    runs = len(request.optimizers)
    if runs > settings.max_optimizers:
        raise limit_error(("optimizers",), f"{runs} optimizers exceed the limit of {settings.max_optimizers}")
    values = steps * dim * (1 + runs * len(set(request.record))) + runs * dim
    if values > settings.max_values:
        raise limit_error(
            ("gradients",),
            f"this request moves {values} numbers (gradients plus recorded series), over the limit of "
            f"{settings.max_values}: record fewer series or steps",
        )


def run_spec(spec, steps: int, index: int) -> RunSpec:
    """An optimizer spec as the engine takes it, its schedule turned into per-step values."""
    optimizer = REGISTRY[spec.name]
    hyperparameters = spec.model_dump(exclude={"name", "label", "schedule"})
    if spec.schedule is None:
        return RunSpec(optimizer, hyperparameters, spec.label)
    lr, momentum = schedule_arrays(spec.schedule, spec.lr, steps, ("optimizers", index, "schedule"))
    per_step = {} if momentum is None else {cycled_hyperparameter(optimizer): momentum}
    return RunSpec(optimizer, hyperparameters, spec.label, lr, per_step)


def run_simulation(request: SimulateRequest, settings: Settings) -> dict[str, Any]:
    """What POST /simulate does, without HTTP: check the limits, run the engine, and return the response
    payload (numpy arrays, serialized by `json_response`). The command line runs local simulations here."""
    check_limits(request, settings)
    grads = np.ascontiguousarray(request.gradients.build())
    record = set(request.record)
    steps, dim = grads.shape
    specs = [run_spec(spec, steps, i) for i, spec in enumerate(request.optimizers)]
    results = simulate(grads, specs, request.initial, record)
    runs = []
    for spec, result in zip(specs, results, strict=True):
        run = {"label": result.label, "name": result.name, "hyperparameters": result.hyperparameters}
        run.update(result.series)
        done = steps if result.diverged_at is None else result.diverged_at - 1
        if spec.lr is not None:
            run["base_lr"] = spec.lr[:done]
        for values in spec.per_step.values():
            run["scheduled_momentum"] = values[:done]
        if "state" in record:
            run["state"] = result.state
        run.update(final=result.final, diverged_at=result.diverged_at)
        runs.append(run)
    return {"steps": steps, "dim": dim, "gradients": grads, "runs": runs}


@router.post(
    "/simulate",
    response_model=SimulateResponse,
    response_model_exclude_none=True,
    summary="Run optimizers over a gradient sequence, step by step",
)
def simulate_endpoint(
    settings: SettingsDep,
    request: Annotated[SimulateRequest | None, Body()] = None,
) -> Response:
    return json_response(run_simulation(request or SimulateRequest(), settings))
