"""A response cache for the pure endpoints: the same request body always gets the same bytes back.

POST /simulate and POST /sweep are deterministic functions of the request body and its Accept header
(and of the settings, fixed for the app's lifetime), so a repeated request — the tutorial's empty body, a front end
reloading a page — can be answered from memory without validating or computing anything again.
Only successful JSON responses up to `max_entry_bytes` are kept, for request bodies up to
`max_body_bytes`, at most `entries` of them and `max_stored_bytes` in all, least recently used first out;
`entries = 0` turns the cache off.

A plain ASGI middleware (no per-request objects beyond the body it must read anyway).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

PATHS = frozenset({"/simulate", "/sweep"})
_NEGOTIATED = frozenset({b"content-type", b"accept"})


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0
    stored_bytes: int = 0


class ResponseCache:
    def __init__(
        self,
        app,
        entries: int = 256,
        max_entry_bytes: int = 1 << 20,
        max_body_bytes: int = 1 << 16,
        max_stored_bytes: int = 64 << 20,
        stats: CacheStats | None = None,
    ):
        self.app = app
        self.entries = entries
        self.max_entry_bytes = max_entry_bytes
        # All entries together: 256 answers of 1 MiB would hold a quarter of a 1 GiB container.
        self.max_stored_bytes = max_stored_bytes
        self.max_body_bytes = max_body_bytes
        self.store: OrderedDict[tuple, tuple[int, list, bytes]] = OrderedDict()
        self.routes: dict[str, object] = {}  # path -> the route that answered it, for telemetry on a hit
        self.stats = CacheStats() if stats is None else stats  # the app's metrics read the same counts

    async def __call__(self, scope, receive, send) -> None:
        if (
            self.entries <= 0
            or scope["type"] != "http"
            or scope["method"] != "POST"
            or scope["path"] not in PATHS
            or scope.get("query_string")
        ):
            await self.app(scope, receive, send)
            return
        chunks, more = [], True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away: let the app see it
                await self.app(scope, _replay([message]), send)
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        replay = _replay([{"type": "http.request", "body": body, "more_body": False}], receive)
        if len(body) > self.max_body_bytes:
            await self.app(scope, replay, send)
            return
        # The answer depends on the body and, through content negotiation, on Content-Type and Accept: every
        # copy of each, in order (the app reads the first copy of a repeated header; a key from the last one
        # let a request with two Accept headers store JSON under another's CSV request).
        negotiated = tuple((name, value) for name, value in scope.get("headers", ()) if name in _NEGOTIATED)
        key = (scope["path"], negotiated, body)
        found = self.store.get(key)
        if found is not None:
            self.store.move_to_end(key)
            self.stats.hits += 1
            if scope["path"] in self.routes:  # outer layers (metrics, logs) see the route as on a miss
                scope["route"] = self.routes[scope["path"]]
            status, headers, payload = found
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": payload})
            return
        self.stats.misses += 1
        captured: dict = {"parts": [], "size": 0}

        async def capture(message) -> None:
            if message["type"] == "http.response.start":
                captured["status"], captured["headers"] = message["status"], list(message.get("headers", []))
            elif message["type"] == "http.response.body" and captured["parts"] is not None:
                part = message.get("body", b"")
                captured["size"] += len(part)
                if captured["size"] > self.max_entry_bytes:
                    captured["parts"] = None  # too large to keep: hold none of a streamed answer
                else:
                    captured["parts"].append(part)
                    if not message.get("more_body", False):
                        self._keep(key, captured)
            await send(message)

        await self.app(scope, replay, capture)
        if "route" in scope:
            self.routes[scope["path"]] = scope["route"]

    def _keep(self, key: tuple, captured: dict) -> None:
        payload = b"".join(captured["parts"])
        if captured.get("status") != 200 or len(payload) > self.max_entry_bytes:
            return
        content_type = dict(captured.get("headers", [])).get(b"content-type", b"")
        if not content_type.startswith(b"application/json"):  # CSV and figures depend on optional renderers
            return
        self.store[key] = (captured["status"], captured["headers"], payload)
        self.stats.stored_bytes += len(payload)
        while len(self.store) > self.entries or self.stats.stored_bytes > self.max_stored_bytes:
            _, (_, _, dropped) = self.store.popitem(last=False)
            self.stats.stored_bytes -= len(dropped)


def _replay(messages: list, receive=None):
    """A `receive` that hands out `messages`, then defers to the real one (disconnects)."""
    pending = list(messages)

    async def replayed():
        if pending:
            return pending.pop(0)
        return await receive()

    return replayed
