"""POST /simulate with `{"kind": "objective", ...}`: closed-loop runs through HTTP, and their 4xx cases."""

from __future__ import annotations

import numpy as np
import pytest

from service.engine import OBJECTIVES
from tests.fixtures_util import assert_matches, load

ADAM_VS_SGD = {
    "gradients": {"kind": "objective", "function": "rosenbrock", "steps": 300},
    "optimizers": [{"name": "adam", "lr": 0.05}, {"name": "sgd", "lr": 0.001, "momentum": 0.9}],
}


def post(client, body, status=200):
    response = client.post("/simulate", json=body)
    assert response.status_code == status, response.text[:800]
    return response.json()


def test_adam_vs_sgd_on_rosenbrock(client):
    answer = post(client, ADAM_VS_SGD)
    assert (answer["steps"], answer["dim"]) == (300, 2)
    assert "gradients" not in answer  # each run reports its own
    assert answer["objective"] == {
        "function": "rosenbrock",
        "parameters": {"a": 1.0, "b": 100.0},
        "initial": [-1.2, 1.0],
        "minima": [[1.0, 1.0]],
        "minimum_value": 0.0,
    }
    for run in answer["runs"]:
        assert len(run["params"]) == 301 and len(run["loss"]) == 301 and len(run["distance_to_optimum"]) == 301
        assert len(run["gradients"]) == 300 and len(run["learning_rates"]) == 300
        assert run["loss"][0] == pytest.approx(24.2) and run["distance_to_optimum"][0] == pytest.approx(2.2)
        assert run["loss"][-1] < run["loss"][0] and run["diverged_at"] is None
    # Both against torch autograd + torch.optim (tests/fixtures/closed_loop/rosenbrock.json).
    cases = {c["id"]: c for c in load("closed_loop/rosenbrock.json")["cases"]}
    for run, case in zip(answer["runs"], ("rosenbrock/adam", "rosenbrock/sgd_momentum"), strict=True):
        for series in ("params", "loss", "gradients"):
            assert_matches(run[series], cases[case][series], f"{case} {series}", rtol=1e-9)


def test_logistic_regression_through_http_matches_torch(client):
    fixture = load("closed_loop/logistic_regression.json")
    case = next(c for c in fixture["cases"] if c["optimizer"] == "adagrad")
    body = {
        "gradients": {"kind": "objective", "function": "logistic_regression", "dim": fixture["dim"]}
        | fixture["parameters"]
        | {"steps": fixture["steps"]},
        "optimizers": [{"name": "adagrad", "lr": case["hyperparameters"]["lr"]}],
    }
    run = post(client, body)["runs"][0]
    assert "distance_to_optimum" not in run
    for series in ("params", "loss", "gradients"):
        assert_matches(run[series], case[series], f"logistic {series}", rtol=1e-9)


def test_initial_defaults_to_the_functions_start(client):
    for name, objective in OBJECTIVES.items():
        body = {"gradients": {"kind": "objective", "function": name, "steps": 2}, "optimizers": [{"name": "sgd"}]}
        answer = post(client, body)
        start = objective.problem().start.tolist()
        assert answer["objective"]["initial"] == start and answer["runs"][0]["params"][0] == start, name
    body = {"gradients": {"kind": "objective", "function": "booth", "steps": 1}, "initial": 2}
    assert post(client, body)["runs"][0]["params"][0] == [2.0, 2.0]


def test_record_chooses_the_open_loop_series_only(client):
    answer = post(client, {**ADAM_VS_SGD, "record": []})
    for run in answer["runs"]:
        assert set(run) == {"label", "name", "hyperparameters", "loss", "gradients", "distance_to_optimum", "final"} | {
            "diverged_at"
        }
    answer = post(client, {**ADAM_VS_SGD, "record": ["updates", "state"]})
    assert set(answer["runs"][0]["state"]) == {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
    assert len(answer["runs"][0]["state"]["exp_avg"]) == 300


def test_noise_is_reproducible_and_seeded(client):
    def gradients(seed):
        source = {"kind": "objective", "function": "quadratic", "steps": 5, "noise_std": 0.1, "seed": seed}
        answer = post(client, {"gradients": source, "optimizers": [{"name": "sgd", "lr": 0.0}], "record": []})
        return np.array(answer["runs"][0]["gradients"])

    exact = np.array([1.0, 10.0])  # the default quadratic's gradient at its start (1, 1)
    assert np.array_equal(gradients(7), gradients(7))
    assert not np.array_equal(gradients(7), gradients(8))
    assert 0 < np.abs(gradients(7) - exact).max() < 1


def test_minibatches_through_http(client):
    source = {"kind": "objective", "function": "logistic_regression", "steps": 4, "batch_size": 20, "seed": 3}
    answer = post(client, {"gradients": source, "optimizers": [{"name": "sgd", "lr": 0.0}] * 2, "record": []})
    a, b = (run["gradients"] for run in answer["runs"])
    assert a == b and len({tuple(row) for row in a}) == 4


def test_schedules_work_in_closed_loop(client):
    body = {
        "gradients": {"kind": "objective", "function": "quadratic", "steps": 10},
        "optimizers": [{"name": "sgd", "lr": 0.1, "schedule": {"kind": "step", "step_size": 5, "gamma": 0.5}}],
    }
    run = post(client, body)["runs"][0]
    assert run["base_lr"] == [0.1] * 5 + [0.05] * 5
    assert run["learning_rates"][9] == [0.05, 0.05]


def test_divergence_in_closed_loop(client):
    body = {
        "gradients": {"kind": "objective", "function": "saddle", "steps": 1000},
        "optimizers": [{"name": "sgd", "lr": 1.0}, {"name": "adam", "lr": 0.01}],
    }
    sgd, adam = post(client, body)["runs"]
    assert sgd["diverged_at"] == 328 and len(sgd["loss"]) == 328 and len(sgd["gradients"]) == 327
    assert "distance_to_optimum" not in sgd  # the saddle has no minimum
    assert adam["diverged_at"] is None and adam["loss"][-1] < -1


OBJ = {"kind": "objective", "function": "rosenbrock"}


@pytest.mark.parametrize(
    ("gradients", "field", "kind", "says"),
    [
        ({"kind": "objective", "function": "beale", "dim": 3}, "gradients.dim", "dimension", "beale needs D = 2"),
        ({"kind": "objective", "function": "saddle", "dim": 1}, "gradients.dim", "dimension", "D = 2, got D = 1"),
        (OBJ | {"dim": 1}, "gradients.dim", "dimension", "D >= 2"),
        (OBJ | {"dim": 0}, "gradients.dim", "greater_than_equal", "1"),
        ({"kind": "objective", "function": "rosenbrok"}, "gradients.function", "union_tag_invalid", "'rosenbrock'"),
        ({"kind": "objective"}, "gradients.function", "missing", "function is required"),
        (OBJ | {"b": 0}, "gradients.b", "greater_than", "0"),
        (OBJ | {"b": "100"}, "gradients.b", "float_type", "number"),
        (OBJ | {"A": 10}, "gradients.A", "extra_forbidden", "Allowed: a, b, dim, function"),
        (OBJ | {"steps": 0}, "gradients.steps", "greater_than_equal", "1"),
        (OBJ | {"noise_std": -1}, "gradients.noise_std", "greater_than_equal", "0"),
        (OBJ | {"seed": -1}, "gradients.seed", "greater_than_equal", "0"),
        (
            {"kind": "objective", "function": "quadratic", "scales": [1, 2, 3], "dim": 2},
            "gradients.scales",
            "constraint",
            "3 numbers but D = 2",
        ),
        ({"kind": "objective", "function": "quadratic", "scales": [1, 0]}, "gradients.scales[1]", "greater_than", "0"),
        (
            {"kind": "objective", "function": "quadratic", "scales": [1, 2], "condition_number": 3},
            "gradients.condition_number",
            "constraint",
            "not both",
        ),
        (
            {"kind": "objective", "function": "logistic_regression", "batch_size": 201},
            "gradients.batch_size",
            "constraint",
            "exceeds n_samples 200",
        ),
        (
            {"kind": "objective", "function": "logistic_regression", "density": 0},
            "gradients.density",
            "greater_than",
            "0",
        ),
        ({"kind": "objectives"}, "gradients", "union_tag_invalid", "Unknown kind 'objectives'"),
        ({"kind": ["objective"]}, "gradients", "union_tag_invalid", 'Unknown kind ["objective"]'),
        ({"kind": "objective", "function": {}}, "gradients.function", "union_tag_invalid", "Unknown function {}"),
    ],
)
def test_bad_objective_sources_name_the_field(client, gradients, field, kind, says):
    detail = post(client, {"gradients": gradients}, 422)["detail"][0]
    assert (detail["field"], detail["type"]) == (field, kind)
    assert says in detail["msg"]


def test_initial_must_match_the_objectives_dimension_and_have_a_finite_loss(client):
    detail = post(client, {"gradients": OBJ | {"dim": 3}, "initial": [0.0, 0.0]}, 422)["detail"][0]
    assert (detail["field"], detail["type"]) == ("initial", "initial_length") and "D = 3" in detail["msg"]
    detail = post(client, {"gradients": OBJ, "initial": [1e100, 1e100]}, 422)["detail"][0]
    assert (detail["field"], detail["type"]) == ("initial", "initial_loss") and detail["msg"].endswith("start closer")
    # From the function's own start, the parameters are what overflow (a curvature of 1e308 at (1, 1)).
    steep = {"kind": "objective", "function": "quadratic", "dim": 2, "scales": [1e308, 1e308]}
    for path, body in [("/simulate", {"gradients": steep}), ("/sweep", {"gradients": steep, "grid": {"lr": [0.1]}})]:
        detail = client.post(path, json=body).json()["detail"][0]
        assert (detail["field"], detail["type"]) == ("gradients", "initial_loss"), path
        assert (
            "at the function's own start, with these parameters: use smaller ones, or give `initial`" in detail["msg"]
        )


@pytest.mark.parametrize(
    ("limits", "gradients", "field", "says"),
    [
        ({"max_steps": 10}, OBJ | {"steps": 11}, "gradients.steps", "11 steps exceed the limit of 10"),
        ({"max_dim": 4}, OBJ | {"dim": 5}, "gradients.dim", "D = 5 exceeds the limit of 4"),
        (
            {"max_evaluation_work": 10_000},
            {"kind": "objective", "function": "logistic_regression", "steps": 2, "n_samples": 1000},
            "gradients.steps",
            "4 runs x 2 steps x 10000 numbers per evaluation = 80000, over the evaluation limit of 10000",
        ),
        ({"max_values": 1000}, OBJ | {"steps": 200}, "gradients", "over the limit of 1000"),
    ],
)
def test_closed_loop_sizes_over_the_limits(client_with, limits, gradients, field, says):
    detail = post(client_with(**limits), {"gradients": gradients}, 422)["detail"][0]
    assert (detail["field"], detail["type"]) == (field, "limit_exceeded")
    assert says in detail["msg"]


def test_a_data_set_over_the_limit_is_named_in_the_422(client_with):
    client = client_with(max_values=50_000)
    data = {"kind": "objective", "function": "logistic_regression", "dim": 10, "n_samples": 5_000, "steps": 10}
    detail = client.post("/simulate", json={"gradients": data, "record": []}).json()["detail"][0]
    assert detail["msg"].endswith("(the function's data holds 50000 of these numbers: a smaller data set helps too)")
