"""Hyperparameter sweeps: many configurations of one optimizer over the same gradient source, as a batch.

Configurations that differ only in `lr` form one job of the compiled engine (the learning rate is the
batch dimension of the kernel), so a log-spaced lr sweep of 1,000 values is one pass over the
gradients. Configurations that differ in anything else form one job per distinct value.

Scores (lower is better; a configuration that diverged has none and is never the best):

- open loop (a gradient sequence that does not depend on the parameters): there is no loss, so the
  score is the Euclidean distance from the final parameters to a `target` the caller names (where
  the parameters should end up; default the origin);
- closed loop (an objective function): the objective's value at the final parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import batch
from .closed_loop import run_closed_loop
from .gradients import Explicit
from .registry import Number, Optimizer
from .simulate import compiles, run

# (lr value) -> (base lr per step (T,), per-step hyperparameters): how a schedule turns an lr into steps.
Plan = Callable[[float], tuple[np.ndarray, Mapping[str, np.ndarray]]]


@dataclass
class Configuration:
    hyperparameters: dict[str, Number]  # every hyperparameter, resolved
    final: np.ndarray
    diverged_at: int | None
    score: float | None
    params: np.ndarray | None = None  # trajectory at the recorded steps (row 0 the start), if asked


def constant_plan(steps: int) -> Plan:
    return lambda lr: (np.full(steps, lr, dtype=np.float64), {})


def _groups(optimizer: Optimizer, configs: Sequence[Mapping[str, Number]]) -> dict[tuple, list[int]]:
    """Configuration indices grouped by everything but lr (one batch job per group)."""
    groups: dict[tuple, list[int]] = {}
    for i, config in enumerate(configs):
        hyper = optimizer.hyper(config)
        key = tuple(value for name, value in zip(hyper._fields, hyper, strict=True) if name != "lr")
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
) -> tuple[list[Configuration], np.ndarray]:
    """Every configuration over `source` from `initial` (D,); returns them and the recorded steps."""
    if not hasattr(source, "blocks"):
        source = Explicit(source)
    steps, dim = source.shape
    record = ("params",) if trajectories else ()
    results: list[Configuration | None] = [None] * len(configs)
    kept = batch.recorded_steps(steps, record_every)
    if compiles(optimizer, engine):
        jobs, members = [], []
        for indices in _groups(optimizer, configs).values():
            plans = [plan(float(optimizer.hyper(configs[i]).lr)) for i in indices]
            lr = np.ascontiguousarray(np.stack([rates for rates, _ in plans], axis=1))
            hyper = optimizer.hyper(configs[indices[0]])
            start = np.broadcast_to(initial, (len(indices), dim))
            jobs.append(batch.Job(optimizer, hyper, lr, start, plans[0][1], record))
            members.append(indices)
        batch.run_jobs(source, jobs, record_every, deadline)
        for job, indices in zip(jobs, members, strict=True):
            for n, i in enumerate(indices):
                diverged = int(job.diverged_at[n]) or None
                params = job.series["params"][n, : int(job.kept_rows[n]) + 1] if trajectories else None
                results[i] = _configuration(optimizer, configs[i], job.final[n], diverged, target, params)
    else:
        gradients = source.build()
        for i, config in enumerate(configs):
            hyper = optimizer.hyper(config)
            rates, per_step = plan(float(hyper.lr))
            final, diverged, series, _ = run(
                optimizer, hyper, gradients, initial, record, rates, deadline, per_step, record_every
            )
            results[i] = _configuration(optimizer, config, final, diverged, target, series.get("params"))
    return results, kept


def _configuration(optimizer, config, final, diverged_at, target, params) -> Configuration:
    score = None if diverged_at is not None else float(np.linalg.norm(final - target))
    return Configuration(optimizer.hyper(config)._asdict(), final, diverged_at, score, params)


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
) -> tuple[list[Configuration], np.ndarray]:
    """Every configuration on `problem` in closed loop; the score is the final loss."""
    kept = batch.recorded_steps(steps, record_every)
    rows = np.concatenate([[0], kept])
    results = []
    for config in configs:
        hyper = optimizer.hyper(config)
        rates, per_step = plan(float(hyper.lr))
        record = ("params",) if trajectories else ()
        final, diverged, series, _ = run_closed_loop(
            optimizer, hyper, problem, initial, steps, record, rates, deadline, per_step, noise_std, seed
        )
        loss = series["loss"]
        score = None if diverged is not None else float(loss[-1])
        params = series["params"][rows[rows < len(series["params"])]] if trajectories else None
        results.append(Configuration(hyper._asdict(), final, diverged, score, params))
    return results, kept


def best(configurations: Sequence[Configuration]) -> int | None:
    """Index of the lowest score (the first on ties), None when every configuration diverged."""
    scores = [np.inf if c.score is None else c.score for c in configurations]
    index = int(np.argmin(scores)) if scores else None
    return None if index is None or not np.isfinite(scores[index]) else index


def grid(axes: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """The cartesian product of named value lists, the first name varying slowest."""
    configs: list[dict[str, Any]] = [{}]
    for name, values in axes.items():
        configs = [{**config, name: value} for config in configs for value in values]
    return configs


__all__ = ["Configuration", "best", "constant_plan", "grid", "sweep_closed_loop", "sweep_open_loop"]
