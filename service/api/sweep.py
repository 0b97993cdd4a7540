"""POST /sweep: a grid of hyperparameters per optimizer, run as one batch, scored, best per optimizer."""

from __future__ import annotations

import math
import time
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Body, Depends, Response

from ..engine import REGISTRY
from ..engine.simulate import unique_labels
from ..settings import Settings
from .admission import AdmitDep
from .concurrency import ReceiveDep, estimated_work, run_sized
from .deps import SettingsDep
from .errors import TOO_LARGE, UNAVAILABLE, known_query, limit_error
from .lean import LeanRoute
from .metrics import Metrics, MetricsDep
from .models import SweepRequest, SweepResponse
from .negotiation import NOT_ACCEPTABLE, json_only
from .responses import json_response
from .simulate import check_sizes, engine_errors, ready
from .tuning import (
    check_sweep_limits,
    configuration_payloads,
    configurations,
    run_sweep,
    score_kind,
    scores,
    sweep_remedy,
    sweep_values,
    sweep_values_field,
)

# Well-formed requests skip FastAPI's generic parameter solving, and their bodies are read sooner (lean.py).
router = APIRouter(tags=["sweep"], route_class=LeanRoute)


@router.post(
    "/sweep",
    response_model=SweepResponse,
    response_model_exclude_none=True,
    summary="Sweep hyperparameters over one gradient source and pick the best configuration per optimizer",
    dependencies=[Depends(json_only), Depends(known_query())],
    responses={
        **NOT_ACCEPTABLE,
        **TOO_LARGE,
        **UNAVAILABLE,
    },
)
async def sweep_endpoint(
    settings: SettingsDep,
    metrics: MetricsDep,
    admit: AdmitDep,
    receive: ReceiveDep,
    request: Annotated[SweepRequest | None, Body()] = None,
) -> Response:
    request = request or SweepRequest()
    per_optimizer = grid_size(request.grid)
    # The sizes first (run_sweep_request checks them again for the command line): a sweep over them is
    # refused at once, not after waiting for room in admission.
    check_sweep_limits(request, per_optimizer * len(request.optimizers), settings, "grid")
    work = estimated_work(request, request.optimizers, per_optimizer)
    await admit(sweep_values(request, per_optimizer, request.trajectories, request.record_every))
    return await run_sized(work, sweep_response, request, settings, metrics, receive=receive)


def grid_size(grid: dict) -> int:
    """Configurations per optimizer: the product of the axes' lengths (a Python int: 4 axes of 65,536
    values are 2^64, which numpy's int64 wraps to 0)."""
    return math.prod(len(values) for values in grid.values())


def sweep_response(request: SweepRequest, settings: Settings, metrics: Metrics | None = None) -> Response:
    # JSON only, but an Accept ruling it out gets a 406: the answer depends on Accept.
    return json_response(run_sweep_request(request, settings, metrics), headers={"vary": "Accept"})


def run_sweep_request(request: SweepRequest, settings: Settings, metrics: Metrics | None = None) -> dict[str, Any]:
    """What POST /sweep does, without HTTP: check the limits, run every optimizer's grid within the compute
    budget, score it, and return the response payload (numpy arrays inside). `metrics`, when given, counts
    the steps every configuration ran and a stop at the budget. The command line runs local sweeps here."""
    steps, dim = request.gradients.shape
    check_sizes(request, settings)
    axes = list(request.grid)
    total = grid_size(request.grid) * len(request.optimizers)
    check_sweep_limits(request, total, settings, "grid")  # before any configuration is built
    per_spec = [configurations(spec, request.grid) for spec in request.optimizers]
    values = sweep_values(request, total // len(request.optimizers), request.trajectories, request.record_every)
    if values > settings.max_values:
        raise limit_error(
            sweep_values_field(request, settings, "grid"),
            f"this sweep moves {values} numbers (gradients, final points and trajectories), over the limit of "
            f"{settings.max_values}: {sweep_remedy(request, settings, 'no trajectories, or a larger record_every')}",
        )
    ready(request.optimizers)
    budget = settings.compute_budget_seconds
    deadline = time.monotonic() + budget if budget else None
    labels = unique_labels([spec.label or spec.name for spec in request.optimizers])
    optimizers, kept = [], None
    for i, (spec, configs, label) in enumerate(zip(request.optimizers, per_spec, labels, strict=True)):
        with engine_errors(budget, metrics, request.initial is not None, "configurations, steps or coordinates"):
            result = run_sweep(request, spec, i, configs, request.trajectories, request.record_every, deadline)
        if metrics is not None:  # a configuration that diverged ran the steps before it
            metrics.simulated(spec.name, int(np.where(result.diverged_at > 0, result.diverged_at - 1, steps).sum()))
        kept, chosen = result.recorded_steps, result.best()
        optimizers.append(
            {
                "label": label,
                "name": spec.name,
                "hyperparameters": REGISTRY[spec.name].hyper(configs[0])._asdict()
                | {name: getattr(spec, name) for name in axes},
                "configurations": configuration_payloads(result, axes),
                "best": None
                if chosen is None
                else {
                    "index": chosen,
                    "values": {name: configs[chosen][name] for name in axes},
                    "score": scores(result)[chosen],
                },
            }
        )
    payload: dict[str, Any] = {"steps": steps, "dim": dim, "score": score_kind(request)}
    if request.gradients.kind != "objective":
        target = 0.0 if request.target is None else request.target
        payload["target"] = np.broadcast_to(np.asarray(target, dtype=np.float64), (dim,)).copy()
    if request.trajectories:
        payload["recorded_steps"] = kept
    payload["optimizers"] = optimizers
    return payload
