"""POST /simulate: validated request in, one engine call, JSON out."""

from __future__ import annotations

from typing import Annotated

import numpy as np
from fastapi import APIRouter, Body, Depends, Response

from ..engine import REGISTRY, RunResult, RunSpec, simulate_objective, simulate_source
from ..engine.batch import recorded_count, recorded_steps
from ..settings import Settings, current_settings
from .concurrency import estimated_work, run_sized
from .errors import limit_error
from .models import SimulateRequest, SimulateResponse, cycled_hyperparameter
from .responses import json_response
from .schedules import schedule_arrays
from .tuning import tune_runs

router = APIRouter(tags=["simulate"])

SettingsDep = Annotated[Settings, Depends(current_settings)]


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
    check_work(runs, steps, dim, settings)
    rows = recorded_count(steps, request.record_every)
    values = steps * dim * explicit + rows * dim * request.include_gradients
    values += runs * (rows * dim * len(set(request.record)) + dim)
    if request.gradients.kind == "objective":
        values = closed_loop_values(request)
        check_closed_loop_work(request, settings)
    if values > settings.max_values:
        raise limit_error(
            ("gradients",),
            f"this request moves {values} numbers (gradients plus recorded series), over the limit of "
            f"{settings.max_values}: record fewer series, record_every more steps, or set include_gradients false",
        )


def check_work(runs: int, steps: int, dim: int, settings: Settings, field: tuple = ("gradients", "steps")) -> None:
    work = runs * steps * dim
    if work > settings.max_work:
        raise limit_error(
            field,
            f"{runs} runs x {steps} steps x D = {dim} is {work} coordinate-steps, over the limit of "
            f"{settings.max_work}: ask for fewer runs, steps or coordinates",
        )


def closed_loop_values(request: SimulateRequest) -> int:
    """Numbers a closed-loop request moves: per run its own gradients, loss, distance, recorded series
    and final point, plus the data the function stores (a data set, a dense matrix)."""
    steps, dim = request.gradients.shape
    per_run = steps * dim * (1 + len(set(request.record))) + 2 * (steps + 1) + dim
    return len(request.optimizers) * per_run + request.gradients.work_per_step()


def check_closed_loop_work(request, settings: Settings, configs: int | None = None) -> None:
    """Closed loop evaluates the function twice a step: bound runs x steps x numbers per evaluation."""
    steps, _ = request.gradients.shape
    runs, per_step = configs or len(request.optimizers), request.gradients.work_per_step()
    work = runs * steps * per_step
    if work > settings.max_evaluation_work:
        raise limit_error(
            ("gradients", "steps"),
            f"{runs} runs x {steps} steps x {per_step} numbers per evaluation = {work}, over the evaluation "
            f"limit of {settings.max_evaluation_work}: ask for fewer steps, runs, coordinates or samples",
        )


def run_spec(spec, steps: int, index: int, lr: float | None = None) -> RunSpec:
    """An optimizer spec as the engine takes it, its schedule turned into per-step values (`lr` overrides)."""
    optimizer = REGISTRY[spec.name]
    hyperparameters = spec.model_dump(exclude={"name", "label", "schedule"})
    if lr is not None:
        hyperparameters["lr"] = lr
    if spec.schedule is None:
        return RunSpec(optimizer, hyperparameters, spec.label)
    rates, momentum = schedule_arrays(spec.schedule, hyperparameters["lr"], steps, ("optimizers", index, "schedule"))
    per_step = {} if momentum is None else {cycled_hyperparameter(optimizer): momentum}
    return RunSpec(optimizer, hyperparameters, spec.label, rates, per_step)


@router.post(
    "/simulate",
    response_model=SimulateResponse,
    response_model_exclude_none=True,
    summary="Run optimizers over a gradient sequence, step by step",
)
async def simulate_endpoint(
    settings: SettingsDep,
    request: Annotated[SimulateRequest | None, Body()] = None,
) -> Response:
    request = request or SimulateRequest()
    tuned = 1 + (len(request.tune_values) if request.tune else 0)
    return await run_sized(estimated_work(request, request.optimizers) * tuned, simulate_response, request, settings)


def simulate_response(request: SimulateRequest, settings: Settings) -> Response:
    check_limits(request, settings)
    record = set(request.record)
    steps, dim = request.gradients.shape
    tuning = tune_runs(request, settings) if request.tune else {}
    specs = [
        run_spec(spec, steps, i, tuning[i]["chosen"] if i in tuning else None)
        for i, spec in enumerate(request.optimizers)
    ]
    kept = recorded_steps(steps, request.record_every)
    payload: dict = {"steps": steps, "dim": dim}
    if request.record_every > 1:
        payload["recorded_steps"] = kept
    if request.gradients.kind == "objective":
        payload.update(closed_loop(request, specs, record, kept))
    else:
        simulation = simulate_source(
            request.gradients.source(),
            specs,
            request.initial,
            record,
            record_every=request.record_every,
            include_gradients=request.include_gradients,
        )
        if request.include_gradients:
            payload["gradients"] = simulation.gradients
        payload["runs"] = [
            run_payload(spec, result, kept, record) for spec, result in zip(specs, simulation.runs, strict=True)
        ]
    for i, run in enumerate(payload["runs"]):
        if i in tuning:
            run["tuning"] = tuning[i]
    return json_response(payload)


def closed_loop(request: SimulateRequest, specs: list[RunSpec], record: set[str], kept: np.ndarray) -> dict:
    """Objective sources: every run computes its gradients at its own parameters (no shared sequence)."""
    source = request.gradients
    steps, dim = source.shape
    problem = source.problem()
    initial = problem.start if request.initial is None else np.array(np.broadcast_to(request.initial, (dim,)))
    try:
        results = simulate_objective(problem, specs, steps, initial, record, source.noise_std, source.seed)
    except ValueError as exc:  # the loss overflows at the start
        raise limit_error(("initial",), str(exc), kind="initial_loss") from exc
    if request.record_every > 1:
        for result in results:
            thin(result, kept)
    objective = {
        "function": source.function,
        "parameters": source.parameters(),
        "initial": initial,
        "minima": problem.minima,
        "minimum_value": problem.minimum_value,
    }
    runs = [run_payload(spec, result, kept, record) for spec, result in zip(specs, results, strict=True)]
    return {"objective": objective, "runs": runs}


def thin(result: RunResult, kept: np.ndarray) -> None:
    """Keep the recorded steps of a closed-loop run (which records every step): points at 0 and `kept`."""
    points = np.concatenate([[0], kept])
    for name, values in result.series.items():
        rows = points if name in ("params", "loss", "distance_to_optimum") else kept - 1
        result.series[name] = np.ascontiguousarray(values[rows[rows < len(values)]])
    for name, values in result.state.items():
        result.state[name] = np.ascontiguousarray(values[(kept - 1)[kept - 1 < len(values)]])


def run_payload(spec: RunSpec, result: RunResult, kept: np.ndarray, record: set[str]) -> dict:
    run = {"label": result.label, "name": result.name, "hyperparameters": result.hyperparameters}
    run.update(result.series)
    if spec.lr is not None or spec.per_step:
        done = int(kept[-1]) if result.diverged_at is None else result.diverged_at - 1
        rows = kept[: np.searchsorted(kept, done, side="right")] - 1
        if spec.lr is not None:
            run["base_lr"] = spec.lr[rows]
        for values in spec.per_step.values():
            run["scheduled_momentum"] = values[rows]
    if "state" in record:
        run["state"] = result.state
    run.update(final=result.final, diverged_at=result.diverged_at)
    return run
