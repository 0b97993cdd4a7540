"""Run optimizers over a gradient sequence and record what each step did.

Divergence is a result: a run stops at the first step whose parameters, learning rate or optimizer
state are not finite (an overflowed accumulator would otherwise freeze the run silently), reports
that step as `diverged_at`, and keeps only the finite steps before it, so callers never see NaN or
infinity.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import batch, compiled, progress
from .batch import BudgetExceeded, recorded_steps
from .gradients import SMALL, Explicit
from .registry import Number, Optimizer

SERIES = ("params", "learning_rates", "updates", "state")
# Series recorded at every point visited (T+1 rows, row 0 the start) rather than at every step (T rows).
POINT_SERIES = ("params", "loss", "distance_to_optimum")
# A step loop looks at the clock (and its interruption, and reports progress) about every CHECK_SECONDS
# of work, and at least every DEADLINE_CHECK_EVERY steps.
CHECK_SECONDS = 0.01
DEADLINE_CHECK_EVERY = 1024


@dataclass(frozen=True)
class RunSpec:
    optimizer: Optimizer
    hyperparameters: Mapping[str, Number] = field(default_factory=dict)
    label: str | None = None
    # Base learning rate per step (length T), e.g. from a schedule; None means the constant `lr`.
    lr: np.ndarray | None = None
    # Hyperparameters a schedule sets per step (OneCycle's momentum or beta1): name -> length-T values.
    per_step: Mapping[str, np.ndarray] = field(default_factory=dict)


@dataclass
class RunResult:
    label: str
    name: str
    hyperparameters: dict[str, Number]
    final: np.ndarray
    diverged_at: int | None
    series: dict[str, np.ndarray]
    state: dict[str, np.ndarray] = field(default_factory=dict)


def run(
    optimizer: Optimizer,
    hyper: Any,
    gradients: np.ndarray,
    initial: np.ndarray,
    record: Collection[str] = ("params", "learning_rates"),
    lr: np.ndarray | None = None,
    deadline: float | None = None,
    per_step: Mapping[str, np.ndarray] | None = None,
    record_every: int = 1,
) -> tuple[np.ndarray, int | None, dict[str, np.ndarray], dict[str, np.ndarray]]:
    """One optimizer over `gradients` (T, D) from `initial` (D,): the reference loop, numpy only.

    `lr` is the base learning rate per step (default: the constant `hyper.lr`); `per_step` holds
    hyperparameters that change every step. As in torch, the state is created at the first step, with
    the hyperparameters in force then (Rprop's step size starts at that step's lr).
    Returns the final parameters, the divergence step (or None), the recorded series and, when
    "state" is recorded, each state array's per-step values (recorded after each step). Series keep the
    steps `recorded_steps(T, record_every)` (params: the initial point first).
    """
    steps, dim = gradients.shape
    rates = base_rates(hyper, lr, steps)
    params = np.array(initial, dtype=np.float64)
    kept = np.array(recorded_steps(steps, record_every))
    rows = np.full(steps + 1, -1, dtype=np.int64)
    rows[kept] = np.arange(1, kept.size + 1)  # as a step number in a run that records every step
    series, states = allocate(optimizer, record, params, kept.size)
    diverged_at = None
    per_step = per_step or {}
    base = hyper
    with np.errstate(all="ignore"):
        state = optimizer.init(params, initial_hyper(base, rates, per_step))
        checkpoints = Checkpoints(deadline, steps, optimizer.name)
        for t in range(1, steps + 1):
            if t >= checkpoints.next:
                checkpoints(t)
            if per_step:
                hyper = hyper_at(base, per_step, t)
            update, rate, state = optimizer.step(gradients[t - 1], params, state, hyper, rates[t - 1], t)
            new_params = params + update
            if not finite_step(new_params, rate, state):
                diverged_at = t
                break
            params = new_params
            if rows[t] > 0:
                record_step(series, states, optimizer, int(rows[t]), params, rate, update, state)
    if diverged_at is not None:
        # Keep the recorded steps before `diverged_at`, as `truncate` does when every step is recorded.
        series, states = truncate(series, states, int(np.searchsorted(kept, diverged_at - 1, side="right")) + 1)
    return params, diverged_at, series, states


# --- pieces shared with the closed-loop driver (closed_loop.py) ---------------------------------


def base_rates(hyper: Any, lr: np.ndarray | None, steps: int) -> np.ndarray:
    """The base learning rate at each of `steps` steps: the schedule's, or the constant `hyper.lr`."""
    return np.full(steps, hyper.lr, dtype=np.float64) if lr is None else np.asarray(lr, dtype=np.float64)


def initial_hyper(base: Any, rates: np.ndarray, per_step: Mapping[str, np.ndarray]) -> Any:
    """The hyperparameters `init` sees: those in force at step 1 (torch creates state at the first step)."""
    return base._replace(lr=rates[0], **{name: values[0] for name, values in per_step.items()})


def hyper_at(base: Any, per_step: Mapping[str, np.ndarray], t: int) -> Any:
    """The hyperparameters in force at step t (1-based): `base` with this step's scheduled values."""
    return base._replace(**{name: values[t - 1] for name, values in per_step.items()})


def allocate(
    optimizer: Optimizer, record: Collection[str], initial: np.ndarray, steps: int
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Empty recorded series (params with `initial` as row 0) and, if recorded, state arrays."""
    dim = initial.shape[-1]
    series = {name: np.empty((steps + (name == "params"), dim)) for name in SERIES[:3] if name in record}
    if "params" in series:
        series["params"][0] = initial
    states = {name: np.empty((steps, dim)) for name in optimizer.state_names} if "state" in record else {}
    return series, states


def record_step(series, states, optimizer: Optimizer, t: int, params, rate, update, state) -> None:
    """Store step t's results in the series and state arrays that `allocate` made."""
    if "params" in series:
        series["params"][t] = params
    if "learning_rates" in series:
        series["learning_rates"][t - 1] = rate
    if "updates" in series:
        series["updates"][t - 1] = update
    for name, values in zip(optimizer.state_names, state, strict=True):
        if name in states:
            states[name][t - 1] = values


class Checkpoints:
    """Where a step loop pauses to report progress and stop if interrupted or past `deadline`: at its first
    step, then about every CHECK_SECONDS of work, and at every multiple of DEADLINE_CHECK_EVERY steps. The
    stride follows the measured cost of a step, so a loop of 40 ms steps (logistic regression on 10^5 samples)
    looks at the clock every step and stops within a step of its deadline, while a loop of microsecond
    steps pays one integer comparison a step. (A fixed stride of 1,024 steps let such a loop run 30 s
    past a 10 s budget; the first step too: a sweep's 10,000 runs of 1,000 steps each never reached step
    1,024, and ran for minutes past the budget, and after their client had gone.)

    In the loop: `if t >= checkpoints.next: checkpoints(t)` before step t."""

    __slots__ = ("deadline", "steps", "name", "event", "next", "_step", "_time")

    def __init__(self, deadline: float | None, steps: int, name: str) -> None:
        self.deadline, self.steps, self.name = deadline, steps, name
        self.event = progress.interrupt()
        self.next = 1
        self._step, self._time = 1, time.monotonic()

    def __call__(self, t: int) -> None:
        now = time.monotonic()
        progress.report(t, self.steps)
        progress.check(self.event, t, self.steps, self.name)
        if self.deadline is not None and now > self.deadline:
            raise BudgetExceeded(f"{self.name} stopped at step {t} of {self.steps}: over the time budget")
        # Steps taken since the last pause, and the time they took, give the next stride.
        taken, spent = t - self._step, now - self._time
        if not taken:  # the first step: measure one
            stride = 1
        elif spent <= 0:
            stride = DEADLINE_CHECK_EVERY
        else:
            stride = min(DEADLINE_CHECK_EVERY, max(1, int(taken * CHECK_SECONDS / spent)))
        # Every multiple of DEADLINE_CHECK_EVERY is a pause too, as in the compiled driver: a progress bar
        # takes a report at or below the last one for the next run's start, so runs report alike.
        boundary = (t // DEADLINE_CHECK_EVERY + 1) * DEADLINE_CHECK_EVERY
        self.next, self._step, self._time = min(t + stride, boundary), t, now


def finite_step(new_params: np.ndarray, rate: Any, state: tuple) -> bool:
    """False when a step diverged: its parameters, learning rate or any state array is not finite."""
    return bool(np.isfinite(new_params).all() and np.isfinite(rate).all() and all(np.isfinite(v).all() for v in state))


def truncate(
    series: dict[str, np.ndarray], states: dict[str, np.ndarray], diverged_at: int
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Keep the finite steps before `diverged_at`: T+1-row series (params, loss) keep one row more."""
    kept = diverged_at - 1
    series = {name: values[: kept + (name in POINT_SERIES)] for name, values in series.items()}
    return series, {name: values[:kept] for name, values in states.items()}


def unique_labels(labels: Sequence[str]) -> list[str]:
    """Make labels unique in order: a repeated 'adam' becomes 'adam-2', 'adam-3', ..."""
    seen: set[str] = set(labels)
    if len(seen) == len(labels):
        return list(labels)
    counts: dict[str, int] = {}
    result = []
    for label in labels:
        count = counts.get(label, 0) + 1
        counts[label] = count
        if count == 1:
            result.append(label)
            continue
        n = count
        while f"{label}-{n}" in seen:
            n += 1
        seen.add(f"{label}-{n}")
        result.append(f"{label}-{n}")
    return result


@dataclass
class Simulation:
    """Runs over one gradient source: the steps kept in every series and, if asked, their gradients."""

    steps: int
    dim: int
    recorded_steps: np.ndarray
    runs: list[RunResult]
    gradients: np.ndarray | None = None  # (len(recorded_steps), D): the gradient at each recorded step


def compiles(optimizer: Optimizer, engine: str = "auto") -> bool:
    """Whether `optimizer` runs through its compiled kernel under `engine` ("auto", "compiled", "reference")."""
    if engine == "reference":
        return False
    return compiled.supports(optimizer) and compiled.available()


def simulate_source(
    source,
    runs: Sequence[RunSpec],
    initial: np.ndarray | float | None = None,
    record: Collection[str] = ("params", "learning_rates"),
    deadline: float | None = None,
    record_every: int = 1,
    include_gradients: bool = False,
    engine: str = "auto",
) -> Simulation:
    """Run every spec over a gradient source (`gradients.Explicit`, `gradients.TrendNoise`, or a (T, D)
    array), starting from `initial` (default zeros). Elementwise optimizers run through their compiled
    kernels (`engine="reference"` forces the numpy loop); the results are the same.

    `deadline` is a `time.monotonic()` value; past it the run raises BudgetExceeded.
    """
    if not hasattr(source, "blocks"):
        source = Explicit(source)
    steps, dim = source.shape
    if initial is None:
        start = np.zeros(dim)
    else:
        start = np.broadcast_to(np.asarray(initial, dtype=np.float64), (dim,))
    labels = unique_labels([spec.label or spec.optimizer.name for spec in runs])
    hypers = [spec.optimizer.hyper(spec.hyperparameters) for spec in runs]
    jobs = {}
    origin = start[None, :]
    for i, (spec, hyper) in enumerate(zip(runs, hypers, strict=True)):
        if compiles(spec.optimizer, engine):
            rates = (
                np.array(hyper.lr, dtype=np.float64, ndmin=2)  # (1, 1): one configuration, constant lr
                if spec.lr is None
                else np.asarray(spec.lr, dtype=np.float64)[:, None]
            )
            jobs[i] = batch.Job(spec.optimizer, hyper, rates, origin, spec.per_step, record)
    kept = recorded_steps(steps, record_every)
    # The gradients at the recorded steps: at every step of a small source (one whose `build` is at hand,
    # not generated), its own read-only array; else rows filled as the runs go.
    whole = include_gradients and kept.size == steps and steps * dim <= SMALL
    rows = source.build() if whole else np.empty((kept.size, dim)) if include_gradients else None
    fill = None if whole else rows
    if jobs:
        batch.run_jobs(source, list(jobs.values()), record_every, deadline, fill)
    reference = None
    if len(jobs) < len(runs) or (fill is not None and not jobs):
        reference = source.build()
        if fill is not None:
            fill[:] = reference[kept - 1]
    results = []
    for i, (spec, label, hyper) in enumerate(zip(runs, labels, hypers, strict=True)):
        job = jobs.get(i)
        if job is not None:
            diverged_at = int(job.diverged_at[0]) or None
            if diverged_at is None:  # every recorded row
                series = {name: values[0] for name, values in job.series.items()}
                states = {name: values[0] for name, values in job.state.items()} if job.state else {}
            else:
                count = int(job.kept_rows[0])
                series = {name: values[0, : count + (name == "params")] for name, values in job.series.items()}
                states = {name: values[0, :count] for name, values in job.state.items()}
            final = job.final[0]
        else:
            final, diverged_at, series, states = run(
                spec.optimizer, hyper, reference, start, record, spec.lr, deadline, spec.per_step, record_every
            )
        results.append(RunResult(label, spec.optimizer.name, hyper._asdict(), final, diverged_at, series, states))
    return Simulation(steps, dim, kept, results, rows)


def simulate(
    gradients: np.ndarray,
    runs: Sequence[RunSpec],
    initial: np.ndarray | float | None = None,
    record: Collection[str] = ("params", "learning_rates"),
    deadline: float | None = None,
    record_every: int = 1,
    engine: str = "auto",
) -> list[RunResult]:
    """Run every spec over the same gradient sequence (T, D), starting from `initial` (default zeros).

    `deadline` is a `time.monotonic()` value; past it the run raises BudgetExceeded.
    """
    return simulate_source(gradients, runs, initial, record, deadline, record_every, engine=engine).runs
