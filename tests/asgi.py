"""Calling the app straight through ASGI, for what a test client cannot do: a client that stalls, leaves
half way, or is cancelled by the server."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


def http_scope(method: str, path: str, length: int = 0, query: bytes = b"") -> dict:
    """An HTTP request's scope; with a `length`, it declares a JSON body of that many bytes."""
    headers = [(b"content-type", b"application/json"), (b"content-length", str(length).encode())] if length else []
    return {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": query, "root_path": "", "headers": headers,
        "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80),
    }  # fmt: skip


def call(app, scope: dict, receive: Callable[[], Awaitable[dict]], run=None) -> list[dict]:
    """Run the app on one request; what it sent. `run(request)`, given, awaits the app's coroutine itself
    (to cancel it, say)."""
    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    request = app(scope, receive, send)
    asyncio.run(run(request) if run else request)
    return sent
