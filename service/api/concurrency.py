"""Where a request's compute runs: small ones on the event loop, large ones in the thread pool.

FastAPI runs a plain `def` route in its thread pool: right for long computations (the compiled kernels
release the GIL, and the event loop keeps answering meanwhile), but for a tutorial-sized request the hop
to a worker thread and back costs as much as the simulation itself.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
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


# Computations in the thread pool now (changed on the event loop only): the compute budget is wall-clock
# time, so a request stopped while others computed beside it may fit alone, and its 422 says so.
_computing = 0


def computing() -> int:
    """Requests computing in the thread pool now, the caller's own included when it is one of them."""
    return _computing


async def run_sized(work: int, compute: Callable[..., Any], *args: Any, receive: Receive | None = None) -> Any:
    """`compute(*args)` inline when `work` is small, else in the thread pool. There, given the request's
    `receive`, the computation is abandoned at its next checkpoint if the client goes away (the engine's
    `progress.Interrupted`), so that a dropped request stops using a core; the answer, which nobody reads,
    is then an empty 499. Likewise when the server cancels the request as it shuts down."""
    global _computing
    if work <= INLINE_WORK:
        return compute(*args)
    _computing += 1
    try:
        return await _in_thread(compute, args, receive)
    finally:
        _computing -= 1


async def _in_thread(compute: Callable[..., Any], args: tuple, receive: Receive | None) -> Any:
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
