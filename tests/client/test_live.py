"""Both clients against a real uvicorn server on a loopback port (started once per session)."""

from __future__ import annotations

import pytest

from service.client import AsyncOptiscopeClient, NotFoundError, OptiscopeClient, TransportError, ValidationError
from service.engine import REGISTRY
from tests.client.conftest import FAST
from tests.servers import free_port
from tests.tutorial import tutorial_run


def test_sync_client_over_http(live_server):
    with OptiscopeClient(live_server) as client:
        assert client.health().status == "ok"
        result = client.simulate()
        assert [o.name for o in client.optimizers()] == list(REGISTRY)
        with pytest.raises(NotFoundError):
            client.optimizer("adamx")
        with pytest.raises(ValidationError, match="Did you mean 'beta1'"):
            client.simulate(optimizers=[{"name": "adam", "betta1": 0.9}])
    expected = tutorial_run()["params"]["rmsprop"]
    assert abs(result.run("rmsprop").params_array()[-1, 0] - expected[-1]) < 1e-12


@pytest.mark.anyio
async def test_async_client_over_http(live_server):
    async with AsyncOptiscopeClient(live_server) as client:
        result = await client.simulate(optimizers=[{"name": "adam", "lr": 0.1}], record=[])
        assert result.runs[0].final == pytest.approx([1.033510695367403], abs=1e-12)
        assert (await client.optimizer("adagrad")).name == "adagrad"


def test_env_var_points_the_client_at_the_server(live_server, monkeypatch):
    monkeypatch.setenv("OPTISCOPE_URL", live_server)
    with OptiscopeClient() as client:
        assert client.health().status == "ok"


def test_nothing_listening_is_a_transport_error_after_the_retries():
    url = f"http://127.0.0.1:{free_port()}"
    with OptiscopeClient(url, retries=2, **FAST) as client, pytest.raises(TransportError, match="after 3 attempts"):
        client.health()
