"""Repeated identical requests to the pure endpoints are answered from the response cache."""

from __future__ import annotations

from fastapi.testclient import TestClient

from service.api.cache import ResponseCache
from service.main import create_app


def cache_of(app) -> ResponseCache:
    if app.middleware_stack is None:  # built at the first request
        TestClient(app).get("/healthz")
    layer = app.middleware_stack
    while not isinstance(layer, ResponseCache):
        layer = layer.app
    return layer


def test_the_same_body_gets_the_same_bytes_from_memory():
    app = create_app()
    client = TestClient(app)
    first = client.post("/simulate", json={})
    cache = cache_of(app)
    again = client.post("/simulate", json={})
    assert again.status_code == 200 and again.content == first.content
    assert again.headers["content-type"] == "application/json"
    assert cache.stats.hits >= 1
    other = client.post("/simulate", json={"record": []})
    assert other.content != first.content


def test_errors_and_large_responses_are_not_kept():
    app = create_app()
    client = TestClient(app)
    cache = cache_of(app)
    for _ in range(2):
        assert client.post("/simulate", json={"record": "x"}).status_code == 422
    assert cache.stats.hits == 0
    big = {"gradients": {"kind": "synthetic", "steps": 20_000}, "record": ["params", "learning_rates"]}
    client.post("/simulate", json=big)
    client.post("/simulate", json=big)
    assert cache.stats.hits == 0 and not cache.store


def test_least_recently_used_entries_go_first(monkeypatch):
    app = create_app()
    client = TestClient(app)
    cache = cache_of(app)
    cache.entries = 2
    bodies = [{"gradients": {"kind": "synthetic", "steps": n}} for n in (3, 4, 5)]
    for body in bodies:
        client.post("/simulate", json=body)
    assert len(cache.store) == 2
    client.post("/simulate", json=bodies[0])
    assert cache.stats.hits == 0  # the oldest was dropped
    client.post("/simulate", json=bodies[2])
    assert cache.stats.hits == 1


def test_zero_entries_turns_it_off(monkeypatch):
    monkeypatch.setenv("OPTISCOPE_RESPONSE_CACHE_ENTRIES", "0")
    from service.settings import get_settings

    get_settings.cache_clear()
    try:
        app = create_app()
        client = TestClient(app)
        cache = cache_of(app)
        client.post("/sweep", json={})
        client.post("/sweep", json={})
        assert cache.stats.hits == cache.stats.misses == 0
    finally:
        get_settings.cache_clear()
