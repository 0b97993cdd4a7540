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

import contextlib
import math
import os
import time
from collections.abc import Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from . import compiled, progress
from .registry import Optimizer

# Coordinates x configurations per block: the state of one block stays in the core's cache.
BLOCK_VALUES = 1 << 14
# Gradient numbers generated per block of a synthetic source (4 MB: with a few blocks in flight, a wide
# synthetic run stays well under the size of its own output).
BLOCK_GRADIENTS = 1 << 19
# Coordinate-steps per kernel call between two looks at the clock.
CHUNK_WORK = 1 << 22
# Steps between progress reports (the numpy loop's DEADLINE_CHECK_EVERY).
CHECKPOINT = 1024
# Coordinate-steps below which a call stays on one thread (handing work over costs tens of microseconds).
PARALLEL_WORK = 1 << 18
# Coordinate-steps of a whole call below which every job runs in one kernel call, on the calling thread.
SMALL_WORK = 1 << 16
# An lr sweep of an optimizer whose steps scale with lr runs it once (`_run_scaled`) when it has at least
# this many configurations and at most this many steps x coordinates (it keeps every step's update).
SCALED_MIN_CONFIGS = 2
SCALED_MAX_VALUES = 1 << 21
# Magnitudes past which a scaled sweep hands the job back to the kernel, which finds the exact step a
# configuration diverges at (scaled values this close to float64's limit could round either way).
SCALED_LIMIT = 1e300


class BudgetExceeded(RuntimeError):
    """The simulation did not finish before its deadline."""


def recorded_steps(steps: int, every: int = 1) -> np.ndarray:
    """Steps (1-based) whose values are kept: every `every`-th one, and always the last one.
    Shared and read-only (cached)."""
    return _rows(steps, every)[0]


def recorded_count(steps: int, every: int = 1) -> int:
    return steps // every + (steps % every != 0)


# Index arrays of runs up to this many steps are kept for reuse, many shapes of them; of longer runs, whose
# arrays take 16 MB a million steps (and ~5 ms to build), only the last two shapes: a client varying T
# request after request kept 80 of them (1.1 GB) when every shape was cached alike.
CACHED_STEPS = 1 << 16
LONG_SHAPES = 2


def _reused(build: Any, shapes: int) -> Any:
    """`build(steps, ...)` with its results kept: `shapes` of them up to CACHED_STEPS steps, the last
    LONG_SHAPES beyond (the two caches are the function's `short` and `long`)."""
    short, long = lru_cache(maxsize=shapes)(build), lru_cache(maxsize=LONG_SHAPES)(build)

    def reused(steps: int, *args: Any) -> Any:
        return (short if steps <= CACHED_STEPS else long)(steps, *args)

    reused.short, reused.long = short, long
    reused.__doc__ = build.__doc__
    return reused


def _built_rows(steps: int, every: int) -> tuple[np.ndarray, np.ndarray]:
    """The recorded steps and, per step (0-based), its row among them or -1; read-only, shared."""
    kept = np.arange(every, steps + 1, every, dtype=np.int64)
    if kept.size == 0 or kept[-1] != steps:
        kept = np.append(kept, np.int64(steps))
    rows = np.full(steps, -1, dtype=np.int64)
    rows[kept - 1] = np.arange(kept.size)
    kept.flags.writeable = rows.flags.writeable = False
    return kept, rows


def _built_no_rows(steps: int) -> np.ndarray:
    """The kernel's `rows` when nothing is recorded: -1 at every step (read-only, shared)."""
    rows = np.full(steps, -1, dtype=np.int64)
    rows.flags.writeable = False
    return rows


_rows = _reused(_built_rows, 64)
no_rows = _reused(_built_no_rows, 16)


@dataclass(slots=True)
class Job:
    """One optimizer, hyperparameters `hyper`, N configurations with base lr `lr`: (T, N), or (1, N) when
    each configuration's lr is constant."""

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
    """A job's kernel, its fixed arguments and its outputs; the work itself is split into units."""

    def __init__(self, job: Job, steps: int, dim: int, rows: np.ndarray, count: int, record: bool) -> None:
        optimizer = job.optimizer
        self.job = job
        self.kernel = compiled.kernel_function(optimizer)
        self.hyper = compiled.hyper_values(job.hyper)
        self.lr = job.lr if job.lr.flags.c_contiguous else np.ascontiguousarray(job.lr)
        n = self.configs = self.lr.shape[1]
        self.over, self.over_field = override(job.hyper, job.per_step)
        keep = job.record if record else ()
        # Nothing to record: no step takes the recording loop (the kernel's fast, vectorized one).
        self.rows = rows if keep else no_rows(steps)
        self.outputs = recording(keep, n, len(optimizer.state_names), count, dim)
        self.rec_params, self.rec_rates, self.rec_updates, self.rec_state = self.outputs
        self.final = np.empty((n, dim))
        self.first_bad = np.zeros(n, dtype=np.int64)
        self._lr_parts: dict[tuple[int, int], np.ndarray] = {}

    def lr_part(self, first: int, last: int) -> np.ndarray:
        if (first, last) == (0, self.configs):
            return self.lr
        if (first, last) not in self._lr_parts:
            self._lr_parts[first, last] = np.ascontiguousarray(self.lr[:, first:last])
        return self._lr_parts[first, last]

    def config_ranges(self, parts: int) -> list[tuple[int, int]]:
        parts = min(parts, self.configs)
        edges = [self.configs * k // parts for k in range(parts + 1)]
        return list(zip(edges, edges[1:], strict=False))


class _Unit:
    """Configurations first..last of a runner over one block of coordinates: lanes and all."""

    def __init__(self, runner: _Runner, first: int, last: int, start: int, width: int) -> None:
        self.runner, self.first, self.last, self.start, self.width = runner, first, last, start, width
        job = runner.job
        self.lr = runner.lr_part(first, last)
        # Lanes: the parameters, the state and divergence counts, one row each; the kernel fills the
        # state with the optimizer's own init when it starts at step 0.
        lanes = np.empty((len(job.optimizer.state_names) + 2, last - first, width))
        lanes[0] = job.initial[first:last, start : start + width]
        self.lanes = lanes
        self.first_bad = np.zeros(last - first, dtype=np.int64)

    @property
    def params(self) -> np.ndarray:
        return self.lanes[0]

    def advance(self, grads: np.ndarray, offset: int, t_start: int, t_stop: int) -> int:
        r = self.runner
        a, b = self.first, self.last
        whole = (a, b) == (0, r.configs)
        return r.kernel(
            grads,
            offset,
            self.lanes.reshape(self.lanes.shape[0], -1),
            r.hyper,
            r.over,
            r.over_field,
            self.lr,
            t_start,
            t_stop,
            r.rows,
            self.start,
            r.rec_params if whole or not r.rec_params.size else r.rec_params[a:b],
            r.rec_rates if whole or not r.rec_rates.size else r.rec_rates[a:b],
            r.rec_updates if whole or not r.rec_updates.size else r.rec_updates[a:b],
            r.rec_state if whole or not r.rec_state.size else r.rec_state[a:b],
            self.first_bad,
        )

    def finish(self) -> None:
        """Hand the block's parameters and divergence steps to the runner (main thread only)."""
        r = self.runner
        r.final[self.first : self.last, self.start : self.start + self.width] = self.lanes[0]
        mine = self.first_bad
        if mine.any():
            theirs = r.first_bad[self.first : self.last]
            np.copyto(theirs, mine, where=(mine > 0) & ((theirs == 0) | (mine < theirs)))


_NO_OVERRIDE = np.zeros(1)
_EMPTY3 = np.empty((0, 0, 0))
_EMPTY4 = np.empty((0, 0, 0, 0))
_POOL: ThreadPoolExecutor | None = None


MAX_THREADS = 1024


def parse_threads(text: str | None) -> int | None:
    """An OPTISCOPE_THREADS value: None when blank (the machine's cores), else a whole number of threads from
    1 to MAX_THREADS (a ValueError says what is wrong). The service checks it at start (`Settings.threads`)."""
    if text is None or not text.strip():
        return None
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a whole number of threads") from None
    if not 1 <= value <= MAX_THREADS:
        raise ValueError(f"{value} threads: give 1 to {MAX_THREADS}")
    return value


def threads() -> int:
    """Worker threads for one call: $OPTISCOPE_THREADS, else the cores this process may use (at most 8)."""
    try:
        configured = parse_threads(os.environ.get("OPTISCOPE_THREADS"))
    except ValueError as exc:
        raise ValueError(f"OPTISCOPE_THREADS: {exc}") from None
    return _CORES if configured is None else configured


def usable_cores(cgroup: Path = Path("/sys/fs/cgroup")) -> int:
    """The cores this process may use: those it may run on (its affinity), at most its cgroup's CPU quota
    rounded up (a container's `cpus` limit, which neither os.cpu_count nor the affinity sees)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    quota = _cgroup_quota(cgroup)
    return max(1, min(cores, math.ceil(quota))) if quota else cores


def _cgroup_quota(root: Path) -> float | None:
    """CPUs allowed by the cgroup (v2 `cpu.max`: "<quota|max> <period>"; v1 the CFS quota and period)."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        quota, period = (root / "cpu.max").read_text().split()[:2]
        return None if quota == "max" else int(quota) / int(period)
    with contextlib.suppress(OSError, ValueError):
        quota = int((root / "cpu" / "cpu.cfs_quota_us").read_text())
        period = int((root / "cpu" / "cpu.cfs_period_us").read_text())
        return quota / period if quota > 0 and period > 0 else None
    return None


_CORES = min(usable_cores(), 8)


def _pool(count: int) -> ThreadPoolExecutor:
    global _POOL
    if _POOL is None or _POOL._max_workers < count:
        _POOL = ThreadPoolExecutor(max_workers=count, thread_name_prefix="optiscope-kernel")
    return _POOL


def _block_width(source_steps: int, dim: int, configs: int, synthetic: bool) -> int:
    width = max(1, BLOCK_VALUES // max(1, configs))
    if synthetic:
        width = min(width, max(1, BLOCK_GRADIENTS // source_steps))
    return min(width, dim)


def _run_unit(unit: _Unit, block, offset: int, steps: int, stops, deadline, on_stop, interrupt=None) -> _Unit:
    chunk = max(1, CHUNK_WORK // max(1, (unit.last - unit.first) * unit.width))
    # Progress, as the numpy loop reports it: at every multiple of its checkpoint interval (the first
    # unit of the first block only, so that a run reports each step once).
    reporting = progress.active() and unit.first == 0 and unit.start == 0
    checkpoints = range(CHECKPOINT, steps + 1, CHECKPOINT) if reporting else ()
    if chunk >= steps and not stops and not checkpoints:
        marks = (0, steps)
    else:
        marks = sorted({*range(0, steps, chunk), *(s for s in stops if 0 < s < steps), *checkpoints, steps})
    for t_start, t_stop in zip(marks, marks[1:], strict=False):
        progress.check(interrupt, t_start, steps, unit.runner.job.optimizer.name)
        if deadline is not None and time.monotonic() > deadline:
            name = unit.runner.job.optimizer.name
            raise BudgetExceeded(f"{name} stopped at step {t_start} of {steps}: over the time budget")
        unit.advance(block, offset, t_start, t_stop)
        if reporting and t_stop % CHECKPOINT == 0:
            progress.report(t_stop, steps)
        if on_stop is not None:
            on_stop(unit, t_stop)
    return unit


def _walk(source, runners, steps: int, stops, deadline, width: int, on_stop=None, gradient_rows=None, workers=1):
    """Run every runner over every block of `source`, pausing at each step in `stops`.

    Units of work (a block of coordinates for a range of configurations) are independent: with
    `workers` > 1 they run on a thread pool (the kernels release the GIL), a synthetic source's next
    block being generated while the previous ones run.
    """
    pending: list = []
    dim = source.shape[1]
    interrupt = progress.interrupt()  # read here: the pool's threads do not share this context
    for start, block_width, block, offset in source.blocks(width):
        if gradient_rows is not None:
            gradient_rows[0][:, start : start + block_width] = block[gradient_rows[1], offset : offset + block_width]
        for runner in runners:
            # Split configurations across threads only when the coordinates alone cannot feed them.
            blocks = -(-dim // width)
            parts = workers if blocks < workers and runner.configs * block_width * steps >= PARALLEL_WORK else 1
            ranges = runner.config_ranges(parts)
            # One unit in all (a single configuration cannot split): nothing to overlap it with.
            alone = blocks == 1 and len(ranges) == 1 and len(runners) == 1
            for first, last in ranges:
                unit = _Unit(runner, first, last, start, block_width)
                if workers > 1 and not alone and runner.configs * dim * steps >= PARALLEL_WORK:
                    pending.append(
                        _pool(workers).submit(
                            _run_unit, unit, block, offset, steps, stops, deadline, on_stop, interrupt
                        )
                    )
                else:
                    _run_unit(unit, block, offset, steps, stops, deadline, on_stop, interrupt).finish()
        # Keep about one block in flight per worker (a synthetic block costs memory).
        while len(pending) > (workers + 1) * len(runners):
            pending.pop(0).result().finish()
    for future in pending:
        future.result().finish()


def _run_small(source, jobs: Sequence[Job], kept: np.ndarray, rows: np.ndarray, deadline, gradient_rows) -> list[Job]:
    """A small call (the tutorial's size): one kernel call per job over all steps and coordinates, on this
    thread, without the runners, units and chunks of `_walk`, whose bookkeeping would cost more than the
    steps. Returns the jobs in which a configuration diverged: the general path runs them again (it takes
    each diverged configuration's parameters at the step before)."""
    steps, dim = source.shape
    ((_, width, block, offset),) = source.blocks(dim)
    if gradient_rows is not None:
        gradient_rows[0][:] = block[gradient_rows[1], offset : offset + width]
    count, diverged = kept.size, []
    unrecorded = no_rows(steps)
    interrupt = progress.interrupt()
    for job in jobs:
        optimizer = job.optimizer
        progress.check(interrupt, 0, steps, optimizer.name)
        if deadline is not None and time.monotonic() > deadline:
            raise BudgetExceeded(f"{optimizer.name} stopped at step 0 of {steps}: over the time budget")
        lr = job.lr if job.lr.flags.c_contiguous else np.ascontiguousarray(job.lr)
        configs, states = lr.shape[1], len(optimizer.state_names)
        over, over_field = override(job.hyper, job.per_step)
        outputs = recording(job.record, configs, states, count, dim)
        lanes = np.empty((states + 2, configs * dim))
        lanes[0] = job.initial.reshape(-1)
        first_bad = np.zeros(configs, dtype=np.int64)
        if compiled.kernel_function(optimizer)(
            block,
            offset,
            lanes,
            compiled.hyper_values(job.hyper),
            over,
            over_field,
            lr,
            0,
            steps,
            rows if job.record else unrecorded,
            0,
            *outputs,
            first_bad,
        ):
            diverged.append(job)
            continue
        job.final, job.diverged_at = lanes[0].reshape(configs, dim), first_bad
        job.kept_rows = (count,) if configs == 1 else np.full(configs, count)
        _fill(job, outputs)
    return diverged


def override(hyper: Any, per_step: Mapping[str, np.ndarray] | None) -> tuple[np.ndarray, int]:
    """The kernel's per-step hyperparameter: its values and its field's index (-1: none)."""
    if not per_step:
        return _NO_OVERRIDE, -1
    ((name, values),) = per_step.items()
    return np.ascontiguousarray(values, dtype=np.float64), hyper._fields.index(name)


def recorded_rows(steps: int) -> np.ndarray:
    """The kernel's `rows` when every step is recorded (row t for step t + 1)."""
    return _rows(steps, 1)[1]


def recording(keep, configs: int, states: int, count: int, dim: int) -> tuple[np.ndarray, ...]:
    """The kernel's recording arrays (params, learning rates, updates, state); empty when not recorded."""
    return (
        np.empty((configs, count + 1, dim)) if "params" in keep else _EMPTY3,
        np.empty((configs, count, dim)) if "learning_rates" in keep else _EMPTY3,
        np.empty((configs, count, dim)) if "updates" in keep else _EMPTY3,
        np.empty((configs, states, count, dim)) if "state" in keep and states else _EMPTY4,
    )


def _fill(job: Job, outputs: tuple[np.ndarray, ...]) -> None:
    """The job's recorded series and state, from the kernel's recording arrays."""
    job.series, job.state = recorded(outputs, job.optimizer.state_names)


def recorded(outputs: tuple[np.ndarray, ...], state_names) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The recorded series and state by name, from the kernel's recording arrays (see `recording`)."""
    params, rates, updates, state = outputs
    series = {}
    if params.size:
        series["params"] = params
    if rates.size:
        series["learning_rates"] = rates
    if updates.size:
        series["updates"] = updates
    return series, {name: state[:, i] for i, name in enumerate(state_names)} if state.size else {}


def _scalable(job: Job, steps: int, dim: int) -> bool:
    return (
        job.lr.shape[0] == 1
        and job.lr.shape[1] >= SCALED_MIN_CONFIGS
        and steps * dim <= SCALED_MAX_VALUES
        and job.optimizer.lr_linear(job.hyper)
    )


def _run_scaled(source, job: Job, kept: np.ndarray, deadline: float | None) -> bool:
    """An lr sweep of an optimizer whose steps scale with lr (`Optimizer.lr_linear`): one run at the largest
    lr keeping every step's update and learning rate; configuration n's are lr_n / lr_max times those, and
    its parameters its initial ones plus that ratio times the running sum of the updates. These are the
    values of running each configuration, up to rounding (the products and sums are associated differently:
    ~1e-13 relative, tested against the kernel). Fills the job and returns True; returns False, leaving
    the job to the kernel, when the run diverges or a scaled value comes near float64's limit.

    The run is at the largest lr, not at 1, because a step's intermediate values scale with lr too: Adamax's
    (-lr m) / u overflows at lr = 2 for m ~ 1e308 though m / u is ~1. Where the largest lr's run stays finite,
    every smaller lr's does."""
    steps, dim = source.shape
    record = ("updates", "learning_rates", *(("state",) if "state" in job.record else ()))
    top = float(job.lr.max()) or 1.0
    unit = Job(job.optimizer, job.hyper, np.full((1, 1), top), np.zeros((1, dim)), job.per_step, record)
    run_jobs(source, [unit], 1, deadline)
    if unit.diverged_at[0]:
        return False
    lr = (job.lr[0] / top)[:, None, None]  # (N, 1, 1): each configuration's lr over the run's
    updates, rates = unit.series["updates"][0], unit.series["learning_rates"][0]  # (T, D)
    travelled = np.cumsum(updates, axis=0)
    with np.errstate(over="ignore", invalid="ignore"):
        reach = np.abs(job.initial).max() + max(np.abs(travelled).max(), np.abs(rates).max())
    if not reach < SCALED_LIMIT:
        return False
    initial = job.initial[:, None, :]  # (N, 1, D)
    n, rows = job.lr.shape[1], kept - 1
    job.final = (initial + lr * travelled[-1])[:, 0, :]
    job.diverged_at = np.zeros(n, dtype=np.int64)
    job.kept_rows = np.full(n, kept.size)
    job.series = {}
    if "params" in job.record:
        params = job.series["params"] = np.empty((n, kept.size + 1, dim))
        params[:, 0, :] = job.initial
        params[:, 1:, :] = initial + lr * travelled[rows]
    if "learning_rates" in job.record:
        job.series["learning_rates"] = lr * rates[rows]
    if "updates" in job.record:
        job.series["updates"] = lr * updates[rows]
    job.state = {name: np.repeat(values[:, rows], n, axis=0) for name, values in unit.state.items()}
    return True


def run_jobs(
    source,
    jobs: Sequence[Job],
    every: int = 1,
    deadline: float | None = None,
    gradient_rows: np.ndarray | None = None,
    workers: int | None = None,
) -> np.ndarray:
    """Run compiled jobs over `source` (an object with `shape` and `blocks(width)`, see `gradients`).

    Fills each job's `final` (N, D), `diverged_at` (N,: 0 when finite throughout), `series` (N, rows, D)
    and `state`. `gradient_rows`, if given, is a (rows, D) array filled with the gradients at the
    recorded steps. Returns the recorded steps.
    """
    steps, dim = source.shape
    kept, rows = _rows(steps, every)
    sizes = [job.lr.shape[1] for job in jobs]
    if max(sizes, default=0) >= SCALED_MIN_CONFIGS:  # an lr sweep, which may run scaled
        jobs = [job for job in jobs if not (_scalable(job, steps, dim) and _run_scaled(source, job, kept, deadline))]
        sizes = [job.lr.shape[1] for job in jobs]
    configs = sum(sizes)
    width = _block_width(steps, dim, configs, not hasattr(source, "values"))
    # The gradients' rows at the recorded steps: when that is every step, a slice (~1 µs sooner than an index).
    grab = None if gradient_rows is None else (gradient_rows, slice(None) if kept.size == steps else kept - 1)
    if configs * dim * steps <= SMALL_WORK and width >= dim and not progress.active():
        jobs = _run_small(source, jobs, kept, rows, deadline, grab)
        grab = None
    if not jobs and grab is None:
        return kept
    workers = threads() if workers is None else workers
    runners = [_Runner(job, steps, dim, rows, kept.size, record=True) for job in jobs]
    _walk(source, runners, steps, (), deadline, width, gradient_rows=grab, workers=workers)

    retry = []
    for runner in runners:
        job = runner.job
        job.final = runner.final
        job.diverged_at = runner.first_bad
        if runner.configs == 1:  # the common single run, without array operations
            diverged = int(runner.first_bad[0])
            done = diverged - 1 if diverged else steps
            job.kept_rows = (done // every + (done == steps and steps % every != 0),)
            if diverged:
                retry.append((runner, np.zeros(1, dtype=np.int64)))
        else:
            done = np.where(runner.first_bad > 0, runner.first_bad - 1, steps)
            # Recorded steps up to `done`: its multiples of `every`, and the last step if not one of them.
            job.kept_rows = done // every + ((done == steps) & (steps % every != 0))
            if runner.first_bad.any():
                retry.append((runner, np.flatnonzero(runner.first_bad)))
        _fill(job, runner.outputs)
    if retry:
        _retry(source, retry, steps, deadline, width, workers)
    return kept


def _retry(source, retry, steps: int, deadline: float | None, width: int, workers: int) -> None:
    """Re-run diverged configurations, taking each one's parameters at the step before it diverged."""
    runners = []
    for first_runner, diverged in retry:
        job = first_runner.job
        sub = Job(job.optimizer, job.hyper, job.lr[:, diverged], job.initial[diverged], job.per_step)
        runner = _Runner(sub, steps, source.shape[1], first_runner.rows, 0, record=False)
        runner.target = job.final
        runner.diverged = diverged
        runner.limit = job.diverged_at[diverged] - 1
        # A configuration that diverged at step 1 keeps its initial parameters.
        at_zero = runner.limit == 0
        job.final[diverged[at_zero]] = sub.initial[at_zero]
        runners.append(runner)

    def on_stop(unit: _Unit, t_stop: int) -> None:
        runner = unit.runner
        hit = np.flatnonzero(runner.limit[unit.first : unit.last] == t_stop)
        columns = slice(unit.start, unit.start + unit.width)
        runner.target[runner.diverged[unit.first + hit], columns] = unit.params[hit]

    stops = sorted({int(s) for runner in runners for s in runner.limit if s > 0})
    if stops:
        _walk(source, runners, stops[-1], stops, deadline, width, on_stop=on_stop, workers=workers)


__all__ = ["BudgetExceeded", "Job", "recorded_count", "recorded_steps", "run_jobs", "threads"]
