"""POST /simulate beyond the tutorial: sequences, D > 1, labels, record, divergence."""

from __future__ import annotations

import math

import numpy as np

from service.api.models import SimulateRequest
from tests.tutorial import tutorial_run


def post(client, body):
    response = client.post("/simulate", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def test_sequence_of_rows_runs_per_coordinate(client):
    rows = [[0.5, -1.0], [0.25, 2.0], [-0.5, 0.0]]
    answer = post(
        client,
        {
            "gradients": {"kind": "sequence", "values": rows},
            "initial": [1.0, -1.0],
            "optimizers": [{"name": "sgd", "lr": 0.5}],
            "record": ["params", "learning_rates", "updates"],
        },
    )
    assert (answer["steps"], answer["dim"]) == (3, 2)
    run = answer["runs"][0]
    # SGD by hand: theta_t = theta_{t-1} - 0.5 g_t
    assert run["params"] == [[1.0, -1.0], [0.75, -0.5], [0.625, -1.5], [0.875, -1.5]]
    assert run["updates"] == [[-0.25, 0.5], [-0.125, -1.0], [0.25, -0.0]]
    assert run["learning_rates"] == [[0.5, 0.5]] * 3
    assert run["final"] == [0.875, -1.5]


def test_scalar_initial_broadcasts_and_numbers_are_one_coordinate(client):
    answer = post(
        client,
        {"gradients": {"kind": "sequence", "values": [1, 2]}, "initial": 3, "optimizers": [{"name": "sgd", "lr": 1}]},
    )
    assert answer["gradients"] == [[1.0], [2.0]]
    assert answer["runs"][0]["params"] == [[3.0], [2.0], [0.0]]


def test_labels_default_to_names_and_are_made_unique(client):
    answer = post(
        client,
        {
            "optimizers": [
                {"name": "adam"},
                {"name": "adam"},
                {"name": "sgd", "label": "adam-2"},
                {"name": "adam", "label": "mine"},
            ]
        },
    )
    assert [r["label"] for r in answer["runs"]] == ["adam", "adam-3", "adam-2", "mine"]
    assert [r["name"] for r in answer["runs"]] == ["adam", "adam", "sgd", "adam"]


def test_record_nothing_returns_only_final(client):
    answer = post(client, {"record": []})
    tutorial = tutorial_run()
    for run in answer["runs"]:
        assert set(run) == {"label", "name", "hyperparameters", "final", "diverged_at"}
    assert answer["runs"][0]["final"] == [tutorial["params"]["sgd"][-1]]


def test_synthetic_columns_continue_the_same_stream(client):
    answer = post(client, {"gradients": {"kind": "synthetic", "dim": 3, "steps": 20}, "record": []})
    grads = np.array(answer["gradients"])
    np.random.seed(0)
    draws = np.random.randn(60).reshape(3, 20).T * 0.2 + np.linspace(-0.5, 0.5, 20)[:, None]
    assert grads.shape == (20, 3) and np.array_equal(grads, draws)


def test_divergence_is_a_result_without_nan_or_infinity(client):
    # 1e10 * 1e300 overflows float64 at the first step; 1e-10 * 1e300 stays finite. Adam's parameters
    # would stay finite, but its second moment (1e300 squared) overflows: that is divergence too.
    answer = post(
        client,
        {
            "gradients": {"kind": "sequence", "values": [1e300, 1e300, 1e300]},
            "optimizers": [{"name": "sgd", "lr": 1e10}, {"name": "sgd", "lr": 1e-10}, {"name": "adam"}],
            "record": ["params", "learning_rates", "updates", "state"],
        },
    )
    big, small, adam = answer["runs"]
    assert big["diverged_at"] == 1
    assert big["params"] == [[0.0]] and big["learning_rates"] == [] and big["updates"] == []
    assert big["final"] == [0.0] and big["state"] == {"momentum_buffer": []}
    assert small["diverged_at"] is None and small["final"] == [-3e290]
    assert adam["diverged_at"] == 1 and adam["state"]["exp_avg_sq"] == []
    numbers = [
        x for r in answer["runs"] for key in ("params", "learning_rates", "updates") for row in r[key] for x in row
    ]
    assert all(math.isfinite(x) for x in numbers)


def test_divergence_midway_keeps_the_finite_prefix(client):
    # With eps = 0 Adagrad's first zero gradient gives 0/0: NaN at step 3.
    answer = post(
        client,
        {
            "gradients": {"kind": "sequence", "values": [0.0, 0.0, 0.0]},
            "initial": 1.0,
            "optimizers": [{"name": "sgd", "lr": 0.1}, {"name": "adagrad", "eps": 0.0}],
        },
    )
    sgd, adagrad = answer["runs"]
    assert sgd["diverged_at"] is None
    assert adagrad["diverged_at"] == 1 and adagrad["params"] == [[1.0]] and adagrad["final"] == [1.0]


def test_maximize_flips_the_direction(client):
    body = {
        "gradients": {"kind": "sequence", "values": [0.3, -0.1, 0.2]},
        "record": ["params"],
        "optimizers": [{"name": n} for n in ("sgd", "adagrad", "rmsprop", "adam")],
    }
    down = post(client, body)
    for spec in body["optimizers"]:
        spec["maximize"] = True
    up = post(client, body)
    for a, b in zip(down["runs"], up["runs"], strict=True):
        assert np.allclose(np.array(a["params"]), -np.array(b["params"]), rtol=1e-15, atol=0)


def test_the_empty_bodys_shared_defaults_stay_as_validated(client):
    # The tutorial's gradient source and optimizer specs are built once and shared by every request.
    first, second = SimulateRequest(), SimulateRequest()
    assert first.gradients is second.gradients
    assert all(a is b for a, b in zip(first.optimizers, second.optimizers, strict=True))
    post(client, {})
    post(client, {"record": ["params", "learning_rates", "updates", "state"], "record_every": 7})
    fresh = SimulateRequest.model_validate(
        {
            "gradients": {"kind": "synthetic", "pattern": "trend_noise"},
            "optimizers": [
                {"name": "sgd", "lr": 0.1},
                {"name": "adagrad", "lr": 0.1, "eps": 1e-8},
                {"name": "rmsprop", "lr": 0.1, "alpha": 0.9, "eps": 1e-8},
                {"name": "adam", "lr": 0.1, "eps": 1e-8},
            ],
        }
    )
    assert SimulateRequest() == fresh
