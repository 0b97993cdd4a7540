"""Admission by memory: the large requests in flight hold at most a budget of numbers together.

A request's numbers (its gradients and every recorded series, `numbers_moved`) live in memory as arrays
and then as JSON (~30 bytes a number in all) until its answer has been sent, which for a slow reader of a
streamed answer can be long. Without a bound, a handful of concurrent requests at the size limit, or many
slow readers, would grow the process past its container's memory and lose every request in it. So a
request of SMALL numbers or more waits until the others in flight leave room for it
(OPTISCOPE_MAX_NUMBERS_IN_FLIGHT; a request alone is always admitted), for up to WAIT_SECONDS, then gets a
503 with Retry-After, which the Python client retries. Small requests never wait.

The numbers are given back when the whole answer has been sent or the request ends otherwise (`Release`,
an ASGI middleware around the app: its `finally` runs after streaming, on errors and on disconnects).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from starlette.types import ASGIApp, Receive, Scope, Send

HELD = "optiscope.held_numbers"  # in the request's scope: what it holds, for Release to give back
# Below this many numbers (~3 MB of answer) a request is not counted.
SMALL = 100_000
WAIT_SECONDS = 30.0


class Admission:
    def __init__(self, capacity: int, ceiling: int | None = None, wait_seconds: float = WAIT_SECONDS) -> None:
        self.capacity = capacity
        # Requests over the size limit (OPTISCOPE_MAX_VALUES) are refused before any compute: never held.
        self.ceiling = ceiling
        self.wait_seconds = wait_seconds
        self.held = 0
        self._released = asyncio.Event()

    async def enter(self, scope: Scope, numbers: int) -> None:
        """Hold `numbers` for this request, waiting for room; a 503 when none comes in time."""
        if numbers < SMALL or (self.ceiling is not None and numbers > self.ceiling):
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.wait_seconds
        while self.held and self.held + numbers > self.capacity:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise HTTPException(
                    503,
                    f"The server is busy with other large requests ({self.held} numbers in flight, room for "
                    f"{self.capacity}; this one needs {numbers}): retry shortly.",
                    headers={"Retry-After": "1"},
                )
            self._released.clear()
            try:
                await asyncio.wait_for(self._released.wait(), remaining)
            except TimeoutError:
                pass
        self.held += numbers
        scope[HELD] = scope.get(HELD, 0) + numbers

    def leave(self, scope: Scope) -> None:
        """Give back what the request held (synchronous: safe in a `finally` even while being cancelled)."""
        numbers = scope.pop(HELD, 0)
        if numbers:
            self.held -= numbers
            self._released.set()


class Release:
    """Gives back each request's admitted numbers once its answer has been sent, however it ended."""

    def __init__(self, app: ASGIApp, admission: Admission) -> None:
        self.app = app
        self.admission = admission

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        finally:
            self.admission.leave(scope)


async def _unbounded(numbers: int) -> None:
    return None


async def get_admit(request: Request) -> Callable[[int], Awaitable[None]]:
    """`await admit(numbers)`: hold that many numbers for this request (see Admission). An app built
    without `create_app` (a router alone, as a load-test baseline) has no budget: nothing waits."""
    admission: Admission | None = getattr(request.app.state, "admission", None)
    if admission is None:
        return _unbounded
    scope = request.scope

    async def admit(numbers: int) -> None:
        await admission.enter(scope, numbers)

    return admit


AdmitDep = Annotated[Callable[[int], Awaitable[None]], Depends(get_admit)]
