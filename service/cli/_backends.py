"""Where a command runs: in this process through the service's own code (the default), or on a server.

Both answer with the service's response models and raise the client's errors, so the commands do not
care which one they talk to.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol, TextIO

import orjson
from fastapi import HTTPException
from fastapi.exceptions import RequestValidationError

from ..api.errors import format_errors
from ..api.models import (
    ObjectiveInfo,
    OptimizerInfo,
    ScheduleInfo,
    SimulateRequest,
    SimulateResponse,
    SweepRequest,
    SweepResponse,
)
from ..client import OptiscopeClient
from ..client._exceptions import ValidationError, error_for_status, field_errors
from ._progress import Progress, over_runs


class Backend(Protocol):
    def simulate(self, request: SimulateRequest) -> SimulateResponse: ...
    def sweep(self, request: SweepRequest) -> SweepResponse: ...
    def optimizers(self) -> list[OptimizerInfo]: ...
    def optimizer(self, name: str) -> OptimizerInfo: ...
    def schedules(self) -> list[ScheduleInfo]: ...
    def objectives(self) -> list[ObjectiveInfo]: ...
    def objective(self, name: str) -> ObjectiveInfo: ...
    def close(self) -> None: ...


@contextmanager
def service_errors(body: Any = None) -> Iterator[None]:
    """The errors the routes raise, as the client's errors (what a server would have answered)."""
    try:
        yield
    except RequestValidationError as exc:
        entries = format_errors(exc.errors(), body)
        raise ValidationError(field_errors(entries), detail=entries) from None
    except HTTPException as exc:
        raise error_for_status(exc.status_code, exc.detail) from None


class Local:
    """The service's code in this process: the same request models, limits and route functions, no HTTP.

    Long simulations draw a progress bar on `stream` (standard error) when it is a terminal, or as
    `progress` says (True/False)."""

    def __init__(self, *, progress: bool | None = None, stream: TextIO | None = None) -> None:
        self.progress = progress
        self.stream = stream

    def simulate(self, request: SimulateRequest) -> SimulateResponse:
        from ..api.simulate import run_simulation
        from ..engine.progress import reporting
        from ..settings import local_settings

        steps = request.gradients.shape[0]
        bar = Progress(steps * len(request.optimizers), "simulate", stream=self.stream, enabled=self.progress)
        with bar, reporting(over_runs(bar, steps)), service_errors(request.model_dump(exclude_unset=True)):
            payload = run_simulation(request, local_settings())
        # Through JSON, as a server's answer would be: the same floats, the same model.
        return SimulateResponse.model_validate_json(orjson.dumps(payload, option=orjson.OPT_SERIALIZE_NUMPY))

    def sweep(self, request: SweepRequest) -> SweepResponse:
        from ..api.sweep import grid_size, run_sweep_request
        from ..engine.progress import reporting
        from ..settings import local_settings

        # Open loop, each optimizer's configurations advance together as one batch: the bar counts batch
        # steps. A closed loop runs its configurations one after another.
        steps = request.gradients.shape[0]
        runs = len(request.optimizers) * (grid_size(request.grid) if request.gradients.kind == "objective" else 1)
        bar = Progress(steps * runs, "sweep", stream=self.stream, enabled=self.progress)
        with bar, reporting(over_runs(bar, steps)), service_errors(request.model_dump(exclude_unset=True)):
            payload = run_sweep_request(request, local_settings())
        return SweepResponse.model_validate_json(orjson.dumps(payload, option=orjson.OPT_SERIALIZE_NUMPY))

    def optimizers(self) -> list[OptimizerInfo]:
        from ..api.optimizers import list_optimizers

        return list_optimizers()

    def optimizer(self, name: str) -> OptimizerInfo:
        from ..api.optimizers import get_optimizer

        with service_errors():
            return get_optimizer(name)

    def schedules(self) -> list[ScheduleInfo]:
        from ..api.schedules import list_schedules

        return list_schedules()

    def objectives(self) -> list[ObjectiveInfo]:
        from ..api.objectives import list_objectives

        return list_objectives()

    def objective(self, name: str) -> ObjectiveInfo:
        from ..api.objectives import get_objective

        with service_errors():
            return get_objective(name)

    def close(self) -> None:
        pass


def backend(
    url: str | None,
    api_key: str | None,
    *,
    timeout: float | None = None,
    progress: bool | None = None,
    stream: TextIO | None = None,
) -> Backend:
    """Local when `url` is None; otherwise a client for `url` ("" means OPTISCOPE_URL or the default)
    waiting `timeout` seconds for answers (None: OPTISCOPE_TIMEOUT or the default)."""
    if url is None:
        return Local(progress=progress, stream=stream)
    return OptiscopeClient(url or None, api_key=api_key, timeout=timeout)
