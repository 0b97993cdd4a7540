"""The real server, started as the container starts it (`python -m service`, see tests/server.py).

Each test bounds its own time: servers start within 30 s and stop within 30 s or are killed.
"""

from __future__ import annotations

import json
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time

import pytest

from service import __version__
from tests.server import ROOT, container_command, running_server

# ~100,000 steps x 2 optimizers: a couple of seconds of pure-Python work on one core.
# Adafactor runs through the numpy loop (the compiled kernels would finish 100,000 steps in milliseconds),
# holding the GIL in Python for seconds: what the event loop must keep answering through.
HEAVY = {
    "gradients": {"kind": "synthetic", "steps": 100_000},
    "optimizers": [{"name": "adafactor"}, {"name": "adam"}],
    "record": [],
}


# uvicorn exits 0, or re-raises the SIGTERM it handled once shut down (as Docker expects of a stop).
STOPPED = (0, -signal.SIGTERM)


def in_flight(server) -> float:
    status, _, body = server.request("GET", "/metrics")
    line = next(x for x in body.decode().splitlines() if x.startswith("optiscope_http_requests_in_flight"))
    return float(line.split()[-1])


def start_heavy(server, results: list) -> threading.Thread:
    """POST the heavy request in a thread; wait until the server is computing it."""

    def call():
        started = time.monotonic()
        results.append((*server.post_json("/simulate", HEAVY, timeout=60), time.monotonic() - started))

    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while in_flight(server) < 2:  # the heavy request plus this scrape
        assert time.monotonic() < deadline and thread.is_alive(), "the heavy request never started"
        time.sleep(0.01)
    return thread


def test_the_container_command_is_python_m_service():
    assert container_command()[1:] == ["-m", "service"]


def test_container_command_serves_probes_and_logs_json_lines(tmp_path):
    with running_server(tmp_path, git_revision="feedbeef") as server:
        assert server.request("GET", "/healthz")[0] == 200
        assert server.request("GET", "/readyz")[0] == 200
        status, _, body = server.request("GET", "/version")
        assert (status, json.loads(body)) == (200, {"version": __version__, "git_revision": "feedbeef"})
        status, headers, body = server.post_json("/simulate", {})
        assert status == 200 and json.loads(body)["steps"] == 50
        request_id = headers["x-request-id"]
        # A label the figure's font has no glyph for: matplotlib's warning is a JSON line too.
        crab = json.dumps({"optimizers": [{"name": "sgd", "label": "\U0001f980"}]}).encode()
        png = {"content-type": "application/json", "accept": "image/png"}
        assert server.request("POST", "/simulate", crab, png)[0] == 200
        # The image's HEALTHCHECK, run against this server.
        env = {"OPTISCOPE_PORT": str(server.port), "PATH": "/usr/bin:/bin"}
        check = subprocess.run([sys.executable, "-m", "service.healthcheck"], cwd=ROOT, env=env, timeout=10)
        assert check.returncode == 0
        assert server.stop() in STOPPED
    lines = [json.loads(line) for line in server.log_lines()]  # every line is JSON
    access = [line for line in lines if line["logger"] == "optiscope.access"]
    assert (
        [(a["method"], a["path"], a["status"]) for a in access]
        == [
            ("GET", "/healthz", 200),  # the readiness poll of running_server: one line per request
            ("GET", "/healthz", 200),
            ("GET", "/readyz", 200),
            ("GET", "/version", 200),
            ("POST", "/simulate", 200),
            ("POST", "/simulate", 200),
            ("GET", "/healthz", 200),  # the HEALTHCHECK
        ][-len(access) :]
    )
    assert any(a["request_id"] == request_id and a["duration_ms"] > 0 for a in access)
    assert any(line["logger"].startswith("uvicorn") for line in lines)  # uvicorn's own lines are JSON too
    [glyph] = [line for line in lines if line["logger"] == "py.warnings"]
    assert "Glyph 129408" in glyph["msg"] and glyph["level"] == "warning"


def test_healthcheck_fails_when_nothing_listens(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {"OPTISCOPE_PORT": str(port), "PATH": "/usr/bin:/bin"}
    check = subprocess.run(
        [sys.executable, "-m", "service.healthcheck"], cwd=ROOT, env=env, timeout=10, capture_output=True
    )
    assert check.returncode == 1 and b"unhealthy" in check.stderr


def test_healthz_answers_within_50ms_while_a_heavy_simulation_runs(tmp_path):
    """If the computation blocked the event loop, every probe would wait for the whole simulation (seconds).

    The probes share two cores with the simulation, this test and whatever else the machine runs, so a
    probe can occasionally wait for a core, not for the event loop: the test asks that the median and
    80 % of the probes answer within 50 ms, and all within one second.
    """
    with running_server(tmp_path, compute_budget_seconds="60") as server:
        results: list = []
        heavy = start_heavy(server, results)
        latencies = []
        for _ in range(40):
            started = time.perf_counter()
            assert server.request("GET", "/healthz", timeout=5)[0] == 200
            latencies.append(time.perf_counter() - started)
            time.sleep(0.01)
        still_running = heavy.is_alive()
        heavy.join(timeout=60)
    status, _, body, seconds = results[0]
    assert status == 200 and json.loads(body)["steps"] == 100_000
    assert still_running, f"the simulation ({seconds:.2f} s) ended before the probes did: make HEAVY heavier"
    milliseconds = sorted(round(t * 1000, 1) for t in latencies)
    assert statistics.median(latencies) < 0.050, milliseconds
    assert sum(t < 0.050 for t in latencies) >= 0.8 * len(latencies), milliseconds
    assert max(latencies) < 1.0, milliseconds


@pytest.mark.parametrize("workers", ["1", "2"])
def test_sigterm_lets_the_request_in_flight_finish(tmp_path, workers):
    with running_server(tmp_path, workers=workers, compute_budget_seconds="60") as server:
        results: list = []
        heavy = start_heavy(server, results)
        server.process.send_signal(signal.SIGTERM)
        heavy.join(timeout=60)
        exit_code = server.process.wait(timeout=30)
        # Once stopped, nothing accepts connections on the port.
        with pytest.raises(OSError):
            server.request("GET", "/healthz", timeout=2)
    status, headers, body, _ = results[0]
    assert status == 200, body[:300]
    answer = json.loads(body)  # the whole body arrived
    assert answer["steps"] == 100_000 and [run["label"] for run in answer["runs"]] == ["adafactor", "adam"]
    assert exit_code in STOPPED
    assert any("Shutting down" in json.loads(line)["msg"] for line in server.log_lines())


def test_a_request_outliving_the_shutdown_timeout_gets_a_503(tmp_path):
    """Past OPTISCOPE_SHUTDOWN_TIMEOUT the server cancels what is still running: the client gets a 503 to
    retry (not uvicorn's bare text 500), the log one warning line for it (no traceback), and the process
    exits soon after the timeout (tests/api/test_disconnect.py: the computing thread stops too)."""
    long_run = {**HEAVY, "gradients": {"kind": "synthetic", "steps": 1_000_000}, "optimizers": [{"name": "adafactor"}]}
    with running_server(tmp_path, compute_budget_seconds="120", shutdown_timeout="0.5") as server:
        results: list = []

        def call():
            results.append(server.post_json("/simulate", long_run, timeout=120))

        caller = threading.Thread(target=call, daemon=True)
        caller.start()
        deadline = time.monotonic() + 10
        while in_flight(server) < 2:
            assert time.monotonic() < deadline and caller.is_alive(), "the request never started"
            time.sleep(0.01)
        signalled = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        exit_code = server.process.wait(timeout=60)
        exited = time.monotonic() - signalled
        caller.join(timeout=10)
    status, headers, body = results[0]
    assert (status, json.loads(body), headers["retry-after"]) == (
        503,
        {"detail": "The server shut down before this request finished: retry it."},
        "1",
    )
    assert exit_code in STOPPED
    # The run alone takes tens of seconds; interrupted, the exit follows the timeout within a few.
    assert exited < 8, exited
    lines = [json.loads(line) for line in server.log_lines()]
    stopped = [line for line in lines if line.get("path") == "/simulate"]
    assert [(line["level"], line["status"], line["stopped"]) for line in stopped] == [("warning", 503, "shutdown")]
    assert not any("Exception in ASGI application" in line["msg"] for line in lines)


def test_a_chunked_body_over_the_limit_is_refused_on_the_wire(tmp_path):
    with running_server(tmp_path, max_body_bytes="1000") as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(
                b"POST /simulate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n"
            )
            for _ in range(20):  # 20 chunks of 100 bytes, 2000 in all
                sock.sendall(b"64\r\n" + b" " * 100 + b"\r\n")
            sock.sendall(b"0\r\n\r\n")
            reply = b""
            while b"\r\n\r\n" not in reply:
                reply += sock.recv(4096)
        assert reply.startswith(b"HTTP/1.1 413 ")
        status, _, body = server.request("POST", "/simulate", b"x" * 5000, {"content-type": "application/json"})
        assert status == 413 and b"5000 bytes" in body
