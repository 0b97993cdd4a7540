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


def test_metrics_show_the_caches_hits_misses_and_bytes():
    client = TestClient(create_app())
    first = client.post("/simulate", json={})
    client.post("/simulate", json={})
    client.post("/simulate", json={"record": []})
    text = client.get("/metrics").text
    assert "optiscope_response_cache_hits_total 1.0" in text
    assert "optiscope_response_cache_misses_total 2.0" in text
    stored = len(first.content) + len(client.post("/simulate", json={"record": []}).content)
    assert f"optiscope_response_cache_bytes {float(stored)}" in text


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


def test_the_entries_together_stay_under_the_stored_bytes_limit():
    app = create_app()
    client = TestClient(app)
    cache = cache_of(app)
    sizes = []
    for steps in (3, 4, 5):
        sizes.append(len(client.post("/simulate", json={"gradients": {"kind": "synthetic", "steps": steps}}).content))
    assert len(cache.store) == 3 and cache.stats.stored_bytes == sum(sizes)
    cache.max_stored_bytes = sizes[1] + sizes[2]  # the two newest fit; the next answer pushes out the oldest
    client.post("/simulate", json={"gradients": {"kind": "synthetic", "steps": 2}})
    assert cache.stats.stored_bytes <= cache.max_stored_bytes
    assert [key[-1] for key in cache.store][-1] == b'{"gradients":{"kind":"synthetic","steps":2}}'


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


def test_the_media_type_is_part_of_the_key():
    client = TestClient(create_app())
    assert client.post("/simulate", json={}).headers["content-type"] == "application/json"
    answer = client.post("/simulate", json={}, headers={"accept": "text/csv"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")


def test_repeated_headers_cannot_store_an_answer_under_another_requests_key():
    # The app reads the first copy of a repeated header: JSON for [json, csv], a 422 for [json, text/plain]
    # on a form's body. Neither may be served to the plain request that the last copy alone would make.
    client = TestClient(create_app())
    body = b'{"gradients": {"kind": "synthetic", "steps": 7}}'
    both = [("content-type", "application/json"), ("accept", "application/json"), ("accept", "text/csv")]
    assert client.post("/simulate", content=body, headers=both).headers["content-type"] == "application/json"
    csv = client.post("/simulate", content=body, headers={"content-type": "application/json", "accept": "text/csv"})
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    types = [("content-type", "application/json"), ("content-type", "text/plain")]
    assert client.post("/sweep", content=b"{}", headers=types).status_code == 200
    assert client.post("/sweep", content=b"{}", headers={"content-type": "text/plain"}).status_code == 422


def test_a_streamed_answer_over_the_entry_size_passes_through_and_is_not_held():
    import asyncio

    parts = [b'{"a":[', b"1," * 50, b"2]}"]

    async def streaming_app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        for i, part in enumerate(parts):
            await send({"type": "http.response.body", "body": part, "more_body": i < len(parts) - 1})

    cache = ResponseCache(streaming_app, max_entry_bytes=64)
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/simulate", "headers": [], "query_string": b""}
    asyncio.run(cache(scope, receive, send))
    assert [m.get("body") for m in sent[1:]] == parts
    assert len(cache.store) == 0 and cache.stats.stored_bytes == 0
