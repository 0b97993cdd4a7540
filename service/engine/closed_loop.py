"""Closed-loop runs: at every step the gradient is computed at the optimizer's own current parameters.

    g_t     = ∇f(θ_{t-1})  [or a minibatch estimate]  + noise_std * z_t
    update  = optimizer.step(g_t, θ_{t-1}, state, ...)
    θ_t     = θ_{t-1} + update

Besides the open-loop series (params, learning_rates, updates, state, chosen by `record`), every run
returns `loss` (f at the T+1 points visited, row 0 the start), `gradients` (the T gradients the optimizer
received, noise included) and, where the problem knows its global minima, `distance_to_optimum` (T+1
Euclidean distances to the nearest one). The loss is always the exact, full-data, noise-free value.

Randomness: `np.random.SeedSequence(seed).spawn(2)` gives two independent PCG64 streams, one for the
Gaussian noise z_t (D standard normals per step, drawn step by step) and one for minibatch sampling.
Each run starts both streams afresh, so every optimizer in a request sees the same noise and the same
minibatches at step t, and a longer run with the same seed extends a shorter one.

Schedules, per-step hyperparameters, the deadline and divergence work exactly as in the open-loop
driver (simulate.py), whose helpers this module uses: a run stops at the first step whose parameters,
learning rate, state, gradient or loss is not finite, and keeps only the finite steps before it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

import numpy as np

from .objectives import Problem
from .registry import Optimizer
from .simulate import (
    RunResult,
    RunSpec,
    allocate,
    base_rates,
    check_deadline,
    finite_step,
    hyper_at,
    initial_hyper,
    record_step,
    truncate,
    unique_labels,
)

CLOSED_LOOP_SERIES = ("loss", "gradients", "distance_to_optimum")


def random_streams(seed: int) -> tuple[np.random.Generator, np.random.Generator]:
    """The (noise, minibatch) generators for `seed` (see the module docstring)."""
    noise, batches = np.random.SeedSequence(seed).spawn(2)
    return np.random.default_rng(noise), np.random.default_rng(batches)


def run_closed_loop(
    optimizer: Optimizer,
    hyper: Any,
    problem: Problem,
    initial: np.ndarray,
    steps: int,
    record: Collection[str] = ("params", "learning_rates"),
    lr: np.ndarray | None = None,
    deadline: float | None = None,
    per_step: Mapping[str, np.ndarray] | None = None,
    noise_std: float = 0.0,
    seed: int = 0,
) -> tuple[np.ndarray, int | None, dict[str, np.ndarray], dict[str, np.ndarray]]:
    """One optimizer on `problem` for `steps` steps from `initial` (D,).

    Returns what the open-loop `run` returns — final parameters, divergence step (or None), series and
    state — with `loss`, `gradients` and (when the minima are known) `distance_to_optimum` among the series.
    ValueError if the loss at `initial` is not finite.
    """
    rates = base_rates(hyper, lr, steps)
    params = np.array(initial, dtype=np.float64)
    series, states = allocate(optimizer, record, params, steps)
    loss = np.empty(steps + 1)
    with np.errstate(all="ignore"):
        loss[0] = problem.value(params)
    if not np.isfinite(loss[0]):
        raise ValueError("the loss at the initial point is not finite (it overflows float64): start closer")
    series.update(loss=loss, gradients=np.empty((steps, problem.dim)))
    distance = problem.distance_to_optimum(params)
    if distance is not None:
        series["distance_to_optimum"] = np.empty(steps + 1)
        series["distance_to_optimum"][0] = distance
    noise, batches = random_streams(seed)
    diverged_at = None
    per_step = per_step or {}
    base = hyper
    with np.errstate(all="ignore"):
        state = optimizer.init(params, initial_hyper(base, rates, per_step))
        for t in range(1, steps + 1):
            check_deadline(deadline, t, steps, optimizer.name)
            if per_step:
                hyper = hyper_at(base, per_step, t)
            if problem.stochastic_gradient is None:
                grad = problem.gradient(params)
            else:
                grad = problem.stochastic_gradient(params, batches)
            if noise_std:
                grad = grad + noise_std * noise.standard_normal(problem.dim)
            update, rate, state = optimizer.step(grad, params, state, hyper, rates[t - 1], t)
            new_params = params + update
            value = problem.value(new_params)
            if not (np.isfinite(grad).all() and np.isfinite(value) and finite_step(new_params, rate, state)):
                diverged_at = t
                break
            params = new_params
            record_step(series, states, optimizer, t, params, rate, update, state)
            loss[t] = value
            series["gradients"][t - 1] = grad
            if distance is not None:
                series["distance_to_optimum"][t] = problem.distance_to_optimum(params)
    if diverged_at is not None:
        series, states = truncate(series, states, diverged_at)
    return params, diverged_at, series, states


def simulate_objective(
    problem: Problem,
    runs: Sequence[RunSpec],
    steps: int,
    initial: np.ndarray | float | None = None,
    record: Collection[str] = ("params", "learning_rates"),
    noise_std: float = 0.0,
    seed: int = 0,
    deadline: float | None = None,
) -> list[RunResult]:
    """Run every spec on `problem` from `initial` (default: the problem's start), each in closed loop."""
    start = problem.start if initial is None else initial
    start = np.broadcast_to(np.asarray(start, dtype=np.float64), (problem.dim,))
    labels = unique_labels([spec.label or spec.optimizer.name for spec in runs])
    results = []
    for spec, label in zip(runs, labels, strict=True):
        hyper = spec.optimizer.hyper(spec.hyperparameters)
        final, diverged_at, series, states = run_closed_loop(
            spec.optimizer, hyper, problem, start, steps, record, spec.lr, deadline, spec.per_step, noise_std, seed
        )
        results.append(RunResult(label, spec.optimizer.name, hyper._asdict(), final, diverged_at, series, states))
    return results
