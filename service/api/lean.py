"""`LeanRoute`: a route that serves well-formed JSON requests without FastAPI's generic parameter solving.

FastAPI works out a route's parameters afresh on every request, generically: for POST /simulate's five
(settings, metrics, the Accept negotiation, the JSON body, one query parameter) that took ~70 µs, as long
as the tutorial's whole simulation. A LeanRoute fills the same parameters directly in the common case:

- the body is JSON (content type application/json or application/*+json) holding an object, validated
  against the route's body field: FastAPI's own field, so the same model, mode and resulting value (the
  body read by a faster parser that reads every document as FastAPI's `json.loads` does, `read_json`);
- there is no query string: query parameters take their defaults;
- the app has no dependency overrides (tests set some);

and calls each dependency with the request, the only parameter a LeanRoute's dependencies may take
(checked when the route is built); an object that fails validation raises FastAPI's very errors after the
dependencies, as FastAPI does. Every other request (another content type, an empty body, a document that
is not an object, a query string) goes through FastAPI's own handler, so error answers and edge cases are
exactly FastAPI's.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import inspect
import json
import threading
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from copy import deepcopy
from typing import Any, NamedTuple

from fastapi import Request, Response, params
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic_core import from_json

try:  # FastAPI 0.16x builds an included route's handler in a context that holds the merged dependencies.
    from fastapi.routing import _effective_route_context_var as _inclusion
except ImportError:  # Older versions copy the route when a router is included: the route is what serves.
    _inclusion = None

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class LeanRoute(APIRoute):
    def get_route_handler(self) -> Handler:
        full = super().get_route_handler()
        route = self._serving()
        problem = unsupported(route)
        if problem:
            raise TypeError(f"LeanRoute {route.path}: {problem}")
        dependant = route.dependant
        endpoint = dependant.call
        body = route.body_field
        defaults = {field.name: field.default for field in dependant.query_params}
        dependencies = [(sub.name, sub.call, sub.request_param_name) for sub in dependant.dependencies]

        async def handler(request: Request) -> Response:
            scope = request.scope
            if scope["query_string"] or request.app.dependency_overrides or not json_content(scope["headers"]):
                return await full(request)
            raw = await request.body()
            try:
                if len(raw) > THREAD_BODY_BYTES:  # read on another thread, the event loop answering meanwhile
                    payload, value = await asyncio.get_running_loop().run_in_executor(_readers(), read_body, body, raw)
                else:
                    payload, value = read_body(body, raw)
            except (ValueError, RecursionError):  # not JSON (or nested past Python's limit): FastAPI's answer
                return await full(request)
            if value is INVALID:
                request._json = payload  # what FastAPI would parse: kept for it (Starlette's cache)
                return await full(request)
            values = {name: deepcopy(default) for name, default in defaults.items()}
            values[body.name] = value
            for name, call, request_name in dependencies:
                result = await call(**{request_name: request})
                if name is not None:
                    values[name] = result
            if isinstance(value, Invalid):  # as FastAPI raises it, after the dependencies (a 406 comes first)
                raise RequestValidationError(value.errors, body=payload)
            response = await endpoint(**values)
            if not isinstance(response, Response):
                raise TypeError(f"LeanRoute {route.path}: the endpoint must return a Response")
            return response

        return handler

    def _serving(self) -> Any:
        """The route as it serves: itself, or the inclusion context FastAPI is building the handler for."""
        context = _inclusion.get() if _inclusion is not None else None
        return context if context is not None and getattr(context, "original_route", None) is self else self


def unsupported(route: Any) -> str | None:
    """Why a route cannot be served lean, or None."""
    dependant = route.dependant
    if not inspect.iscoroutinefunction(dependant.call):
        return "the endpoint must be async"
    if dependant.path_params or dependant.header_params or dependant.cookie_params:
        return "path, header and cookie parameters are not supported"
    if any(field.field_info.is_required() for field in dependant.query_params):
        return "query parameters need defaults"
    body = route.body_field
    single = len(dependant.body_params) == 1 and body is dependant.body_params[0]
    if not single or isinstance(body.field_info, params.Form):
        return "the endpoint takes exactly one JSON body parameter, not embedded"
    if _special_parameters(dependant) - {None}:
        return "the endpoint may not take the request, response, background tasks or security scopes"
    for sub in dependant.dependencies:
        takes_more = sub.path_params or sub.query_params or sub.header_params or sub.cookie_params or sub.body_params
        if (
            not inspect.iscoroutinefunction(sub.call)
            or sub.request_param_name is None
            or takes_more
            or sub.dependencies
            or _special_parameters(sub) - {None, sub.request_param_name}
        ):
            return f"dependency {getattr(sub.call, '__name__', sub.call)!r} must be async and take the request only"
    return None


def _special_parameters(dependant: Any) -> set[str | None]:
    return {
        dependant.request_param_name,
        dependant.websocket_param_name,
        dependant.http_connection_param_name,
        dependant.response_param_name,
        dependant.background_tasks_param_name,
        dependant.security_scopes_param_name,
    }


# Bodies over this size are read with the garbage collector paused (see `read_body`).
PAUSE_COLLECTOR_BYTES = 1 << 16
# Bodies over this size (~10 ms to parse and validate) are read on another thread: a 10 MB sequence held
# the event loop, and every other request, for 0.3 s. The GIL is handed over every few milliseconds, so the
# loop answers meanwhile; the hop costs ~0.1 ms, 1% of such a body's reading. Threads of their own, not
# the pool's, where simulations hold every thread for up to the compute budget: a body waited 5 s there.
THREAD_BODY_BYTES = 1 << 18
READER_THREADS = 2


@functools.cache
def _readers() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=READER_THREADS, thread_name_prefix="optiscope-read")


INVALID = object()


class Invalid(NamedTuple):
    """A document that does not validate: the errors, exactly those FastAPI's handler would raise (its body
    validation is this very `field.validate` call), so the route raises them instead of validating again
    (a 10 MB sequence: ~0.15 s more, on the event loop)."""

    errors: list[Any]


def read_body(field: Any, body: bytes) -> tuple[Any, Any]:
    """The body parsed as FastAPI would and validated against `field`: (None, the value); (the document,
    `Invalid(errors)`) when it does not validate; or (the document, INVALID) when it is not an object, for
    FastAPI's handler to answer. `read_json` reads it, or, for the few documents it leaves to FastAPI's own
    parser, `json.loads`, whose ValueError (not JSON) or RecursionError it raises. (So a document nested to
    within a frame or so of Python's recursion limit, and refused by `read_json` for something else, may be
    read here where FastAPI's deeper call would not: there FastAPI's own answer depends on how deep its
    stack happens to be.)

    A large body is read with the cyclic garbage collector paused: parsing a sequence creates a list per
    row, and the collections those allocations set off (ever larger ones, over the whole growing document)
    took 4x the parse itself, 0.2 s of a 10 MB sequence's 0.25 s, on the event loop. A parsed document
    holds no reference cycles, so nothing is left uncollected; the collector runs again once it is done."""
    with _collector_paused() if len(body) > PAUSE_COLLECTOR_BYTES else contextlib.nullcontext():
        try:
            payload = read_json(body)
        except ValueError:
            payload = json.loads(body)  # Starlette's very call: FastAPI's reading of the body
        if type(payload) is not dict:
            return payload, INVALID
        value, errors = field.validate(payload, {}, loc=("body",))
        # A valid document is let go here (a 10 MB sequence's rows take ~40 ms to free, on a reader thread
        # when the body is large); an invalid one is kept for the error answer, which echoes parts of it.
        return (payload, Invalid(errors)) if errors else (None, value)


_pause = threading.Lock()
_readers_pausing = 0


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """The collector off while any large body is read: the collector is the whole process's, and two bodies
    are read at once on the reader threads (the first to finish must not turn it back on under the second).
    Left alone when something else turned it off."""
    global _readers_pausing
    with _pause:
        ours = _readers_pausing > 0 or gc.isenabled()
        if ours:
            _readers_pausing += 1
            gc.disable()
    try:
        yield
    finally:
        if ours:
            with _pause:
                _readers_pausing -= 1
                if not _readers_pausing:
                    gc.enable()


def read_json(body: bytes) -> Any:
    """The body as FastAPI's `json.loads` reads it, ~2-4x faster (a 10 MB gradient sequence: ~0.2 s sooner
    on the event loop): pydantic-core's parser, which agrees with `json.loads` on every document it reads.
    It refuses, with a ValueError, the few `json.loads` takes that it does not (NaN and Infinity, lone
    surrogates, a byte-order mark, nesting deeper than 200): `read_body` reads those with `json.loads`."""
    return from_json(body, allow_inf_nan=False)


def json_content(headers: list[tuple[bytes, bytes]]) -> bool:
    """The request's Content-Type is one FastAPI reads the body of as JSON (`json_media_type`)."""
    for key, value in headers:
        if key == b"content-type":
            return json_media_type(value.decode("latin-1"))
    return False


def json_media_type(content_type: str | None) -> bool:
    """FastAPI's rule for a JSON body, as its `email.message` reading has it: application/json or
    application/*+json, parameters (charset) allowed; a type without exactly one slash is text/plain."""
    kind = (content_type or "").partition(";")[0].strip().lower()
    if kind.count("/") != 1:
        return False
    main, sub = kind.split("/")
    return main == "application" and (sub == "json" or sub.endswith("+json"))
