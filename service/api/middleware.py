"""Pure ASGI middleware, outermost first: RequestTelemetry, (CORS), ApiKeyGuard, BodySizeLimit.

Plain ASGI callables rather than BaseHTTPMiddleware: no extra task per request, and responses pass
through untouched but for one header.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
import time
import uuid
from collections.abc import Iterable

import orjson
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..logs import ACCESS, request_id_var
from .errors import shown
from .metrics import Metrics

# An incoming X-Request-ID is kept if it is short and plain; anything else is replaced by a fresh one.
REQUEST_ID = re.compile(r"[A-Za-z0-9._:/+=-]{1,128}")
# Answered without an API key: probes and the scraper carry none; nor does a browser opening the
# playground, a static page holding no data, which asks for the key before it calls the API, or the
# docs (the OpenAPI document declares the key, so their "Authorize" sends it with the calls they try).
OPEN_PATHS = frozenset(
    {"/healthz", "/readyz", "/metrics", "/", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"}
)
OPEN_PREFIXES = ("/static/",)

access_log = logging.getLogger(ACCESS)

# The status logged and counted for a request whose client went away before its answer (nginx's), and
# the mark in a request's scope that it did so before any answer began.
CLIENT_CLOSED = 499
CLIENT_GONE = "optiscope.client_gone"

# The answer to a request cut short by the server's shutdown: retried by the Python client, on a new connection.
SHUTDOWN_BODY = {"detail": "The server shut down before this request finished: retry it."}
SHUTDOWN_HEADERS = ((b"retry-after", b"1"), (b"connection", b"close"))


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return value
    return None


async def send_json(send: Send, status: int, content: dict, headers: Iterable[tuple[bytes, bytes]] = ()) -> None:
    body = orjson.dumps(content)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class RequestTelemetry:
    """Request id (X-Request-ID kept or generated, echoed in the response), the in-flight gauge, request
    count and latency per route and status, and one access log line per request."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics
        self._paths: frozenset[str] | None = None  # the app's fixed paths and mounts, read when first needed
        self._mounts: tuple[str, ...] = ()

    def _route(self, scope: Scope) -> str:
        """The route label: the API route's template; for a request answered before routing (a 401, a 413)
        or by a route that is not the API's (the docs, the OpenAPI document), its path when it is one of the
        app's fixed paths; `<mount>/{path}` for a file under a mount (the playground's static files); else
        "unmatched". Its values stay as few as the app's routes, whatever paths clients send."""
        route = getattr(scope.get("route"), "path", None)
        if route:
            return route
        if self._paths is None:
            app = scope.get("app")
            # The API's paths from its OpenAPI document (its routers are not in app.routes one by one).
            paths = {*app.openapi().get("paths", {})} if hasattr(app, "openapi") else set()
            routes = [route for route in getattr(app, "routes", ()) if getattr(route, "path", "")]
            paths.update(route.path for route in routes if not isinstance(route, Mount))
            self._paths = frozenset(path for path in paths if "{" not in path)
            self._mounts = tuple(route.path + "/" for route in routes if isinstance(route, Mount))
        path = scope["path"]
        if path in self._paths:
            return path
        mount = next((prefix for prefix in self._mounts if path.startswith(prefix)), None)
        return mount + "{path}" if mount else "unmatched"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        incoming = _header(scope, b"x-request-id")
        request_id = incoming.decode("latin-1") if incoming else ""
        if not REQUEST_ID.fullmatch(request_id):
            request_id = uuid.uuid4().hex
        id_header = (b"x-request-id", request_id.encode("latin-1"))
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), id_header]
            await send(message)

        token = request_id_var.set(request_id)
        self.metrics.in_flight.inc()
        failure: BaseException | None = None
        stopped = False
        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            failure = exc
            if status:  # the answer had begun: only the server can end it (it closes the connection)
                status = 500
                raise
            # Nothing sent yet: answer 500 here, with the request id. The error line below carries the
            # traceback; not re-raising keeps the server from logging it a second time, without the id.
            await send_json(send_with_id, 500, {"detail": "Internal server error.", "request_id": request_id})
            status = 500
        except asyncio.CancelledError:
            # The server cancels the requests still running when its graceful-shutdown timeout runs out.
            # Unanswered, the client gets a 503 to retry (elsewhere) rather than the server's bare 500; the
            # cancellation ends here, so the server does not log it as the application's error.
            stopped = True
            if not status:
                await send_json(send_with_id, 503, SHUTDOWN_BODY, headers=SHUTDOWN_HEADERS)
                status = 503
        finally:
            if not status and scope.get(CLIENT_GONE):
                status = CLIENT_CLOSED
            self.metrics.in_flight.dec()
            seconds = time.perf_counter() - start
            route = self._route(scope)
            self.metrics.observe(scope["method"], route, status, seconds)
            level = logging.ERROR if failure else logging.WARNING if stopped else logging.INFO
            if access_log.isEnabledFor(level):  # a failure's traceback is logged at any level up to error
                fields = {
                    "request_id": request_id,
                    "method": scope["method"],
                    "path": scope["path"][:256],
                    "route": route,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 3),
                }
                if stopped:
                    fields["stopped"] = "shutdown"
                access_log.log(level, "request", extra={"fields": fields}, exc_info=failure)
            request_id_var.reset(token)


class ApiKeyGuard:
    """401 without the right X-API-Key header, except on OPEN_PATHS and OPEN_PREFIXES. Compared in constant time."""

    def __init__(self, app: ASGIApp, api_key: str) -> None:
        self.app = app
        self.key = api_key.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Only HTTP requests carry a path: the lifespan scope (start-up: the kernels' warm-up) passes through.
        if scope["type"] == "http" and not _open(scope["path"]):
            given = _header(scope, b"x-api-key")
            if given is None or not hmac.compare_digest(given, self.key):
                detail = "Missing or wrong API key: send the key in the X-API-Key header."
                challenge = (b"www-authenticate", b'APIKey header="X-API-Key"')
                await send_json(send, 401, {"detail": detail}, [challenge])
                return
        await self.app(scope, receive, send)


def _open(path: str) -> bool:
    return path in OPEN_PATHS or path.startswith(OPEN_PREFIXES)


class BodySizeLimit:
    """413 for a body over `max_bytes`, before the application reads any of it; 408 for a body that stalls;
    415 for a compressed one (any Content-Encoding but identity).

    A declared Content-Length over the limit is refused at once; otherwise the server itself stops the
    body at the declared length. A chunked body declares no length: it is counted as it arrives, refused
    as soon as it passes the limit. Either is read here, and handed on whole: a client that leaves half way
    is logged 499 (CLIENT_GONE), and one that sends nothing more for `timeout` seconds is answered 408
    and its connection closed, so a stalled upload does not hold its part of the body for ever (nginx's
    client_body_timeout). A request without a body passes straight through.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, timeout: float = 30.0) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _header(scope, b"transfer-encoding") is None:
            # Without chunking the body is Content-Length bytes (none if absent): the server frames it.
            declared = _header(scope, b"content-length")
            if declared is None or declared == b"0":
                await self.app(scope, receive, send)
                return
            if declared.isdigit() and int(declared) > self.max_bytes:
                await self.refuse(send, f"{int(declared)} bytes")
                return
        encoding = _header(scope, b"content-encoding")
        if encoding is not None and encoding.strip().lower() not in (b"", b"identity"):
            # A gzipped body was read as UTF-8 text and answered "invalid JSON": say what is wrong instead.
            name = shown(encoding.decode("latin-1").strip())
            detail = f"Content-Encoding {name} is not supported: send the request body uncompressed."
            await send_json(send, 415, {"detail": detail}, [(b"connection", b"close")])
            return

        chunks: list[bytes] = []
        size = 0
        while True:
            try:
                async with asyncio.timeout(self.timeout):
                    message = await receive()
            except TimeoutError:
                detail = (
                    f"The request body stalled: nothing more of it came for {self.timeout:g} s "
                    f"(OPTISCOPE_BODY_TIMEOUT_SECONDS) after {size} bytes."
                )
                await send_json(send, 408, {"detail": detail}, [(b"connection", b"close")])
                return
            if message["type"] != "http.request":  # the client left
                scope[CLIENT_GONE] = True
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self.refuse(send, f"more than {self.max_bytes} bytes")
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        replay: Message | None = {
            "type": "http.request",
            "body": chunks[0] if len(chunks) == 1 else b"".join(chunks),
            "more_body": False,
        }

        async def replay_receive() -> Message:
            nonlocal replay
            if replay is not None:
                message, replay = replay, None
                return message
            return await receive()

        await self.app(scope, replay_receive, send)

    async def refuse(self, send: Send, size: str) -> None:
        detail = (
            f"The request body ({size}) exceeds the limit of {self.max_bytes} bytes (OPTISCOPE_MAX_BODY_BYTES): "
            "send fewer gradient values, or a synthetic gradient source."
        )
        await send_json(send, 413, {"detail": detail}, [(b"connection", b"close")])
