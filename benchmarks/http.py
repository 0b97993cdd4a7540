"""HTTP measurements: the service under a loopback load generator (wrk), one uvicorn worker.

- the tutorial request (POST /simulate, `{}`) against a bare endpoint in the same app that returns the
  same bytes without doing anything (`benchmarks.serve`), in alternating rounds;
- a 10^6-float response end to end (requests/s x 10^6 floats);
- peak RSS of a fresh server for a W3 request (T=100, D=10^6, Adam, final params only);
- how long a 10 MB gradient sequence holds the event loop (`benchmarks.large_body`);
- start-up: time until the server answers, and its first requests against later ones.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from benchmarks import large_body

ROOT = Path(__file__).resolve().parent.parent
TUTORIAL = "{}"
MILLION = json.dumps(
    {
        "gradients": {"kind": "synthetic", "pattern": "constant", "steps": 1_000_000, "dim": 1},
        "optimizers": [{"name": "sgd"}],
        "record": ["params"],
        "include_gradients": False,
    }
)
W3 = json.dumps(
    {
        "gradients": {"kind": "synthetic", "steps": 100, "dim": 1_000_000},
        "optimizers": [{"name": "adam", "lr": 0.001}],
        "record": [],
        "include_gradients": False,
    }
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, cache: bool = True) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "OPTISCOPE_RESPONSE_CACHE_ENTRIES": "256" if cache else "0"}

    def __enter__(self) -> Server:
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.serve", str(self.port)],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    self.ready = time.perf_counter() - self.started
                    return self
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError("server did not start")

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)

    def status(self, key: str) -> int:
        """A /proc/<pid>/status memory line (VmRSS, VmHWM) in bytes."""
        text = Path(f"/proc/{self.process.pid}/status").read_text()
        return int(re.search(rf"^{key}:\s+(\d+) kB", text, re.M).group(1)) * 1024


def wrk(url: str, body: str, seconds: int, connections: int) -> float:
    """Requests/s from wrk (bounded in time), POSTing `body`."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(
            f'wrk.method = "POST"\nwrk.body = {json.dumps(body)}\nwrk.headers["Content-Type"] = "application/json"\n'
        )
    try:
        out = subprocess.run(
            ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "60s", "-s", script.name, url],
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds + 120,
        ).stdout
    finally:
        os.unlink(script.name)
    if "Non-2xx" in out:
        raise RuntimeError(f"non-2xx responses from {url}:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def measure(report) -> None:
    if shutil.which("wrk") is None:
        report.text("### HTTP\n\nwrk is not installed (`apt-get install -y wrk`): HTTP not measured.\n")
        report.verdict("HTTP tutorial >= 70% of bare endpoint", "wrk missing", "not measured")
        return
    with Server(cache=False) as server:
        client = httpx.Client(base_url=server.url, timeout=120)
        first = [_timed(client, TUTORIAL) for _ in range(3)]
        later = statistics.median(_timed(client, TUTORIAL) for _ in range(50))
        startup = server.ready
        tutorial, bare = [], []
        for _ in range(3):
            tutorial.append(wrk(server.url + "/simulate", TUTORIAL, 5, 8))
            bare.append(wrk(server.url + "/bare", TUTORIAL, 5, 8))
        size = len(client.post("/simulate", content=MILLION, headers={"content-type": "application/json"}).content)
        million = [wrk(server.url + "/simulate", MILLION, 8, 1) for _ in range(2)]
        body_took, body_held, body_size = large_body.measure(server.url)
    with Server(cache=True) as server:
        cached, cached_bare = [], []
        for _ in range(3):
            cached.append(wrk(server.url + "/simulate", TUTORIAL, 5, 8))
            cached_bare.append(wrk(server.url + "/bare", TUTORIAL, 5, 8))
    ratio = statistics.median(tutorial) / statistics.median(bare)
    cached_ratio = statistics.median(cached) / statistics.median(cached_bare)
    floats = statistics.median(million) * 1_000_001
    with Server() as server:
        client = httpx.Client(base_url=server.url, timeout=600)
        idle = server.status("VmRSS")
        response = client.post("/simulate", content=W3, headers={"content-type": "application/json"})
        response.raise_for_status()
        peak = server.status("VmHWM")
        io = len(W3) + len(response.content)
    growth = peak - idle
    report.text(
        "### HTTP (one uvicorn worker, wrk on loopback sharing the 2 cores)\n\n"
        "Unless said otherwise the server runs with its response cache off (OPTISCOPE_RESPONSE_CACHE_ENTRIES=0): "
        "every request is validated, simulated and serialized.\n\n"
        "| measurement | result |\n|---|---|\n"
        f"| tutorial POST /simulate `{{}}` (wrk -c8, 3 x 5 s) | {statistics.median(tutorial):,.0f} req/s "
        f"(rounds: {', '.join(f'{x:,.0f}' for x in tutorial)}) |\n"
        f"| bare endpoint, same app, same bytes | {statistics.median(bare):,.0f} req/s "
        f"(rounds: {', '.join(f'{x:,.0f}' for x in bare)}) |\n"
        f"| ratio | **{ratio:.0%}** of the bare endpoint |\n"
        f"| with the response cache on (the default): tutorial vs bare | {statistics.median(cached):,.0f} vs "
        f"{statistics.median(cached_bare):,.0f} req/s: **{cached_ratio:.0%}** (repeated identical bodies are "
        "answered from memory) |\n"
        f"| 10^6-float response (SGD, T=10^6, params; {size / 1e6:.1f} MB of JSON; wrk -c1, 2 x 8 s) | "
        f"{statistics.median(million):.1f} req/s = **{floats / 1e6:.1f} M floats/s** end to end |\n"
        f"| W3 request (T=100, D=10^6, Adam, final only; trend_noise generated block by block) | peak RSS "
        f"{peak / 2**20:.0f} MiB, idle {idle / 2**20:.0f} MiB: **+{growth / 2**20:.0f} MiB** for "
        f"{io / 2**20:.1f} MiB of request + response ({growth / io:.2f}x) |\n"
        f"| {body_size / 1e6:.1f} MB gradient sequence (450,000 rows; Adam, final only): the event loop held while "
        f"its body is read (slowest /healthz probe, every 5 ms; median of {large_body.ROUNDS}) | {body_held:.2f} s "
        f"(the request: {body_took:.2f} s) |\n"
        f"| start-up (process start to first answer, kernels from the disk cache) | {startup:.2f} s |\n"
        f"| first three tutorial requests after start vs the median of the next 50 | "
        f"{', '.join(f'{x * 1e3:.1f} ms' for x in first)} vs {later * 1e3:.1f} ms |\n"
    )
    report.verdict(
        "HTTP tutorial >= 70% of the bare endpoint's req/s (computed every time)",
        f"{ratio:.0%}",
        "met" if ratio >= 0.7 else f"missed by {0.7 - ratio:.0%} points",
    )
    report.verdict(
        "HTTP tutorial >= 70% of the bare endpoint's req/s (response cache on, the default)",
        f"{cached_ratio:.0%}",
        "met" if cached_ratio >= 0.7 else f"missed by {0.7 - cached_ratio:.0%} points",
    )
    report.verdict(
        ">= 30 M floats/s end to end (10^6-float response)",
        f"{floats / 1e6:.1f} M floats/s",
        "met" if floats >= 30e6 else f"missed: {30e6 / floats:.2f}x short",
    )
    report.verdict(
        "W3 peak RSS under 3x inputs + outputs",
        f"+{growth / 2**20:.0f} MiB over idle for {io / 2**20:.1f} MiB",
        "met" if growth < 3 * io else f"missed: {growth / io:.2f}x",
    )
    report.verdict(
        "first request after start not slow",
        f"{first[0] * 1e3:.1f} ms vs {later * 1e3:.1f} ms steady",
        "met" if first[0] < 10 * later + 0.05 else "missed",
    )


def _timed(client: httpx.Client, body: str) -> float:
    started = time.perf_counter()
    client.post("/simulate", content=body, headers={"content-type": "application/json"}).raise_for_status()
    return time.perf_counter() - started
