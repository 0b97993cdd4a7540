"""POST /simulate: validated request in, one engine call, the answer out as JSON, CSV or a figure (Accept)."""

from __future__ import annotations

from typing import Annotated

import numpy as np
from fastapi import APIRouter, Body, Depends, Query, Response
from fastapi.exceptions import RequestValidationError

from .. import figures
from ..engine import REGISTRY, RunSpec, simulate
from ..settings import Settings, get_settings
from .errors import limit_error
from .export import simulation_csv
from .models import SimulateRequest, SimulateResponse, cycled_hyperparameter
from .negotiation import CSV, IMAGES, JSON, PNG, SVG, Media
from .responses import json_response
from .schedules import schedule_arrays

router = APIRouter(tags=["simulate"])

SettingsDep = Annotated[Settings, Depends(get_settings)]


def check_limits(request: SimulateRequest, settings: Settings, record: set[str]) -> None:
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
    values = steps * dim * (1 + runs * len(record)) + runs * dim
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


# What each media type needs recorded, whatever `record` says (it shapes the JSON answer only).
RECORDED_FOR = {CSV: {"params", "learning_rates", "updates"}, SVG: {"params", "learning_rates"}}
RECORDED_FOR[PNG] = RECORDED_FOR[SVG]

MEDIA_DOC = {
    CSV: {"schema": {"type": "string"}, "example": "label,name,step,coordinate,gradient,param,learning_rate,..."},
    SVG: {"schema": {"type": "string"}},
    PNG: {"schema": {"type": "string", "format": "binary"}},
}


def simulation(request: SimulateRequest, record: set[str]) -> dict:
    """The answer as a dict of numpy arrays: what JSON, CSV and figures are all made from."""
    grads = np.ascontiguousarray(request.gradients.build())
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
    description="The `Accept` header picks the answer's form: `application/json` (the default), `text/csv` "
    "(long format, one row per run, step and coordinate: label, name, step, coordinate, gradient, param, "
    "learning_rate, update, base_lr, scheduled_momentum, loss, distance_to_optimum), or the tutorial's "
    "figure as `image/svg+xml` or `image/png` (learning rates and trajectories; for D > 1 of the coordinate "
    "given by `coordinate`). Figures need the server's optional `figures` extra; without it, and for any "
    "other type, the answer is a 406 naming what is available.",
    responses={
        200: {"description": "The simulation, in the negotiated media type.", "content": MEDIA_DOC},
        406: {
            "description": "No acceptable media type (or figures asked of a server without matplotlib).",
            "content": {JSON: {"schema": {"type": "object", "properties": {"detail": {"type": "string"}}}}},
        },
    },
)
def simulate_endpoint(
    settings: SettingsDep,
    media: Media,
    request: Annotated[SimulateRequest | None, Body()] = None,
    coordinate: Annotated[
        int, Query(ge=0, description="Figures only: the coordinate whose learning rates and trajectory are drawn.")
    ] = 0,
) -> Response:
    request = request or SimulateRequest()
    record = set(request.record) if media == JSON else RECORDED_FOR[media]
    check_limits(request, settings, record)
    if media in IMAGES and coordinate >= request.gradients.shape[1]:
        raise RequestValidationError(
            [
                {
                    "type": "coordinate",
                    "loc": ("query", "coordinate"),
                    "msg": f"coordinate {coordinate} is out of range: the gradients have D = "
                    f"{request.gradients.shape[1]} coordinates (0 to {request.gradients.shape[1] - 1})",
                    "input": coordinate,
                }
            ]
        )
    payload = simulation(request, record)
    if media == CSV:
        return Response(simulation_csv(payload), media_type="text/csv; charset=utf-8")
    if media in IMAGES:
        return Response(figures.render(payload, media, coordinate), media_type=media)
    return json_response(payload)
