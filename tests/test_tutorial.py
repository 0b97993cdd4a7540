"""The tutorial's scenario, end to end through HTTP: an empty POST /simulate reproduces it."""

from __future__ import annotations

import numpy as np
import pytest

from tests.tutorial import standard_adam, tutorial_run

TUTORIAL = tutorial_run()


@pytest.fixture(scope="module")
def answer(client):
    response = client.post("/simulate", json={})
    assert response.status_code == 200
    return response.json()


def run(answer, label):
    return next(r for r in answer["runs"] if r["label"] == label)


def test_shape_and_order(answer):
    assert answer["steps"] == 50 and answer["dim"] == 1
    assert [r["label"] for r in answer["runs"]] == ["sgd", "adagrad", "rmsprop", "adam"]
    for r in answer["runs"]:
        assert len(r["params"]) == 51 and len(r["learning_rates"]) == 50
        assert all(len(row) == 1 for row in r["params"] + r["learning_rates"])
        assert "updates" not in r and r["diverged_at"] is None
        assert r["final"] == r["params"][-1]


def test_gradients_are_the_tutorials_bit_for_bit(answer):
    assert [row[0] for row in answer["gradients"]] == TUTORIAL["grads"].tolist()


def test_empty_body_equals_empty_object(client, answer):
    assert client.post("/simulate").json() == answer


@pytest.mark.parametrize("name", ["sgd", "adagrad", "rmsprop"])
def test_trajectories_and_learning_rates_match_the_tutorial(answer, name):
    r = run(answer, name)
    np.testing.assert_allclose(np.array(r["params"])[:, 0], TUTORIAL["params"][name], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(
        np.array(r["learning_rates"])[:, 0], TUTORIAL["learning_rates"][name], rtol=1e-12, atol=0
    )


def test_adam_is_standard_adam(answer):
    params, rates = standard_adam(TUTORIAL["grads"])
    r = run(answer, "adam")
    np.testing.assert_allclose(np.array(r["params"])[:, 0], params, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(np.array(r["learning_rates"])[:, 0], rates, rtol=1e-12)


def test_tutorial_adam_double_corrects_its_steps(answer):
    """The README's claim: the tutorial's Adam multiplies its rate by sqrt(1-b2^t)/(1-b1^t) once more,
    so its steps are 3.2x smaller at step 1, 6.6x at step 12 (the peak) and 4.5x at step 50."""
    ours = np.array(run(answer, "adam")["learning_rates"])[:, 0]
    theirs = np.array(TUTORIAL["learning_rates"]["tutorial_adam"])
    t = np.arange(1, 51)
    np.testing.assert_allclose(theirs / ours, np.sqrt(1 - 0.999**t) / (1 - 0.9**t), rtol=1e-12)
    ratio = ours / theirs
    assert ratio[0] == pytest.approx(3.162, abs=1e-3)
    assert int(ratio.argmax()) + 1 == 12 and ratio.max() == pytest.approx(6.569, abs=1e-3)
    assert ratio[-1] == pytest.approx(4.504, abs=1e-3)
    assert run(answer, "adam")["hyperparameters"] == {
        "lr": 0.1,
        "beta1": 0.9,
        "beta2": 0.999,
        "eps": 1e-8,
        "weight_decay": 0.0,
        "decoupled_weight_decay": False,
        "amsgrad": False,
        "maximize": False,
    }


def test_default_hyperparameters_are_the_tutorials(answer):
    assert run(answer, "rmsprop")["hyperparameters"]["alpha"] == 0.9
    for r in answer["runs"]:
        assert r["hyperparameters"]["lr"] == 0.1
        if r["name"] != "sgd":
            assert r["hyperparameters"]["eps"] == 1e-8
