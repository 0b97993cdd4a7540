"""The progress bar: silent off a terminal and for short work, throttled, and erased at the end."""

from __future__ import annotations

import io

from service.cli._progress import Progress


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_draws_on_a_terminal_after_the_delay_throttled_and_erases_itself():
    clock, screen = Clock(), Terminal()
    with Progress(200, "simulate", stream=screen, clock=clock, delay=0.5, fps=10) as bar:
        bar.advance(50)
        assert screen.getvalue() == ""  # under the delay: nothing
        clock.now = 0.6
        bar.advance(50)
        first = screen.getvalue()
        assert first == "\rsimulate [###############---------------]  50%  100/200  0.6 s"
        clock.now = 0.65
        bar.advance(10)
        assert screen.getvalue() == first  # throttled
        clock.now = 0.8
        bar.update(200)
    drawn = screen.getvalue()
    assert drawn.endswith("\r" + " " * len("simulate [##############################] 100%  200/200  0.8 s") + "\r")


def test_silent_off_a_terminal_unless_forced():
    clock, pipe = Clock(), io.StringIO()
    with Progress(10, "x", stream=pipe, clock=clock, delay=0) as bar:
        clock.now = 1
        bar.advance(5)
    assert pipe.getvalue() == ""
    with Progress(10, "x", stream=pipe, clock=clock, delay=0, enabled=True) as bar:
        clock.now = 2
        bar.advance(5)
    assert pipe.getvalue().startswith("\rx [###############---------------]  50%  5/10")


def test_the_engine_reports_progress_across_runs():
    import numpy as np

    from service.cli._progress import over_runs
    from service.engine import REGISTRY, RunSpec, simulate
    from service.engine.progress import reporting

    calls, done = [], []

    class Bar:
        def update(self, value: int) -> None:
            done.append(value)

    reporter = over_runs(Bar(), 3000)
    specs = [RunSpec(REGISTRY["sgd"], {"lr": 0.1}), RunSpec(REGISTRY["adam"], {"lr": 0.1})]
    with reporting(lambda step, steps: (calls.append((step, steps)), reporter(step, steps))):
        simulate(np.zeros((3000, 1)), specs)
    assert calls == [(1024, 3000), (2048, 3000)] * 2
    assert done == [1024, 2048, 4024, 5048]
    simulate(np.zeros((3000, 1)), specs)  # outside the block: nothing reported
    assert len(calls) == 4


def test_forced_progress_goes_to_stderr_and_is_erased(optiscope, monkeypatch):
    monkeypatch.setattr("service.cli._progress.DELAY", 0.0)
    plain = optiscope("simulate", "--steps", "5000", "-o", "adam")
    shown = optiscope("simulate", "--steps", "5000", "-o", "adam", "--progress")
    assert shown.code == 0 and shown.out == plain.out and plain.err == ""
    assert shown.err.startswith("\rsimulate [") and "/5,000" in shown.err
    assert shown.err.endswith("\r") and shown.err.rstrip("\r").split("\r")[-1].strip() == ""
    assert optiscope("simulate", "--steps", "5000", "-o", "adam", "--no-progress").err == ""


def test_forced_progress_for_a_local_sweep(optiscope, monkeypatch):
    monkeypatch.setattr("service.cli._progress.DELAY", 0.0)
    args = ("sweep", "--steps", "5000", "-o", "adam", "--grid", "lr=logspace:-3:-1:3")
    plain = optiscope(*args)
    shown = optiscope(*args, "--progress")
    assert shown.code == 0 and shown.out == plain.out and plain.err == ""
    assert shown.err.startswith("\rsweep [") and "/5,000" in shown.err
    assert shown.err.endswith("\r")


def test_a_closed_loop_sweep_counts_every_configuration(optiscope, monkeypatch):
    # Its configurations run one after another: 4 of 3,000 steps are 12,000, not 3,000.
    monkeypatch.setattr("service.cli._progress.DELAY", 0.0)
    args = ("sweep", "--objective", "rosenbrock", "--steps", "3000", "-o", "adam", "--grid", "lr=logspace:-4:-1:4")
    shown = optiscope(*args, "--progress")
    assert shown.code == 0 and "/12,000" in shown.err
