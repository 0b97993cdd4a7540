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

from . import batch, compiled
from .objectives import Problem
from .registry import Optimizer
from .simulate import (
    Checkpoints,
    RunResult,
    RunSpec,
    allocate,
    base_rates,
    compiles,
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
    engine: str = "auto",
) -> tuple[np.ndarray, int | None, dict[str, np.ndarray], dict[str, np.ndarray]]:
    """One optimizer on `problem` for `steps` steps from `initial` (D,).

    Returns what the open-loop `run` returns — final parameters, divergence step (or None), series and
    state — with `loss`, `gradients` and (when the minima are known) `distance_to_optimum` among the series.
    InitialLossNotFinite if the loss at `initial` is not finite. An optimizer with a compiled kernel takes its steps
    there (`engine="reference"` forces the numpy step); the results are the same.
    """
    rates = base_rates(hyper, lr, steps)
    if compiles(optimizer, engine):
        return _run_compiled(
            optimizer, hyper, problem, initial, steps, record, rates, deadline, per_step, noise_std, seed
        )
    params = np.array(initial, dtype=np.float64)
    series, states = allocate(optimizer, record, params, steps)
    loss, distances = _start(problem, params, steps)
    series.update(loss=loss, gradients=np.empty((steps, problem.dim)))
    if distances is not None:
        series["distance_to_optimum"] = distances
    noise, batches = random_streams(seed)
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
            grad = _gradient(problem, params, noise_std, noise, batches)
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
            if distances is not None:
                distances[t] = problem.distance_to_optimum(params)
    if diverged_at is not None:
        series, states = truncate(series, states, diverged_at)
    return params, diverged_at, series, states


def _gradient(problem: Problem, params: np.ndarray, noise_std: float, noise, batches) -> np.ndarray:
    """The gradient the optimizer receives at `params`: full or minibatch, plus the step's noise."""
    if problem.stochastic_gradient is None:
        grad = problem.gradient(params)
    else:
        grad = problem.stochastic_gradient(params, batches)
    if noise_std:
        grad = grad + noise_std * noise.standard_normal(problem.dim)
    return grad


class InitialLossNotFinite(ValueError):
    """The loss at the initial point overflows float64: there is nothing to descend from."""


def _start(problem: Problem, params: np.ndarray, steps: int):
    """The loss series with the loss at the start (InitialLossNotFinite if not finite), and the distances
    if known."""
    loss = np.empty(steps + 1)
    with np.errstate(all="ignore"):
        loss[0] = problem.value(params)
    if not np.isfinite(loss[0]):
        raise InitialLossNotFinite("the loss at the initial point is not finite (it overflows float64)")
    distance = problem.distance_to_optimum(params)
    distances = None
    if distance is not None:
        distances = np.empty(steps + 1)
        distances[0] = distance
    return loss, distances


def _run_compiled(optimizer, hyper, problem, initial, steps, record, rates, deadline, per_step, noise_std, seed):
    """`run_closed_loop` with each step taken by the optimizer's compiled kernel: one kernel call a step,
    over every coordinate (the next gradient needs this step's parameters, so steps cannot be batched).
    The kernel keeps the state and records the series; the gradient, the loss and the checks of what the
    kernel does not see (a non-finite gradient or loss) stay here, as in the numpy loop above."""
    params = np.array(initial, dtype=np.float64)
    dim, states = problem.dim, len(optimizer.state_names)
    loss, distances = _start(problem, params, steps)
    outputs = batch.recording(record, 1, states, steps, dim)
    if outputs[0].size:
        outputs[0][0, 0] = params
    lanes = np.empty((states + 2, dim))
    lanes[0] = params
    grads, first_bad = np.empty((steps, dim)), np.zeros(1, dtype=np.int64)
    over, over_field = batch.override(hyper, per_step)
    arguments = (compiled.hyper_values(hyper), over, over_field, np.ascontiguousarray(rates[:, None]))
    rows = batch.recorded_rows(steps) if any(o.size for o in outputs) else batch.no_rows(steps)
    kernel = compiled.kernel_function(optimizer)
    noise, batches = random_streams(seed)
    diverged_at = None
    with np.errstate(all="ignore"):
        checkpoints = Checkpoints(deadline, steps, optimizer.name)
        for t in range(1, steps + 1):
            if t >= checkpoints.next:
                checkpoints(t)
            grad = _gradient(problem, params, noise_std, noise, batches)
            grads[t - 1] = grad
            kernel(grads, 0, lanes, *arguments, t - 1, t, rows, 0, *outputs, first_bad)
            value = problem.value(lanes[0])
            if first_bad[0] or not (np.isfinite(grad).all() and np.isfinite(value)):
                diverged_at = t
                break
            params = lanes[0].copy()
            loss[t] = value
            if distances is not None:
                distances[t] = problem.distance_to_optimum(params)
    series, state = batch.recorded(outputs, optimizer.state_names)
    series = {name: values[0] for name, values in series.items()}  # the one configuration's
    state = {name: values[0] for name, values in state.items()}
    series.update(loss=loss, gradients=grads)
    if distances is not None:
        series["distance_to_optimum"] = distances
    if diverged_at is not None:
        series, state = truncate(series, state, diverged_at)
    return params, diverged_at, series, state


def simulate_objective(
    problem: Problem,
    runs: Sequence[RunSpec],
    steps: int,
    initial: np.ndarray | float | None = None,
    record: Collection[str] = ("params", "learning_rates"),
    noise_std: float = 0.0,
    seed: int = 0,
    deadline: float | None = None,
    engine: str = "auto",
) -> list[RunResult]:
    """Run every spec on `problem` from `initial` (default: the problem's start), each in closed loop."""
    start = problem.start if initial is None else initial
    start = np.broadcast_to(np.asarray(start, dtype=np.float64), (problem.dim,))
    labels = unique_labels([spec.label or spec.optimizer.name for spec in runs])
    results = []
    for spec, label in zip(runs, labels, strict=True):
        hyper = spec.optimizer.hyper(spec.hyperparameters)
        final, diverged_at, series, states = run_closed_loop(
            spec.optimizer,
            hyper,
            problem,
            start,
            steps,
            record,
            spec.lr,
            deadline,
            spec.per_step,
            noise_std,
            seed,
            engine,
        )
        results.append(RunResult(label, spec.optimizer.name, hyper._asdict(), final, diverged_at, series, states))
    return results
