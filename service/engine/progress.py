"""Progress of long simulations, for callers that show it (the command line's progress bar).

The drivers already pause every DEADLINE_CHECK_EVERY steps to look at the clock; there they also call
the reporter installed with `reporting(callback)`, as `callback(step, steps)`. A context variable rather
than a parameter, so the API layer and every driver need not thread a callback through for the one
caller that wants it; without a reporter a checkpoint costs one lookup.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

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
