"""A dependency-free progress bar on standard error, for long local runs.

It draws only on a terminal (or when forced), only once the work has taken `delay` seconds (short runs
print nothing), at most `fps` times a second, and erases itself when done, so standard output stays
clean for pipes and files.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

WIDTH = 30
DELAY = 0.5  # seconds of work before a bar appears


class Progress:
    def __init__(
        self,
        total: int,
        label: str,
        *,
        stream: TextIO | None = None,
        enabled: bool | None = None,
        delay: float | None = None,
        fps: float = 10.0,
        clock=time.monotonic,
    ) -> None:
        self.total = max(int(total), 1)
        self.label = label
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.done = 0
        self._clock = clock
        self._start = clock()
        self._delay = DELAY if delay is None else delay
        self._interval = 1.0 / fps
        self._last_draw = float("-inf")
        self._drawn = 0  # width of the line on screen

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def advance(self, amount: int) -> None:
        self.update(self.done + amount)

    def update(self, done: int) -> None:
        self.done = min(int(done), self.total)
        if not self.enabled:
            return
        now = self._clock()
        if now - self._start < self._delay or now - self._last_draw < self._interval:
            return
        self._last_draw = now
        self._draw(self.line(now - self._start))

    def line(self, elapsed: float) -> str:
        fraction = self.done / self.total
        filled = int(WIDTH * fraction)
        bar = "#" * filled + "-" * (WIDTH - filled)
        return f"{self.label} [{bar}] {fraction:4.0%}  {self.done:,}/{self.total:,}  {elapsed:.1f} s"

    def _draw(self, text: str) -> None:
        padding = " " * max(0, self._drawn - len(text))
        self.stream.write(f"\r{text}{padding}")
        self.stream.flush()
        self._drawn = len(text)

    def close(self) -> None:
        """Erase the bar (if one was drawn)."""
        if self._drawn:
            self.stream.write("\r" + " " * self._drawn + "\r")
            self.stream.flush()
            self._drawn = 0


def over_runs(bar: Progress, steps: int):
    """An engine progress reporter for runs of `steps` steps done one after another: each run's steps count
    from 1 again, so a step at or below the last one seen means the next run has started."""
    seen = {"run": 0, "last": 0}

    def report(step: int, _steps: int) -> None:
        if step <= seen["last"]:
            seen["run"] += 1
        seen["last"] = step
        bar.update(seen["run"] * steps + step)

    return report
