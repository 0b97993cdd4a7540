"""Progress of long simulations, for callers that show it (the command line's progress bar), and their
interruption, for callers that stop waiting (the server, when a client goes away).

The drivers already pause every DEADLINE_CHECK_EVERY steps (or chunk of steps) to look at the clock; there
they also call the reporter installed with `reporting(callback)`, as `callback(step, steps)`, and check the
event installed with `interruptible(event)`: once it is set they raise `Interrupted`. Context variables
rather than parameters, so the API layer and every driver need not thread them through for the few callers
that want them; without them a checkpoint costs a lookup or two.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from threading import Event

Reporter = Callable[[int, int], None]

_reporter: ContextVar[Reporter | None] = ContextVar("optiscope_progress", default=None)


@contextmanager
def reporting(callback: Reporter) -> Iterator[None]:
    """Within this block, simulations in this context report `callback(step, steps)` as they go."""
    token = _reporter.set(callback)
    try:
        yield
    finally:
        _reporter.reset(token)


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


@contextmanager
def interruptible(event: Event) -> Iterator[None]:
    """Within this block, simulations in this context stop at their next checkpoint once `event` is set."""
    token = _interrupt.set(event)
    try:
        yield
    finally:
        _interrupt.reset(token)


def interrupt() -> Event | None:
    """This context's interruption event (for drivers that hand work to other threads), or None."""
    return _interrupt.get()


def check(event: Event | None, step: int, steps: int, name: str) -> None:
    """Raise Interrupted if `event` (see `interrupt`) is set."""
    if event is not None and event.is_set():
        raise Interrupted(f"{name} stopped at step {step} of {steps}: its caller stopped waiting")
