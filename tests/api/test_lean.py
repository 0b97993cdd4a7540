"""LeanRoute (service/api/lean.py): the common POST /simulate and /sweep requests skip FastAPI's parameter
solving and answer exactly what FastAPI's own handler answers; everything else goes through FastAPI."""

from __future__ import annotations

import gc
import json
import threading
import types
from typing import Annotated

import fastapi.routing
import pytest
import starlette.requests
from fastapi import APIRouter, Body, Depends, FastAPI, Header, Request, Response
from fastapi.testclient import TestClient

from service.api.lean import LeanRoute, read_body, read_json
from service.api.simulate import router as simulate_router
from service.main import create_app
from service.settings import Settings

BODIES = [
    {},
    {"optimizers": [{"name": "adam", "lr": 0.01}, {"name": "sgd", "momentum": 0.9}], "record": ["params", "updates"]},
    {"gradients": {"kind": "sequence", "values": [1.0, -2.0, 0.5]}, "include_gradients": True},
    {"gradients": {"kind": "synthetic", "steps": 40, "dim": 2}, "record_every": 7},
    {"optimizers": [{"name": "adam"}], "tune": "lr"},
    {"gradients": {"kind": "synthetic", "steps": 10}, "optimizers": [{"name": "nope"}]},  # 422 from validation
    {"gradients": {"kind": "sequence", "values": [[1.0], [2.0, 3.0]]}, "optimizers": [{"name": "adam", "b": 1}]},
    {"gradients": {"kind": "sequence", "values": [0.5] * 70_000 + ["x"]}, "record": ["nope"]},  # read off the loop
    {"gradients": {"kind": "synthetic", "steps": 60}},  # 422 from the limits (max_steps below)
    None,
]
HEADERS = [{}, {"accept": "text/csv"}, {"accept": "text/html"}, {"content-type": "application/json; charset=utf-8"}]
# Content types FastAPI reads as JSON, and some it does not (without exactly one slash, a type is text/plain).
CONTENT_TYPES = [
    "Application/JSON",
    "application/vnd.api+json ; charset=utf-8",
    "application/+json",
    "application/a/b+json",
    "application/json/+json",
    "application/x+json, text/plain+json",
    "application/json;",
    "text/json",
    "application",
]


def solving_counter(monkeypatch) -> list[int]:
    """Counts FastAPI's dependency solving (the generic handler's work)."""
    calls = [0]
    solve = fastapi.routing.solve_dependencies

    async def counted(*args, **kwargs):
        calls[0] += 1
        return await solve(*args, **kwargs)

    monkeypatch.setattr(fastapi.routing, "solve_dependencies", counted)
    return calls


def full_handler_app(settings: Settings):
    """The same app forced through FastAPI's own handler: LeanRoute steps aside while overrides are set."""
    app = create_app(settings)
    app.dependency_overrides[lambda: None] = lambda: None  # overrides nothing that is used
    return app


@pytest.mark.parametrize("body", BODIES)
@pytest.mark.parametrize("headers", HEADERS)
def test_lean_answers_are_fastapis_answers(body, headers):
    settings = Settings(max_steps=50, response_cache_entries=0)
    lean, full = TestClient(create_app(settings)), TestClient(full_handler_app(settings))
    got, expected = (c.post("/simulate", json=body, headers=headers) for c in (lean, full))
    assert got.status_code == expected.status_code
    assert got.content == expected.content
    for name in ("content-type", "vary"):
        assert got.headers.get(name) == expected.headers.get(name)


# Documents `read_json` reads as `json.loads` does, and those it leaves to FastAPI (which reads them itself).
SAME = [
    b'{"gradients": {"kind": "sequence", "values": [[1e400, 2], [123456789012345678901234567890, -0.0]]}}',
    b'{"optimizers": [{"name": "adam", "lr": 0.1, "lr": 18446744073709551616}], "record": ["par\\u0061ms"]}',
    b' {"gradients": {"kind": "synthetic", "steps": 9007199254740993, "seed": 2.5e-324}} ',
    b'{"optimizers": [{"name": "sgd", "label": "\\ud83d\\ude00 \xc3\xa9"}], "initial": 1.0000000000000000000000001}',
]
LEFT = [
    b'{"gradients": {"kind": "sequence", "values": [NaN, 1.0]}}',
    b'\xef\xbb\xbf{"record": ["params"]}',  # a byte-order mark
    b'{"optimizers": [{"name": "sgd", "label": "\\ud800"}]}',  # a lone surrogate
    b'{"x": ' + b"[" * 300 + b"]" * 300 + b"}",
    '{"record": ["params"]}'.encode("utf-16"),
    b"[" * 100_000,  # past Python's recursion limit too: FastAPI's 400
]


@pytest.mark.parametrize("content_type", CONTENT_TYPES)
@pytest.mark.parametrize("path", ["/simulate", "/sweep"])
def test_content_types_get_fastapis_answers(path, content_type):
    settings = Settings(response_cache_entries=0)
    lean, full = TestClient(create_app(settings)), TestClient(full_handler_app(settings))
    headers = {"content-type": content_type}
    got, expected = (c.post(path, content=b"{}", headers=headers) for c in (lean, full))
    assert (got.status_code, got.content) == (expected.status_code, expected.content)


@pytest.mark.parametrize("body", SAME)
def test_the_lean_parser_reads_what_fastapi_reads(body):
    assert read_json(body) == json.loads(body)
    assert repr(read_json(body)) == repr(json.loads(body))  # the same types: big integers stay integers


@pytest.mark.parametrize("body", SAME + LEFT)
def test_raw_bodies_get_fastapis_answers(body):
    settings = Settings(response_cache_entries=0)
    lean, full = TestClient(create_app(settings)), TestClient(full_handler_app(settings))
    headers = {"content-type": "application/json"}
    got, expected = (c.post("/simulate", content=body, headers=headers) for c in (lean, full))
    assert (got.status_code, got.content) == (expected.status_code, expected.content)


def test_fastapi_taking_over_reuses_the_lean_parse(monkeypatch):
    parsed = []
    monkeypatch.setattr(
        starlette.requests, "json", types.SimpleNamespace(loads=lambda body: parsed.append(body) or json.loads(body))
    )
    client = TestClient(create_app(Settings(response_cache_entries=0)))
    assert client.post("/simulate", json=[{"record": ["nope"]}]).status_code == 422  # FastAPI's answer ...
    assert parsed == []  # ... from the body as the lean route read it
    assert client.post("/simulate", content=LEFT[0], headers={"content-type": "application/json"}).status_code == 422
    assert client.post("/simulate", content=b"{", headers={"content-type": "application/json"}).status_code == 422
    assert parsed == [b"{"]  # only a body that is not JSON is read again, by FastAPI, for its error


def test_a_large_body_is_read_without_garbage_collections():
    collections = []
    field = next(route for route in simulate_router.routes if route.path == "/simulate").body_field
    body = json.dumps({"gradients": {"kind": "sequence", "values": [[0.5 * i] for i in range(20_000)]}}).encode()
    gc.callbacks.append(lambda phase, info: phase == "start" and collections.append(info["generation"]))
    try:
        json.loads(body)  # the same rows, read with the collector running
        assert len(collections) > 10, "20,000 new lists set off a collection every 700 allocations"
        collections.clear()
        payload, value = read_body(field, body)
        assert len(collections) <= 1 and gc.isenabled()  # (one may follow at once, when the collector is back)
        assert value.gradients.values.shape == (20_000, 1) and value.gradients.values[-1, 0] == 9999.5
        assert payload is None  # a valid document is let go as soon as it is read
        with pytest.raises(ValueError):
            read_body(field, body[:-1])  # cut short: FastAPI's answer, and the collector back on
        assert gc.isenabled()
    finally:
        gc.callbacks.pop()


def test_two_bodies_read_at_once_keep_the_collector_paused_until_both_are_read():
    from service.api.lean import _collector_paused

    assert gc.isenabled()
    first, second = _collector_paused(), _collector_paused()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert not gc.isenabled(), "the first body read turned the collector back on under the second"
    second.__exit__(None, None, None)
    assert gc.isenabled()
    gc.disable()  # turned off by someone else: left off
    try:
        with _collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_large_body_is_read_off_the_event_loop(monkeypatch):
    # Reading a 10 MB sequence held the event loop, and every other request, for ~0.3 s.
    import service.api.lean as lean

    threads = []

    def recorded(field, body):
        threads.append(threading.current_thread().name)
        return read_body(field, body)

    monkeypatch.setattr(lean, "read_body", recorded)
    small = {"gradients": {"kind": "sequence", "values": [0.5, 1.0]}, "optimizers": [{"name": "sgd"}]}
    large = {"gradients": {"kind": "sequence", "values": [0.5] * 100_000}, "optimizers": [{"name": "sgd"}]}
    assert len(json.dumps(large, separators=(",", ":"))) > lean.THREAD_BODY_BYTES > len(json.dumps(small))
    with TestClient(create_app(Settings(response_cache_entries=0))) as client:
        loop = client.portal.call(lambda: threading.current_thread().name)  # the thread the app's loop runs in
        for body in (small, large, {**large, "optimizers": [{"name": "nope"}]}):
            assert client.post("/simulate", json=body).status_code in (200, 422)
    assert threads[0] == loop and loop not in threads[1:] and len(threads) == 3, (loop, threads)
    # On threads of its own: the pool's may all be busy simulating, for up to the compute budget.
    assert all(name.startswith("optiscope-read") for name in threads[1:]), threads


SWEEP_BODIES = [
    {},
    {"optimizers": [{"name": "adam"}], "grid": {"lr": {"logspace": [-3, -1, 3]}}, "trajectories": True},
    {"gradients": {"kind": "sequence", "values": [[1.0, -2.0], [0.5, 0.25]]}, "grid": {"lr": [0.1, 0.2]}},
    {"grid": {"lr": [0.1, -1.0]}},  # 422 from validation
    {"gradients": {"kind": "synthetic", "steps": 60}},  # 422 from the limits (max_steps below)
    None,
]


@pytest.mark.parametrize("body", SWEEP_BODIES)
@pytest.mark.parametrize("headers", [{}, {"accept": "text/csv"}, {"content-type": "application/json; charset=utf-8"}])
def test_lean_sweep_answers_are_fastapis_answers(body, headers):
    settings = Settings(max_steps=50, response_cache_entries=0)
    lean, full = TestClient(create_app(settings)), TestClient(full_handler_app(settings))
    got, expected = (c.post("/sweep", json=body, headers=headers) for c in (lean, full))
    assert (got.status_code, got.content) == (expected.status_code, expected.content)
    assert got.status_code in (200, 406, 422)
    assert got.headers.get("vary") == expected.headers.get("vary")


def test_the_tutorial_request_skips_dependency_solving_and_the_rest_does_not(monkeypatch):
    client = TestClient(create_app(Settings(response_cache_entries=0)))
    calls = solving_counter(monkeypatch)
    assert client.post("/simulate", json={}).status_code == 200
    assert client.post("/simulate", json={}, headers={"accept": "text/csv"}).status_code == 200
    assert client.post("/sweep", json={}).status_code == 200
    assert calls[0] == 0
    assert client.post("/simulate?coordinate=0", json={}).status_code == 200  # a query string
    assert client.post("/simulate", content=b"").status_code == 200  # no body: the tutorial too
    assert client.post("/simulate", content=b"{}", headers={"content-type": "text/plain"}).status_code == 422
    assert calls[0] == 3
    # An object that does not validate: FastAPI's errors, raised here without solving (or validating) again.
    assert client.post("/simulate", json={"record": ["nope"]}).status_code == 422
    assert calls[0] == 3


def test_dependency_overrides_are_honoured():
    app = create_app(Settings())
    app.dependency_overrides[fastapi.routing.APIRoute] = None  # any override: FastAPI's handler serves
    assert TestClient(app).post("/simulate", json={}).status_code == 200


async def by_header(x_thing: Annotated[str | None, Header()] = None) -> str:
    return x_thing or ""


def sync_dependency(request: Request) -> str:
    return "sync"


async def by_header_endpoint(thing: Annotated[str, Depends(by_header)], body: Annotated[dict | None, Body()] = None):
    return Response(thing)


async def sync_endpoint(thing: Annotated[str, Depends(sync_dependency)], body: Annotated[dict | None, Body()] = None):
    return Response(thing)


@pytest.mark.parametrize(
    ("endpoint", "says"),
    [(by_header_endpoint, "take the request only"), (sync_endpoint, "must be async and take the request only")],
)
def test_a_route_it_cannot_serve_is_refused_when_built(endpoint, says):
    with pytest.raises(TypeError, match=says):
        APIRouter(route_class=LeanRoute).post("/x")(endpoint)


async def plain_endpoint(body: Annotated[dict | None, Body()] = None) -> Response:
    return Response(b"ok")


def test_a_router_included_with_dependencies_is_checked_as_it_serves():
    router = APIRouter(route_class=LeanRoute)
    router.post("/x")(plain_endpoint)
    app = FastAPI()
    app.include_router(router, dependencies=[Depends(sync_dependency)])
    with pytest.raises(TypeError, match="must be async and take the request only"):
        TestClient(app).post("/x", json={})  # FastAPI builds an included route's handler on first use
