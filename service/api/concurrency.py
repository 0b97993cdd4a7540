"""Where a request's compute runs: small ones on the event loop, large ones in the thread pool.

FastAPI runs a plain `def` route in its thread pool: right for long computations (the compiled kernels
release the GIL, and the event loop keeps answering meanwhile), but for a tutorial-sized request the hop
to a worker thread and back costs as much as the simulation itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool

from ..engine import REGISTRY, compiled

# Coordinate-steps up to which a request runs inline: well under a millisecond of kernel time.
INLINE_WORK = 50_000


def estimated_work(request: Any, specs: Any) -> float:
    """Coordinate-steps of compiled work; numpy-loop runs (closed loop, optimizers without a kernel) count
    as a hundred times more per step, which sends any sizeable one to the thread pool."""
    steps, dim = request.gradients.shape
    if request.gradients.kind == "objective":
        return float("inf")
    return sum(steps * dim * (1 if compiled.supports(REGISTRY[spec.name]) else 100) for spec in specs)


async def run_sized(work: int, compute: Callable[..., Any], *args: Any) -> Any:
    """`compute(*args)` inline when `work` is small, else in the thread pool."""
    if work <= INLINE_WORK:
        return compute(*args)
    return await run_in_threadpool(compute, *args)
