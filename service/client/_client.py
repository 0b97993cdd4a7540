"""OptiscopeClient and AsyncOptiscopeClient: the same methods, one blocking and one awaitable.

Each method describes its call once (a `_Call`: method, path, body, how to read the answer); the two
classes differ only in how they send it and wait between retries.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import anyio
import httpx
import pydantic

from .. import __version__
from ..api.health import Health
from ..api.models import (
    ObjectiveInfo,
    OptimizerInfo,
    ScheduleInfo,
    ScheduleSimulateRequest,
    ScheduleSimulateResponse,
    SimulateRequest,
    SimulateResponse,
    SurfaceResponse,
    SweepRequest,
    SweepResponse,
)
from . import _requests
from ._config import Retry, resolve
from ._exceptions import Timeout, TransportError, UnexpectedResponse, error_from_response

T = TypeVar("T")

# Failures where the request never reached the application, or the connection broke before an answer:
# safe to repeat, since every Optiscope endpoint is a pure function of its request.
RETRYABLE_ERRORS = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.RemoteProtocolError,
    httpx.ReadError,  # the connection reset before the answer came
    httpx.WriteError,
)
RETRYABLE_STATUS = 503


@dataclass(frozen=True)
class _Call(Generic[T]):
    method: str
    path: str
    read: Callable[[bytes], T]
    body: bytes | None = None
    params: list[tuple[str, str]] | None = None


def _reader(model: Any) -> Callable[[bytes], Any]:
    adapter = pydantic.TypeAdapter(model)

    def read(content: bytes) -> Any:
        try:
            return adapter.validate_json(content)
        except pydantic.ValidationError as exc:
            raise UnexpectedResponse(
                f"the answer does not match the client's {getattr(model, '__name__', model)} model "
                f"(is the server another version of Optiscope?): {exc.errors(include_url=False)[:3]}"
            ) from None

    return read


_READ_SIMULATION = _reader(SimulateResponse)
_READ_OPTIMIZERS = _reader(list[OptimizerInfo])
_READ_OPTIMIZER = _reader(OptimizerInfo)
_READ_SCHEDULES = _reader(list[ScheduleInfo])
_READ_SCHEDULE = _reader(ScheduleSimulateResponse)
_READ_HEALTH = _reader(Health)
_READ_OBJECTIVES = _reader(list[ObjectiveInfo])
_READ_OBJECTIVE = _reader(ObjectiveInfo)
_READ_SURFACE = _reader(SurfaceResponse)
_READ_SWEEP = _reader(SweepResponse)


class _Base:
    """Configuration and the description of every call, shared by both clients."""

    def __init__(
        self,
        url: str | None,
        *,
        api_key: str | None,
        timeout: float | None,
        retries: int,
        backoff: float,
        max_backoff: float,
        headers: Mapping[str, str] | None,
    ) -> None:
        connection = resolve(url, api_key, timeout)
        self.url = connection.url
        self.timeout = connection.timeout
        self.retry = Retry(retries=retries, backoff=backoff, max_backoff=max_backoff)
        self._headers = {"user-agent": f"optiscope-client/{__version__}", "accept": "application/json"}
        if connection.api_key:
            self._headers["x-api-key"] = connection.api_key
        self._headers.update(headers or {})

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.url!r})"

    # --- what each endpoint sends and returns --------------------------------------------------

    @staticmethod
    def _simulate(request: Any, fields: Mapping[str, Any]) -> _Call[SimulateResponse]:
        body = _requests.encode(_requests.build(SimulateRequest, request, fields))
        return _Call("POST", "/simulate", _READ_SIMULATION, body)

    @staticmethod
    def _sweep(request: Any, fields: Mapping[str, Any]) -> _Call[SweepResponse]:
        body = _requests.encode(_requests.build(SweepRequest, request, fields))
        return _Call("POST", "/sweep", _READ_SWEEP, body)

    @staticmethod
    def _simulate_schedule(request: Any, fields: Mapping[str, Any]) -> _Call[ScheduleSimulateResponse]:
        body = _requests.encode(_requests.build(ScheduleSimulateRequest, request, fields))
        return _Call("POST", "/schedules/simulate", _READ_SCHEDULE, body)

    @staticmethod
    def _optimizers() -> _Call[list[OptimizerInfo]]:
        return _Call("GET", "/optimizers", _READ_OPTIMIZERS)

    @staticmethod
    def _optimizer(name: str) -> _Call[OptimizerInfo]:
        return _Call("GET", f"/optimizers/{quote(name, safe='')}", _READ_OPTIMIZER)

    @staticmethod
    def _schedules() -> _Call[list[ScheduleInfo]]:
        return _Call("GET", "/schedules", _READ_SCHEDULES)

    @staticmethod
    def _health() -> _Call[Health]:
        return _Call("GET", "/healthz", _READ_HEALTH)

    @staticmethod
    def _objectives() -> _Call[list[ObjectiveInfo]]:
        return _Call("GET", "/objectives", _READ_OBJECTIVES)

    @staticmethod
    def _objective(name: str) -> _Call[ObjectiveInfo]:
        return _Call("GET", f"/objectives/{quote(name, safe='')}", _READ_OBJECTIVE)

    @staticmethod
    def _surface(name: str, query: Mapping[str, Any]) -> _Call[SurfaceResponse]:
        return _Call("GET", f"/objectives/{quote(name, safe='')}/surface", _READ_SURFACE, params=_requests.query(query))

    # --- one attempt's outcome ---------------------------------------------------------------------

    @staticmethod
    def _retry_after(response: httpx.Response, attempt: int, retry: Retry) -> float | None:
        """Seconds to wait before retrying this answer, or None to return or raise it now."""
        if response.status_code == RETRYABLE_STATUS and attempt < retry.retries:
            return retry.delay(attempt, response.headers.get("retry-after"))
        return None

    @staticmethod
    def _result(call: _Call[T], response: httpx.Response) -> T:
        if response.is_success:
            return call.read(response.content)
        raise error_from_response(response)

    def _failure(self, call: _Call[Any], exc: httpx.HTTPError, attempt: int) -> float:
        """Seconds to wait before retrying after a transport failure; raises when it is not retryable."""
        if isinstance(exc, RETRYABLE_ERRORS) and attempt < self.retry.retries:
            return self.retry.delay(attempt)
        where = f"{call.method} {self.url}{call.path}"
        tries = f" after {attempt + 1} attempts" if attempt else ""
        if isinstance(exc, httpx.TimeoutException):
            raise Timeout(
                f"{where}: no answer within {self.timeout:g} s{tries} (raise timeout= or OPTISCOPE_TIMEOUT)"
            ) from exc
        raise TransportError(
            f"{where}: {exc or type(exc).__name__}{tries}; is the service running there? "
            "(start one with `optiscope serve`, or set the URL with OPTISCOPE_URL)"
        ) from exc

    def _request_headers(self, call: _Call[Any]) -> dict[str, str]:
        return {"content-type": "application/json"} if call.body is not None else {}


class OptiscopeClient(_Base):
    """A blocking client for the Optiscope service.

        with OptiscopeClient() as client:
            result = client.simulate(optimizers=[{"name": "adam", "lr": 0.1}])
            result.run("adam").params_array()

    Options are keyword-only: `api_key`, `timeout` (seconds), `retries` / `backoff` / `max_backoff`
    (connection failures and 503 only), `headers`, and `transport` (an httpx transport, e.g. to call an
    app in-process). `url`, `api_key` and `timeout` default to OPTISCOPE_URL, OPTISCOPE_API_KEY and
    OPTISCOPE_TIMEOUT, then to http://127.0.0.1:8000, no key and 60 s.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        api_key: str | None = None,
        timeout: float | None = None,
        retries: int = 3,
        backoff: float = 0.25,
        max_backoff: float = 4.0,
        headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(
            url,
            api_key=api_key,
            timeout=timeout,
            retries=retries,
            backoff=backoff,
            max_backoff=max_backoff,
            headers=headers,
        )
        self._http = httpx.Client(base_url=self.url, headers=self._headers, timeout=self.timeout, transport=transport)

    def __enter__(self) -> OptiscopeClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool; the client cannot be used afterwards."""
        self._http.close()

    def _send(self, call: _Call[T]) -> T:
        attempt = 0
        while True:
            try:
                response = self._http.request(
                    call.method, call.path, content=call.body, params=call.params, headers=self._request_headers(call)
                )
            except httpx.HTTPError as exc:
                wait = self._failure(call, exc, attempt)
            else:
                wait = self._retry_after(response, attempt, self.retry)
                if wait is None:
                    return self._result(call, response)
            time.sleep(wait)
            attempt += 1

    def simulate(
        self, request: SimulateRequest | Mapping[str, Any] | None = None, /, **fields: Any
    ) -> SimulateResponse:
        """POST /simulate. Pass a SimulateRequest, a dict, or its fields as keywords (numpy arrays are
        fine); no argument runs the tutorial's scenario."""
        return self._send(self._simulate(request, fields))

    def sweep(self, request: SweepRequest | Mapping[str, Any] | None = None, /, **fields: Any) -> SweepResponse:
        """POST /sweep: every combination of `grid` for each optimizer, scored, the best per optimizer marked.
        Pass a SweepRequest, a dict, or its fields as keywords; no argument sweeps the tutorial's lr grid."""
        return self._send(self._sweep(request, fields))

    def optimizers(self) -> list[OptimizerInfo]:
        """GET /optimizers: every optimizer's catalog entry."""
        return self._send(self._optimizers())

    def optimizer(self, name: str) -> OptimizerInfo:
        """GET /optimizers/{name}; NotFoundError lists the known names."""
        return self._send(self._optimizer(name))

    def schedules(self) -> list[ScheduleInfo]:
        """GET /schedules: every learning-rate schedule and its parameters."""
        return self._send(self._schedules())

    def simulate_schedule(
        self, request: ScheduleSimulateRequest | Mapping[str, Any] | None = None, /, **fields: Any
    ) -> ScheduleSimulateResponse:
        """POST /schedules/simulate: a schedule's learning rate at every step."""
        return self._send(self._simulate_schedule(request, fields))

    def health(self) -> Health:
        """GET /healthz: liveness."""
        return self._send(self._health())

    def objectives(self) -> list[ObjectiveInfo]:
        """GET /objectives: the functions closed-loop runs can use."""
        return self._send(self._objectives())

    def objective(self, name: str) -> ObjectiveInfo:
        """GET /objectives/{name}; NotFoundError lists the known functions."""
        return self._send(self._objective(name))

    def surface(
        self,
        name: str,
        *,
        x_min: float | None = None,
        x_max: float | None = None,
        y_min: float | None = None,
        y_max: float | None = None,
        resolution: int | None = None,
        dim: int | None = None,
        x_axis: int | None = None,
        y_axis: int | None = None,
        at: Sequence[float] | None = None,
        **parameters: Any,
    ) -> SurfaceResponse:
        """GET /objectives/{name}/surface: f on a grid over two coordinates (the others fixed at `at`).

        Unset options take the service's defaults (the function's window, 50 points a side); the
        function's own parameters go in `parameters` by name (`b=10`, `scales=[1, 10]`)."""
        window = dict(x_min=x_min, x_max=x_max, y_min=y_min, y_max=y_max, resolution=resolution)
        return self._send(
            self._surface(name, {**window, "dim": dim, "x_axis": x_axis, "y_axis": y_axis, "at": at, **parameters})
        )


class AsyncOptiscopeClient(_Base):
    """The awaitable twin of OptiscopeClient (same options and methods); use `async with` or `aclose()`."""

    def __init__(
        self,
        url: str | None = None,
        *,
        api_key: str | None = None,
        timeout: float | None = None,
        retries: int = 3,
        backoff: float = 0.25,
        max_backoff: float = 4.0,
        headers: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(
            url,
            api_key=api_key,
            timeout=timeout,
            retries=retries,
            backoff=backoff,
            max_backoff=max_backoff,
            headers=headers,
        )
        self._http = httpx.AsyncClient(
            base_url=self.url, headers=self._headers, timeout=self.timeout, transport=transport
        )

    async def __aenter__(self) -> AsyncOptiscopeClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool; the client cannot be used afterwards."""
        await self._http.aclose()

    async def _send(self, call: _Call[T]) -> T:
        attempt = 0
        while True:
            try:
                response = await self._http.request(
                    call.method, call.path, content=call.body, params=call.params, headers=self._request_headers(call)
                )
            except httpx.HTTPError as exc:
                wait = self._failure(call, exc, attempt)
            else:
                wait = self._retry_after(response, attempt, self.retry)
                if wait is None:
                    return self._result(call, response)
            await anyio.sleep(wait)
            attempt += 1

    async def simulate(
        self, request: SimulateRequest | Mapping[str, Any] | None = None, /, **fields: Any
    ) -> SimulateResponse:
        """POST /simulate (see OptiscopeClient.simulate)."""
        return await self._send(self._simulate(request, fields))

    async def sweep(self, request: SweepRequest | Mapping[str, Any] | None = None, /, **fields: Any) -> SweepResponse:
        """POST /sweep (see OptiscopeClient.sweep)."""
        return await self._send(self._sweep(request, fields))

    async def optimizers(self) -> list[OptimizerInfo]:
        """GET /optimizers."""
        return await self._send(self._optimizers())

    async def optimizer(self, name: str) -> OptimizerInfo:
        """GET /optimizers/{name}."""
        return await self._send(self._optimizer(name))

    async def schedules(self) -> list[ScheduleInfo]:
        """GET /schedules."""
        return await self._send(self._schedules())

    async def simulate_schedule(
        self, request: ScheduleSimulateRequest | Mapping[str, Any] | None = None, /, **fields: Any
    ) -> ScheduleSimulateResponse:
        """POST /schedules/simulate."""
        return await self._send(self._simulate_schedule(request, fields))

    async def health(self) -> Health:
        """GET /healthz."""
        return await self._send(self._health())

    async def objectives(self) -> list[ObjectiveInfo]:
        """GET /objectives: the functions closed-loop runs can use."""
        return await self._send(self._objectives())

    async def objective(self, name: str) -> ObjectiveInfo:
        """GET /objectives/{name}; NotFoundError lists the known functions."""
        return await self._send(self._objective(name))

    async def surface(
        self,
        name: str,
        *,
        x_min: float | None = None,
        x_max: float | None = None,
        y_min: float | None = None,
        y_max: float | None = None,
        resolution: int | None = None,
        dim: int | None = None,
        x_axis: int | None = None,
        y_axis: int | None = None,
        at: Sequence[float] | None = None,
        **parameters: Any,
    ) -> SurfaceResponse:
        """GET /objectives/{name}/surface: f on a grid over two coordinates (the others fixed at `at`).

        Unset options take the service's defaults (the function's window, 50 points a side); the
        function's own parameters go in `parameters` by name (`b=10`, `scales=[1, 10]`)."""
        window = dict(x_min=x_min, x_max=x_max, y_min=y_min, y_max=y_max, resolution=resolution)
        return await self._send(
            self._surface(name, {**window, "dim": dim, "x_axis": x_axis, "y_axis": y_axis, "at": at, **parameters})
        )
