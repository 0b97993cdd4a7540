"""A request whose client goes away stops computing at its next checkpoint (and is logged as a 499); so
does one the server cancels as it shuts down (answered 503)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any

import pytest

from service.engine import OBJECTIVES, REGISTRY, RunSpec, gradients, progress, simulate_objective, simulate_source
from service.main import create_app
from service.precompile import compile_all
from service.settings import Settings
from tests.asgi import call, http_scope

SET = threading.Event()
SET.set()


@pytest.mark.parametrize("engine", ["auto", "reference"])
def test_an_interrupted_open_loop_run_stops(engine):
    source = gradients.TrendNoise(steps=5_000, dim=300)  # blocks and chunks: the compiled walk
    with progress.interruptible(SET), pytest.raises(progress.Interrupted, match="its caller stopped waiting"):
        simulate_source(source, [RunSpec(REGISTRY["adam"])], record=(), engine=engine)


def test_an_interrupted_closed_loop_run_stops():
    rosenbrock = OBJECTIVES["rosenbrock"]
    problem = rosenbrock.problem(2, {})
    with progress.interruptible(SET), pytest.raises(progress.Interrupted):
        simulate_objective(problem, [RunSpec(REGISTRY["adam"])], 5_000, problem.start, ("params",))


def long_request() -> tuple[Any, dict, list[dict]]:
    """An app, and a request to it of four closed loops of 2·10^5 steps (~15 s of work): its scope and the
    body's messages."""
    compile_all()  # a fresh cache's compilation is not part of the run (nor interruptible)
    body = json.dumps(
        {"gradients": {"kind": "objective", "function": "rosenbrock", "steps": 200_000}, "record": []}
    ).encode()
    app = create_app(Settings(compute_budget_seconds=60))
    return app, http_scope("POST", "/simulate", len(body)), [{"type": "http.request", "body": body, "more_body": False}]


def test_a_client_that_goes_away_frees_the_server_at_once():
    app, scope, messages = long_request()

    async def receive() -> dict:
        if messages:
            return messages.pop(0)
        await asyncio.sleep(0.3)  # the client leaves while the run computes
        return {"type": "http.disconnect"}

    started = time.perf_counter()
    sent = call(app, scope, receive)
    assert time.perf_counter() - started < 5  # not the run's ~15 s
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 499


def test_a_request_cancelled_by_the_shutdown_stops_computing_and_answers_503():
    """uvicorn cancels the requests still running when its graceful-shutdown timeout runs out; the thread
    computing one stops at its next checkpoint instead of running on (a stopping process waits for it)."""
    app, scope, messages = long_request()

    async def receive() -> dict:
        if messages:
            return messages.pop(0)
        await asyncio.Event().wait()  # the client stays
        return {}

    async def shut_down(request) -> None:
        task = asyncio.ensure_future(request)
        await asyncio.sleep(0.3)
        task.cancel(msg="Task cancelled, timeout graceful shutdown exceeded")  # as uvicorn does
        await task  # the cancellation ends in the app: answered, not raised

    before = set(threading.enumerate())
    sent = call(app, scope, receive, shut_down)
    started = time.perf_counter()
    for thread in set(threading.enumerate()) - before:
        thread.join(timeout=10)
    assert time.perf_counter() - started < 5  # not what is left of the run's ~15 s
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 503
    assert (b"retry-after", b"1") in sent[0]["headers"]
    assert json.loads(sent[1]["body"]) == {"detail": "The server shut down before this request finished: retry it."}
