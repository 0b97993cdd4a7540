"""How long a large request body holds the event loop: a 10 MB gradient sequence (450,000 rows of one
number, Adam, final parameters only) POSTed to a server while another client probes /healthz every 5 ms.

The body is parsed and validated in the thread pool, as the simulation is, but the parser and the validator
hold the GIL for each of their calls: the slowest probe during the request is about the longest of those.
`python -m benchmarks.large_body` runs it alone against a fresh server of this checkout; `make bench`
reports it with the HTTP measurements.
"""

from __future__ import annotations

import json
import statistics
import threading
import time

import httpx
import numpy as np

ROWS = 450_000
ROUNDS = 3


def body(rows: int = ROWS) -> bytes:
    values = np.random.default_rng(0).normal(size=(rows, 1)).tolist()
    request = {
        "gradients": {"kind": "sequence", "values": values},
        "optimizers": [{"name": "adam"}],
        "record": [],
        "include_gradients": False,
    }
    return json.dumps(request).encode()


def held(url: str, content: bytes) -> tuple[float, float]:
    """The request's time and the slowest /healthz probe while it ran (seconds)."""
    slowest, stop = [0.0], threading.Event()

    def probe() -> None:
        with httpx.Client(base_url=url, timeout=60) as client:
            while not stop.is_set():
                started = time.perf_counter()
                client.get("/healthz").raise_for_status()
                slowest[0] = max(slowest[0], time.perf_counter() - started)
                time.sleep(0.005)

    prober = threading.Thread(target=probe)
    prober.start()
    time.sleep(0.1)
    try:
        started = time.perf_counter()
        httpx.post(url + "/simulate", content=content, headers={"content-type": "application/json"}, timeout=120)
        took = time.perf_counter() - started
        time.sleep(0.1)
    finally:
        stop.set()
        prober.join()
    return took, slowest[0]


def measure(url: str) -> tuple[float, float, int]:
    """Medians over ROUNDS of the request's time and the slowest probe, and the body's size in bytes."""
    content = body()
    rounds = [held(url, content) for _ in range(ROUNDS)]
    return statistics.median(r[0] for r in rounds), statistics.median(r[1] for r in rounds), len(content)


if __name__ == "__main__":
    from benchmarks.http import Server

    with Server(cache=False) as server:
        took, slowest, size = measure(server.url)
    print(f"{size / 1e6:.1f} MB sequence: request {took:.2f} s, slowest /healthz probe {slowest:.2f} s")
