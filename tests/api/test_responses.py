"""JSON answers write exactly what orjson writes for the payload, whether built whole or streamed."""

from __future__ import annotations

import asyncio

import numpy as np
import orjson
import pytest

from service.api import responses
from service.api.models import SimulateRequest
from service.api.responses import NUMPY, array_json, json_response
from service.api.simulate import run_simulation
from service.settings import Settings


def body_of(response) -> tuple[bytes, dict[str, str]]:
    """Run a response as the server would; its body and headers."""
    messages = []

    async def send(message):
        messages.append(message)

    async def receive():  # the client stays connected
        await asyncio.Event().wait()

    asyncio.run(response({"type": "http", "method": "POST", "headers": []}, receive, send))
    headers = {k.decode(): v.decode() for k, v in messages[0]["headers"]}
    return b"".join(m.get("body", b"") for m in messages[1:]), headers


@pytest.mark.parametrize(
    "values",
    [
        np.array([[1.5], [-2.0], [3e-300], [1e300]]),
        np.random.default_rng(0).normal(size=(1000, 1)) * 1e-7,  # the compiled writer's
        np.random.default_rng(0).normal(size=(1000, 3)),
        np.random.default_rng(0).normal(size=1000),
        np.array([[0.0], [-0.0]]),
        np.arange(2000.0).reshape(1000, 2)[::2, :1],  # not contiguous
        np.ones((1000, 1), np.float32) / 3,  # float32 keeps orjson's float32 digits
        np.arange(1000)[:, None],
    ],
)
def test_arrays_serialize_like_orjson(values):
    expected = orjson.dumps(np.ascontiguousarray(values), option=NUMPY)
    assert bytes(array_json(values)) == expected
    # Blocks of rows written apart join into the same list.
    blocks = [array_json(values[i : i + 300], i == 0, i + 300 >= len(values)) for i in range(0, len(values), 300)]
    assert b"".join(blocks) == expected


def test_payloads_keep_their_bytes():
    payload = {
        "a": np.arange(5.0)[:, None],
        "b": [{"c": np.ones((3, 1)), "d": np.ones((2, 2)), "e": np.ones((1, 1))}],
        "f": np.empty((0, 1)),
        "g": 1,
        "h": [np.float64(0.1), np.float32(0.1), np.int64(3), np.bool_(True)],
        "i": np.array([np.nan, np.inf, -1.0]),
    }
    assert json_response(payload).body == orjson.dumps(payload, option=NUMPY)
    # A small document, said so by its caller, is written in one orjson call: the same bytes, non-contiguous
    # arrays included.
    payload["j"] = np.arange(12.0).reshape(6, 2)[::2]
    assert json_response(payload, numbers=100).body == json_response(payload).body


rng = np.random.default_rng(1)
LARGE = [
    {"column": rng.normal(size=(1000, 1))},
    {"flat": rng.normal(size=1001) * 1e-300, "then": "text"},
    {"rows": rng.normal(size=(333, 3)), "wide": rng.normal(size=(2, 700))},
    {"runs": [{"params": np.cumsum(np.full((700, 1), 0.1), axis=0), "final": np.ones(1)} for _ in range(3)]},
    {"non_finite": np.array([[np.nan], [np.inf], [-np.inf], [1.0]] * 300), "float32": np.ones(900, np.float32) / 3},
]


@pytest.mark.parametrize("payload", LARGE)
def test_large_answers_are_streamed_with_the_same_bytes(payload, monkeypatch):
    monkeypatch.setattr(responses, "WRITER_NUMBERS", 16)  # float64 arrays over 16 numbers: compiled writer
    monkeypatch.setattr(responses, "BLOCK_NUMBERS", 64)  # blocks of 64 numbers, streamed past 256
    monkeypatch.setattr(responses, "STREAM_NUMBERS", 256)
    body, headers = body_of(json_response(payload, headers={"vary": "Accept"}))
    assert body == orjson.dumps(payload, option=NUMPY)
    assert "content-length" not in headers  # sent chunked
    assert (headers["content-type"], headers["vary"]) == ("application/json", "Accept")


def test_arrays_over_a_block_but_under_the_streaming_size_are_sent_whole(monkeypatch):
    monkeypatch.setattr(responses, "BLOCK_NUMBERS", 64)
    payload = {"column": rng.normal(size=(100, 1)), "flat": rng.normal(size=100)}
    body, headers = body_of(json_response(payload))
    assert body == orjson.dumps(payload, option=NUMPY)
    assert headers["content-length"] == str(len(body))


def test_a_million_float_answer_is_streamed_with_orjsons_bytes(client):
    body = {
        "gradients": {"kind": "synthetic", "pattern": "constant", "steps": 1_000_000, "dim": 1},
        "optimizers": [{"name": "sgd"}],
        "record": ["params"],
        "include_gradients": False,
    }
    response = client.post("/simulate", json=body)
    assert response.status_code == 200 and "content-length" not in response.headers
    payload = run_simulation(SimulateRequest.model_validate(body), Settings())
    assert response.content == orjson.dumps(payload, option=NUMPY)
