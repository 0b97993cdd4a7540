"""POST /simulate: validated request in, one engine call, JSON out."""

from __future__ import annotations

import time
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Body, Response

from ..engine import REGISTRY, BudgetExceeded, RunResult, RunSpec, simulate, simulate_objective
from ..settings import Settings
from .deps import SettingsDep
from .errors import ErrorMessage, ValidationErrorBody, limit_error
from .metrics import Metrics, MetricsDep
from .models import SimulateRequest, SimulateResponse, cycled_hyperparameter
from .responses import json_response
from .schedules import schedule_arrays

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
    values = steps * dim * (1 + runs * len(set(request.record))) + runs * dim
    if request.gradients.kind == "objective":
        values = closed_loop_values(request)
        check_closed_loop_work(request, settings)
    if values > settings.max_values:
        raise limit_error(
            ("gradients",),
            f"this request moves {values} numbers (gradients plus recorded series), over the limit of "
            f"{settings.max_values}: record fewer series or steps",
        )
    work = steps * dim * runs
    if work > settings.max_work:
        raise limit_error(
            ("gradients",),
            f"this request asks for {work} coordinate-steps ({steps} steps x D = {dim} x {runs} optimizers), "
            f"over the limit of {settings.max_work}: ask for fewer steps, coordinates or optimizers",
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


def check_closed_loop_work(request: SimulateRequest, settings: Settings) -> None:
    """Closed loop evaluates the function twice a step: bound runs x steps x numbers per evaluation."""
    steps, _ = request.gradients.shape
    runs, per_step = len(request.optimizers), request.gradients.work_per_step()
    work = runs * steps * per_step
    if work > settings.max_evaluation_work:
        raise limit_error(
            ("gradients", "steps"),
            f"{runs} runs x {steps} steps x {per_step} numbers per evaluation = {work}, over the evaluation "
            f"limit of {settings.max_evaluation_work}: ask for fewer steps, runs, coordinates or samples",
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


def run_simulation(request: SimulateRequest, settings: Settings, metrics: Metrics | None = None) -> dict[str, Any]:
    """What POST /simulate does, without HTTP: check the limits, run the engine within the compute budget,
    and return the response payload (numpy arrays, serialized by `json_response`). The command line runs
    local simulations here (without metrics)."""
    budget = settings.compute_budget_seconds
    deadline = time.monotonic() + budget if budget else None
    check_limits(request, settings)
    record = set(request.record)
    steps, dim = request.gradients.shape
    specs = [run_spec(spec, steps, i) for i, spec in enumerate(request.optimizers)]
    try:
        if request.gradients.kind == "objective":
            results, payload = closed_loop(request, specs, record, deadline)
        else:
            grads = np.ascontiguousarray(request.gradients.build())
            results = simulate(grads, specs, request.initial, record, deadline=deadline)
            payload = {"steps": steps, "dim": dim, "gradients": grads}
    except BudgetExceeded as exc:
        if metrics is not None:
            metrics.budget_exceeded.inc()
        raise budget_error(exc, budget) from None
    if metrics is not None:
        count_steps(metrics, results, steps)
    payload["runs"] = [run_payload(spec, result, steps, record) for spec, result in zip(specs, results, strict=True)]
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
def simulate_endpoint(
    settings: SettingsDep,
    metrics: MetricsDep,
    request: Annotated[SimulateRequest | None, Body()] = None,
) -> Response:
    return json_response(run_simulation(request or SimulateRequest(), settings, metrics))


def count_steps(metrics, results: list[RunResult], steps: int) -> None:
    """Simulated steps per optimizer, for /metrics (a diverged run counts the steps it completed)."""
    for result in results:
        metrics.steps.labels(result.name).inc(steps if result.diverged_at is None else result.diverged_at - 1)


def closed_loop(
    request: SimulateRequest, specs: list[RunSpec], record: set[str], deadline: float | None
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
    objective = {
        "function": source.function,
        "parameters": source.parameters(),
        "initial": initial,
        "minima": problem.minima,
        "minimum_value": problem.minimum_value,
    }
    return results, {"steps": steps, "dim": dim, "objective": objective}


def run_payload(spec: RunSpec, result: RunResult, steps: int, record: set[str]) -> dict:
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
    return run
