"""Hyperparameter sweeps: many configurations of one optimizer over the same gradient source, as a batch.

Configurations that differ only in `lr` form one job of the compiled engine (the learning rate is the
batch dimension of the kernel), so a log-spaced lr sweep of 1,000 values is one pass over the
gradients. Configurations that differ in anything else form one job per distinct value.

Scores (lower is better; a configuration that diverged, or whose score overflows float64, has none and is
never the best):

- open loop (a gradient sequence that does not depend on the parameters): there is no loss, so the
  score is the Euclidean distance from the final parameters to a `target` the caller names (where
  the parameters should end up; default the origin);
- closed loop (an objective function): the objective's value at the final parameters.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import batch
from .closed_loop import run_closed_loop
from .gradients import Explicit
from .registry import Number, Optimizer
from .simulate import compiles, run

# (lr value) -> (base lr per step (T,) or one scalar for every step, per-step hyperparameters): how a
# schedule turns an lr into steps.
Plan = Callable[[float], tuple[np.ndarray, Mapping[str, np.ndarray]]]


@dataclass
class Sweep:
    """Results per configuration, in the order given: arrays, so that 10^3 configurations cost no more
    Python objects than they must."""

    configs: Sequence[Mapping[str, Number]]
    final: np.ndarray  # (C, D): the last finite parameters
    diverged_at: np.ndarray  # (C,): the step a configuration diverged at, 0 if it never did
    score: np.ndarray  # (C,): lower is better, NaN where the configuration diverged
    recorded_steps: np.ndarray
    params: list[np.ndarray] | None = None  # per configuration, params at 0 and the recorded steps

    def best(self) -> int | None:
        """Index of the lowest score (the first on ties), None when every configuration diverged."""
        if not np.isfinite(self.score).any():
            return None
        return int(np.nanargmin(self.score))


def constant_plan(steps: int | None = None) -> Plan:
    """No schedule: the lr itself at every step (a scalar stands for all T steps)."""

    def plan(lr: float):
        return np.float64(lr), {}

    plan.constant = True  # lets a sweep skip calling it per configuration
    return plan


def _lr_sweep(configs: Sequence[Mapping[str, Number]]) -> np.ndarray | None:
    """The learning rates when every configuration names lr alone (the common sweep), else None. Found
    in C-level loops: 10^3 configurations would otherwise cost more to sort out than to run."""
    if sum(map(len, configs)) != len(configs):
        return None
    try:
        return np.fromiter(map(operator.itemgetter("lr"), configs), dtype=np.float64, count=len(configs))
    except KeyError:
        return None


def _groups(configs: Sequence[Mapping[str, Number]]) -> dict[tuple, list[int]]:
    """Configuration indices grouped by everything but lr (one batch job per group)."""
    groups: dict[tuple, list[int]] = {}
    for i, config in enumerate(configs):
        key = tuple(sorted((name, value) for name, value in config.items() if name != "lr"))
        groups.setdefault(key, []).append(i)
    return groups


def sweep_open_loop(
    source,
    optimizer: Optimizer,
    configs: Sequence[Mapping[str, Number]],
    plan: Plan,
    initial: np.ndarray,
    target: np.ndarray,
    record_every: int = 1,
    trajectories: bool = False,
    deadline: float | None = None,
    engine: str = "auto",
) -> Sweep:
    """Every configuration over `source` from `initial` (D,); the score is the distance to `target`."""
    if not hasattr(source, "blocks"):
        source = Explicit(source)
    steps, dim = source.shape
    record = ("params",) if trajectories else ()
    count = len(configs)
    final, diverged_at = np.empty((count, dim)), np.zeros(count, dtype=np.int64)
    params: list | None = [None] * count if trajectories else None
    kept = batch.recorded_steps(steps, record_every)
    if compiles(optimizer, engine):
        jobs, members = [], []
        swept = _lr_sweep(configs)
        groups = _groups(configs).values() if swept is None else [np.arange(count)]
        for indices in groups:
            hyper = optimizer.hyper(configs[indices[0]])
            lrs = swept if swept is not None else [configs[i].get("lr", hyper.lr) for i in indices]
            if getattr(plan, "constant", False):
                lr = np.array(lrs, dtype=np.float64)[None, :]  # constant per configuration: (1, N)
            else:
                rates = [np.broadcast_to(np.asarray(plan(float(x))[0], dtype=np.float64), (steps,)) for x in lrs]
                lr = np.ascontiguousarray(np.stack(rates, axis=1))
            start = np.broadcast_to(initial, (len(indices), dim))
            jobs.append(batch.Job(optimizer, hyper, lr, start, plan(float(hyper.lr))[1], record))
            members.append(np.asarray(indices))
        batch.run_jobs(source, jobs, record_every, deadline)
        for job, indices in zip(jobs, members, strict=True):
            final[indices] = job.final
            diverged_at[indices] = job.diverged_at
            if trajectories:
                for n, i in enumerate(indices):
                    params[i] = job.series["params"][n, : int(job.kept_rows[n]) + 1]
    else:
        gradients = source.build()
        for i, config in enumerate(configs):
            hyper = optimizer.hyper(config)
            rates, per_step = plan(float(hyper.lr))
            rates = np.broadcast_to(rates, (steps,))
            final[i], diverged, series, _ = run(
                optimizer, hyper, gradients, initial, record, rates, deadline, per_step, record_every
            )
            diverged_at[i] = diverged or 0
            if trajectories:
                params[i] = series["params"]
    score = distances(final, target)
    score[(diverged_at > 0) | ~np.isfinite(score)] = np.nan  # a distance beyond float64 is no score either
    return Sweep(configs, final, diverged_at, score, kept, params)


_SQRT_TINY = float(np.sqrt(np.finfo(np.float64).tiny))


def distances(points: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Euclidean distance from each row of `points` (N, D) to `target`. Where squaring overflows (or
    underflows to subnormals) though the differences are finite, the rows are scaled by their largest
    difference first: a final point at 1e160 is 1e160 away, not beyond float64."""
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        difference = points - target
        distance = np.linalg.norm(difference, axis=1)
        # Below sqrt(tiny) the squares are subnormal (or zero) and lose digits; above float64 they overflow.
        redo = ((distance < _SQRT_TINY) | ~np.isfinite(distance)) & np.isfinite(difference).all(axis=1)
        if redo.any():
            rows = difference[redo]
            scale = np.abs(rows).max(axis=1)
            unit = rows / np.where(scale > 0, scale, 1.0)[:, None]
            distance[redo] = scale * np.sqrt((unit * unit).sum(axis=1))
    return distance


def sweep_closed_loop(
    problem,
    optimizer: Optimizer,
    configs: Sequence[Mapping[str, Number]],
    plan: Plan,
    initial: np.ndarray,
    steps: int,
    noise_std: float = 0.0,
    seed: int = 0,
    record_every: int = 1,
    trajectories: bool = False,
    deadline: float | None = None,
) -> Sweep:
    """Every configuration on `problem` in closed loop, one after another; the score is the final loss."""
    kept = batch.recorded_steps(steps, record_every)
    rows = np.concatenate([[0], kept])
    count = len(configs)
    final, diverged_at, score = np.empty((count, problem.dim)), np.zeros(count, dtype=np.int64), np.empty(count)
    params: list | None = [None] * count if trajectories else None
    record = ("params",) if trajectories else ()
    for i, config in enumerate(configs):
        hyper = optimizer.hyper(config)
        rates, per_step = plan(float(hyper.lr))
        rates = np.broadcast_to(rates, (steps,))
        final[i], diverged, series, _ = run_closed_loop(
            optimizer, hyper, problem, initial, steps, record, rates, deadline, per_step, noise_std, seed
        )
        diverged_at[i] = diverged or 0
        score[i] = np.nan if diverged else series["loss"][-1]
        if trajectories:
            params[i] = series["params"][rows[rows < len(series["params"])]]
    return Sweep(configs, final, diverged_at, score, kept, params)


def grid(axes: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """The cartesian product of named value lists, the first name varying slowest."""
    configs: list[dict[str, Any]] = [{}]
    for name, values in axes.items():
        configs = [{**config, name: value} for config in configs for value in values]
    return configs


__all__ = ["Sweep", "constant_plan", "grid", "sweep_closed_loop", "sweep_open_loop"]
