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

from . import progress
from .registry import Number, Optimizer

SERIES = ("params", "learning_rates", "updates", "state")
# Series recorded at every point visited (T+1 rows, row 0 the start) rather than at every step (T rows).
POINT_SERIES = ("params", "loss", "distance_to_optimum")
# How many steps run between two looks at the clock when a deadline is set.
DEADLINE_CHECK_EVERY = 1024


class BudgetExceeded(RuntimeError):
    """The simulation did not finish before its deadline (see `simulate(deadline=...)`)."""


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
) -> tuple[np.ndarray, int | None, dict[str, np.ndarray], dict[str, np.ndarray]]:
    """One optimizer over `gradients` (T, D) from `initial` (D,).

    `lr` is the base learning rate per step (default: the constant `hyper.lr`); `per_step` holds
    hyperparameters that change every step. As in torch, the state is created at the first step, with
    the hyperparameters in force then (Rprop's step size starts at that step's lr).
    Returns the final parameters, the divergence step (or None), the recorded series and, when
    "state" is recorded, each state array's per-step values (T rows, recorded after each step).
    """
    steps, dim = gradients.shape
    rates = base_rates(hyper, lr, steps)
    params = np.array(initial, dtype=np.float64)
    series, states = allocate(optimizer, record, params, steps)
    diverged_at = None
    per_step = per_step or {}
    base = hyper
    with np.errstate(all="ignore"):
        state = optimizer.init(params, initial_hyper(base, rates, per_step))
        for t in range(1, steps + 1):
            check_deadline(deadline, t, steps, optimizer.name)
            if per_step:
                hyper = hyper_at(base, per_step, t)
            update, rate, state = optimizer.step(gradients[t - 1], params, state, hyper, rates[t - 1], t)
            new_params = params + update
            if not finite_step(new_params, rate, state):
                diverged_at = t
                break
            params = new_params
            record_step(series, states, optimizer, t, params, rate, update, state)
    if diverged_at is not None:
        series, states = truncate(series, states, diverged_at)
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


def check_deadline(deadline: float | None, t: int, steps: int, name: str) -> None:
    """Every DEADLINE_CHECK_EVERY steps: report progress, and stop if the deadline has passed."""
    if t % DEADLINE_CHECK_EVERY:
        return
    progress.report(t, steps)
    if deadline is not None and time.monotonic() > deadline:
        raise BudgetExceeded(f"{name} stopped at step {t} of {steps}: over the time budget")


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


def simulate(
    gradients: np.ndarray,
    runs: Sequence[RunSpec],
    initial: np.ndarray | float | None = None,
    record: Collection[str] = ("params", "learning_rates"),
    deadline: float | None = None,
) -> list[RunResult]:
    """Run every spec over the same gradient sequence (T, D), starting from `initial` (default zeros).

    `deadline` is a `time.monotonic()` value; past it the run raises BudgetExceeded.
    """
    gradients = np.asarray(gradients, dtype=np.float64)
    steps, dim = gradients.shape
    start = np.broadcast_to(np.asarray(0.0 if initial is None else initial, dtype=np.float64), (dim,))
    labels = unique_labels([spec.label or spec.optimizer.name for spec in runs])
    results = []
    for spec, label in zip(runs, labels, strict=True):
        hyper = spec.optimizer.hyper(spec.hyperparameters)
        final, diverged_at, series, states = run(
            spec.optimizer, hyper, gradients, start, record, spec.lr, deadline, spec.per_step
        )
        results.append(RunResult(label, spec.optimizer.name, hyper._asdict(), final, diverged_at, series, states))
    return results
