"""Where a request's compute runs: small ones on the event loop, large ones in the thread pool.

FastAPI runs a plain `def` route in its thread pool: right for long computations (the compiled kernels
release the GIL, and the event loop keeps answering meanwhile), but for a tutorial-sized request the hop
to a worker thread and back costs as much as the simulation itself.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from contextvars import ContextVar
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.types import Receive

from ..engine import REGISTRY, compiled, progress
from .middleware import CLIENT_CLOSED

# Coordinate-steps up to which a request runs inline: well under a millisecond of kernel time.
INLINE_WORK = 50_000


# What a sweep's (or tune's) configuration costs beyond its steps, in coordinate-steps: its hyperparameters
# sorted out and its job built (a few microseconds), and with a schedule its per-step values made.
CONFIGURATION_WORK = 100
SCHEDULE_WORK = 10_000


def estimated_work(request: Any, specs: Any, configurations: int = 1) -> float:
    """Coordinate-steps of compiled work; numpy-loop runs (closed loop, optimizers without a kernel) count
    as a hundred times more per step, which sends any sizeable one to the thread pool. With `configurations`
    per optimizer (a sweep, a tune), each also counts its Python set-up: 10,000 configurations of one step
    took half a second, and with a schedule each, seconds, on the event loop."""
    steps, dim = request.gradients.shape
    if request.gradients.kind == "objective":
        return float("inf")
    work = sum(steps * dim * (1 if compiled.supports(REGISTRY[spec.name]) else 100) for spec in specs)
    if configurations == 1:
        return work
    setup = sum(CONFIGURATION_WORK + SCHEDULE_WORK * (spec.schedule is not None) for spec in specs)
    return (work + setup) * configurations


class Computation:
    """A computation in the thread pool, and the most computations that ran at once while it ran (itself
    included): the compute budget is wall-clock time, so a request stopped while others computed beside it
    may fit alone, and its 422 says so."""

    __slots__ = ("peak",)

    def __init__(self) -> None:
        self.peak = 1


class Computations:
    """The computations running in the thread pool, counted from their threads: one the server stopped
    waiting for (it is shutting down) counts until its thread reaches a checkpoint and ends."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: set[Computation] = set()

    def start(self) -> Computation:
        with self._lock:
            computation = Computation()
            self._running.add(computation)
            for running in self._running:
                running.peak = max(running.peak, len(self._running))
            return computation

    def stop(self, computation: Computation) -> None:
        with self._lock:
            self._running.discard(computation)

    def __len__(self) -> int:
        return len(self._running)


COMPUTATIONS = Computations()
_current: ContextVar[Computation | None] = ContextVar("computation", default=None)


def beside() -> int:
    """The most other computations that ran at once with the current one (0 outside the thread pool)."""
    computation = _current.get()
    return 0 if computation is None else computation.peak - 1


def _counted(compute: Callable[..., Any]) -> Callable[..., Any]:
    def counted(*args: Any) -> Any:  # on the worker thread, in its own copy of the request's context
        computation = COMPUTATIONS.start()
        token = _current.set(computation)
        try:
            return compute(*args)
        finally:
            _current.reset(token)
            COMPUTATIONS.stop(computation)

    return counted


async def run_sized(work: int, compute: Callable[..., Any], *args: Any, receive: Receive | None = None) -> Any:
    """`compute(*args)` inline when `work` is small, else in the thread pool. There, given the request's
    `receive`, the computation is abandoned at its next checkpoint if the client goes away (the engine's
    `progress.Interrupted`), so that a dropped request stops using a core; the answer, which nobody reads,
    is then an empty 499. Likewise when the server cancels the request as it shuts down."""
    if work <= INLINE_WORK:
        return compute(*args)
    compute = _counted(compute)
    if receive is None:
        return await run_in_threadpool(compute, *args)
    gone = threading.Event()

    def interruptible() -> Any:
        with progress.interruptible(gone):
            return compute(*args)

    async def watch() -> None:  # the body has been read: the next message is the client leaving
        while (await receive())["type"] != "http.disconnect":
            pass
        gone.set()

    # A plain task, not a task group, which would wrap the computation's own errors (its 422s) in a group.
    watcher = asyncio.ensure_future(watch())
    try:
        return await run_in_threadpool(interruptible)
    except progress.Interrupted:
        return Response(status_code=CLIENT_CLOSED)
    except asyncio.CancelledError:  # the server stopping: the thread's answer will not be read either
        gone.set()
        raise
    finally:
        watcher.cancel()


async def request_receive(request: Request) -> Receive:
    # The request's own ASGI receive, for run_sized to hear a disconnect (a dependency: LeanRoute endpoints
    # take no request).
    return request.receive


ReceiveDep = Annotated[Receive, Depends(request_receive)]
