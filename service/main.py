"""The ASGI application: `service.main:app`, built by `create_app()`."""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from . import __version__
from .api import health, metrics, objectives, optimizers, playground, scenarios, schedules, simulate, sweep
from .api.admission import Admission, Release
from .api.cache import ResponseCache
from .api.errors import UNAUTHORIZED, http_error_handler, validation_handler
from .api.metrics import Metrics
from .api.middleware import OPEN_PATHS, ApiKeyGuard, BodySizeLimit, RequestTelemetry
from .engine import compiled
from .precompile import compile_all
from .settings import Settings, get_settings

# Simulations run in worker threads and hold the GIL in their Python loops. The event loop then waits up
# to one switch interval for the GIL at every wake-up; 1 ms instead of Python's 5 ms keeps /healthz and
# the other quick requests answering in milliseconds while simulations compute (tests/test_server.py).
GIL_SWITCH_INTERVAL = 0.001


log = logging.getLogger("optiscope")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    sys.setswitchinterval(GIL_SWITCH_INTERVAL)  # once per worker process, before it serves
    # Load (or, on a fresh machine, compile once) every optimizer's kernel and the JSON number writer
    # before the first request.
    started = time.perf_counter()
    log.info(
        "loading the engine's kernels from %s (a first start with an empty cache compiles them: 30-60 s)",
        compiled.cache_dir(),
    )
    compile_all()
    log.info("engine ready in %.2f s", time.perf_counter() - started)
    # Python's warnings (a font without a glyph of a label's, numpy's overflow in a far-off contour) are log
    # lines in the log's format (logger `py.warnings`), not raw text in between.
    logging.captureWarnings(True)
    try:
        yield
    finally:
        logging.captureWarnings(False)


def operation_id(route: APIRoute) -> str:
    """Stable ids (tag-name) so generated clients keep their method names."""
    return f"{route.tags[0]}-{route.name}" if route.tags else route.name


def middleware(settings: Settings, telemetry: Metrics, admission: Admission) -> list[Middleware]:
    """Outermost first: every request is counted and logged, even one refused by a later layer; CORS
    answers browsers' preflight requests (which carry no API key) before the key is checked; the key is
    checked before any body is read."""
    # Admitted numbers are given back after the telemetry's view of the request, whatever its end.
    stack = [Middleware(RequestTelemetry, metrics=telemetry), Middleware(Release, admission=admission)]
    if settings.cors_origins:
        stack.append(
            Middleware(
                CORSMiddleware,
                allow_origins=settings.cors_origins,
                allow_methods=["GET", "POST"],
                allow_headers=["content-type", "x-api-key", "x-request-id"],
                expose_headers=["x-request-id", "retry-after"],  # a browser client may read a 503's wait
            )
        )
    if settings.api_key is not None:
        stack.append(Middleware(ApiKeyGuard, api_key=settings.api_key.get_secret_value()))
    stack.append(Middleware(BodySizeLimit, max_bytes=settings.max_body_bytes, timeout=settings.body_timeout_seconds))
    # Innermost: only requests that passed the key and size checks are answered from the cache.
    stack.append(Middleware(ResponseCache, entries=settings.response_cache_entries, stats=telemetry.cache))
    return stack


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app. Without `settings` it reads the environment (cached `get_settings()`); with them,
    routes and middleware both use the ones given."""
    settings = settings or get_settings()
    telemetry = Metrics()
    admission = Admission(settings.max_numbers_in_flight, ceiling=settings.max_values)
    app = FastAPI(
        title="Optiscope",
        version=__version__,
        summary="Step-by-step behaviour of gradient-based optimizers: effective learning rates and "
        "parameter trajectories, at parity with torch.optim.",
        generate_unique_id_function=operation_id,
        middleware=middleware(settings, telemetry, admission),
        lifespan=lifespan,
    )
    app.state.settings = settings  # what the routes' settings dependency reads (api/deps.py)
    app.state.metrics = telemetry
    app.state.admission = admission  # what the large routes' admit dependency holds numbers in
    app.add_exception_handler(RequestValidationError, validation_handler)
    app.add_exception_handler(StarletteHTTPException, http_error_handler)
    # Every resource router sits behind the optional API key, so each of its routes documents the 401;
    # health and metrics hold the open probes (OPEN_PATHS) and document /version's 401 themselves.
    for module in (simulate, sweep, optimizers, schedules, objectives, scenarios):
        app.include_router(module.router, responses=UNAUTHORIZED)
    for module in (health, metrics):
        app.include_router(module.router)
    playground.mount(app)  # open like the probes: the page asks for the key when the API wants one
    app.openapi = partial(openapi_with_key, app)
    return app


API_KEY_SCHEME = {
    "type": "apiKey",
    "in": "header",
    "name": "X-API-Key",
    "description": "Needed only when the server sets OPTISCOPE_API_KEY (every route but the probes, /metrics, "
    "the playground and the docs).",
}


def openapi_with_key(app: FastAPI) -> dict:
    """FastAPI's document, with the optional X-API-Key declared as a security scheme on every route that
    asks for it when a key is set: the docs' Authorize button, and generated clients, then know of it."""
    if app.openapi_schema is None:
        schema = FastAPI.openapi(app)
        schema.setdefault("components", {}).setdefault("securitySchemes", {})["ApiKey"] = API_KEY_SCHEME
        for path, operations in schema["paths"].items():
            if path not in OPEN_PATHS:
                for operation in operations.values():
                    operation["security"] = [{}, {"ApiKey": []}]  # none, or the key
        our_422s(schema)
        integer_bounds(schema)
        declared_headers(schema)
    return app.openapi_schema


REQUEST_ID_HEADER = {
    "description": "The request's id: the X-Request-ID the client sent when it is 1 to 128 of A-Z a-z 0-9 . _ : / "
    "+ = -, else a fresh one. Logs carry it.",
    "schema": {"type": "string"},
}
CHALLENGE_HEADER = {"description": 'How to authenticate: `APIKey header="X-API-Key"`.', "schema": {"type": "string"}}
VARY_HEADER = {"description": "`Accept`: the answer depends on it (its type, or a 406).", "schema": {"type": "string"}}
VARIED = {("/simulate", "post", "200"), ("/sweep", "post", "200")}


def declared_headers(schema: dict) -> None:
    """The headers the middleware and routes add, on the answers that carry them: X-Request-ID on every
    one, WWW-Authenticate on a missing key's 401, Vary on the 200s of POST /simulate and /sweep."""
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for status, response in operation.get("responses", {}).items():
                headers = response.setdefault("headers", {})
                headers["X-Request-ID"] = REQUEST_ID_HEADER
                if status == "401":
                    headers["WWW-Authenticate"] = CHALLENGE_HEADER
                if (path, method, status) in VARIED:
                    headers["Vary"] = VARY_HEADER


INTEGER_KEYWORDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "default", "multipleOf")


def integer_bounds(node: Any) -> None:
    """FastAPI's OpenAPI models hold every bound as a float: `"minimum": 1.0` on an integer. Give integer
    schemas their integers back (exact: the service's integer bounds are all floats' integers)."""
    if isinstance(node, dict):
        if node.get("type") == "integer":
            for key in INTEGER_KEYWORDS:
                value = node.get(key)
                if type(value) is float and value.is_integer():
                    node[key] = int(value)
        for value in node.values():
            integer_bounds(value)
    elif isinstance(node, list):
        for value in node:
            integer_bounds(value)


VALIDATION_422 = {
    "description": "Invalid request: each entry names the field (`field`, `loc`), what is wrong and what is "
    "accepted; limits and the compute budget answer the same way.",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ValidationErrorBody"}}},
}


def our_422s(schema: dict) -> None:
    """Every 422 is the service's own body (errors.ValidationErrorBody: each entry has `field`), not
    FastAPI's default HTTPValidationError; an operation with nothing to validate (no body, no query
    parameters: a name in the path is any string) declares none."""
    for operations in schema["paths"].values():
        for operation in operations.values():
            responses = operation.get("responses", {})
            if "422" not in responses:
                continue
            queries = any(p.get("in") == "query" for p in operation.get("parameters", []))
            if "requestBody" in operation or queries:
                responses["422"] = VALIDATION_422
            else:
                del responses["422"]
    components = schema.get("components", {}).get("schemas", {})
    if "#/components/schemas/HTTPValidationError" not in json.dumps(schema["paths"]):
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)


app = create_app()
