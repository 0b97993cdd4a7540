"""Start the server exactly as the container does (the Dockerfile's CMD) on a free loopback port.

The container binds 0.0.0.0; tests bind 127.0.0.1 and change nothing else. Output goes to a file (a pipe
could fill up and stall the server), read back with `log_lines()`.
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 30.0
STOP_TIMEOUT = 30.0


def container_command() -> list[str]:
    """The Dockerfile's CMD (exec form), with `python` being this interpreter."""
    commands = re.findall(r"^CMD\s+(\[.*\])\s*$", (ROOT / "Dockerfile").read_text(), flags=re.MULTILINE)
    command = json.loads(commands[-1])
    assert command[0] == "python", command
    return [sys.executable, *command[1:]]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    process: subprocess.Popen
    port: int
    output: Path

    def request(self, method: str, path: str, body: bytes | None = None, headers=None, timeout: float = 30.0):
        """One request on a new connection: (status, headers, body bytes)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    def post_json(self, path: str, payload, timeout: float = 30.0):
        return self.request("POST", path, json.dumps(payload).encode(), {"content-type": "application/json"}, timeout)

    def log_lines(self) -> list[str]:
        return self.output.read_text().splitlines()

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
            raise


@functools.cache
def precompiled() -> None:
    """The kernels and the JSON writer compiled (or loaded) in this process first, so that a server's start
    loads them from the cache: on a fresh machine it would otherwise compile within START_TIMEOUT."""
    from service.precompile import compile_all

    compile_all()


@contextlib.contextmanager
def running_server(tmp_path: Path, **settings: str) -> Iterator[Server]:
    """The container's command with OPTISCOPE_ settings from `settings` (e.g. WORKERS="2")."""
    precompiled()
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("OPTISCOPE_")}
    env.update({"OPTISCOPE_HOST": "127.0.0.1", "OPTISCOPE_PORT": str(port)})
    env.update({f"OPTISCOPE_{key.upper()}": value for key, value in settings.items()})
    output = tmp_path / f"server-{port}.log"
    with output.open("wb") as sink:
        process = subprocess.Popen(
            container_command(), cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Server(process, port, output)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            assert process.poll() is None, f"server exited with {process.returncode}:\n{output.read_text()}"
            with contextlib.suppress(OSError):
                if server.request("GET", "/healthz", timeout=1.0)[0] == 200:
                    break
            assert time.monotonic() < deadline, f"server did not start in {START_TIMEOUT} s:\n{output.read_text()}"
            time.sleep(0.05)
        yield server
    finally:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):  # the workers too: a killed parent leaves them running
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
