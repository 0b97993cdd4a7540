"""`sweep` on both clients against the real app in-process: the route's answer, local validation, limits."""

from __future__ import annotations

import numpy as np
import pytest

from service.client import OptiscopeClient, SweepRequest, SweepResponse, ValidationError
from tests.client.conftest import URL, make_app
from tests.servers import ASGIBridge

BODY = {
    "gradients": {"kind": "synthetic", "steps": 30, "dim": 2, "seed": 3},
    "optimizers": [{"name": "sgd", "momentum": 0.9}, {"name": "adam", "label": "mine"}],
    "grid": {"lr": {"logspace": [-3, 0, 4]}, "weight_decay": [0.0, 0.01]},
    "target": [0.5, -0.5],
}


def test_no_arguments_sweep_exactly_as_the_route_answers(sync_client, client):
    result = sync_client.sweep()
    assert isinstance(result, SweepResponse)
    assert result == SweepResponse.model_validate(client.post("/sweep", json={}).json())
    assert [entry.label for entry in result.optimizers] == ["sgd", "adagrad", "rmsprop", "adam"]


def test_keywords_dicts_and_models_are_the_same_request(sync_client, client):
    by_keywords = sync_client.sweep(**BODY)
    by_dict = sync_client.sweep(BODY)
    by_model = sync_client.sweep(SweepRequest.model_validate(BODY))
    assert by_keywords == by_dict == by_model
    assert by_keywords == SweepResponse.model_validate(client.post("/sweep", json=BODY).json())
    for entry in by_keywords.optimizers:
        assert len(entry.configurations) == 8
        scores = [c.score for c in entry.configurations]
        assert entry.best is not None and entry.best.index == int(np.argmin(scores))
        assert entry.best.values == entry.configurations[entry.best.index].values


def test_numpy_values_are_accepted(sync_client):
    result = sync_client.sweep(optimizers=[{"name": "sgd"}], grid={"lr": np.array([0.01, 0.1])}, target=np.float64(1))
    assert [c.values["lr"] for c in result.optimizers[0].configurations] == [0.01, 0.1]


@pytest.mark.parametrize(
    ("body", "field", "says", "local"),
    [
        ({"grid": {"lr": {"logspace": [0, 1]}}}, "grid.lr.logspace", "[start, stop, num]", True),
        ({"grid": {"lr": []}}, "grid.lr", "non-empty list", True),
        # Which names each optimizer has, and their ranges, are the route's checks: the server answers them.
        ({"grid": {"betta1": [0.9]}}, "grid.betta1", "sgd has no hyperparameter 'betta1'", False),
        ({"grid": {"lr": [-1]}}, "grid.lr[0]", "sgd.lr must be >= 0.0, got -1", False),
    ],
)
def test_a_bad_grid_is_the_services_own_422(sync_client, client, body, field, says, local):
    with pytest.raises(ValidationError) as caught:
        sync_client.sweep(body)
    error = caught.value
    assert error.status_code == 422
    assert (error.response is None) is local  # the model's checks run before sending: no round trip
    assert error.errors[0].field == field and says in error.errors[0].msg
    assert error.detail == client.post("/sweep", json=body).json()["detail"]


def test_a_grid_over_the_servers_limits_arrives_as_a_validation_error_with_the_field():
    bridge = ASGIBridge(make_app(max_sweep_configs=20))
    with OptiscopeClient(URL, transport=bridge) as limited:
        with pytest.raises(ValidationError) as caught:
            limited.sweep(grid={"lr": {"logspace": [-4, 0, 6]}})
    bridge.close()
    error = caught.value
    assert error.response is not None and error.response.status_code == 422
    assert error.errors[0].field == "grid" and "24 configurations exceed the limit of 20" in error.errors[0].msg
    assert error.errors[0].loc == ("body", "grid")


@pytest.mark.anyio
async def test_async_sweep_matches_the_route_and_raises_the_same_errors(async_client, client):
    async with async_client:
        result = await async_client.sweep(BODY)
        with pytest.raises(ValidationError) as caught:
            await async_client.sweep(grid={"lr": []})
    assert result == SweepResponse.model_validate(client.post("/sweep", json=BODY).json())
    assert caught.value.errors[0].field == "grid.lr" and "non-empty list" in caught.value.errors[0].msg
