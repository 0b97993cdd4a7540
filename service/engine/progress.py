"""Progress of long simulations, for callers that show it (the command line's progress bar), and their
interruption, for callers that stop waiting (the server, when a client goes away).

The drivers already pause every so often (a step loop about every 10 ms, a compiled one between chunks of
steps) to look at the clock; there they also call the reporter installed with `reporting(callback)`, as
`callback(step, steps)`, and check the event installed with `interruptible(event)`: once it is set they
raise `Interrupted`. Context variables rather than parameters, so the API layer and every driver need not
thread them through for the few callers that want them; without them a checkpoint costs a lookup or two.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from threading import Event
from typing import Any

Reporter = Callable[[int, int], None]

_reporter: ContextVar[Reporter | None] = ContextVar("optiscope_progress", default=None)


@contextmanager
def _installed(variable: ContextVar[Any], value: Any) -> Iterator[None]:
    """`variable` set to `value` within the block, as it was after it."""
    token = variable.set(value)
    try:
        yield
    finally:
        variable.reset(token)


def reporting(callback: Reporter) -> AbstractContextManager[None]:
    """Within this block, simulations in this context report `callback(step, steps)` as they go."""
    return _installed(_reporter, callback)


def report(step: int, steps: int) -> None:
    callback = _reporter.get()
    if callback is not None:
        callback(step, steps)


def active() -> bool:
    """Whether a reporter is installed in this context (the compiled driver then pauses to report)."""
    return _reporter.get() is not None


class Interrupted(RuntimeError):
    """The caller stopped waiting for the simulation (`interruptible`), which was abandoned."""


_interrupt: ContextVar[Event | None] = ContextVar("optiscope_interrupt", default=None)


def interruptible(event: Event) -> AbstractContextManager[None]:
    """Within this block, simulations in this context stop at their next checkpoint once `event` is set."""
    return _installed(_interrupt, event)


def interrupt() -> Event | None:
    """This context's interruption event (for drivers that hand work to other threads), or None."""
    return _interrupt.get()


def check(event: Event | None, step: int, steps: int, name: str) -> None:
    """Raise Interrupted if `event` (see `interrupt`) is set."""
    if event is not None and event.is_set():
        raise Interrupted(f"{name} stopped at step {step} of {steps}: its caller stopped waiting")
