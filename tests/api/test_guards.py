"""Refusals before any compute: body size (413), work estimate and compute budget (422), API key (401),
and bodies that cannot be decoded at all (422, never a 400 or 500)."""

from __future__ import annotations

import asyncio
import gzip
import json

import pytest
from fastapi.testclient import TestClient

from service import main
from service.api.middleware import OPEN_PATHS
from service.settings import Settings
from tests.asgi import call, http_scope

BIG_SEQUENCE = {"gradients": {"kind": "sequence", "values": [0.5] * 400}, "optimizers": [{"name": "sgd"}]}


def test_a_declared_body_over_the_limit_is_a_413_before_parsing(client_with):
    client = client_with(max_body_bytes=1000)
    response = client.post("/simulate", json=BIG_SEQUENCE)
    assert response.status_code == 413
    assert response.json()["detail"].startswith(
        f"The request body ({len(json.dumps(BIG_SEQUENCE, separators=(',', ':')))} bytes) exceeds the limit of "
        "1000 bytes (OPTISCOPE_MAX_BODY_BYTES)"
    )
    # Even unparseable content is refused by size first: nothing was parsed.
    assert (
        client.post("/simulate", content=b"{" * 1001, headers={"content-type": "application/json"}).status_code == 413
    )


def test_a_compressed_body_is_a_415_saying_so(client):
    # gzip bytes were read as text: 422 "invalid JSON ... UnicodeDecodeError: 'utf-8' codec can't decode".
    packed = gzip.compress(b"{}")
    for encoding in ("gzip", "br", "GZIP"):
        headers = {"content-type": "application/json", "content-encoding": encoding}
        answer = client.post("/simulate", content=packed, headers=headers)
        assert answer.status_code == 415
        assert answer.json()["detail"] == (
            f"Content-Encoding {encoding!r} is not supported: send the request body uncompressed."
        )
    identity = {"content-type": "application/json", "content-encoding": "identity"}
    assert client.post("/simulate", content=b"{}", headers=identity).status_code == 200


def test_a_chunked_body_is_counted_as_it_streams(client_with):
    client = client_with(max_body_bytes=1000)
    payload = json.dumps(BIG_SEQUENCE).encode()

    def chunks(data: bytes):
        for start in range(0, len(data), 100):
            yield data[start : start + 100]

    response = client.post("/simulate", content=chunks(payload), headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert "more than 1000 bytes" in response.json()["detail"]
    small = json.dumps({"gradients": {"kind": "sequence", "values": [0.5, 0.25]}}).encode()
    response = client.post("/simulate", content=chunks(small), headers={"content-type": "application/json"})
    assert response.status_code == 200 and response.json()["steps"] == 2


def post_in_parts(app, parts: list[bytes | None], declared: int) -> list[dict]:
    """POST /simulate straight to the ASGI app, the body arriving in `parts`; None: the client stalls there
    (waits for ever), or, as the last part, leaves. Returns what the app sent."""
    scope = http_scope("POST", "/simulate", declared)
    pending = list(parts)

    async def receive() -> dict:
        part = pending.pop(0) if pending else None
        if part is None and pending:  # a stall
            await asyncio.Event().wait()
        if part is None:
            return {"type": "http.disconnect"}
        return {"type": "http.request", "body": part, "more_body": bool(pending)}

    return call(app, scope, receive)


def test_a_stalled_body_is_a_408_and_one_left_half_way_a_499():
    app = main.create_app(Settings(body_timeout_seconds=0.2))
    body = json.dumps(BIG_SEQUENCE).encode()
    sent = post_in_parts(app, [body[:100], None, body[100:]], len(body))
    assert sent[0]["status"] == 408 and (b"connection", b"close") in sent[0]["headers"]
    assert json.loads(sent[1]["body"])["detail"] == (
        "The request body stalled: nothing more of it came for 0.2 s (OPTISCOPE_BODY_TIMEOUT_SECONDS) after 100 bytes."
    )
    assert post_in_parts(app, [body[:100], body[100:200], None], len(body)) == []  # nobody to answer
    assert post_in_parts(app, [body[:100], body[100:]], len(body))[0]["status"] == 200  # in parts, in time
    scrape = TestClient(app).get("/metrics").text
    for status in (408, 499, 200):
        assert f'route="/simulate",status="{status}"}} 1.0' in scrape, status


def test_a_body_at_the_limit_passes(client_with):
    body = json.dumps({"optimizers": [{"name": "sgd"}]}).encode()
    client = client_with(max_body_bytes=len(body))
    assert client.post("/simulate", content=body, headers={"content-type": "application/json"}).status_code == 200


def test_work_over_the_limit_is_refused_naming_limit_and_value(client_with):
    response = client_with(max_work=199).post("/simulate", json={})
    assert response.status_code == 422
    detail = response.json()["detail"][0]
    assert (detail["field"], detail["type"]) == ("gradients", "limit_exceeded")
    assert detail["msg"] == (
        "this request asks for 200 coordinate-steps (50 steps x D = 1 x 4 optimizers), over the limit of 199: "
        "ask for fewer steps, coordinates or optimizers"
    )
    assert client_with(max_work=200).post("/simulate", json={}).status_code == 200


def test_a_simulation_over_the_compute_budget_stops_with_a_422(client_with):
    client = client_with(compute_budget_seconds=0.001)
    body = {"gradients": {"kind": "synthetic", "steps": 200_000}, "optimizers": [{"name": "adam"}], "record": []}
    response = client.post("/simulate", json=body)
    assert response.status_code == 422
    detail = response.json()["detail"][0]
    assert (detail["field"], detail["type"]) == ("body", "compute_budget_exceeded")
    assert detail["msg"].startswith("the simulation ran over the compute budget of 0.001 s and was stopped (adam ")
    metrics = client.get("/metrics").text
    assert "optiscope_compute_budget_exceeded_total 1.0" in metrics
    assert detail["msg"].endswith("ask for fewer steps, coordinates or optimizers")  # alone: nothing more to say


def test_a_budget_run_over_beside_other_computations_says_it_may_fit_alone(client_with):
    # The budget is wall-clock time: six 4.6 s requests at once on 2 cores were all stopped.
    from service.api.concurrency import COMPUTATIONS
    from service.engine.batch import usable_cores

    client = client_with(compute_budget_seconds=0.001)
    body = {"gradients": {"kind": "synthetic", "steps": 200_000}, "optimizers": [{"name": "adam"}], "record": []}
    others = [COMPUTATIONS.start(), COMPUTATIONS.start()]  # two other requests' computations, running
    try:
        detail = client.post("/simulate", json=body).json()["detail"][0]
    finally:
        for other in others:
            COMPUTATIONS.stop(other)
    assert detail["type"] == "compute_budget_exceeded"
    assert detail["msg"].endswith(f"(2 other requests computed beside it on {usable_cores()} cores: alone, it may fit)")
    assert len(COMPUTATIONS) == 0  # the request's own computation ended with it


def test_computations_remember_the_most_that_ran_beside_them():
    # A request slowed by another that finished before its budget ran out still hears of it.
    from service.api.concurrency import Computations

    running = Computations()
    first = running.start()
    second = running.start()
    running.stop(second)
    third = running.start()
    assert (first.peak, second.peak, third.peak) == (2, 2, 2) and len(running) == 2
    running.stop(first)
    running.stop(third)
    assert len(running) == 0 and running.start().peak == 1


def test_a_sweep_over_the_compute_budget_is_counted_too(client_with):
    client = client_with(compute_budget_seconds=0.001)
    body = {
        "gradients": {"kind": "objective", "function": "rosenbrock", "steps": 100_000},  # a step at a time
        "optimizers": [{"name": "adam"}],
        "grid": {"lr": [0.01, 0.1]},
    }
    detail = client.post("/sweep", json=body).json()["detail"][0]
    assert detail["type"] == "compute_budget_exceeded"
    assert "optiscope_compute_budget_exceeded_total 1.0" in client.get("/metrics").text


@pytest.mark.parametrize(
    ("raw", "says"),
    [(b'{"optimizers": "\xff"}', "UnicodeDecodeError"), (b"[" * 100_000 + b"]" * 100_000, "RecursionError")],
)
def test_undecodable_bodies_are_422_json_invalid(client, raw, says):
    response = client.post("/simulate", content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 422
    detail = response.json()["detail"][0]
    assert (detail["field"], detail["type"]) == ("body", "json_invalid")
    assert says in detail["msg"]


def test_gradients_nested_near_the_recursion_limit_are_a_422(client):
    # Deep enough that Python's json reads it but writing the bad item back into the message recursed too
    # far: a 500. (Which depths reach the message depends on the stack at hand: a range of them is sent,
    # small bodies read on the event loop, padded ones in the thread pool.)
    for depth in range(850, 1000, 10):
        for pad in (b"", b" " * 300_000):
            values = b"[" * depth + b"1" + b"]" * depth
            raw = b'{"gradients": {"kind": "sequence", "values": ' + values + b"}}" + pad
            response = client.post("/simulate", content=raw, headers={"content-type": "application/json"})
            assert response.status_code == 422, (depth, len(pad), response.text[:200])


def test_other_http_errors_keep_their_status(client):
    assert client.get("/optimizers/nope").status_code == 404
    assert client.put("/simulate").status_code == 405


@pytest.mark.parametrize("path", ["/no/such/path", "/objectives/a/b", "/static/no-such-file.js"])
def test_a_path_with_nothing_there_says_where_the_routes_are(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.json() == {
        "detail": f"Nothing at {path}: the API's paths are in /openapi.json (browse them at /docs)."
    }


def test_a_wrong_method_names_the_right_one(client):
    response = client.get("/simulate")
    assert (response.status_code, response.headers["allow"]) == (405, "POST")
    assert response.json() == {"detail": "GET is not allowed on /simulate: use POST."}
    response = client.delete("/healthz")  # a path served by two routes, GET and HEAD
    assert (response.status_code, response.headers["allow"]) == (405, "GET, HEAD")
    assert response.json() == {"detail": "DELETE is not allowed on /healthz: use GET, HEAD."}


# --- API key ------------------------------------------------------------------------------------


@pytest.fixture
def keyed(client_with):
    return client_with(api_key="s3cret")


def test_with_an_api_key_the_start_up_still_runs(monkeypatch):
    # The guard once read the lifespan scope's (absent) path: start-up never ran, kernels compiled on
    # the first request.
    started = []
    monkeypatch.setattr(main, "compile_all", lambda: started.append("kernels loaded"))
    with TestClient(main.create_app(Settings(api_key="s3cret"))) as client:  # runs the lifespan
        assert started == ["kernels loaded"]
        assert client.get("/optimizers").status_code == 401


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/simulate"),
        ("GET", "/optimizers"),
        ("GET", "/optimizers/adam"),
        ("GET", "/version"),
        ("GET", "/scenarios"),
        ("GET", "/objectives/booth/surface"),
        ("GET", "/no/such/path"),
    ],
)
def test_with_a_key_set_everything_else_needs_it(keyed, method, path):
    for headers in ({}, {"X-API-Key": "wrong"}, {"X-API-Key": "s3cret "}):
        response = keyed.request(method, path, headers=headers)
        assert response.status_code == 401, (path, headers)
        assert response.json() == {"detail": "Missing or wrong API key: send the key in the X-API-Key header."}
        assert response.headers["www-authenticate"] == 'APIKey header="X-API-Key"'
    assert keyed.request(method, path, headers={"X-API-Key": "s3cret"}).status_code != 401


def test_with_a_key_set_probes_metrics_and_docs_stay_open(keyed):
    # "/": the playground page, no data; the docs: the document declares the key for the calls they try.
    docs = {"/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"}
    assert OPEN_PATHS == {"/healthz", "/readyz", "/metrics", "/"} | docs
    for path in OPEN_PATHS:
        assert keyed.get(path).status_code == 200
    document = keyed.get("/openapi.json").json()
    assert document["components"]["securitySchemes"]["ApiKey"]["name"] == "X-API-Key"
    assert document["paths"]["/simulate"]["post"]["security"] == [{}, {"ApiKey": []}]
    assert "security" not in document["paths"]["/healthz"]["get"]


def test_an_unauthenticated_oversized_body_is_a_401_not_a_413(client_with):
    client = client_with(api_key="s3cret", max_body_bytes=10)
    assert client.post("/simulate", json=BIG_SEQUENCE).status_code == 401
    assert client.post("/simulate", json=BIG_SEQUENCE, headers={"X-API-Key": "s3cret"}).status_code == 413


def test_without_a_key_nothing_asks_for_one(client):
    assert client.post("/simulate", json={}).status_code == 200


# --- CORS ---------------------------------------------------------------------------------------


def test_cors_is_off_by_default(client):
    response = client.get("/healthz", headers={"Origin": "https://plots.example"})
    assert "access-control-allow-origin" not in response.headers


def test_cors_preflight_is_answered_before_the_key_check(client_with):
    client = client_with(cors_origins=["https://plots.example"], api_key="s3cret")
    preflight = client.options(
        "/simulate",
        headers={
            "Origin": "https://plots.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-api-key",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "https://plots.example"
    response = client.post("/simulate", json={}, headers={"Origin": "https://plots.example", "X-API-Key": "s3cret"})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "https://plots.example"
    exposed = response.headers["access-control-expose-headers"].lower()
    assert "x-request-id" in exposed and "retry-after" in exposed  # a browser client may read a 503's wait


@pytest.mark.parametrize(
    "synthetic",
    [{"noise_std": 1.5e308}, {"trend_start": -1.7e308, "trend_end": 1.7e308}],
)
def test_synthetic_gradients_that_overflow_are_a_422(client, synthetic):
    # Found by schemathesis: the overflow used to reach the run as infinity (and a NumPy warning).
    response = client.post("/simulate", json={"gradients": {"kind": "synthetic", **synthetic}})
    assert response.status_code == 422
    detail = response.json()["detail"][0]
    assert (detail["field"], detail["type"]) == ("gradients", "finite_number")
    assert "beyond float64" in detail["msg"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"record": ["x"] * 200_000}, "record"),
        ({"optimizers": [{"name": "nope"}] * 20_000}, "optimizers"),
        ({"optimizers": [{"name": "sgd", "lr": -1}] * 20_000}, "optimizers"),
    ],
)
def test_a_long_list_of_bad_entries_is_one_error_not_one_per_entry(client, body, field):
    # One per entry was 2,000,000 errors for an 8 MB body: 45 s of a blocked server and 4 GB to say so.
    for path in ("/simulate", "/sweep"):
        if path == "/sweep" and field == "record":
            continue
        answer = client.post(path, json=body)
        assert answer.status_code == 422
        [error] = answer.json()["detail"]
        assert (error["field"], error["type"]) == (field, "too_long"), error


BAD_SCHEDULE = {
    "kind": "sequential",
    "schedulers": [{"kind": "step", "step_size": -1, "gamma": -1, "x": 1}] * 16,
    "milestones": [-1] * 15,
}
BAD_ENTRY = {"name": "adam", "lr": -1, "beta1": 2, "amsgrad": 0, "schedule": BAD_SCHEDULE}


def test_a_list_of_more_than_a_few_entries_reports_its_first_bad_entry_only(client):
    # Every error of 9,900 such entries (a 10 MB body, under the limits) was 396,000 errors: 12 s of a blocked
    # server and an 85 MB answer. Their milestones report their first bad item, as every list of numbers does.
    entry_fields = {"lr", "beta1", "amsgrad", "schedule.milestones[0]"}
    entry_fields |= {f"schedule.schedulers[{i}].x" for i in range(16)}  # an unknown field hides the rest
    fields = lambda answer: {e["field"] for e in answer.json()["detail"]}  # noqa: E731
    for path in ("/simulate", "/sweep"):
        good = [{"name": "sgd"}] * 3
        few = client.post(path, json={"optimizers": [*good, BAD_ENTRY, {"name": "sgd", "lr": -1}] * 3})
        assert few.status_code == 422
        assert fields(few) == {f"optimizers[{i}].{f}" for i in (3, 8, 13) for f in entry_fields} | {
            f"optimizers[{i}].lr" for i in (4, 9, 14)
        }
        many = client.post(path, json={"optimizers": [*good, BAD_ENTRY, {"name": "sgd", "lr": -1}] * 4})
        assert many.status_code == 422 and fields(many) == {f"optimizers[3].{f}" for f in entry_fields}
        # At the boundary: 16 entries are all reported, 17 are not.
        sixteen = client.post(path, json={"optimizers": [{"name": "sgd", "lr": -1}] * 16})
        assert fields(sixteen) == {f"optimizers[{i}].lr" for i in range(16)}
        seventeen = client.post(path, json={"optimizers": [{"name": "sgd", "lr": -1}] * 17})
        assert fields(seventeen) == {"optimizers[0].lr"}
        assert client.post(path, json={"optimizers": [{"name": "sgd"}] * 17}).status_code == 200


@pytest.mark.parametrize(
    ("scales", "field", "kind"),
    [
        ([-1] * 200_000, "scales[0]", "greater_than"),  # was 200,000 errors in 4.4 s
        ([1] * 100_000 + [0] + ["x"] * 100_000, "scales[100000]", "greater_than"),
        ([1] * 100_000 + ["x"] + [0] * 100_000, "scales[100000]", "float_type"),
        ([1, 2, 10**400, -1], "scales[2]", "float_type"),  # an integer beyond float64 is not a number
        ([1, -1, 10**400], "scales[1]", "greater_than"),
        ([1, True], "scales[1]", "float_type"),
    ],
)
def test_a_list_hyperparameter_reports_its_first_bad_item_only(client, scales, field, kind):
    source = {"kind": "objective", "function": "quadratic", "scales": scales, "steps": 2}
    for path in ("/simulate", "/sweep"):
        answer = client.post(path, json={"gradients": source})
        assert answer.status_code == 422
        [error] = answer.json()["detail"]
        assert (error["field"], error["type"]) == (f"gradients.{field}", kind), error


def test_a_list_of_good_numbers_passes_the_first_bad_item_check(client):
    source = {"kind": "objective", "function": "quadratic", "scales": [1, 2.5, 10**300], "steps": 1}
    assert client.post("/simulate", json={"gradients": source, "optimizers": [{"name": "sgd"}]}).status_code == 200
    surface = client.get("/objectives/quadratic/surface?scales=-1,-2&resolution=3")
    assert surface.status_code == 422 and [e["field"] for e in surface.json()["detail"]] == ["query.scales[0]"]
