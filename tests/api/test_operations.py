"""Operations endpoints and per-request telemetry: health, readiness, version, metrics, request ids, logs."""

from __future__ import annotations

import json
import logging

import pytest
from fastapi.testclient import TestClient

from service import __version__
from service.logs import ACCESS, JsonFormatter, TextFormatter, request_id_var
from service.main import create_app
from service.settings import Settings


def metric(client, line_start: str) -> float:
    """The value of the first exposition line starting with `line_start` (0 when absent)."""
    for line in client.get("/metrics").text.splitlines():
        if line.startswith(line_start):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_health_and_readiness(client):
    assert (client.get("/healthz").status_code, client.get("/healthz").json()) == (200, {"status": "ok"})
    assert (client.get("/readyz").status_code, client.get("/readyz").json()) == (200, {"status": "ready"})
    for path in ("/healthz", "/readyz"):  # monitors that probe with HEAD
        head = client.head(path)
        assert (head.status_code, head.content) == (200, b"")


def test_version_reports_the_package_and_the_revision(client, client_with):
    assert client.get("/version").json() == {"version": __version__, "git_revision": None}
    answer = client_with(git_revision="0123abc").get("/version").json()
    assert answer == {"version": __version__, "git_revision": "0123abc"}


def test_metrics_count_requests_per_route_and_status_and_simulated_steps(client_with):
    client = client_with()
    client.post("/simulate", json={})
    client.post("/simulate", json={"optimizers": []})
    client.get("/optimizers/nope")
    client.get("/no/such/path")
    response = client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    requests = 'optiscope_http_requests_total{method="%s",route="%s",status="%s"}'
    assert metric(client, requests % ("POST", "/simulate", 200)) == 1
    assert metric(client, requests % ("POST", "/simulate", 422)) == 1
    # Routes are labelled by their template, and unknown paths share one label: no label explosion.
    assert metric(client, requests % ("GET", "/optimizers/{name}", 404)) == 1
    assert metric(client, requests % ("GET", "unmatched", 404)) == 1
    histogram = 'optiscope_http_request_duration_seconds_count{method="POST",route="/simulate",status="200"}'
    assert metric(client, histogram) == 1
    for name in ("sgd", "adagrad", "rmsprop", "adam"):
        assert metric(client, f'optiscope_simulated_steps_total{{optimizer="{name}"}}') == 50
    # The scrape itself is in flight while it is rendered.
    assert metric(client, "optiscope_http_requests_in_flight") == 1
    assert metric(client, "process_resident_memory_bytes") > 0


def test_requests_refused_before_routing_keep_their_route_label(client_with):
    requests = 'optiscope_http_requests_total{method="%s",route="%s",status="%s"}'
    keyed = client_with(api_key="s3cret", max_body_bytes=100)
    assert keyed.post("/simulate", json={}).status_code == 401  # refused by the key guard, before routing
    assert keyed.post("/sweep", content=b"{}" * 100, headers={"x-api-key": "s3cret"}).status_code == 413
    assert keyed.get("/simulate/extra").status_code == 401  # not a route: no label of its own
    assert metric(keyed, requests % ("POST", "/simulate", 401)) == 1
    assert metric(keyed, requests % ("POST", "/sweep", 413)) == 1
    assert metric(keyed, requests % ("GET", "unmatched", 401)) == 1


def test_the_docs_and_the_playground_files_have_route_labels(client_with):
    client = client_with()
    for path in ("/docs", "/openapi.json", "/static/style.css", "/static/no-such-file.js", "/docs/extra"):
        client.get(path)
    requests = 'optiscope_http_requests_total{method="GET",route="%s",status="%s"}'
    assert metric(client, requests % ("/docs", 200)) == 1
    assert metric(client, requests % ("/openapi.json", 200)) == 1
    assert metric(client, requests % ("/static/{path}", 200)) == 1
    assert metric(client, requests % ("/static/{path}", 404)) == 1
    assert metric(client, requests % ("unmatched", 404)) == 1


def test_diverged_runs_count_only_the_steps_they_took(client_with):
    client = client_with()
    body = {"gradients": {"kind": "sequence", "values": [1.0, 1e300, 1.0]}, "optimizers": [{"name": "sgd", "lr": 1e10}]}
    assert client.post("/simulate", json={**body, "record": []}).json()["runs"][0]["diverged_at"] == 2
    assert metric(client, 'optiscope_simulated_steps_total{optimizer="sgd"}') == 1


def test_sweeps_count_the_steps_each_configuration_ran(client_with):
    client = client_with()
    body = {"gradients": {"kind": "sequence", "values": [1.0, 1e300, 1.0]}, "optimizers": [{"name": "sgd"}]}
    answer = client.post("/sweep", json={**body, "grid": {"lr": [1e10, 1e-3]}}).json()["optimizers"][0]
    assert [c["diverged_at"] for c in answer["configurations"]] == [2, None]
    assert metric(client, 'optiscope_simulated_steps_total{optimizer="sgd"}') == 1 + 3


def test_request_id_is_generated_and_echoed(client):
    first, second = client.get("/healthz"), client.get("/healthz")
    assert len(first.headers["x-request-id"]) == 32
    assert first.headers["x-request-id"] != second.headers["x-request-id"]
    assert client.get("/healthz", headers={"X-Request-ID": "caller-42"}).headers["x-request-id"] == "caller-42"


@pytest.mark.parametrize("bad", ["has space", "x" * 129, 'quote"s', "new\\nline"])
def test_an_unsafe_request_id_is_replaced(client, bad):
    assert client.get("/healthz", headers={"X-Request-ID": bad}).headers["x-request-id"] != bad


def test_request_id_is_on_error_responses_too(client):
    response = client.post("/simulate", json={"optimizers": []}, headers={"X-Request-ID": "err-1"})
    assert (response.status_code, response.headers["x-request-id"]) == (422, "err-1")


def test_one_access_log_record_per_request(client, caplog):
    with caplog.at_level(logging.INFO, logger=ACCESS):
        client.post("/simulate", json={}, headers={"X-Request-ID": "log-1"})
    records = [r for r in caplog.records if r.name == ACCESS]
    assert len(records) == 1
    fields = records[0].fields
    assert {k: fields[k] for k in ("request_id", "method", "path", "route", "status")} == {
        "request_id": "log-1",
        "method": "POST",
        "path": "/simulate",
        "route": "/simulate",
        "status": 200,
    }
    assert fields["duration_ms"] > 0


def test_json_lines_carry_the_fields_and_the_current_request_id():
    record = logging.LogRecord(ACCESS, logging.INFO, __file__, 1, "request", None, None)
    record.fields = {"status": 200, "duration_ms": 1.5}
    token = request_id_var.set("abc")
    try:
        line = json.loads(JsonFormatter().format(record))
        text = TextFormatter().format(record)
    finally:
        request_id_var.reset(token)
    assert line["msg"] == "request" and line["level"] == "info" and line["logger"] == ACCESS
    assert (line["request_id"], line["status"], line["duration_ms"]) == ("abc", 200, 1.5)
    assert line["ts"].endswith("Z")
    assert text.endswith("request request_id=abc status=200 duration_ms=1.5")


def test_text_lines_quote_what_could_forge_a_line_or_a_field():
    record = logging.LogRecord(ACCESS, logging.INFO, __file__, 1, "request", None, None)
    record.fields = {"path": "/a\nfake line level=ERROR", "route": "unmatched", "note": 'say "hi"'}
    text = TextFormatter().format(record)
    assert "\n" not in text
    assert text.endswith(r'path="/a\nfake line level=ERROR" route=unmatched note="say \"hi\""')


def test_an_unexpected_failure_is_a_500_with_the_request_id_and_an_error_line(caplog):
    app = create_app(Settings())

    @app.get("/boom")
    def boom():
        raise RuntimeError("bug")

    client = TestClient(app)  # raises what reaches the server, which would log it again without the id
    for level in (logging.INFO, logging.ERROR):  # OPTISCOPE_LOG_LEVEL=error still logs a failure
        caplog.clear()
        with caplog.at_level(level, logger=ACCESS):
            response = client.get("/boom", headers={"X-Request-ID": "bug-1"})
            client.get("/healthz")  # not logged above info
        assert response.status_code == 500
        assert response.json() == {"detail": "Internal server error.", "request_id": "bug-1"}
        assert response.headers["x-request-id"] == "bug-1"
        records = [r for r in caplog.records if r.name == ACCESS]
        record = records[0]
        assert len(records) == (2 if level == logging.INFO else 1), level
        assert (record.levelname, record.fields["status"], record.exc_info[0]) == ("ERROR", 500, RuntimeError)
    assert 'optiscope_http_requests_total{method="GET",route="/boom",status="500"} 2.0' in client.get("/metrics").text
