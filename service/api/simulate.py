"""POST /simulate: validated request in, one engine call, the answer out as JSON, CSV or a figure (Accept)."""

from __future__ import annotations

import math
import time
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Body, Depends, Query, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse

from .. import figures
from ..engine import (
    REGISTRY,
    BudgetExceeded,
    InitialLossNotFinite,
    RunResult,
    RunSpec,
    compiled,
    gradients,
    simulate_objective,
    simulate_source,
)
from ..engine.batch import recorded_count, recorded_steps, usable_cores
from ..engine.objectives import surface as surface_grid
from ..settings import Settings
from .admission import AdmitDep
from .concurrency import ReceiveDep, beside, estimated_work, run_sized
from .deps import SettingsDep
from .errors import TOO_LARGE, UNAVAILABLE, ValidationErrorBody, count, known_query, limit_error, plural
from .export import csv_chunks, csv_rows, simulation_csv
from .lean import LeanRoute
from .metrics import Metrics, MetricsDep
from .models import SimulateRequest, SimulateResponse, cycled_hyperparameter, uses_cycled_momentum
from .negotiation import CSV, IMAGES, JSON, PNG, SVG, Media
from .responses import json_response
from .schedules import schedule_arrays
from .tuning import sweep_values, tune_runs

# Its common requests skip FastAPI's generic parameter solving (lean.py): ~70 µs of a ~300 µs tutorial request.
router = APIRouter(tags=["simulate"], route_class=LeanRoute)


def check_limits(
    request: SimulateRequest, settings: Settings, record: set[str], every: int = 1, media: str = JSON
) -> None:
    """Reject requests over the configured sizes before any compute (422 naming limit and value). `media`:
    the answer's type (CSV and figures hold every step of every series, and their remedies differ)."""
    check_sizes(request, settings)
    steps, dim = request.gradients.shape
    runs = len(request.optimizers)
    values = numbers_moved(request, record, every)
    if request.gradients.kind == "objective":
        check_closed_loop_work(request, settings)
    if values > settings.max_values:
        if media != JSON:  # for_media asked for every step of every series: thinning it is no remedy
            remedy = (
                f"{'CSV' if media == CSV else 'a figure'} holds every step of every run's series, whatever record, "
                "record_every and include_gradients say: ask for fewer steps, coordinates or optimizers"
            )
        elif request.gradients.kind == "objective":  # record_every thins the answer, not the run's memory
            fewer = "record fewer series, or ask" if record else "ask"
            remedy = (
                f"a closed loop holds every step of every run while it computes, whatever record_every says: "
                f"{fewer} for fewer steps, coordinates or optimizers"
            )
            data = request.gradients.work_per_step()
            if data > request.gradients.shape[1]:  # a data set or a dense matrix, not just the point
                remedy += f" (the function's data holds {data} of these numbers: a smaller data set helps too)"
        else:
            remedy = "record fewer series, record_every more steps, or set include_gradients false"
            held, why = held_gradients(request)
            if held:
                fewer = "ask for fewer steps or coordinates" + ("" if held > settings.max_values else f", or {remedy}")
                remedy = f"its T x D = {held} gradients are held whole while the runs go ({why}): {fewer}"
        raise limit_error(
            ("gradients",),
            f"this request moves {values} numbers (gradients plus recorded series), over the limit of "
            f"{settings.max_values}: {remedy}",
        )
    work = steps * dim * runs
    if work > settings.max_work:
        raise limit_error(
            ("gradients",),
            f"this request asks for {count(work)} coordinate-steps ({count(steps)} steps x D = {count(dim)} x {runs} "
            f"optimizers), over the limit of {settings.max_work}: ask for fewer steps, coordinates or optimizers",
        )


def check_sizes(request, settings: Settings) -> None:
    """Steps, D and optimizers of a simulation or sweep against their limits: a 422 at the field that sets
    each (a sequence's values, else `steps` or `dim`)."""
    steps, dim = request.gradients.shape
    explicit = request.gradients.kind == "sequence"
    if steps > settings.max_steps:
        field = ("gradients", "values" if explicit else "steps")
        raise limit_error(field, f"{count(steps)} steps exceed the limit of {settings.max_steps}")
    if dim > settings.max_dim:
        field = ("gradients", "values" if explicit else "dim")
        raise limit_error(field, f"D = {count(dim)} exceeds the limit of {settings.max_dim} coordinates")
    runs = len(request.optimizers)
    if runs > settings.max_optimizers:
        raise limit_error(("optimizers",), f"{runs} optimizers exceed the limit of {settings.max_optimizers}")


def numbers_moved(request: SimulateRequest, record: set[str] | None = None, every: int | None = None) -> int:
    """The numbers a request sends and asks back: gradients (those it sends, or a synthetic pattern holds
    whole) plus recorded series and final points (a closed loop: see `closed_loop_values`). `record` and
    `every` default to the request's own."""
    record = set(request.record) if record is None else record
    every = request.record_every if every is None else every
    if request.gradients.kind == "objective":
        return closed_loop_values(request, record)
    steps, dim = request.gradients.shape
    rows = recorded_count(steps, every)
    values = gradients_in_memory(request) + rows * dim * request.include_gradients
    optimizers = request.optimizers
    values += len(optimizers) * (rows * dim * len(record) + dim)
    if "state" in record or any(spec.schedule is not None for spec in optimizers):  # (the tutorial skips this)
        # A schedule's values are made for every step (and returned at the recorded ones).
        values += sum(
            rows * dim * (series_count(spec, record) - len(record)) + (steps + rows) * scheduled_series(spec)
            for spec in optimizers
        )
    return values


def series_count(spec, record: set[str]) -> int:
    """The recorded series of a run: "state" is one per state array of the optimizer (Adam's three)."""
    return len(record) - ("state" in record) + ("state" in record) * len(REGISTRY[spec.name].state_names)


def scheduled_series(spec) -> int:
    """The schedule's series of a run (per step, and per recorded step in the answer): base_lr, and
    scheduled_momentum with a cycle."""
    return (spec.schedule is not None) + uses_cycled_momentum(spec.schedule)


def held_gradients(request) -> tuple[int, str]:
    """Synthetic gradients the request's runs hold whole (T x D), and why; (0, "") when they come by blocks."""
    source = request.gradients
    return source.held(request.optimizers) if source.kind == "synthetic" else (0, "")


def gradients_in_memory(request) -> int:
    """The gradients an open-loop request's runs hold: a sequence's, or a synthetic source's held whole."""
    steps, dim = request.gradients.shape
    return steps * dim if request.gradients.kind == "sequence" else held_gradients(request)[0]


def check_work(runs: int, steps: int, dim: int, settings: Settings, field: tuple) -> None:
    """Sweeps and tuning: configurations x steps x D against max_work (422 at `field`)."""
    work = runs * steps * dim
    if work > settings.max_work:
        raise limit_error(
            field,
            f"{count(runs)} runs x {count(steps)} steps x D = {count(dim)} is {count(work)} coordinate-steps, over "
            f"the limit of {settings.max_work}: ask for fewer configurations, steps or coordinates",
        )


class engine_errors:  # noqa: N801 (used as a function: `with engine_errors(...)`)
    """The engine's refusals of a run as 422s (simulations, sweeps and tuning alike): past the compute
    budget of `seconds` (counted in `metrics`), gradients a synthetic source generated block by block
    beyond float64 (the same 422 as a whole one), a closed loop whose loss overflows at its start (blamed
    on `initial` when the request gave one, else on the function's parameters).
    A class, not a generator: it wraps every tutorial request, and costs next to nothing when nothing fails."""

    __slots__ = ("fewer", "given_initial", "metrics", "seconds")

    def __init__(
        self,
        seconds: float,
        metrics: Metrics | None = None,
        given_initial: bool = True,
        fewer: str = "steps, coordinates or optimizers",  # what to ask for when over the budget
    ) -> None:
        self.seconds = seconds
        self.metrics = metrics
        self.given_initial = given_initial
        self.fewer = fewer

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, traceback: Any) -> None:
        if isinstance(exc, BudgetExceeded):
            if self.metrics is not None:
                self.metrics.budget_exceeded.inc()
            others = beside()
            shared = (
                f" ({plural(others, 'other request')} computed beside it on {usable_cores()} cores: alone, it may fit)"
                if others > 0
                else ""
            )
            raise limit_error(
                (),
                f"the simulation ran over the compute budget of {self.seconds:g} s and was stopped ({exc}): ask "
                f"for fewer {self.fewer}{shared}",
                kind="compute_budget_exceeded",
            ) from None
        if isinstance(exc, gradients.NonFiniteGradients):
            raise limit_error(
                ("gradients",),
                f"these {exc} parameters give gradients beyond float64: use smaller magnitudes",
                kind="finite_number",
            ) from None
        if isinstance(exc, InitialLossNotFinite):
            if self.given_initial:
                raise limit_error(("initial",), f"{exc}: start closer", kind="initial_loss") from None
            message = f"{exc} at the function's own start, with these parameters: use smaller ones, or give `initial`"
            raise limit_error(("gradients",), message, kind="initial_loss") from None


def closed_loop_values(request: SimulateRequest, record: set[str]) -> int:
    """Numbers a closed-loop request moves: per run its own gradients, loss, distance, recorded series
    and final point, plus the data the function stores (a data set, a dense matrix)."""
    steps, dim = request.gradients.shape
    per_run = [
        steps * (dim * (1 + series_count(spec, record)) + scheduled_series(spec)) + 2 * (steps + 1) + dim
        for spec in request.optimizers
    ]
    return sum(per_run) + request.gradients.work_per_step()


def check_closed_loop_work(request, settings: Settings, configs: int | None = None) -> None:
    """Closed loop evaluates the function twice a step: bound runs x steps x numbers per evaluation."""
    steps, _ = request.gradients.shape
    runs, per_step = configs or len(request.optimizers), request.gradients.work_per_step()
    work = runs * steps * per_step
    if work > settings.max_evaluation_work:
        raise limit_error(
            ("gradients", "steps"),
            f"{count(runs)} runs x {count(steps)} steps x {count(per_step)} numbers per evaluation = {count(work)}, "
            f"over the evaluation limit of {settings.max_evaluation_work}: ask for fewer steps, runs, coordinates or "
            "samples",
        )


def run_spec(spec, steps: int, index: int, lr: float | None = None) -> RunSpec:
    """An optimizer spec as the engine takes it, its schedule turned into per-step values (`lr` overrides)."""
    optimizer = REGISTRY[spec.name]
    # The spec's fields but name, label and schedule (all scalars): read directly, ~5x cheaper than a dump.
    hyperparameters = {h.name: getattr(spec, h.name) for h in optimizer.hyperparameters}
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


def run_simulation(
    request: SimulateRequest, settings: Settings, metrics: Metrics | None = None, media: str = JSON
) -> dict[str, Any]:
    """What POST /simulate does, without HTTP: check the limits, tune if asked, run the engine within the
    compute budget, and return the response payload (numpy arrays: what JSON, CSV and figures are all made
    from; see `for_media`). The command line runs local simulations here (without metrics)."""
    every, include_gradients, record = request.record_every, request.include_gradients, set(request.record)
    check_limits(request, settings, record, every, media)
    ready(request.optimizers)
    budget = settings.compute_budget_seconds
    deadline = time.monotonic() + budget if budget else None
    steps, dim = request.gradients.shape
    kept = recorded_steps(steps, every)
    payload: dict[str, Any] = {"steps": steps, "dim": dim}
    if every > 1:
        payload["recorded_steps"] = kept
    with engine_errors(budget, metrics, request.initial is not None):
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
                record_every=every,
                include_gradients=include_gradients,
            )
            if include_gradients:
                payload["gradients"] = simulation.gradients
            results = simulation.runs
    if metrics is not None:
        count_steps(metrics, results, steps)
    payload["runs"] = [run_payload(spec, result, kept, record) for spec, result in zip(specs, results, strict=True)]
    for i, run in enumerate(payload["runs"]):
        if i in tuning:
            run["tuning"] = tuning[i]
    return payload


# CSV answers of more rows than this are streamed (a few MB of text).
STREAM_CSV_ROWS = 1 << 16

# What each media type needs recorded, whatever `record` says (it shapes the JSON answer only).
RECORDED_FOR = {CSV: {"params", "learning_rates", "updates"}, SVG: {"params", "learning_rates"}}
RECORDED_FOR[PNG] = RECORDED_FOR[SVG]


def for_media(request: SimulateRequest, media: str) -> SimulateRequest:
    """The request as CSV and figures are made from it: every step, with its gradient, and the series they
    show, whatever `record`, `record_every` and `include_gradients` say (those shape the JSON answer)."""
    if media == JSON:
        return request
    every_step = {"record": sorted(RECORDED_FOR[media]), "record_every": 1, "include_gradients": True}
    return request.model_copy(update=every_step)


MEDIA_DOC = {
    CSV: {"schema": {"type": "string"}, "example": "label,name,step,coordinate,gradient,param,learning_rate,..."},
    SVG: {"schema": {"type": "string"}},
    PNG: {"schema": {"type": "string", "format": "binary"}},
}
CONTOUR_RESOLUTION = 81
# Numbers the contour's evaluations may touch (about a second): a data-backed function's grid is coarser
# (logistic regression on 10^5 samples drew for 12 s, past the compute budget), and none below 11 x 11.
CONTOUR_WORK = 10**8
CONTOUR_MIN_RESOLUTION = 11
# The contour's window is the function's plotting window, widened to hold the paths of the runs that stayed
# finite (with a margin of this fraction of the span, so that a path's end is not drawn on the frame), but
# never to more than CONTOUR_MAX_WIDENING times its own size. A diverged run's path leaves the frame, as its
# line leaves the other charts: its last finite points (SGD's on Rosenbrock, at +-6 by step 4) would squeeze
# the others into a corner.
CONTOUR_PATH_MARGIN = 0.05
CONTOUR_MAX_WIDENING = 3.0


def contour_surface(request: SimulateRequest, payload: dict) -> dict | None:
    """f of a 2-D objective on a grid covering its plotting window and the runs' paths (for the figure)."""
    source = request.gradients
    if source.kind != "objective" or payload["dim"] != 2:
        return None
    window = np.array(source.objective.window, dtype=np.float64).reshape(2, 2)  # rows: x and y (min, max)
    runs = [run for run in payload["runs"] if run.get("diverged_at") is None] or payload["runs"]
    points = np.concatenate([np.asarray(run["params"], dtype=np.float64) for run in runs])
    center, half = window.mean(axis=1), (window[:, 1] - window[:, 0]) / 2
    first, last = points.min(axis=0), points.max(axis=0)
    with np.errstate(over="ignore", invalid="ignore"):  # paths out at 1e308: capped below anyway
        margin = CONTOUR_PATH_MARGIN * (np.maximum(window[:, 1], last) - np.minimum(window[:, 0], first))
        low = np.where(first < window[:, 0], first - margin, window[:, 0])
        high = np.where(last > window[:, 1], last + margin, window[:, 1])
    low = np.maximum(low, center - CONTOUR_MAX_WIDENING * half)
    high = np.minimum(high, center + CONTOUR_MAX_WIDENING * half)
    resolution = min(CONTOUR_RESOLUTION, math.isqrt(CONTOUR_WORK // source.work_per_step()))
    if resolution < CONTOUR_MIN_RESOLUTION:
        return None  # the figure without its contour: the paths are still drawn
    xs, ys = (np.linspace(lo, hi, resolution) for lo, hi in zip(low, high, strict=True))
    return {"x": xs, "y": ys, "z": surface_grid(source.problem(), xs, ys)}


@router.post(
    "/simulate",
    dependencies=[Depends(known_query("coordinate"))],
    response_model=SimulateResponse,
    response_model_exclude_none=True,
    summary="Run optimizers over a gradient sequence, step by step",
    description="The `Accept` header picks the answer's form: `application/json` (the default), `text/csv` "
    "(long format, one row per run, step and coordinate: label, name, step, coordinate, gradient, param, "
    "learning_rate, update, base_lr, scheduled_momentum, loss, distance_to_optimum), or the tutorial's "
    "figure as `image/svg+xml` or `image/png` (learning rates and trajectories, for D > 1 of the coordinate "
    "given by `coordinate`; the loss for objectives; for 2-D objectives the contour with every run's path). "
    "Figures need the server's optional `figures` extra; without it, and for any other type, the answer is "
    "a 406 naming what is available.",
    responses={
        200: {"description": "The simulation, in the negotiated media type.", "content": MEDIA_DOC},
        406: {
            "description": "No acceptable media type (or figures asked of a server without matplotlib).",
            "content": {JSON: {"schema": {"type": "object", "properties": {"detail": {"type": "string"}}}}},
        },
        # The document's every 422 is main.VALIDATION_422; naming the model here puts its schema in the document.
        422: {"model": ValidationErrorBody},
        **TOO_LARGE,
        **UNAVAILABLE,
    },
)
async def simulate_endpoint(
    settings: SettingsDep,
    metrics: MetricsDep,
    media: Media,
    admit: AdmitDep,
    receive: ReceiveDep,
    request: Annotated[SimulateRequest | None, Body()] = None,
    coordinate: Annotated[
        int, Query(ge=0, description="Figures only: the coordinate whose learning rates and trajectory are drawn.")
    ] = 0,
) -> Response:
    request = request or SimulateRequest()
    dim = request.gradients.shape[1]
    if media in IMAGES and coordinate >= dim:
        message = f"coordinate {coordinate} is out of range: the gradients have D = {dim} coordinates (0 to {dim - 1})"
        raise RequestValidationError(
            [{"type": "coordinate", "loc": ("query", "coordinate"), "msg": message, "input": coordinate}]
        )
    work = estimated_work(request, request.optimizers)
    if request.tune:  # and the sweep of each optimizer's lr values first
        work += estimated_work(request, request.optimizers, len(request.tune_values))
    if media in IMAGES:
        work = float("inf")  # drawing a figure takes tens of milliseconds: never on the event loop
    numbers = numbers_moved(for_media(request, media))
    if request.tune:  # the lr sweep runs first: what it holds is freed before the tuned runs start
        numbers = max(numbers, sweep_values(request, len(request.tune_values)))
    await admit(numbers)
    return await run_sized(work, simulate_response, request, settings, metrics, media, coordinate, receive=receive)


def simulate_response(
    request: SimulateRequest,
    settings: Settings,
    metrics: Metrics | None = None,
    media: str = JSON,
    coordinate: int = 0,
) -> Response:
    """The simulation in the negotiated media type: JSON, CSV or the tutorial's figure."""
    payload = run_simulation(for_media(request, media), settings, metrics, media)
    vary = {"vary": "Accept"}  # one body, several answers: caches must key on Accept too
    if media == CSV:
        if csv_rows(payload) <= STREAM_CSV_ROWS:
            return Response(simulation_csv(payload), media_type="text/csv; charset=utf-8", headers=vary)
        # Written a chunk at a time as it is sent (each chunk on a worker thread): never the whole text at once.
        return StreamingResponse(csv_chunks(payload), media_type="text/csv; charset=utf-8", headers=vary)
    if media in IMAGES:
        surface = contour_surface(request, payload)
        return Response(figures.render(payload, media, coordinate, surface), media_type=media, headers=vary)
    # Open loop, at most this many numbers in the answer's arrays: the gradients, and per run up to ten
    # series and state arrays (a step each) and its final point. A small answer is then written in one
    # orjson call. (A closed loop's answer also holds the function's data, however large.)
    steps, dim = request.gradients.shape
    numbers = None if request.gradients.kind == "objective" else (steps + 1) * dim * (10 * len(request.optimizers) + 1)
    return json_response(payload, headers=vary, numbers=numbers)


def count_steps(metrics, results: list[RunResult], steps: int) -> None:
    """Simulated steps per optimizer, for /metrics (a diverged run counts the steps it completed)."""
    for result in results:
        metrics.simulated(result.name, steps if result.diverged_at is None else result.diverged_at - 1)


def closed_loop(
    request: SimulateRequest, specs: list[RunSpec], record: set[str], kept: np.ndarray, deadline: float | None
) -> tuple[list[RunResult], dict[str, Any]]:
    """Objective sources: every run computes its gradients at its own parameters (no shared sequence)."""
    source = request.gradients
    steps, dim = source.shape
    problem = source.problem()
    initial = problem.start if request.initial is None else np.array(np.broadcast_to(request.initial, (dim,)))
    results = simulate_objective(
        problem, specs, steps, initial, record, source.noise_std, source.seed, deadline=deadline
    )
    if len(kept) < steps:  # record_every > 1 (CSV and figures keep every step)
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
