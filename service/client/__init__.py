"""A typed Python client for the Optiscope service, blocking and async, on httpx.

    from service.client import OptiscopeClient

    with OptiscopeClient("http://127.0.0.1:8000") as client:
        result = client.simulate(optimizers=[{"name": "adam", "lr": 0.1}])
        print(result.run("adam").params_array()[-1])

Requests and answers are the service's own pydantic models (re-exported here), so the contract has one
definition. Errors form a small tree rooted at OptiscopeError (see `_exceptions`).
"""

from ..api.health import Health
from ..api.models import (
    ObjectiveInfo,
    OptimizerInfo,
    Run,
    ScheduleInfo,
    ScheduleSimulateRequest,
    ScheduleSimulateResponse,
    SimulateRequest,
    SimulateResponse,
    SurfaceResponse,
    SweepBest,
    SweepConfiguration,
    SweepOptimizer,
    SweepRequest,
    SweepResponse,
)
from ._client import AsyncOptiscopeClient, OptiscopeClient
from ._config import DEFAULT_URL
from ._exceptions import (
    APIError,
    AuthenticationError,
    FieldError,
    NotFoundError,
    OptiscopeError,
    ServiceUnavailable,
    Timeout,
    TransportError,
    UnexpectedResponse,
    ValidationError,
)

__all__ = [
    "DEFAULT_URL",
    "APIError",
    "AsyncOptiscopeClient",
    "AuthenticationError",
    "FieldError",
    "Health",
    "NotFoundError",
    "ObjectiveInfo",
    "OptimizerInfo",
    "OptiscopeClient",
    "OptiscopeError",
    "Run",
    "ScheduleInfo",
    "ScheduleSimulateRequest",
    "ScheduleSimulateResponse",
    "ServiceUnavailable",
    "SimulateRequest",
    "SimulateResponse",
    "SurfaceResponse",
    "SweepBest",
    "SweepConfiguration",
    "SweepOptimizer",
    "SweepRequest",
    "SweepResponse",
    "Timeout",
    "TransportError",
    "UnexpectedResponse",
    "ValidationError",
]
