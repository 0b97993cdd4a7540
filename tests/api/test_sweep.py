"""POST /sweep, `tune: "lr"`, `record_every` and `include_gradients` on POST /simulate."""

from __future__ import annotations

import re

import numpy as np
import pytest

from service.engine import REGISTRY, RunSpec, gradients, simulate, sweep
from tests.fixtures_util import assert_matches


def post(client, path, body):
    response = client.post(path, json=body)
    assert response.status_code == 200, response.text
    return response.json()


def error(client, path, body, status=422):
    response = client.post(path, json=body)
    assert response.status_code == status, response.text
    return response.json()["detail"][0]


def test_empty_body_sweeps_the_tutorials_optimizers_over_lr(client):
    answer = post(client, "/sweep", {})
    assert answer["score"] == "final_distance" and answer["target"] == [0.0]
    assert [o["label"] for o in answer["optimizers"]] == ["sgd", "adagrad", "rmsprop", "adam"]
    for entry in answer["optimizers"]:
        values = [c["values"]["lr"] for c in entry["configurations"]]
        np.testing.assert_allclose(values, np.logspace(-4, 0, 9), rtol=1e-15)
        scores = [c["score"] for c in entry["configurations"]]
        assert entry["best"]["score"] == min(scores) and entry["best"]["index"] == scores.index(min(scores))


def test_each_configuration_equals_its_own_simulate_run(client):
    body = {
        "gradients": {"kind": "synthetic", "steps": 40, "dim": 3, "seed": 4},
        "initial": [1.0, -2.0, 0.5],
        "target": [0.5, 0.5, 0.5],
        "optimizers": [{"name": "adam", "eps": 1e-6}, {"name": "sgd", "momentum": 0.9, "schedule": {"kind": "step"}}],
        "grid": {"lr": [0.001, 0.1, 1e6], "weight_decay": [0.0, 0.01]},
        "trajectories": True,
        "record_every": 9,
    }
    answer = post(client, "/sweep", body)
    assert answer["recorded_steps"] == [9, 18, 27, 36, 40]
    for spec, entry in zip(body["optimizers"], answer["optimizers"], strict=True):
        assert len(entry["configurations"]) == 6
        for config in entry["configurations"]:
            single = {**spec, **config["values"]}
            run = post(
                client,
                "/simulate",
                {
                    "gradients": body["gradients"],
                    "initial": body["initial"],
                    "optimizers": [single],
                    "record": ["params"],
                    "record_every": 9,
                },
            )["runs"][0]
            # To rounding: an lr sweep of an optimizer whose steps scale with lr (Adam here, without weight
            # decay) runs once at lr = 1 and scales; SGD's schedule makes its sweep run every configuration.
            assert config["diverged_at"] == run["diverged_at"]
            assert_matches(config["final"], run["final"], "final", rtol=1e-12)
            assert_matches(config["params"], run["params"], "params", rtol=1e-12)
            if run["diverged_at"] is None:
                distance = np.linalg.norm(np.array(run["final"]) - 0.5)
                assert config["score"] == pytest.approx(distance, rel=1e-12)
            else:
                assert config["score"] is None


@pytest.mark.parametrize(
    "spec",
    [
        {"name": "sgd", "momentum": 0.9, "schedule": {"kind": "step", "step_size": 5}},
        {"name": "adam", "schedule": {"kind": "cosine", "T_max": 20}},
    ],
)
def test_a_closed_loop_sweep_with_a_schedule_equals_its_simulate_runs(client, spec):
    # A schedule's rates reach the kernel as a read-only view: once a 500, now read as any other lr.
    gradients = {"kind": "objective", "function": "quadratic", "steps": 20}
    answer = post(client, "/sweep", {"gradients": gradients, "optimizers": [spec], "grid": {"lr": [0.01, 0.1]}})
    for config in answer["optimizers"][0]["configurations"]:
        single = {"gradients": gradients, "optimizers": [{**spec, **config["values"]}], "record": []}
        run = post(client, "/simulate", single)["runs"][0]
        assert config["final"] == run["final"] and config["score"] == run["loss"][-1]
    tuned = post(client, "/simulate", {"gradients": gradients, "optimizers": [spec], "tune": "lr"})
    assert tuned["runs"][0]["tuning"]["chosen"] == tuned["runs"][0]["hyperparameters"]["lr"]


def test_a_sweep_of_what_onecycle_overwrites_is_refused(client):
    # OneCycle sets each step's lr from max_lr (torch's OneCycleLR overwrites the optimizer's lr).
    spec = {"name": "adam", "label": "cycled", "schedule": {"kind": "onecycle", "max_lr": 0.1}}
    detail = error(client, "/sweep", {"optimizers": [spec], "grid": {"lr": [0.01, 0.1]}})
    assert (detail["field"], detail["type"]) == ("grid.lr", "constraint")
    assert detail["msg"].startswith("cycled's onecycle schedule sets lr at every step, whatever lr is given")
    detail = error(client, "/simulate", {"optimizers": [spec], "tune": "lr"})
    assert (detail["field"], detail["type"]) == ("tune", "constraint")
    # With cycle_momentum (the default) it sets beta1 too; beta2 it leaves alone.
    assert error(client, "/sweep", {"optimizers": [spec], "grid": {"beta1": [0.8, 0.9]}})["field"] == "grid.beta1"
    assert post(client, "/sweep", {"optimizers": [spec], "grid": {"beta2": [0.99, 0.999]}})["optimizers"]
    free = {**spec, "schedule": {**spec["schedule"], "cycle_momentum": False}}
    assert post(client, "/sweep", {"optimizers": [free], "grid": {"beta1": [0.8, 0.9]}})["optimizers"]


def test_lr_sweep_matches_the_reference_loop(client):
    """The batched compiled sweep against the numpy reference loop, configuration by configuration."""
    answer = post(
        client,
        "/sweep",
        {"optimizers": [{"name": "yogi"}], "grid": {"lr": {"logspace": [-3, 1, 7]}, "beta1": [0.0, 0.9]}},
    )
    grads = gradients.tutorial()
    for config in answer["optimizers"][0]["configurations"]:
        (reference,) = simulate(grads, [RunSpec(REGISTRY["yogi"], config["values"])], engine="reference")
        np.testing.assert_allclose(config["final"], reference.final, rtol=1e-12)


def test_objective_sweeps_score_the_final_loss(client):
    body = {
        "gradients": {"kind": "objective", "function": "rosenbrock", "steps": 100},
        "optimizers": [{"name": "adam"}, {"name": "adafactor"}],
        "grid": {"lr": [0.001, 0.01, 0.1]},
    }
    answer = post(client, "/sweep", body)
    assert answer["score"] == "final_loss" and "target" not in answer
    for entry in answer["optimizers"]:
        for config in entry["configurations"]:
            run = post(
                client,
                "/simulate",
                {"gradients": body["gradients"], "optimizers": [{"name": entry["name"], **config["values"]}]},
            )["runs"][0]
            assert config["score"] == run["loss"][-1] and config["final"] == run["final"]


def test_a_sweep_where_everything_diverges_has_no_best(client):
    answer = post(
        client,
        "/sweep",
        {
            "gradients": {"kind": "sequence", "values": [1e300, 1e300]},
            "optimizers": [{"name": "adam"}],
            "grid": {"lr": [0.1, 1.0]},
        },
    )
    entry = answer["optimizers"][0]
    assert entry["best"] is None and all(c["score"] is None and c["diverged_at"] == 1 for c in entry["configurations"])


def test_a_finite_distance_whose_square_overflows_is_still_a_score(client):
    # SGD from 0 over one gradient of 1 ends at -lr: 1e160 and 1e170 away from the origin, though their
    # squares are beyond float64.
    body = {"gradients": {"kind": "sequence", "values": [1]}, "optimizers": [{"name": "sgd"}]}
    answer = client.post("/sweep", json={**body, "grid": {"lr": [1e170, 1e160]}}).json()["optimizers"][0]
    assert [c["score"] for c in answer["configurations"]] == [1e170, 1e160]
    assert answer["best"] == {"index": 1, "values": {"lr": 1e160}, "score": 1e160}


def test_a_distance_beyond_float64_is_no_score_though_the_run_did_not_diverge(client):
    # SGD at lr 1 over one gradient of 1e308 ends at -1e308: 2e308 from a target at 1e308.
    body = {"gradients": {"kind": "sequence", "values": [1e308]}, "optimizers": [{"name": "sgd"}], "target": 1e308}
    answer = post(client, "/sweep", {**body, "grid": {"lr": [1]}})["optimizers"][0]
    [configuration] = answer["configurations"]
    assert configuration == {"values": {"lr": 1}, "score": None, "diverged_at": None, "final": [-1e308]}
    assert answer["best"] is None
    tuned = post(client, "/simulate", {**body, "tune": "lr", "tune_values": [1, 0.5]})["runs"][0]["tuning"]
    assert (tuned["scores"], tuned["chosen"]) == ([None, 1.5e308], 0.5)


def test_distances_scale_only_where_squares_leave_float64():
    points = np.array([[3e200, 4e200], [3e-200, 4e-200], [0.3, 0.4], [0.0, 0.0], [1e308, -1e308], [1.5e308, 1.5e308]])
    distance = sweep.distances(points, np.zeros(2))
    np.testing.assert_allclose(distance[:2], [5e200, 5e-200], rtol=1e-15)
    assert distance[2] == np.linalg.norm([0.3, 0.4]) and distance[3] == 0.0  # the plain norm where it holds
    assert distance[4] == 1e308 * np.sqrt(2)  # within float64, though its square is not
    assert distance[5] == np.inf  # 2.1e308: beyond float64 (the sweep then gives no score)


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"grid": {"betta1": [0.9]}}, "grid.betta1", "sgd has no hyperparameter 'betta1'"),
        ({"grid": {"lr": [-1]}}, "grid.lr[0]", "must be >= 0.0, got -1"),
        ({"optimizers": [{"name": "adam"}], "grid": {"beta1": [0.5, 1]}}, "grid.beta1[1]", "must be < 1.0, got 1"),
        ({"optimizers": [{"name": "rprop"}], "grid": {"eta_minus": [0.0]}}, "grid.eta_minus[0]", "must be > 0.0"),
        ({"optimizers": [{"name": "rprop"}], "grid": {"eta_minus": [1.5]}}, "grid.eta_minus[0]", "must be < 1.0"),
        ({"optimizers": [{"name": "rprop"}], "grid": {"eta_plus": [2, 1]}}, "grid.eta_plus[1]", "must be > 1.0, got 1"),
        ({"grid": {"lr": [True]}}, "grid.lr[0]", "true is not a valid float for sgd.lr"),  # JSON's words
        ({"grid": {"lr": {"logspace": [0, 1]}}}, "grid.lr.logspace", "[start, stop, num]"),
        ({"grid": {"lr": {"logspace": [-4, 0, 0]}}}, "grid.lr.logspace[2]", "num must be an integer"),
        ({"grid": {"lr": {"geomspace": [1, 2, 3]}}}, "grid.lr", "logspace"),
        ({"grid": {"lr": []}}, "grid.lr", "non-empty list"),
        ({"grid": {}}, "grid", "at least 1"),
        (
            {"optimizers": [{"name": "sgd"}], "grid": {"nesterov": [False, True]}},
            "grid.nesterov[1]",
            "sgd with nesterov=true: Nesterov momentum requires",
        ),
        (  # the rule names nesterov, fixed in the spec: the entry of the one axis
            {"optimizers": [{"name": "sgd", "nesterov": True, "momentum": 0.9}], "grid": {"momentum": [0.9, 0.0]}},
            "grid.momentum[1]",
            "Nesterov momentum requires",
        ),
        (  # ... of several axes, the grid
            {
                "optimizers": [{"name": "sgd", "nesterov": True, "momentum": 0.9}],
                "grid": {"lr": [0.1], "momentum": [0.0]},
            },
            "grid",
            "sgd with lr=0.1, momentum=0.0: Nesterov momentum requires",
        ),
        ({"target": [1, 2]}, "target", "target has 2 numbers"),
        ({"gradients": {"kind": "objective", "function": "rosenbrock"}, "target": 1}, "target", "open-loop"),
        ({"trajectories": 1}, "trajectories", "valid boolean"),
        ({"record_every": 0}, "record_every", "greater than or equal to 1"),
        # silently ignored before, where tune_values without tune is a 422
        ({"record_every": 10}, "record_every", "record_every applies with trajectories: true"),
        ({"record_every": 1, "trajectories": False}, "record_every", "applies with trajectories"),
    ],
)
def test_bad_sweeps_name_the_field(client, body, field, words):
    detail = error(client, "/sweep", body)
    assert detail["field"] == field and words in detail["msg"], detail


@pytest.mark.parametrize(
    ("accept", "status"),
    [("text/csv", 406), ("application/xml, image/*", 406), ("application/*", 200), ("text/csv, */*;q=0.1", 200)],
)
def test_sweeps_answer_json_only_and_say_so(client, accept, status):
    response = client.post("/sweep", json={"grid": {"lr": [0.1]}}, headers={"accept": accept})
    assert response.status_code == status
    if status == 406:
        assert response.json()["detail"] == f"Cannot answer with {accept!r}. POST /sweep answers application/json only."


def test_sweep_limits_name_the_limit_and_value(client_with):
    client = client_with(max_sweep_configs=20)
    detail = error(client, "/sweep", {"grid": {"lr": {"logspace": [-4, 0, 6]}}})
    assert detail["field"] == "grid" and "24 configurations exceed the limit of 20" in detail["msg"]
    client = client_with(max_work=10_000)
    detail = error(client, "/sweep", {"optimizers": [{"name": "adam"}], "grid": {"lr": [0.1] * 300}})
    assert detail["field"] == "grid" and "300 runs x 50 steps x D = 1 is 15000" in detail["msg"]
    client = client_with(max_values=1_000)
    detail = error(
        client, "/sweep", {"optimizers": [{"name": "adam"}], "grid": {"lr": [0.1] * 30}, "trajectories": True}
    )
    assert detail["field"] == "grid" and "over the limit of 1000" in detail["msg"]


def test_a_huge_grid_is_counted_and_refused_before_any_configuration_is_built(client, monkeypatch):
    # 4 axes of 65,536 values: 2^64 configurations (int64 wraps that to 0), built they would exhaust memory.
    def built(*args, **kwargs):
        raise AssertionError("configurations were built before the limit was checked")

    monkeypatch.setattr("service.api.sweep.configurations", built)
    monkeypatch.setattr("service.api.tuning.configurations", built)
    axes = {"lr": [0, 1], "momentum": [0, 0.9], "dampening": [0, 0.9], "weight_decay": [0, 0.9]}
    body = {"optimizers": [{"name": "sgd"}], "grid": {k: {"linspace": [*v, 25_000]} for k, v in axes.items()}}
    detail = error(client, "/sweep", body)
    assert detail["field"] == "grid" and f"{25_000**4} configurations exceed the limit" in detail["msg"]
    objective = {"kind": "objective", "function": "rosenbrock"}  # its work estimate is infinite: inf x 10^21
    detail = error(client, "/sweep", body | {"gradients": objective})
    assert detail["field"] == "grid" and f"{25_000**4} configurations exceed the limit" in detail["msg"]
    body = {"optimizers": [{"name": "sgd"}] * 64, "tune": "lr", "tune_values": {"logspace": [-4, 0, 100_000]}}
    detail = error(client, "/simulate", body)
    assert detail["field"] == "tune_values" and "6400000 configurations exceed the limit" in detail["msg"]


def test_grids_are_sized_before_their_axes_are_expanded(client, monkeypatch):
    # 1,000 axes of 100,000 values are a 38 kB body asking for 10^8 numbers; 4,301 axes of 10 values gave a
    # number of configurations too long for Python to write into the 422 (a 500).
    def expanded(*args, **kwargs):
        raise AssertionError("an axis was expanded before the grid was sized")

    monkeypatch.setattr("service.api.models._grid_values", expanded)
    wide = {"grid": {f"a{i}": {"linspace": [0, 1, 100_000]} for i in range(1000)}}
    detail = error(client, "/sweep", wide)
    assert (detail["field"], detail["type"]) == ("grid", "limit_exceeded")
    assert detail["msg"].startswith("1000 axes exceed the limit of 16")
    detail = error(client, "/sweep", {"grid": {"lr": {"logspace": [-4, 0, 60_000]}, "momentum": [0.5] * 40_001}})
    assert detail["msg"] == "the axes hold 100001 values together, over the limit of 100000"


def test_configuration_counts_past_30_digits_are_written_as_orders_of_magnitude(client):
    sixteen = {f"a{i}": list(range(6_000)) for i in range(16)}  # 6000^16 x 4 optimizers = 1.1e61 configurations
    detail = error(client, "/sweep", {"grid": sixteen})
    assert detail["msg"].startswith("about 10^61 configurations exceed the limit of 10000"), detail["msg"]
    answer = client.get("/objectives/rosenbrock/surface", params={"resolution": "9" * 2200})
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["msg"].startswith("resolution about 10^2200 gives about 10^4400 points")


@pytest.mark.parametrize("path", ["/sweep", "/simulate"])
def test_a_closed_loop_whose_start_overflows_is_a_422_on_sweeps_and_tuning(client, path):
    body = {
        "gradients": {"kind": "objective", "function": "rosenbrock", "steps": 5},
        "initial": [1e100, 1e100],
        "optimizers": [{"name": "sgd"}],
    }
    body |= {"grid": {"lr": [0.1]}} if path == "/sweep" else {"tune": "lr", "tune_values": [0.1]}
    detail = error(client, path, body)
    assert (detail["field"], detail["type"]) == ("initial", "initial_loss") and "not finite" in detail["msg"]


def test_tune_picks_the_best_lr_and_runs_with_it(client):
    body = {
        "gradients": {"kind": "sequence", "values": [[1.0, -1.0]] * 30},
        "initial": [3.0, -3.0],
        "target": [1.0, -1.0],
        "optimizers": [{"name": "sgd"}, {"name": "adam", "label": "mine"}],
        "tune": "lr",
        "tune_values": [0.01, 0.05, 0.1, 0.3],
        "record": [],
    }
    answer = post(client, "/simulate", body)
    for run in answer["runs"]:
        tuning = run["tuning"]
        assert tuning["parameter"] == "lr" and tuning["score"] == "final_distance"
        assert tuning["values"] == [0.01, 0.05, 0.1, 0.3]
        best = int(np.argmin(tuning["scores"]))
        assert tuning["chosen"] == tuning["values"][best] == run["hyperparameters"]["lr"]
        assert np.linalg.norm(np.array(run["final"]) - [1.0, -1.0]) == pytest.approx(tuning["scores"][best], rel=1e-15)
    # SGD ends at 3 - 30 lr (and its mirror): 0.05 leaves 0.5 to the target, 0.1 leaves 1.
    assert answer["runs"][0]["tuning"]["chosen"] == 0.05


def test_tune_errors_name_the_field(client_with):
    detail = error(client_with(), "/simulate", {"tune": "lr", "tune_values": [0.1, "x"]})
    assert detail["field"] == "tune_values[1]"
    detail = error(client_with(), "/simulate", {"tune": "beta1"})
    assert detail["field"] == "tune"
    detail = error(client_with(max_sweep_configs=10), "/simulate", {"tune": "lr"})
    assert detail["field"] == "tune_values" and "36 configurations exceed the limit of 10" in detail["msg"]


def test_record_every_keeps_every_kth_step_and_the_last(client):
    full = post(client, "/simulate", {"record": ["params", "learning_rates", "updates", "state"]})
    thinned = post(client, "/simulate", {"record": ["params", "learning_rates", "updates", "state"], "record_every": 7})
    kept = [7, 14, 21, 28, 35, 42, 49, 50]
    assert thinned["recorded_steps"] == kept and "recorded_steps" not in full
    rows = np.array(kept) - 1
    assert thinned["gradients"] == [full["gradients"][i] for i in rows]
    for a, b in zip(full["runs"], thinned["runs"], strict=True):
        assert b["params"] == [a["params"][0]] + [a["params"][i + 1] for i in rows]
        for name in ("learning_rates", "updates"):
            assert b[name] == [a[name][i] for i in rows]
        for name, values in a["state"].items():
            assert b["state"][name] == [values[i] for i in rows]
        assert b["final"] == a["final"]


def test_record_every_on_objectives_and_divergence(client):
    body = {
        "gradients": {"kind": "objective", "function": "rosenbrock", "steps": 30},
        "optimizers": [{"name": "adam", "lr": 0.01}],
        "record": ["params"],
    }
    full = post(client, "/simulate", body)["runs"][0]
    thinned = post(client, "/simulate", {**body, "record_every": 10})["runs"][0]
    assert thinned["loss"] == [full["loss"][i] for i in (0, 10, 20, 30)]
    assert thinned["params"] == [full["params"][i] for i in (0, 10, 20, 30)]
    assert thinned["gradients"] == [full["gradients"][i] for i in (9, 19, 29)]
    # Divergence at step 6: the recorded steps before it (3), and the last finite params in `final`.
    values = [0.1] * 5 + [1e308, 1e308]
    run = post(
        client,
        "/simulate",
        {"gradients": {"kind": "sequence", "values": values}, "optimizers": [{"name": "adam"}], "record_every": 3},
    )["runs"][0]
    assert run["diverged_at"] == 6 and len(run["params"]) == 2 and len(run["learning_rates"]) == 1


def test_without_gradients_a_wide_synthetic_run_equals_the_explicit_one(client):
    source = {"kind": "synthetic", "steps": 20, "dim": 300, "seed": 3}
    lean = post(client, "/simulate", {"gradients": source, "include_gradients": False, "record": []})
    assert "gradients" not in lean
    explicit = gradients.trend_noise(20, 300, 3).tolist()
    full = post(client, "/simulate", {"gradients": {"kind": "sequence", "values": explicit}, "record": []})
    assert [r["final"] for r in lean["runs"]] == [r["final"] for r in full["runs"]]


def test_limits_count_only_what_is_returned(client_with):
    client = client_with(max_values=1_000)
    wide = {"kind": "synthetic", "steps": 100, "dim": 100}
    assert client.post("/simulate", json={"gradients": wide, "record": []}).status_code == 422
    answer = post(client, "/simulate", {"gradients": wide, "record": [], "include_gradients": False})
    assert len(answer["runs"][0]["final"]) == 100
    detail = error(client_with(max_work=1000), "/simulate", {"gradients": wide, "include_gradients": False})
    assert detail["field"] == "gradients" and "asks for 40000 coordinate-steps" in detail["msg"]


def test_patterns_drawn_whole_count_their_gradients_and_the_others_do_not(client_with):
    # sparse, scaled, heavy_tailed and drift draw their numbers step by step across the coordinates: a run
    # holds all T x D of them, which the limits count; trend_noise, constant and sine come a block at a time,
    # unless an optimizer the numpy loop steps (adafactor) reads the whole sequence.
    client = client_with(max_values=5_000)
    wide = {"kind": "synthetic", "steps": 100, "dim": 100}
    lean = {"record": [], "include_gradients": False}
    for pattern in ("trend_noise", "constant", "sine"):
        answer = post(client, "/simulate", {"gradients": wide | {"pattern": pattern}, **lean})
        assert len(answer["runs"][0]["final"]) == 100, pattern
        body = {"gradients": wide | {"pattern": pattern}, "optimizers": [{"name": "adam"}, {"name": "adafactor"}]}
        detail = error(client, "/simulate", body | lean)
        assert detail["field"] == "gradients", pattern
        assert "its T x D = 10000 gradients are held whole while the runs go (adafactor steps through" in detail["msg"]
    for pattern in ("sparse", "scaled", "heavy_tailed", "drift"):
        detail = error(client, "/simulate", {"gradients": wide | {"pattern": pattern}, **lean})
        assert detail["field"] == "gradients", pattern
        why = (
            f"(the {pattern} pattern is drawn step by step across the coordinates): ask for fewer steps or coordinates"
        )
        assert detail["msg"].endswith(why), detail["msg"]  # nothing else would help: the gradients alone are over
        detail = error(client, "/sweep", {"gradients": wide | {"pattern": pattern}, "grid": {"lr": [0.1]}})
        assert detail["field"] == "gradients" and "this sweep moves 10400 numbers" in detail["msg"], detail
        assert f"the {pattern} pattern is drawn step by step" in detail["msg"]
    small = {"kind": "synthetic", "pattern": "drift", "steps": 40, "dim": 100}
    assert post(client, "/sweep", {"gradients": small, "grid": {"lr": [0.1]}})["optimizers"]
    detail = error(client, "/simulate", {"gradients": small, "record": ["params"], "include_gradients": False})
    assert detail["msg"].endswith(
        "ask for fewer steps or coordinates, or record fewer series, record_every more "
        "steps, or set include_gradients false"
    )


def test_a_grid_cannot_reach_a_configuration_the_optimizers_spec_refuses(client):
    # SGD damped under a momentum cycle rising from 0: /simulate refuses it (it would differ from torch),
    # so a grid putting dampening there must too.
    cycle = {"kind": "onecycle", "max_lr": 0.1, "max_momentum": 0.0, "base_momentum": 0.5}
    spec = {"name": "sgd", "momentum": 0.9, "schedule": cycle}
    assert error(client, "/simulate", {"optimizers": [spec | {"dampening": 0.5}]})["type"] == "constraint"
    detail = error(client, "/sweep", {"optimizers": [spec], "grid": {"dampening": [0.0, 0.5]}})
    assert (detail["field"], detail["type"]) == ("grid.dampening[1]", "constraint")
    assert "sgd with dampening=0.5: a momentum cycle rising from max_momentum = 0" in detail["msg"]


def test_what_runs_hold_beyond_their_answer_is_counted(client_with):
    # Found holding 10-1000x what the limits counted: a schedule's lr for every configuration and step (a
    # T x N matrix), a closed loop's every step, an objective's data, Adam's three state arrays, and the
    # base_lr / scheduled_momentum a scheduled run returns at every recorded step.
    client = client_with(max_values=10_000)
    cosine = {"kind": "cosine", "T_max": 100}
    source = {"kind": "synthetic", "steps": 1000}
    sweep = {"gradients": source, "optimizers": [{"name": "sgd"}], "grid": {"lr": {"logspace": [-4, 0, 20]}}}
    assert post(client, "/sweep", sweep)["optimizers"]  # 20 final points
    detail = error(client, "/sweep", sweep | {"optimizers": [{"name": "sgd", "schedule": cosine}]})
    assert "this sweep moves 20020 numbers" in detail["msg"]  # + 20 x 1000 learning rates
    assert "fewer steps (a schedule holds every configuration's lr at every step)" in detail["msg"]
    tune = {"gradients": source, "tune": "lr", "tune_values": {"logspace": [-4, 0, 20]}, "record": []}
    tune |= {"include_gradients": False, "optimizers": [{"name": "sgd", "schedule": cosine}]}
    detail = error(client, "/simulate", tune)
    assert detail["field"] == "tune_values" and "tuning the lr moves 20020 numbers" in detail["msg"]
    quadratic = {"kind": "objective", "function": "quadratic", "dim": 10, "steps": 1000}
    detail = error(client, "/sweep", {"gradients": quadratic, "optimizers": [{"name": "sgd"}], "grid": {"lr": [0.1]}})
    assert "(a closed loop holds every step of the run it computes)" in detail["msg"]  # 10,000 gradients
    data = {"kind": "objective", "function": "logistic_regression", "dim": 10, "n_samples": 2000, "steps": 1}
    assert error(client, "/sweep", {"gradients": data, "optimizers": [{"name": "sgd"}], "grid": {"lr": [0.1]}})
    # an lr sweep runs once at lr = 1 keeping every step's update and rate, and their running sum, and scales
    scaled = {"gradients": {"kind": "synthetic", "steps": 1000, "dim": 4}, "optimizers": [{"name": "adam"}]}
    assert post(client, "/sweep", scaled | {"grid": {"lr": [0.1]}})["optimizers"]
    detail = error(client, "/sweep", scaled | {"grid": {"lr": [0.1, 0.2]}})
    assert "this sweep moves 12008 numbers" in detail["msg"], detail  # 2 x 4 final + 3 x 4000
    lean = {"gradients": {"kind": "synthetic", "steps": 4000}, "include_gradients": False}
    assert post(client, "/simulate", lean | {"optimizers": [{"name": "sgd"}], "record": ["state"]})  # 1 array
    detail = error(client, "/simulate", lean | {"optimizers": [{"name": "adam"}], "record": ["state"]})
    assert detail["msg"].startswith("this request moves 12001 numbers"), detail["msg"]  # 3 arrays
    onecycle = {"name": "sgd", "momentum": 0.9, "schedule": {"kind": "onecycle", "max_lr": 0.1}}
    detail = error(client, "/simulate", lean | {"optimizers": [onecycle] * 2, "record": []})
    assert detail["msg"].startswith("this request moves 32002 numbers"), detail["msg"]  # base_lr and momentum
    # made for all 4000 steps, whatever record_every returns of them (here 1 row each)
    detail = error(client, "/simulate", lean | {"optimizers": [onecycle] * 2, "record": [], "record_every": 4000})
    assert detail["msg"].startswith("this request moves 16006 numbers"), detail["msg"]


def test_many_configurations_or_scheduled_ones_leave_the_event_loop(client_with, monkeypatch):
    # 10,000 one-step configurations were "10,000 coordinate-steps" and ran inline: 0.5 s of Python set-up
    # on the event loop, seconds with a schedule each. Their set-up now counts in the work estimate.
    from service.api import simulate, sweep
    from service.api.concurrency import INLINE_WORK

    seen = []
    for module in (simulate, sweep):
        original = module.run_sized

        async def spy(work, compute, *args, _original=original, **options):
            seen.append(work)
            return await _original(work, compute, *args, **options)

        monkeypatch.setattr(module, "run_sized", spy)
    client = client_with(response_cache_entries=0)
    one_step = {"kind": "synthetic", "steps": 1}
    rprop = {"optimizers": [{"name": "rprop"}], "gradients": one_step}
    post(
        client,
        "/sweep",
        rprop | {"grid": {"eta_minus": {"linspace": [0.1, 0.9, 100]}, "eta_plus": {"linspace": [1.1, 2, 10]}}},
    )
    post(client, "/sweep", {"optimizers": [{"name": "sgd"}], "grid": {"lr": [0.1, 0.01]}})  # the tutorial's size
    scheduled = {"name": "sgd", "schedule": {"kind": "cosine", "T_max": 10}}
    post(client, "/sweep", {"optimizers": [scheduled], "gradients": one_step, "grid": {"lr": [0.1] * 10}})
    post(
        client, "/simulate", {"optimizers": [scheduled], "gradients": one_step, "tune": "lr", "tune_values": [0.1] * 10}
    )
    post(client, "/simulate", {})
    assert [work > INLINE_WORK for work in seen] == [True, False, True, True, False], seen


def test_a_sequence_over_the_size_limits_is_blamed_on_its_values(client_with):
    client = client_with(max_steps=3, max_dim=1)
    for values, says in (([[0.1]] * 4, "4 steps exceed the limit of 3"), ([[0.1, 0.2]], "D = 2 exceeds the limit")):
        detail = error(client, "/sweep", {"gradients": {"kind": "sequence", "values": values}})
        assert detail["field"] == "gradients.values" and says in detail["msg"]
    detail = error(client, "/sweep", {"gradients": {"kind": "synthetic", "steps": 4}})
    assert detail["field"] == "gradients.steps"


def test_a_sweep_of_many_short_runs_stops_at_the_budget(client_with):
    # Each closed-loop configuration's 500 steps never reached the check at step 1024: 10,000 of them ran
    # for minutes past the budget. Every run now checks at its first step too (and about every 10 ms).
    client = client_with(compute_budget_seconds=0.2, response_cache_entries=0)
    body = {
        "gradients": {"kind": "objective", "function": "rosenbrock", "steps": 500},
        "optimizers": [{"name": "adam"}],
        "grid": {"lr": {"linspace": [1e-4, 1e-2, 1000]}},
    }
    detail = error(client, "/sweep", body)
    assert detail["type"] == "compute_budget_exceeded", detail
    assert re.search(r"\(adam stopped at step \d+ of 500: over the time budget\)", detail["msg"])
    assert detail["msg"].endswith("ask for fewer configurations, steps or coordinates")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/simulate", {"gradients": {"kind": "synthetic", "steps": int("9" * 4200)}}),
        ("post", "/simulate", {"gradients": {"kind": "synthetic", "dim": int("9" * 4200)}}),
        ("post", "/sweep", {"gradients": {"kind": "synthetic", "steps": int("9" * 4200)}}),
        ("post", "/schedules/simulate", {"steps": int("9" * 4200), "schedule": {"kind": "cosine"}}),
        ("get", "/objectives/rosenbrock/surface?x_axis=" + "9" * 4200, None),
    ],
)
def test_integers_of_thousands_of_digits_are_not_echoed_in_full(client, method, path, body):
    answer = client.request(method.upper(), path, json=body)
    assert answer.status_code == 422
    message = answer.json()["detail"][0]["msg"]
    assert "about 10^4200" in message and len(message) < 300, message[:300]


def test_an_integer_too_long_for_python_is_not_called_invalid_json(client):
    body = '{"gradients": {"kind": "synthetic", "steps": ' + "9" * 5000 + "}}"
    answer = client.post("/simulate", content=body, headers={"content-type": "application/json"})
    detail = answer.json()["detail"][0]
    assert answer.status_code == 422 and detail["type"] == "json_invalid" and "sys.set_int" not in detail["msg"]
    assert detail["msg"].startswith("The body holds an integer of more than 4,300 digits")
