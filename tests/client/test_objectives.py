"""Objectives through the client: catalog, surfaces (query built from keywords), closed-loop runs."""

from __future__ import annotations

import numpy as np
import pytest

from service.client import (
    AsyncOptiscopeClient,
    NotFoundError,
    ObjectiveInfo,
    OptiscopeClient,
    SurfaceResponse,
    ValidationError,
)
from service.engine import OBJECTIVES


def test_catalog_matches_the_routes(sync_client, client):
    catalog = sync_client.objectives()
    assert [entry.name for entry in catalog] == list(OBJECTIVES)
    assert catalog == [ObjectiveInfo.model_validate(e) for e in client.get("/objectives").json()]
    assert sync_client.objective("rosenbrock").minimum.points == [[1.0, 1.0]]
    with pytest.raises(NotFoundError, match="Unknown function 'rosenbrok'. Known functions: quadratic, rosenbrock"):
        sync_client.objective("rosenbrok")


def test_surface_query_from_keywords(sync_client, client):
    surface = sync_client.surface("rosenbrock", x_min=-2.0, x_max=2.0, y_min=-1, y_max=3, resolution=5, b=10.0)
    expected = client.get("/objectives/rosenbrock/surface?x_min=-2&x_max=2&y_min=-1&y_max=3&resolution=5&b=10")
    assert surface == SurfaceResponse.model_validate(expected.json())
    assert surface.parameters == {"a": 1.0, "b": 10.0}
    x, y, z = surface.meshgrid()
    assert x.shape == y.shape == z.shape == (5, 5)
    np.testing.assert_allclose(z, (1 - x) ** 2 + 10.0 * (y - x**2) ** 2)


def test_surface_lists_and_slices(sync_client):
    surface = sync_client.surface(
        "quadratic", dim=3, at=np.array([1.0, 2.0, 3.0]), x_axis=0, y_axis=2, resolution=2, scales=[1, 10, 100]
    )
    assert surface.at == [1.0, 2.0, 3.0] and (surface.x_axis, surface.y_axis) == (0, 2)
    assert surface.parameters["scales"] == [1.0, 10.0, 100.0]


def test_surface_errors_name_the_query_parameter(sync_client):
    with pytest.raises(ValidationError) as caught:
        sync_client.surface("rosenbrock", resolution=1)
    assert (caught.value.errors[0].loc, caught.value.errors[0].type) == (("query", "resolution"), "greater_than_equal")
    with pytest.raises(ValidationError, match="Unknown query parameter 'bb'. Allowed: .*, a, b."):
        sync_client.surface("rosenbrock", bb=1)


def test_closed_loop_runs_offer_loss_and_their_own_gradients(sync_client):
    result = sync_client.simulate(
        gradients={"kind": "objective", "function": "rosenbrock", "steps": 300},
        optimizers=[{"name": "adam", "lr": 0.05}],
        record=["params"],
    )
    run = result.run("adam")
    assert result.objective is not None and result.objective.function == "rosenbrock"
    assert run.loss_array().shape == (301,) and run.gradients_array().shape == (300, 2)
    assert run.loss_array()[-1] < run.loss_array()[0]
    assert run.distance_to_optimum_array()[-1] < run.distance_to_optimum_array()[0]
    np.testing.assert_array_equal(run.params_array()[0], [-1.2, 1.0])
    with pytest.raises(ValueError, match=r"on an objective source, each run has its own \(run.gradients_array\(\)\)"):
        result.gradients_array()
    open_loop = sync_client.simulate(record=[]).runs[0]
    with pytest.raises(ValueError, match="this run has no 'loss': only runs on an objective source"):
        open_loop.loss_array()


@pytest.mark.anyio
async def test_async_objectives(async_client):
    async with async_client:
        assert len(await async_client.objectives()) == len(OBJECTIVES)
        assert (await async_client.objective("beale")).dimensions.rule == "D = 2"
        surface = await async_client.surface("himmelblau", resolution=3)
        assert surface.z_array().shape == (3, 3)


def test_objectives_over_http(live_server):
    with OptiscopeClient(live_server) as client:
        assert client.surface("booth", resolution=4).z_min is not None
        assert client.objective("ackley").name == "ackley"


@pytest.mark.anyio
async def test_objectives_over_http_async(live_server):
    async with AsyncOptiscopeClient(live_server) as client:
        assert [o.name for o in await client.objectives()] == list(OBJECTIVES)


def test_a_run_starting_far_away_reports_its_distance_and_the_client_reads_it(sync_client):
    # Squaring 1e160 overflows: the distances once came back as null, which the client's model refused.
    result = sync_client.simulate(
        gradients={"kind": "objective", "function": "ackley", "steps": 2},
        initial=[1e160, 1e160],
        optimizers=[{"name": "sgd"}],
    )
    distances = result.runs[0].distance_to_optimum_array()
    np.testing.assert_allclose(distances, np.sqrt(2) * 1e160, rtol=1e-14)
