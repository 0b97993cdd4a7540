"""AsyncOptiscopeClient against the real app in-process (httpx's ASGITransport): same models, errors, retries."""

from __future__ import annotations

import httpx
import numpy as np
import pytest

from service.client import (
    AsyncOptiscopeClient,
    NotFoundError,
    ServiceUnavailable,
    SimulateResponse,
    TransportError,
    ValidationError,
)
from service.engine import REGISTRY
from service.main import create_app
from tests.client.conftest import FAST, URL, Flaky

pytestmark = pytest.mark.anyio


async def test_simulate_matches_the_route(async_client, client):
    async with async_client:
        result = await async_client.simulate()
    assert result == SimulateResponse.model_validate(client.post("/simulate", json={}).json())


async def test_numpy_inputs_and_views(async_client):
    rows = np.array([[1.0, -2.0], [0.5, 0.5]])
    async with async_client:
        result = await async_client.simulate(
            gradients={"kind": "sequence", "values": rows}, optimizers=[{"name": "sgd", "lr": 0.1}], record=["params"]
        )
    np.testing.assert_allclose(result.runs[0].params_array(), [[0, 0], [-0.1, 0.2], [-0.15, 0.15]], atol=1e-15)


async def test_catalog_schedules_and_health(async_client):
    async with async_client:
        assert [o.name for o in await async_client.optimizers()] == list(REGISTRY)
        assert (await async_client.optimizer("rmsprop")).defaults["alpha"] == 0.99
        assert "onecycle" in [s.kind for s in await async_client.schedules()]
        plan = await async_client.simulate_schedule(schedule={"kind": "exponential", "gamma": 0.5}, steps=3, lr=1)
        assert plan.lr == [1.0, 0.5, 0.25]
        assert (await async_client.health()).status == "ok"


async def test_errors_carry_the_services_detail(async_client):
    async with async_client:
        with pytest.raises(NotFoundError, match="Known optimizers: sgd"):
            await async_client.optimizer("nope")
        with pytest.raises(ValidationError) as caught:
            await async_client.simulate(optimizers=[{"name": "sgd", "nesterov": True}])
    assert caught.value.errors[0].field == "optimizers[0].nesterov"
    assert "momentum > 0" in caught.value.errors[0].msg


async def test_retries_connection_failures_and_503_but_not_422():
    asgi = httpx.ASGITransport(app=create_app())
    for fail in (httpx.ConnectError, 503):
        flaky = Flaky(2, fail, asgi)
        async with AsyncOptiscopeClient(URL, transport=flaky, **FAST) as client:
            assert (await client.health()).status == "ok"
        assert flaky.attempts == 3
    flaky = Flaky(5, 422, asgi)
    async with AsyncOptiscopeClient(URL, transport=flaky, **FAST) as client:
        with pytest.raises(ValidationError):
            await client.health()
    assert flaky.attempts == 1


async def test_lasting_failures_raise_after_the_retries():
    for fail, kind in ((httpx.ConnectError, TransportError), (503, ServiceUnavailable)):
        flaky = Flaky(10, fail, None)
        async with AsyncOptiscopeClient(URL, transport=flaky, retries=2, **FAST) as client:
            with pytest.raises(kind):
                await client.optimizers()
        assert flaky.attempts == 3
