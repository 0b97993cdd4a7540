"""Errors raised by the Optiscope client. Catch `OptiscopeError` for all of them.

OptiscopeError
├── TransportError          no answer: connection refused or reset (after the retries)
│   └── Timeout             no answer within the timeout
├── APIError                the service answered with an error status: .status_code, .detail
│   ├── ValidationError     422: the request is invalid; .errors lists each field and what is wrong
│   ├── AuthenticationError 401: the API key is missing or wrong
│   ├── NotFoundError       404: an unknown optimizer, objective or path
│   └── ServiceUnavailable  503: the service is not ready or overloaded (after the retries)
└── UnexpectedResponse      a success whose body does not match the models (client and server differ)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx


class OptiscopeError(Exception):
    """Base class of every error the client raises."""


class TransportError(OptiscopeError):
    """The service could not be reached, or closed the connection without answering."""


class Timeout(TransportError):
    """The service did not answer within the client's timeout."""


@dataclass(frozen=True)
class FieldError:
    """One entry of a 422 answer: where (`loc`, and `field` as `optimizers[0].lr`), what and which rule."""

    field: str
    msg: str
    type: str
    loc: tuple[str | int, ...] = ()
    input: Any = None

    def __str__(self) -> str:
        return f"{self.field}: {self.msg}"


class APIError(OptiscopeError):
    """The service answered with an error status. `detail` is its `detail` (text or a list), as sent."""

    def __init__(self, status_code: int, detail: Any, *, response: httpx.Response | None = None) -> None:
        self.status_code = status_code
        self.detail = detail
        self.response = response
        super().__init__(self._message())

    def _message(self) -> str:
        return f"{self.status_code}: {self.detail}"

    def __reduce__(self) -> tuple:
        # Pickled (multiprocessing, say) with what it says, not its live `response`.
        state = {key: value for key, value in self.__dict__.items() if key != "response"}
        return (_restore, (type(self), state))


def _restore(kind: type[APIError], state: dict[str, Any]) -> APIError:
    error = kind.__new__(kind)
    error.__dict__.update(state, response=None)
    Exception.__init__(error, error._message())
    return error


class ValidationError(APIError):
    """422: the request is invalid. `errors` names every offending field with the service's message.

    The client validates requests with the service's own models before sending them, so most of these
    are raised without a round trip; they read exactly as the service's would (`response` is then None).
    """

    def __init__(
        self, errors: Sequence[FieldError], *, detail: Any = None, response: httpx.Response | None = None
    ) -> None:
        self.errors = list(errors)
        super().__init__(422, detail if detail is not None else [e.__dict__ for e in self.errors], response=response)

    def _message(self) -> str:
        lines = [str(error) for error in self.errors] or ["the request is invalid"]
        return "invalid request: " + "; ".join(lines)


class AuthenticationError(APIError):
    """401: set the API key (argument `api_key` or OPTISCOPE_API_KEY) to the service's key."""

    def _message(self) -> str:
        return f"401: {self.detail} (pass api_key= or set OPTISCOPE_API_KEY)"


class NotFoundError(APIError):
    """404: the service has no such resource; `detail` lists the names it knows."""

    def _message(self) -> str:
        return str(self.detail)


class ServiceUnavailable(APIError):
    """503: the service is starting, draining or over capacity; retried with backoff before this is raised."""


class UnexpectedResponse(OptiscopeError):
    """A success status whose body does not validate against the service's models: the client and the
    server are different versions of Optiscope, or the URL points at another service."""


def field_errors(entries: Any) -> list[FieldError]:
    """The service's 422 `detail` list as FieldErrors (tolerating entries without a readable `field`)."""
    if not isinstance(entries, list):
        return [FieldError(field="body", msg=str(entries), type="invalid")]
    errors = []
    for entry in entries:
        if not isinstance(entry, dict):
            errors.append(FieldError(field="body", msg=str(entry), type="invalid"))
            continue
        loc = tuple(entry.get("loc") or ())
        field_name = entry.get("field") or ".".join(str(part) for part in loc if part != "body") or "body"
        errors.append(
            FieldError(
                field=field_name,
                msg=str(entry.get("msg", "")),
                type=str(entry.get("type", "invalid")),
                loc=loc,
                input=entry.get("input"),
            )
        )
    return errors


def error_from_response(response: httpx.Response) -> APIError:
    """The APIError subclass for an error status, carrying the service's `detail`."""
    try:
        detail = response.json().get("detail", response.text)
    except (ValueError, AttributeError):
        detail = response.text or response.reason_phrase
    return error_for_status(response.status_code, detail, response=response)


def error_for_status(status: int, detail: Any, *, response: httpx.Response | None = None) -> APIError:
    """The APIError subclass for `status` (also used when the service's code runs in-process)."""
    if status == 422:
        return ValidationError(field_errors(detail), detail=detail, response=response)
    kind = {401: AuthenticationError, 404: NotFoundError, 503: ServiceUnavailable}.get(status, APIError)
    return kind(status, detail, response=response)
