"""OptiscopeClient against the real app in-process: the service's models in and out, numpy views, errors."""

from __future__ import annotations

import numpy as np
import pytest

from service.api.models import SPEC_MODELS, SequenceGradients, SweepRequest
from service.client import (
    NotFoundError,
    OptimizerInfo,
    OptiscopeClient,
    ScheduleInfo,
    SimulateRequest,
    SimulateResponse,
    ValidationError,
)
from service.engine import REGISTRY
from tests.client.conftest import URL, make_app
from tests.servers import ASGIBridge
from tests.tutorial import tutorial_run


def test_no_arguments_run_the_tutorial_exactly_as_the_route_answers(sync_client, client):
    result = sync_client.simulate()
    assert isinstance(result, SimulateResponse)
    assert result == SimulateResponse.model_validate(client.post("/simulate", json={}).json())
    expected = tutorial_run()
    for name in ("sgd", "adagrad", "rmsprop"):
        np.testing.assert_allclose(result.run(name).params_array()[:, 0], expected["params"][name], atol=1e-12)


def test_keywords_dicts_and_models_are_the_same_request(sync_client):
    rows = np.array([[0.5, -1.0], [0.25, 2.0], [-0.5, 0.0]])
    fields = {
        "gradients": {"kind": "sequence", "values": rows},
        "initial": np.array([1.0, -1.0]),
        "optimizers": [{"name": "sgd", "lr": 0.5}],
        "record": ["params", "learning_rates", "updates"],
    }
    by_keywords = sync_client.simulate(**fields)
    by_dict = sync_client.simulate(fields)
    by_model = sync_client.simulate(
        SimulateRequest(
            gradients=SequenceGradients(kind="sequence", values=rows.tolist()),
            initial=[1.0, -1.0],
            optimizers=[SPEC_MODELS["sgd"](name="sgd", lr=0.5)],
            record=["params", "learning_rates", "updates"],
        )
    )
    assert by_keywords == by_dict == by_model
    run = by_keywords.runs[0]
    # SGD by hand: theta_t = theta_{t-1} - 0.5 g_t
    np.testing.assert_array_equal(run.params_array(), [[1.0, -1.0], [0.75, -0.5], [0.625, -1.5], [0.875, -1.5]])
    np.testing.assert_array_equal(run.updates_array(), -0.5 * rows)
    np.testing.assert_array_equal(run.learning_rates_array(), np.full((3, 2), 0.5))
    np.testing.assert_array_equal(run.final_array(), [0.875, -1.5])
    np.testing.assert_array_equal(by_keywords.gradients_array(), rows)
    assert run.params_array().dtype == np.float64


def test_a_run_that_diverged_at_its_first_step_keeps_the_shapes_of_its_arrays(sync_client):
    # 1e308^2 overflows Adam's second moment at step 1: no step is kept, but the arrays stay (rows, D).
    result = sync_client.simulate(
        gradients={"kind": "sequence", "values": [[1e308, 1e308, 1.0]] * 3},
        optimizers=[{"name": "adam"}],
        record=["params", "learning_rates", "updates", "state"],
    )
    run = result.runs[0]
    assert run.diverged_at == 1
    assert run.params_array().shape == (1, 3)  # the start only
    assert run.learning_rates_array().shape == run.updates_array().shape == (0, 3)
    assert {name: values.shape for name, values in run.state_arrays().items()} == {
        "exp_avg": (0, 3), "exp_avg_sq": (0, 3), "max_exp_avg_sq": (0, 3)
    }  # fmt: skip


def test_keywords_update_a_given_request(sync_client):
    base = SimulateRequest(optimizers=[SPEC_MODELS["adam"](name="adam", lr=0.05)])
    result = sync_client.simulate(base, record=[])
    assert [r.label for r in result.runs] == ["adam"]
    assert result.runs[0].params is None and len(result.runs[0].final) == 1


def test_numpy_views_say_what_to_record(sync_client):
    run = sync_client.simulate(record=["params"]).run("adam")
    with pytest.raises(ValueError, match="has no 'learning_rates': include it in the request's `record`"):
        run.learning_rates_array()
    state = sync_client.simulate(optimizers=[{"name": "adam"}], record=["state"]).run("adam").state_arrays()
    assert set(state) == set(REGISTRY["adam"].state_names)
    assert all(values.shape == (50, 1) for values in state.values())
    with pytest.raises(KeyError, match="no run labelled 'nadam'; the runs are sgd, adagrad, rmsprop, adam"):
        sync_client.simulate().run("nadam")


def test_catalog_and_schedules(sync_client, client):
    catalog = sync_client.optimizers()
    assert all(isinstance(entry, OptimizerInfo) for entry in catalog)
    assert [entry.name for entry in catalog] == list(REGISTRY)
    assert sync_client.optimizer("adam") == OptimizerInfo.model_validate(client.get("/optimizers/adam").json())
    schedules = sync_client.schedules()
    assert all(isinstance(entry, ScheduleInfo) for entry in schedules)
    assert "cosine" in [entry.kind for entry in schedules]
    plan = sync_client.simulate_schedule(schedule={"kind": "step", "step_size": 2, "gamma": 0.5}, steps=5, lr=1.0)
    assert plan.step == [1, 2, 3, 4, 5]
    np.testing.assert_array_equal(plan.lr_array(), [1.0, 1.0, 0.5, 0.5, 0.25])
    assert sync_client.health().status == "ok"


def test_unknown_optimizer_is_a_not_found_error_listing_the_known_ones(sync_client):
    with pytest.raises(NotFoundError) as caught:
        sync_client.optimizer("adamx")
    assert caught.value.status_code == 404
    assert str(caught.value) == f"Unknown optimizer 'adamx'. Known optimizers: {', '.join(REGISTRY)}."


BAD_BODIES = [
    ({"optimizers": [{"name": "adam", "betta1": 0.9}]}, "optimizers[0].betta1", "Did you mean 'beta1'?"),
    ({"optimizers": [{"name": "adamx"}]}, "optimizers[0].name", "Known optimizers: sgd, adagrad"),
    ({"optimizers": [{"name": "adam", "lr": -0.1}]}, "optimizers[0].lr", "greater than or equal to 0"),
    ({"gradients": {"kind": "sequence", "values": [[1, 2], [3]]}}, "gradients.values[1]", "row 1 has 1 number,"),
    ({"gradients": {"kind": "sequence", "values": [1.0, 2.0]}, "initial": [0, 0, 0]}, "initial", "D = 1"),
]


@pytest.mark.parametrize(("body", "field", "says"), BAD_BODIES)
def test_invalid_requests_raise_the_services_own_422_before_sending(sync_client, client, body, field, says):
    with pytest.raises(ValidationError) as caught:
        sync_client.simulate(body)
    error = caught.value
    assert error.status_code == 422 and error.response is None  # checked locally: no round trip
    assert error.errors[0].field == field and says in error.errors[0].msg
    assert f"{field}: " in str(error)
    # Exactly what the service answers for the same body.
    assert error.detail == client.post("/simulate", json=body).json()["detail"]


def test_limits_the_service_checks_arrive_as_a_validation_error_with_the_field():
    bridge = ASGIBridge(make_app(max_steps=10))
    with OptiscopeClient(URL, transport=bridge) as limited:
        with pytest.raises(ValidationError) as caught:
            limited.simulate(gradients={"kind": "synthetic", "steps": 50})
    bridge.close()
    error = caught.value
    assert error.response is not None and error.response.status_code == 422
    assert [(e.field, e.msg, e.type) for e in error.errors] == [
        ("gradients.steps", "50 steps exceed the limit of 10", "limit_exceeded")
    ]
    assert error.errors[0].loc == ("body", "gradients", "steps")


def test_a_model_of_another_request_is_refused_not_run_as_the_tutorial(sync_client):
    with pytest.raises(TypeError, match="expected a SimulateRequest, a dict or keyword arguments, got a SweepRequest"):
        sync_client.simulate(SweepRequest())
