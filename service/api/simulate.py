"""POST /simulate: validated request in, one engine call, JSON out."""

from __future__ import annotations

import time
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Body, Response

from ..engine import (
    REGISTRY,
    BudgetExceeded,
    RunResult,
    RunSpec,
    compiled,
    gradients,
    simulate_objective,
    simulate_source,
)
from ..engine.batch import recorded_count, recorded_steps
from ..settings import Settings
from .concurrency import estimated_work, run_sized
from .deps import SettingsDep
from .errors import ErrorMessage, ValidationErrorBody, limit_error
from .metrics import Metrics, MetricsDep
from .models import SimulateRequest, SimulateResponse, cycled_hyperparameter
from .responses import json_response
from .schedules import schedule_arrays
from .tuning import tune_runs

router = APIRouter(tags=["simulate"])


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
    work = steps * dim * runs
    if work > settings.max_work:
        raise limit_error(
            ("gradients",),
            f"this request asks for {work} coordinate-steps ({steps} steps x D = {dim} x {runs} optimizers), "
            f"over the limit of {settings.max_work}: ask for fewer steps, coordinates or optimizers",
        )


def check_work(runs: int, steps: int, dim: int, settings: Settings, field: tuple) -> None:
    """Sweeps and tuning: configurations x steps x D against max_work (422 at `field`)."""
    work = runs * steps * dim
    if work > settings.max_work:
        raise limit_error(
            field,
            f"{runs} runs x {steps} steps x D = {dim} is {work} coordinate-steps, over the limit of "
            f"{settings.max_work}: ask for fewer configurations, steps or coordinates",
        )


def non_finite_error(pattern: str):
    """A synthetic source generated block by block overflowed (the same 422 as a whole one)."""
    return limit_error(
        ("gradients",),
        f"these {pattern} parameters give gradients beyond float64: use smaller magnitudes",
        kind="finite_number",
    )


def budget_error(exc: BudgetExceeded, seconds: float):
    return limit_error(
        (),
        f"the simulation ran over the compute budget of {seconds:g} s and was stopped ({exc}): ask for fewer "
        "steps, coordinates or optimizers",
        kind="compute_budget_exceeded",
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


def ready(specs) -> None:
    """Load the optimizers' kernels first (the app's start-up has; a bare app compiles them on first use),
    so that the compute budget measures the simulation, not a one-time compilation."""
    for spec in specs:
        optimizer = REGISTRY[spec.name]
        if compiled.supports(optimizer) and compiled.available():
            compiled.kernel_function(optimizer)


def run_simulation(request: SimulateRequest, settings: Settings, metrics: Metrics | None = None) -> dict[str, Any]:
    """What POST /simulate does, without HTTP: check the limits, tune if asked, run the engine within the
    compute budget, and return the response payload (numpy arrays, serialized by `json_response`). The
    command line runs local simulations here (without metrics)."""
    check_limits(request, settings)
    ready(request.optimizers)
    budget = settings.compute_budget_seconds
    deadline = time.monotonic() + budget if budget else None
    record = set(request.record)
    steps, dim = request.gradients.shape
    kept = recorded_steps(steps, request.record_every)
    payload: dict[str, Any] = {"steps": steps, "dim": dim}
    if request.record_every > 1:
        payload["recorded_steps"] = kept
    try:
        tuning = tune_runs(request, settings, deadline) if request.tune else {}
        chosen = {i: entry["chosen"] for i, entry in tuning.items()}
        specs = [run_spec(spec, steps, i, chosen.get(i)) for i, spec in enumerate(request.optimizers)]
        if request.gradients.kind == "objective":
            results, objective = closed_loop(request, specs, record, kept, deadline)
            payload["objective"] = objective
        else:
            simulation = simulate_source(
                request.gradients.source(),
                specs,
                request.initial,
                record,
                deadline=deadline,
                record_every=request.record_every,
                include_gradients=request.include_gradients,
            )
            if request.include_gradients:
                payload["gradients"] = simulation.gradients
            results = simulation.runs
    except BudgetExceeded as exc:
        if metrics is not None:
            metrics.budget_exceeded.inc()
        raise budget_error(exc, budget) from None
    except gradients.NonFiniteGradients as exc:
        raise non_finite_error(str(exc)) from None
    if metrics is not None:
        count_steps(metrics, results, steps)
    payload["runs"] = [run_payload(spec, result, kept, record) for spec, result in zip(specs, results, strict=True)]
    for i, run in enumerate(payload["runs"]):
        if i in tuning:
            run["tuning"] = tuning[i]
    return payload


@router.post(
    "/simulate",
    response_model=SimulateResponse,
    response_model_exclude_none=True,
    summary="Run optimizers over a gradient sequence, step by step",
    responses={
        413: {"model": ErrorMessage, "description": "The body is over OPTISCOPE_MAX_BODY_BYTES."},
        422: {
            "model": ValidationErrorBody,
            "description": "Malformed request, request over a size limit, or simulation over the compute budget: "
            "each entry names the field, the limit and the value.",
        },
    },
)
async def simulate_endpoint(
    settings: SettingsDep,
    metrics: MetricsDep,
    request: Annotated[SimulateRequest | None, Body()] = None,
) -> Response:
    request = request or SimulateRequest()
    tuned = 1 + (len(request.tune_values) if request.tune else 0)
    work = estimated_work(request, request.optimizers) * tuned
    return await run_sized(work, simulate_response, request, settings, metrics)


def simulate_response(request: SimulateRequest, settings: Settings, metrics: Metrics | None = None) -> Response:
    return json_response(run_simulation(request, settings, metrics))


def count_steps(metrics, results: list[RunResult], steps: int) -> None:
    """Simulated steps per optimizer, for /metrics (a diverged run counts the steps it completed)."""
    for result in results:
        metrics.steps.labels(result.name).inc(steps if result.diverged_at is None else result.diverged_at - 1)


def closed_loop(
    request: SimulateRequest, specs: list[RunSpec], record: set[str], kept: np.ndarray, deadline: float | None
) -> tuple[list[RunResult], dict[str, Any]]:
    """Objective sources: every run computes its gradients at its own parameters (no shared sequence)."""
    source = request.gradients
    steps, dim = source.shape
    problem = source.problem()
    initial = problem.start if request.initial is None else np.array(np.broadcast_to(request.initial, (dim,)))
    try:
        results = simulate_objective(
            problem, specs, steps, initial, record, source.noise_std, source.seed, deadline=deadline
        )
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
    return results, objective


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
