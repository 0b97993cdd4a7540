"""GET /scenarios: every preset is a body POST /simulate accepts, and shows what it says it shows."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.api.scenarios import SCENARIOS

README = Path(__file__).resolve().parents[2] / "README.md"

# The list; every one of them must be served.
REQUIRED = {
    "tutorial",
    "sparse_features",
    "ill_conditioned_quadratic",
    "noisy_gradients",
    "rosenbrock_valley",
    "saddle_point",
    "adam_vs_amsgrad",
    "warmup_vs_none",
}


def runs(client, name):
    response = client.post("/simulate", json=client.get(f"/scenarios/{name}").json()["request"])
    assert response.status_code == 200, response.text
    return {run["label"]: run for run in response.json()["runs"]}


def test_scenarios_are_listed_with_a_sentence_each(client):
    listed = client.get("/scenarios").json()
    names = [s["name"] for s in listed]
    assert REQUIRED <= set(names) and len(set(names)) == len(names)
    for scenario in listed:
        assert scenario["title"] and scenario["description"].endswith(".")
        assert scenario["description"].count(". ") == 0, "one sentence"


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_every_preset_body_is_accepted_by_simulate(client, scenario):
    response = client.post("/simulate", json=scenario.request)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["steps"] > 1 and all(run["diverged_at"] is None for run in answer["runs"])
    assert 0 <= scenario.coordinate < answer["dim"]


def test_one_scenario_and_an_unknown_one(client):
    assert client.get("/scenarios/tutorial").json()["name"] == "tutorial"
    response = client.get("/scenarios/nope")
    assert response.status_code == 404
    assert "tutorial" in response.json()["detail"]


def test_the_tutorial_preset_is_the_empty_body(client):
    preset = client.post("/simulate", json=client.get("/scenarios/tutorial").json()["request"]).json()
    assert preset == client.post("/simulate", json={}).json()


def test_sparse_features_adagrad_moves_the_rare_coordinate_further(client):
    result = runs(client, "sparse_features")
    sgd, adagrad = result["sgd"]["final"], result["adagrad"]["final"]
    assert abs(adagrad[0] - sgd[0]) < 0.1 * sgd[0]  # about as far on the frequent coordinate
    assert adagrad[1] / sgd[1] > 2.4


def test_noisy_gradients_adaptive_rates_follow_the_noise_and_momentum_smooths(client):
    result = runs(client, "noisy_gradients")
    for label in ("rmsprop", "adam"):
        late = [row[0] for row in result[label]["learning_rates"][-50:]]
        assert sum(late) / len(late) == pytest.approx(0.05, rel=0.15), label

    def jaggedness(label):
        path = [row[0] for row in result[label]["params"]]
        return sum(abs(b - a) for a, b in zip(path, path[1:], strict=False))

    assert jaggedness("sgd-momentum") < 0.6 * jaggedness("sgd")
    assert result["sgd-momentum"]["final"][0] / result["sgd"]["final"][0] > 0.85


def test_ill_conditioning_slows_sgd_on_the_flat_coordinate_only(client):
    result = runs(client, "ill_conditioned_quadratic")
    assert result["sgd"]["final"][0] > 0.1 and abs(result["sgd"]["final"][1]) < 1e-4
    for label in ("adagrad", "rmsprop"):
        assert max(map(abs, result[label]["final"])) < 1e-3, label
    assert result["adam"]["loss"][-1] < result["sgd"]["loss"][-1] / 10


def test_rosenbrock_momentum_follows_the_valley_furthest(client):
    result = runs(client, "rosenbrock_valley")
    assert result["sgd-momentum"]["distance_to_optimum"][-1] < 0.1
    assert result["adam"]["final"][0] > 0 > result["sgd"]["final"][0]  # past the bend at x = 0, or not
    for label, run in result.items():
        assert run["loss"][20] < run["loss"][0] / 4, label  # the valley floor, within a few steps


def test_adaptive_methods_escape_the_saddle_sooner(client):
    result = runs(client, "saddle_point")

    def escape(label):
        return next(t for t, (_, y) in enumerate(result[label]["params"]) if abs(y) > 1)

    for label in ("adagrad", "rmsprop", "adam"):
        assert 2 * escape(label) < escape("sgd"), label
    assert min(abs(x) for x, _ in result["sgd"]["params"]) < 0.01  # it slid into the saddle


def test_adam_drifts_the_wrong_way_and_amsgrad_the_right_way(client):
    result = runs(client, "adam_vs_amsgrad")
    assert result["adam"]["final"][0] > 1  # the gradients sum to +1 per period: x should decrease
    assert result["amsgrad"]["final"][0] < -1
    assert result["sgd"]["final"][0] < -1


def test_warmup_starts_small(client):
    result = runs(client, "warmup_vs_none")
    none, warm = result["no warmup"], result["linear warmup"]
    assert warm["base_lr"][0] == pytest.approx(0.005) and "base_lr" not in none
    assert warm["learning_rates"][0][0] < none["learning_rates"][0][0] / 10


def test_the_readme_lists_every_scenario():
    text = README.read_text(encoding="utf-8")
    for scenario in SCENARIOS:
        assert f"| `{scenario.name}` |" in text, scenario.name
