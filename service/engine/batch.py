"""The fast driver: many configurations of an optimizer, over a gradient source, through its compiled kernel.

A *job* is one optimizer with one set of hyperparameters and N configurations that differ only in
their per-step base learning rate (a sweep over lr, or a single run when N = 1). Every job of a call
walks the gradient source together, one block of coordinates at a time: each block runs all T steps
with its optimizer state in cache, and a synthetic source is generated block by block, so a wide run
never holds T x D gradients. Steps run in chunks between which the clock is checked.

Semantics are the reference loop's (`simulate.run`): state created at the first step with that step's
hyperparameters, divergence at the first step where any coordinate's params, rate or state is not
finite, the series truncated before it. A configuration that diverges is simply run again up to the
step before, which gives its last finite parameters exactly (the kernel is deterministic).
"""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from . import compiled
from .registry import Optimizer

# Coordinates x configurations per block: the state of one block stays in the core's cache.
BLOCK_VALUES = 1 << 14
# Gradient numbers generated per block of a synthetic source (bounds its memory).
BLOCK_GRADIENTS = 1 << 21
# Coordinate-steps per kernel call between two looks at the clock.
CHUNK_WORK = 1 << 22


class BudgetExceeded(RuntimeError):
    """The simulation did not finish before its deadline."""


def recorded_steps(steps: int, every: int = 1) -> np.ndarray:
    """Steps (1-based) whose values are kept: every `every`-th one, and always the last one."""
    kept = np.arange(every, steps + 1, every, dtype=np.int64)
    if kept.size == 0 or kept[-1] != steps:
        kept = np.append(kept, np.int64(steps))
    return kept


@lru_cache(maxsize=64)
def _rows(steps: int, every: int) -> tuple[np.ndarray, np.ndarray]:
    """The recorded steps and, per step (0-based), its row among them or -1; read-only, shared."""
    kept = recorded_steps(steps, every)
    rows = np.full(steps, -1, dtype=np.int64)
    rows[kept - 1] = np.arange(kept.size)
    kept.flags.writeable = rows.flags.writeable = False
    return kept, rows


@lru_cache(maxsize=16)
def _no_rows(steps: int) -> np.ndarray:
    rows = np.full(steps, -1, dtype=np.int64)
    rows.flags.writeable = False
    return rows


@dataclass
class Job:
    """One optimizer, hyperparameters `hyper`, N configurations with base lr `lr` (T, N)."""

    optimizer: Optimizer
    hyper: Any
    lr: np.ndarray
    initial: np.ndarray  # (N, D)
    per_step: Mapping[str, np.ndarray] = field(default_factory=dict)
    record: Collection[str] = ()
    # Filled in by `run_jobs`:
    final: np.ndarray | None = None
    diverged_at: np.ndarray | None = None
    series: dict[str, np.ndarray] = field(default_factory=dict)
    state: dict[str, np.ndarray] = field(default_factory=dict)
    kept_rows: np.ndarray | None = None  # per configuration, how many recorded steps it reached


class _Runner:
    """A job's kernel, its arguments and its scratch arrays for the current block."""

    def __init__(self, job: Job, steps: int, dim: int, rows: np.ndarray, count: int, record: bool) -> None:
        optimizer = job.optimizer
        self.job = job
        self.kernel = compiled.kernel(optimizer).kernel
        self.hyper = compiled.hyper_values(job.hyper)
        self.lr = job.lr if job.lr.flags.c_contiguous else np.ascontiguousarray(job.lr)
        n = self.configs = self.lr.shape[1]
        self.over, self.over_field = _NO_OVERRIDE, -1
        if job.per_step:
            ((name, values),) = job.per_step.items()
            self.over = np.ascontiguousarray(values, dtype=np.float64)
            self.over_field = job.hyper._fields.index(name)
        keep = job.record if record else ()
        # Nothing to record: no step takes the recording loop (the kernel's fast, vectorized one).
        self.rows = rows if keep else _no_rows(steps)
        self.dim = dim
        self.rec_params = np.empty((n, count + 1, dim)) if "params" in keep else _EMPTY3
        self.rec_rates = np.empty((n, count, dim)) if "learning_rates" in keep else _EMPTY3
        self.rec_updates = np.empty((n, count, dim)) if "updates" in keep else _EMPTY3
        states = len(optimizer.state_names)
        self.rec_state = np.empty((states, n, count, dim)) if "state" in keep and states else _EMPTY4
        if "params" in keep:
            self.rec_params[:, 0, :] = job.initial
        self.final = np.empty((n, dim))
        self.first_bad = np.zeros(n, dtype=np.int64)

    def start_block(self, start: int, width: int) -> None:
        """Fresh parameters and state for coordinates start .. start + width (the optimizer's own init)."""
        job = self.job
        params = job.initial[:, start : start + width]
        lr = self.lr[0, 0] if self.configs == 1 else self.lr[0][:, None]
        first = job.hyper._replace(lr=lr, **{k: v[0] for k, v in job.per_step.items()})
        initial_state = job.optimizer.init(params, first)
        # Lanes: the parameters, the state and divergence counts, one row each (see the kernel).
        lanes = np.empty((len(initial_state) + 2, self.configs, width))
        lanes[0] = params
        for i, values in enumerate(initial_state):
            lanes[i + 1] = values
        lanes[-1] = 0.0
        self.lanes = lanes.reshape(lanes.shape[0], -1)
        self.lanes_view = lanes
        self.start = start

    def advance(self, grads: np.ndarray, offset: int, t_start: int, t_stop: int) -> int:
        return self.kernel(
            grads,
            offset,
            self.lanes,
            self.hyper,
            self.over,
            self.over_field,
            self.lr,
            t_start,
            t_stop,
            self.rows,
            self.start,
            self.rec_params,
            self.rec_rates,
            self.rec_updates,
            self.rec_state,
            self.first_bad,
        )

    @property
    def params(self) -> np.ndarray:
        """The block's current parameters, (N, width)."""
        return self.lanes_view[0]

    def end_block(self, width: int) -> None:
        self.final[:, self.start : self.start + width] = self.lanes_view[0]


_NO_OVERRIDE = np.zeros(1)
_EMPTY3 = np.empty((0, 0, 0))
_EMPTY4 = np.empty((0, 0, 0, 0))


def _block_width(source_steps: int, dim: int, configs: int, synthetic: bool) -> int:
    width = max(1, BLOCK_VALUES // max(1, configs))
    if synthetic:
        width = min(width, max(1, BLOCK_GRADIENTS // source_steps))
    return min(width, dim)


def _walk(
    source,
    runners: Sequence[_Runner],
    steps: int,
    stops: Sequence[int],
    deadline: float | None,
    width: int,
    on_stop=None,
    gradient_rows=None,
):
    """Run every runner over every block of `source`, pausing at each step in `stops`."""
    for start, block_width, block, offset in source.blocks(width):
        if gradient_rows is not None:
            gradient_rows[0][:, start : start + block_width] = block[gradient_rows[1], offset : offset + block_width]
        for runner in runners:
            runner.start_block(start, block_width)
            chunk = max(1, CHUNK_WORK // max(1, runner.configs * block_width))
            if chunk >= steps and not stops:
                marks = (0, steps)
            else:
                marks = sorted({*range(0, steps, chunk), *(s for s in stops if 0 < s < steps), steps})
            for t_start, t_stop in zip(marks, marks[1:], strict=False):
                if deadline is not None and time.monotonic() > deadline:
                    raise BudgetExceeded(
                        f"{runner.job.optimizer.name} stopped at step {t_start} of {steps}: over the time budget"
                    )
                runner.advance(block, offset, t_start, t_stop)
                if on_stop is not None:
                    on_stop(runner, t_stop, block_width)
            runner.end_block(block_width)


def run_jobs(
    source,
    jobs: Sequence[Job],
    every: int = 1,
    deadline: float | None = None,
    gradient_rows: np.ndarray | None = None,
) -> np.ndarray:
    """Run compiled jobs over `source` (an object with `shape` and `blocks(width)`, see `gradients`).

    Fills each job's `final` (N, D), `diverged_at` (N,: 0 when finite throughout), `series` (N, rows, D)
    and `state`. `gradient_rows`, if given, is a (rows, D) array filled with the gradients at the
    recorded steps. Returns the recorded steps.
    """
    steps, dim = source.shape
    kept, rows = _rows(steps, every)
    synthetic = not hasattr(source, "values")
    configs = sum(job.lr.shape[1] for job in jobs)
    width = _block_width(steps, dim, configs, synthetic)
    runners = [_Runner(job, steps, dim, rows, kept.size, record=True) for job in jobs]
    grab = None if gradient_rows is None else (gradient_rows, kept - 1)
    with np.errstate(all="ignore"):
        _walk(source, runners, steps, (), deadline, width, gradient_rows=grab)

    retry = []
    for runner in runners:
        job = runner.job
        job.final = runner.final
        job.diverged_at = runner.first_bad.copy()
        if runner.first_bad.any():
            retry.append((runner, np.flatnonzero(runner.first_bad)))
        done = np.where(job.diverged_at > 0, job.diverged_at - 1, steps)
        count = np.searchsorted(kept, done, side="right")
        job.series, job.state = {}, {}
        for name, values in (
            ("params", runner.rec_params),
            ("learning_rates", runner.rec_rates),
            ("updates", runner.rec_updates),
        ):
            if values.size:
                job.series[name] = values
        if "state" in job.record:
            names = job.optimizer.state_names
            job.state = {name: runner.rec_state[i] for i, name in enumerate(names)} if names else {}
        job.kept_rows = count  # rows of the series each configuration keeps (params: one more)

    if retry:
        _retry(source, retry, steps, deadline, width)
    return kept


def _retry(source, retry, steps: int, deadline: float | None, width: int) -> None:
    """Re-run diverged configurations, taking each one's parameters at the step before it diverged."""
    runners, limits = [], {}
    for first_runner, diverged in retry:
        job = first_runner.job
        sub = Job(job.optimizer, job.hyper, job.lr[:, diverged], job.initial[diverged], job.per_step)
        runner = _Runner(sub, steps, source.shape[1], first_runner.rows, 0, record=False)
        runner.targets = (job.final, diverged)
        limits[id(runner)] = job.diverged_at[diverged] - 1
        runners.append(runner)

    def on_stop(runner, t_stop, block_width):
        final, diverged = runner.targets
        limit = limits[id(runner)]
        hit = np.flatnonzero(limit == t_stop)
        final[diverged[hit], runner.start : runner.start + block_width] = runner.params[hit]

    stops = sorted({int(s) for limit in limits.values() for s in limit})
    if stops[-1] == 0:
        stops = []
    for runner in runners:
        # A configuration that diverged at step 1 keeps its initial parameters.
        final, diverged = runner.targets
        at_zero = limits[id(runner)] == 0
        final[diverged[at_zero]] = runner.job.initial[at_zero]
    if stops:
        with np.errstate(all="ignore"):
            _walk(source, runners, stops[-1], stops, deadline, width, on_stop=on_stop)


__all__ = ["BudgetExceeded", "Job", "recorded_steps", "run_jobs"]
