"""Client errors in one shape: FastAPI's 422 body, each entry with a readable `field` path.

    {"detail": [{"loc": ["body", "optimizers", 0, "adam", "betta1"], "field": "optimizers[0].betta1",
                 "msg": "Unknown field 'betta1'. Did you mean 'beta1'? Allowed: ...",
                 "type": "extra_forbidden", "input": 0.9}]}

Validators that know a sub-path below the field they check (an index into `values`, the field a
cross-field rule concerns) raise `path_error`; the handler appends that path to the location.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

from fastapi import Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from pydantic_core import PydanticCustomError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from .lean import json_media_type

Loc = Sequence[str | int]


def path_error(kind: str, message: str, *path: str | int) -> PydanticCustomError:
    """A validation error located at `path` below the field being validated."""
    # pydantic substitutes only `{key}` for each context key (here `{path}`): other braces print as they are.
    return PydanticCustomError(kind, message, {"path": list(path)})


def limit_error(field: Loc, message: str, kind: str = "limit_exceeded") -> RequestValidationError:
    """A 422 for a request over a configured limit: a size (before any compute) or the compute budget."""
    return RequestValidationError([{"type": kind, "loc": ("body", *field), "msg": message}])


def query_error(field: str, message: str, kind: str = "value_error") -> RequestValidationError:
    """A 422 at query parameter `field` (a name past 200 characters cut, as in messages)."""
    return RequestValidationError([{"type": kind, "loc": ("query", cut(field)), "msg": message}])


def known_query(*allowed: str) -> Callable[[Request], Awaitable[None]]:
    """A route dependency refusing query parameters the route does not take (a misspelled `?cordinate=1`
    would otherwise be ignored)."""

    async def check(request: Request) -> None:
        if not request.scope["query_string"]:
            return
        for key in request.query_params:
            if key not in allowed:
                names = ", ".join(allowed) or "none"
                raise query_error(key, f"Unknown query parameter {shown(key)}. Allowed: {names}.", "extra_forbidden")

    return check


class FieldError(BaseModel):
    loc: list[str | int] = Field(description="Where the error is, FastAPI style: ['body', 'optimizers', 0, ...].")
    field: str = Field(description="The same place, readable: optimizers[0].betta1.")
    msg: str = Field(description="What is wrong and what is accepted.")
    type: str = Field(description="Error kind, e.g. float_type, limit_exceeded, compute_budget_exceeded.")
    input: Any = Field(None, description="The offending value, when it is a small scalar.")


class ValidationErrorBody(BaseModel):
    """The 422 body: one entry per problem."""

    detail: list[FieldError]


class ErrorMessage(BaseModel):
    """Errors that are not about one field (401, 404, 413, 503): one sentence saying what to do."""

    detail: str


UNAUTHORIZED = {
    401: {
        "model": ErrorMessage,
        "description": "The server has an API key (OPTISCOPE_API_KEY) and the X-API-Key header is missing or wrong.",
    }
}


def count(n: int) -> str:
    """An integer for a message: as it is, or its order of magnitude past 30 digits (Python refuses to write
    an int of over 4,300 digits, which a grid of many axes or a huge resolution can reach)."""
    return str(n) if n < 10**30 else f"about 10^{int(n.bit_length() * 0.30103)}"


def plural(n: int, noun: str) -> str:
    """'1 number', '3 numbers', '2 other requests'."""
    return f"{count(n)} {noun}{'' if n == 1 else 's'}"


def numbers(n: int) -> str:
    return plural(n, "number")


def shown(value: Any, limit: int = 60) -> str:
    """A value of the request, for a message, in JSON's words (`true`, `null`, `[1, 2]`, not Python's `True`,
    `None`), but for strings, quoted as the messages quote names (`'adam'`), not escaped inside the JSON
    body; cut to `limit` characters."""
    try:
        text = repr(value) if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    except RecursionError:  # lists nested near Python's limit (JSON allows it): what they are, not their text
        text = "a list nested too deep to show"
    return cut(text, limit)


def cut(text: str, limit: int = 200) -> str:
    """`text`, or its first `limit` - 1 characters and an ellipsis: a client's name or header in an error
    (a 5 MB field name is not sent back three times)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


# Every route with a body: the size limit is checked on the wire, before routing (middleware.BodySizeLimit).
TOO_LARGE = {
    413: {"model": ErrorMessage, "description": "The body is over OPTISCOPE_MAX_BODY_BYTES."},
    408: {
        "model": ErrorMessage,
        "description": "The body stalled: no part of it came for OPTISCOPE_BODY_TIMEOUT_SECONDS (the connection "
        "is closed).",
    },
    415: {"model": ErrorMessage, "description": "The body is compressed (a Content-Encoding other than identity)."},
}
# The routes that may run long (admission.Admission; middleware.RequestTelemetry at shutdown).
UNAVAILABLE = {
    503: {
        "model": ErrorMessage,
        "description": "The server is busy with other large requests (OPTISCOPE_MAX_NUMBERS_IN_FLIGHT), or shut "
        "down before this request finished: retry it after Retry-After seconds.",
        "headers": {"Retry-After": {"description": "Seconds to wait before retrying.", "schema": {"type": "integer"}}},
    }
}


# Characters that make a key read as something else in a dotted path.
AMBIGUOUS_KEY = re.compile(r'[.\[\]"\s]')


def readable_path(loc: Loc, body: Any) -> str:
    """Render a location as `optimizers[0].betta1`, dropping union tags (parts absent from the body). A key
    that would read ambiguously dotted (empty, or holding a dot, bracket, quote or space) is written
    quoted in brackets: `grid[""]`, `grid["a.b"]`."""
    parts = list(loc[1:]) if loc and loc[0] == "body" else list(loc)
    text, node = "", body
    for i, part in enumerate(parts):
        if isinstance(part, str) and isinstance(node, dict) and part not in node:
            # Discriminated-union tags such as "adam" or "synthetic", "trend_noise" (nested unions): the
            # value of a field of this object, or parts absent from the body followed by one present.
            if part in node.values():
                continue
            rest = parts[i + 1 :]
            present = next((j for j, later in enumerate(rest) if isinstance(later, str) and later in node), None)
            if present is not None and all(isinstance(tag, str) and tag not in node for tag in rest[:present]):
                continue
        if isinstance(part, int):
            text += f"[{part}]"
        elif not part or AMBIGUOUS_KEY.search(part):
            text += '["' + cut(part).replace("\\", "\\\\").replace('"', '\\"') + '"]'
        else:
            text += f".{cut(part)}" if text else cut(part)
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            node = None
    return text or "body"


def format_errors(errors: Iterable[dict[str, Any]], body: Any) -> list[dict[str, Any]]:
    formatted = []
    for error in errors:
        context = error.get("ctx") or {}
        loc = [*error.get("loc", ()), *context.get("path", [])]
        entry = {"loc": loc, "field": readable_path(loc, body), "msg": error["msg"], "type": error["type"]}
        if error["type"] == "json_invalid" and len(loc) == 2 and isinstance(loc[1], int):
            # FastAPI locates a JSON syntax error by its offset in the body, not by a field.
            reason = context.get("error") or error["msg"]
            entry.update(field="body", msg=f"The body is not valid JSON: {reason} at character {loc[1]}")
        value = error.get("input")
        for part in context.get("path", []):  # an error inside its input (a list's first bad item): that item
            inside = isinstance(value, list) and isinstance(part, int) and -len(value) <= part < len(value)
            value = value[part] if inside or (isinstance(value, dict) and part in value) else None
        # Echo small scalar inputs only: never a megabyte of gradients back at the client.
        if (
            isinstance(value, bool)
            or (isinstance(value, int) and -(2**63) <= value < 2**63)  # not an integer of 4,000 digits
            or (isinstance(value, float) and math.isfinite(value))
            or (isinstance(value, str) and len(value) <= 200)
        ):
            entry["input"] = value
        formatted.append(entry)
    return formatted


class ErrorResponse(JSONResponse):
    """JSON that can carry any string the request held: JSON lets a string escape half of a surrogate pair
    ("\\ud800"), which UTF-8 cannot encode; echoed in an error, such a string is written escaped."""

    def render(self, content: Any) -> bytes:
        try:
            return super().render(content)
        except UnicodeEncodeError:
            return json.dumps(content, ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode()


async def validation_handler(request: Request, exc: RequestValidationError) -> JSONResponse:
    detail = format_errors(exc.errors(), exc.body)
    sent = request.headers.get("content-type")
    if not json_media_type(sent):
        # FastAPI reads a body as JSON only when it says so: any other body is "not an object".
        for entry in detail:
            if entry["loc"] == ["body"] and entry["type"] == "model_attributes_type":
                entry["msg"] = (
                    "The body must be a JSON object sent with the header Content-Type: application/json "
                    f"(this request's content type: {sent or 'none'})"
                )
    return ErrorResponse(status_code=422, content={"detail": detail})


async def http_error_handler(request: Request, exc: StarletteHTTPException) -> Response:
    """FastAPI answers 400 when the body cannot even be decoded (invalid UTF-8, JSON nested past the
    parser's depth); like any other unparseable JSON that is a 422 `json_invalid` here. The router's bare
    404 and 405 say where the routes are listed, and which methods a path takes."""
    if exc.status_code == 400 and exc.__cause__ is not None:
        cause = exc.__cause__
        message = f"The body is not valid JSON: {type(cause).__name__}: {cause}"[:300]
        if "integer string conversion" in str(cause):  # valid JSON, but past what Python reads as an integer
            message = (
                "The body holds an integer of more than 4,300 digits, which the server does not read: no field "
                "takes a number that large"
            )
        entry = {"loc": ["body"], "field": "body", "msg": message, "type": "json_invalid"}
        return ErrorResponse(status_code=422, content={"detail": [entry]})
    if exc.status_code == 404 and exc.detail == "Not Found":  # the router's: no route has this path
        path = request.url.path[:200]
        detail = f"Nothing at {path}: the API's paths are in /openapi.json (browse them at /docs)."
        return ErrorResponse(status_code=404, content={"detail": detail})
    if exc.status_code == 405 and exc.detail == "Method Not Allowed":
        # The router's Allow names the methods of the first route at this path; a path can have several
        # (GET and HEAD /healthz are two routes).
        methods = _allowed(request.app.routes, request.scope)
        allowed = ", ".join(sorted(methods)) or (exc.headers or {}).get("Allow", "")
        detail = f"{request.method} is not allowed on {request.url.path[:200]}: use {allowed or 'another method'}."
        return ErrorResponse(status_code=405, content={"detail": detail}, headers={"Allow": allowed})
    return await http_exception_handler(request, exc)


def _allowed(routes: Iterable[Any], scope: dict) -> set[str]:
    """The methods of every route whose path matches the request's (routers included, mounts aside)."""
    methods: set[str] = set()
    for route in routes:
        inner = getattr(route, "original_router", None)  # FastAPI's included routers
        if inner is not None:
            methods |= _allowed(inner.routes, scope)
        elif getattr(route, "methods", None) and route.matches(scope)[0] != Match.NONE:
            methods |= set(route.methods)
    return methods
