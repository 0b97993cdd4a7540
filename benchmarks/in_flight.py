"""Peak memory of a fresh server answering eight concurrent large requests at once
(`python -m benchmarks.in_flight [MAX_NUMBERS_IN_FLIGHT]`; a huge value turns the budget off in effect).

Each request is two optimizers over 10^6 steps of 2 coordinates with params recorded: ~6·10^6 numbers, under
the default size limit. Prints the server's resident memory before, its peak (VmHWM), the statuses and the
wall time.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from benchmarks.http import free_port

ROOT = Path(__file__).resolve().parent.parent
BODY = {
    "optimizers": [{"name": "adam"}, {"name": "sgd"}],
    "gradients": {"kind": "synthetic", "steps": 1_000_000, "dim": 2},
    "record": ["params"],
}
CONCURRENT = 8


def megabytes(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) // 1024 for line in status if line.startswith(field))


def main() -> None:
    port = free_port()
    env = {**os.environ, "OPTISCOPE_PORT": str(port), "OPTISCOPE_RESPONSE_CACHE_ENTRIES": "0"}
    if len(sys.argv) > 1:
        env["OPTISCOPE_MAX_NUMBERS_IN_FLIGHT"] = sys.argv[1]
    server = subprocess.Popen([sys.executable, "-m", "service"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(3000):
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        before, statuses = megabytes(server.pid, "VmRSS"), []

        def request() -> None:
            statuses.append(httpx.post(url + "/simulate", json=BODY, timeout=600).status_code)

        threads = [threading.Thread(target=request) for _ in range(CONCURRENT)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - started
        peak = megabytes(server.pid, "VmHWM")
        print(f"RSS {before} MB at start, peak {peak} MB; statuses {sorted(statuses)}; {seconds:.1f} s")
    finally:
        server.terminate()
        server.wait(timeout=60)


if __name__ == "__main__":
    main()
