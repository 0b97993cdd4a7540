"""The benchmark's own app builds (make bench is not part of the test run; this keeps it from rotting)."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient


def test_the_bare_endpoint_returns_the_tutorial_bytes():
    from benchmarks import serve

    client = TestClient(serve.app)
    bare = client.post("/bare")
    assert bare.status_code == 200 and bare.content == serve.BODY
    assert bare.content == client.post("/simulate", json={}).content
    assert json.loads(bare.content)["steps"] == 50
