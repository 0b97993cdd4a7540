"""Driver of scripts/loadtest.sh: start each server configuration on a free loopback port, warm it up,
run wrk against it in REPEATS back-to-back segments (DURATION seconds in all), and report the median
req/s, p50 and p99 latency over the segments, the errors, and resident memory before and after.

Environment: DURATION (60), REPEATS (3), CONNECTIONS (16), THREADS (1).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DURATION = int(os.environ.get("DURATION", "60"))
REPEATS = int(os.environ.get("REPEATS", "3"))
CONNECTIONS = int(os.environ.get("CONNECTIONS", "16"))
THREADS = int(os.environ.get("THREADS", "1"))
LUA = 'wrk.method = "POST"\nwrk.body = "{}"\nwrk.headers["Content-Type"] = "application/json"\n'

CONFIGURATIONS = [
    # name, command (after the interpreter), workers
    ("service, 1 worker", ["-m", "service"], 1),
    ("service, 2 workers", ["-m", "service"], 2),
    (
        "bare app, 1 worker",
        ["-m", "uvicorn", "scripts.loadtest_bare_app:app", "--no-access-log", "--log-level", "warning"],
        1,
    ),
]


@dataclass
class Result:
    name: str
    rates: list[float] = field(default_factory=list)
    p50: list[float] = field(default_factory=list)
    p99: list[float] = field(default_factory=list)
    requests: int = 0
    errors: int = 0
    rss_before: int = 0
    rss_after: int = 0
    peak_before: int = 0
    peak_after: int = 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tree(pid: int) -> list[int]:
    """The server's process and its worker processes."""
    children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [pid, *(int(child) for child in children)]


def memory(pid: int) -> tuple[int, int]:
    """Resident and peak resident memory in KiB, summed over the process tree (VmRSS, VmHWM)."""
    rss = peak = 0
    for member in tree(pid):
        try:
            status = Path(f"/proc/{member}/status").read_text()
        except OSError:
            continue
        rss += int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
        peak += int(re.search(r"VmHWM:\s+(\d+)", status).group(1))
    return rss, peak


def milliseconds(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}[unit]


def wrk(url: str, seconds: int, script: Path) -> dict:
    command = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", "-s", str(script), url]
    output = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    try:
        return parse(output)
    except (AttributeError, ValueError) as exc:
        raise SystemExit(f"loadtest: cannot read wrk's output ({exc}):\n{output}") from None


def parse(output: str) -> dict:
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rate": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        # Anchored: "71.50%" in the Stdev column must not pass for the 50th percentile.
        "p50": milliseconds(re.search(r"^\s+50%\s+(\S+)$", output, re.MULTILINE).group(1)),
        "p99": milliseconds(re.search(r"^\s+99%\s+(\S+)$", output, re.MULTILINE).group(1)),
        "requests": requests,
        "errors": errors + (int(non_2xx.group(1)) if non_2xx else 0),
    }


def run(name: str, args: list[str], workers: int, workdir: Path) -> Result:
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("OPTISCOPE_")}
    env.update(OPTISCOPE_HOST="127.0.0.1", OPTISCOPE_PORT=str(port), OPTISCOPE_WORKERS=str(workers))
    if args[1] == "uvicorn":
        args = [*args, "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    log = (workdir / f"server-{port}.log").open("wb")
    server = subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/simulate"
    script = workdir / "tutorial.lua"
    script.write_text(LUA)
    result = Result(name)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                request = urllib.request.Request(url, b"{}", {"Content-Type": "application/json"})
                with urllib.request.urlopen(request, timeout=2) as response:
                    assert response.status == 200
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"loadtest: {name} did not start") from None
                time.sleep(0.1)
        wrk(url, max(1, min(5, DURATION // 6)), script)  # warm-up: imports, caches, connection pools
        result.rss_before, result.peak_before = memory(server.pid)
        for _ in range(REPEATS):
            segment = wrk(url, max(1, DURATION // REPEATS), script)
            result.rates.append(segment["rate"])
            result.p50.append(segment["p50"])
            result.p99.append(segment["p99"])
            result.requests += segment["requests"]
            result.errors += segment["errors"]
        result.rss_after, result.peak_after = memory(server.pid)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
    return result


def main() -> int:
    print(
        f"wrk -t{THREADS} -c{CONNECTIONS}, POST /simulate {{}} (the tutorial request), {DURATION} s per "
        f"configuration in {REPEATS} segments; medians over the segments; memory summed over the server's processes",
        flush=True,
    )
    # On a fresh machine the kernels compile first (~30-45 s): once here, not within a server's start deadline.
    subprocess.run([sys.executable, "-m", "service.precompile"], cwd=ROOT, check=True)
    results = []
    with tempfile.TemporaryDirectory() as workdir:
        for name, args, workers in CONFIGURATIONS:
            results.append(run(name, args, workers, Path(workdir)))
            r = results[-1]
            print(
                f"  {name}: {statistics.median(r.rates):.0f} req/s, {r.requests} requests, {r.errors} errors",
                flush=True,
            )
    print()
    columns = ["configuration", "req/s", "p50 ms", "p99 ms", "requests", "errors", "RSS MiB", "peak RSS MiB"]
    print("| " + " | ".join(columns) + " |")
    print("|---" * len(columns) + "|")
    for r in results:
        print(
            f"| {r.name} | {statistics.median(r.rates):.0f} | {statistics.median(r.p50):.2f} | "
            f"{statistics.median(r.p99):.2f} | {r.requests} | {r.errors} | "
            f"{r.rss_before / 1024:.1f} -> {r.rss_after / 1024:.1f} | "
            f"{r.peak_before / 1024:.1f} -> {r.peak_after / 1024:.1f} |"
        )
    service, bare = statistics.median(results[0].rates), statistics.median(results[2].rates)
    print(f"\nservice / bare app at 1 worker: {service / bare:.0%}")
    failed = sum(r.errors for r in results)
    if failed:
        print(f"loadtest: FAILED: {failed} requests failed or answered other than 2xx", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
