"""LeanRoute (service/api/lean.py): the common POST /simulate requests skip FastAPI's parameter solving
and answer exactly what FastAPI's own handler answers; everything else goes through FastAPI."""

from __future__ import annotations

from typing import Annotated

import fastapi.routing
import pytest
from fastapi import APIRouter, Body, Depends, FastAPI, Header, Request, Response
from fastapi.testclient import TestClient

from service.api.lean import LeanRoute
from service.main import create_app
from service.settings import Settings

BODIES = [
    {},
    {"optimizers": [{"name": "adam", "lr": 0.01}, {"name": "sgd", "momentum": 0.9}], "record": ["params", "updates"]},
    {"gradients": {"kind": "sequence", "values": [1.0, -2.0, 0.5]}, "include_gradients": True},
    {"gradients": {"kind": "synthetic", "steps": 40, "dim": 2}, "record_every": 7},
    {"optimizers": [{"name": "adam"}], "tune": "lr"},
    {"gradients": {"kind": "synthetic", "steps": 10}, "optimizers": [{"name": "nope"}]},  # 422 from validation
    {"gradients": {"kind": "synthetic", "steps": 60}},  # 422 from the limits (max_steps below)
    None,
]
HEADERS = [{}, {"accept": "text/csv"}, {"accept": "text/html"}, {"content-type": "application/json; charset=utf-8"}]


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


def test_the_tutorial_request_skips_dependency_solving_and_the_rest_does_not(monkeypatch):
    client = TestClient(create_app(Settings(response_cache_entries=0)))
    calls = solving_counter(monkeypatch)
    assert client.post("/simulate", json={}).status_code == 200
    assert client.post("/simulate", json={}, headers={"accept": "text/csv"}).status_code == 200
    assert calls[0] == 0
    assert client.post("/simulate?coordinate=0", json={}).status_code == 200  # a query string
    assert client.post("/simulate", content=b"").status_code == 200  # no body: the tutorial too
    assert client.post("/simulate", json={"record": ["nope"]}).status_code == 422  # invalid
    assert client.post("/simulate", content=b"{}", headers={"content-type": "text/plain"}).status_code == 422
    assert calls[0] == 4


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
