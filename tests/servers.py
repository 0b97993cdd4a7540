"""Servers for client tests: the app in-process behind httpx transports, and a real uvicorn process."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import anyio.from_thread
import httpx

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 120.0  # seconds a server may take to answer /healthz (a cold kernel cache compiles first)


class ASGIBridge(httpx.BaseTransport):
    """httpx's blocking client served by an ASGI app: httpx's own ASGITransport, run on a portal thread.

    (starlette's TestClient speaks httpx2, a different package; the Optiscope client is on httpx.)"""

    def __init__(self, app) -> None:
        self._transport = httpx.ASGITransport(app=app)
        self._portal_context = anyio.from_thread.start_blocking_portal()
        self._portal = self._portal_context.__enter__()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def round_trip() -> httpx.Response:
            response = await self._transport.handle_async_request(request)
            content = await response.aread()
            return httpx.Response(response.status_code, headers=response.headers, content=content)

        return self._portal.call(round_trip)

    def close(self) -> None:
        self._portal_context.__exit__(None, None, None)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running_server(command: Sequence[str], port: int, env: dict[str, str] | None = None) -> Iterator[str]:
    """Start `command` (a server on 127.0.0.1:port), wait until /healthz answers, yield its URL, stop it."""
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            list(command),
            cwd=ROOT,
            env={**os.environ, **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while True:
                if process.poll() is not None:
                    log.seek(0)
                    raise RuntimeError(f"server exited with {process.returncode}: {log.read().decode()[-2000:]}")
                try:
                    if httpx.get(f"{url}/healthz", timeout=1.0).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"server did not answer on {url} within {START_TIMEOUT} s")
                time.sleep(0.1)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def serve_command(port: int) -> list[str]:
    """`optiscope serve` (as `python -m service.cli`, so it runs without the console script installed)."""
    return [sys.executable, "-m", "service.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
