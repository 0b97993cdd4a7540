"""GET /schedules, POST /schedules/simulate and schedules inside /simulate, through HTTP."""

from __future__ import annotations

import numpy as np
import pytest

from service.engine import REGISTRY
from service.engine.schedules import SCHEDULES
from tests.fixtures_util import assert_matches, load

RECORDED = load("schedules.json")
SCHEDULED = load("optimizers_scheduled.json")


def test_catalog_lists_every_schedule_with_a_json_schema(client):
    catalog = client.get("/schedules").json()
    assert [entry["kind"] for entry in catalog] == list(SCHEDULES)
    for entry in catalog:
        assert entry["reference"].startswith("torch.optim.lr_scheduler.")
        assert entry["formula"]["latex"] and entry["formula"]["text"]
        assert entry["parameters"]["type"] == "object"
        assert "kind" not in entry["parameters"]["properties"]
    onecycle = next(e for e in catalog if e["kind"] == "onecycle")["parameters"]["properties"]
    assert onecycle["anneal_strategy"]["enum"] == ["cos", "linear"]
    assert onecycle["pct_start"]["maximum"] == 1


def test_schedule_simulate_returns_step_and_lr(client):
    case = next(c for c in RECORDED["cases"] if c["id"] == "sequential_warmup_cosine")
    body = {"schedule": case["schedule"], "steps": RECORDED["n_steps"], "lr": RECORDED["base_lr"]}
    answer = client.post("/schedules/simulate", json=body).json()
    assert answer["steps"] == RECORDED["n_steps"]
    assert answer["step"] == list(range(1, RECORDED["n_steps"] + 1))
    assert_matches(answer["lr"], case["lr"], case["id"])
    assert "momentum" not in answer


def test_schedule_simulate_reports_onecycle_momentum(client):
    case = next(c for c in RECORDED["cases"] if c["id"] == "onecycle_defaults_120")
    answer = client.post("/schedules/simulate", json={"schedule": case["schedule"], "steps": 120}).json()
    assert_matches(answer["lr"], case["lr"], case["id"])
    assert_matches(answer["momentum"], case["momentum"], case["id"])


@pytest.mark.parametrize("case", RECORDED["error_cases"], ids=[c["id"] for c in RECORDED["error_cases"]])
def test_what_torch_rejects_is_a_422(client, case):
    """Construction errors, and schedules that raise mid-run (ConstantLR factor 0, OneCycle past its end)."""
    steps = len(case["lr"]) if case.get("lr") else RECORDED["n_steps"]
    response = client.post("/schedules/simulate", json={"schedule": case["schedule"], "steps": steps})
    assert response.status_code == 422, response.text[:300]
    assert response.json()["detail"][0]["field"].startswith("schedule")


def test_onecycle_runs_exactly_its_total_steps(client):
    case = next(c for c in RECORDED["error_cases"] if c["id"] == "onecycle_stepped_past_total_steps")
    answer = client.post("/schedules/simulate", json={"schedule": case["schedule"], "steps": 100}).json()
    assert_matches(answer["lr"], case["lr"][:100], case["id"])


@pytest.mark.parametrize(
    ("schedule", "field", "says"),
    [
        (
            {"kind": "sequential", "schedulers": [{"kind": "linear"}], "milestones": [3]},
            "schedule.milestones",
            "1 schedulers need 0 milestones",
        ),
        (
            {"kind": "sequential", "schedulers": [{"kind": "linear"}] * 3, "milestones": [5, 5]},
            "schedule.milestones",
            "strictly increasing",
        ),
        (
            {"kind": "sequential", "schedulers": [{"kind": "onecycle"}], "milestones": []},
            "schedule.schedulers[0].kind",
            "onecycle cannot be a sequential child: it sets the whole cycle's lr itself",
        ),
        # pydantic's own words were "Input tag 'cosin' found using 'kind' does not match any of the expected tags"
        ({"kind": "cosin"}, "schedule.kind", "Unknown schedule kind 'cosin'. Did you mean 'cosine'? Known schedule"),
        ({"T_max": 10}, "schedule.kind", "kind is required. Known schedule kinds: 'constant', 'step'"),
        ({"kind": "step", "step_size": 0}, "schedule.step_size", "greater than or equal to 1"),
        ({"kind": "onecycle", "anneal_strategy": "exp"}, "schedule.anneal_strategy", "'cos' or 'linear'"),
        ({"kind": "onecycle", "pct_start": 0.1, "total_steps": 10}, "schedule", "undefined at step 1"),
        # 0.1 x 1e100^(t - 1): 1e299 at step 4, beyond float64 at step 5.
        ({"kind": "exponential", "gamma": 1e100}, "schedule", "overflows float64 at step 5"),
        # An infinite end of a OneCycle phase made every value in it NaN: called a phase of zero length once.
        (
            {"kind": "onecycle", "max_lr": 1e308, "div_factor": 0.5},
            "schedule",
            "overflows float64 (the initial lr, max_lr / div_factor = 1e+308 / 0.5)",
        ),
        (
            {"kind": "onecycle", "max_lr": 1e308, "final_div_factor": 1e-10},
            "schedule",
            "overflows float64 (the final lr, max_lr / div_factor / final_div_factor = 4e+306 / 1e-10)",
        ),
        ({"kind": "cosine", "T_mx": 10}, "schedule.T_mx", "Did you mean 'T_max'?"),
    ],
)
def test_bad_schedules_name_the_field(client, schedule, field, says):
    response = client.post("/schedules/simulate", json={"schedule": schedule, "steps": 10})
    assert response.status_code == 422
    detail = response.json()["detail"][0]
    assert detail["field"] == field and says in detail["msg"], detail


def test_a_learning_rate_that_overflows_is_a_divergence_of_the_run(client):
    # Zero gradients: the parameters never move, so the run diverges exactly where its lr leaves float64
    # (step 5: 0.1 x 1e100^4 = 1e399), keeping the four finite steps before it.
    body = {
        "gradients": {"kind": "sequence", "values": [0.0] * 10},
        "optimizers": [{"name": "sgd", "lr": 0.1, "schedule": {"kind": "exponential", "gamma": 1e100}}],
    }
    response = client.post("/simulate", json=body)
    assert response.status_code == 200, response.text[:300]
    run = response.json()["runs"][0]
    assert run["diverged_at"] == 5
    np.testing.assert_allclose(run["base_lr"], [0.1, 1e99, 1e199, 1e299], rtol=1e-12)
    assert run["learning_rates"] == [[lr] for lr in run["base_lr"]] and run["final"] == [0.0]


def test_cycle_momentum_needs_momentum_or_beta1(client):
    body = {"optimizers": [{"name": "adagrad", "schedule": {"kind": "onecycle", "max_lr": 0.5}}]}
    detail = client.post("/simulate", json=body).json()["detail"][0]
    assert detail["field"] == "optimizers[0].schedule.cycle_momentum"
    assert "set cycle_momentum to false" in detail["msg"]
    body["optimizers"][0]["schedule"]["cycle_momentum"] = False
    assert client.post("/simulate", json=body).status_code == 200


def test_sgd_momentum_rising_from_zero_with_dampening_is_refused(client):
    """torch creates SGD's buffer undamped at the first step whose momentum is not 0 (here step 2, and
    params [0, -0.004, -0.085175, ...]); the engine creates it at step 1 and would damp step 2's. The
    case is refused; without dampening the two agree, and it runs (torch's numbers, by hand: b_2 = g)."""
    onecycle = {"kind": "onecycle", "max_lr": 0.1, "base_momentum": 0.9, "max_momentum": 0.0, "total_steps": 4}
    sgd = {"name": "sgd", "lr": 0.1, "dampening": 0.5, "schedule": onecycle}
    body = {"gradients": {"kind": "sequence", "values": [1, 1, 1, 1]}, "optimizers": [sgd]}
    detail = client.post("/simulate", json=body).json()["detail"][0]
    assert (detail["field"], detail["type"]) == ("optimizers[0].schedule.max_momentum", "constraint")
    assert "set dampening to 0 or max_momentum above 0" in detail["msg"]
    body["optimizers"][0] = {**sgd, "dampening": 0.0}
    params = client.post("/simulate", json=body).json()["runs"][0]["params"]
    assert params[2][0] == pytest.approx(-0.08517456539497631, rel=1e-12)


def test_onecycle_horizon_is_checked_against_the_run(client):
    body = {"optimizers": [{"name": "adam", "schedule": {"kind": "onecycle", "max_lr": 0.5, "total_steps": 49}}]}
    detail = client.post("/simulate", json=body).json()["detail"][0]
    assert detail["field"] == "optimizers[0].schedule.total_steps" and "less than the run's 50 steps" in detail["msg"]


CASES = SCHEDULED["cases"]


def test_every_scheduled_reference_case_has_its_optimizer():
    assert {c["optimizer"] for c in CASES} <= set(REGISTRY)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_scheduled_optimizers_match_torch_through_http(client, case):
    """An optimizer with a schedule, recorded from torch with the scheduler stepped after each step."""
    sequence = SCHEDULED["sequences"][case["sequence"]]
    spec = {"name": case["optimizer"], **case["hyperparameters"], "schedule": case["schedule"]}
    body = {
        "gradients": {"kind": "sequence", "values": sequence["gradients"]},
        "initial": sequence["initial"],
        "optimizers": [spec],
        "record": ["params"],
    }
    response = client.post("/simulate", json=body)
    assert response.status_code == 200, response.text[:500]
    run = response.json()["runs"][0]
    assert run["diverged_at"] is None
    assert_matches(run["base_lr"], case["lr"], case["id"] + " lr")
    assert_matches(np.array(run["params"]), case["params"], case["id"])


def test_schedule_steps_are_bounded_by_the_step_limit(client_with):
    client = client_with(max_steps=100)
    response = client.post("/schedules/simulate", json={"schedule": {"kind": "step"}, "steps": 101})
    assert response.status_code == 422
    detail = response.json()["detail"][0]
    assert (detail["field"], detail["type"]) == ("steps", "limit_exceeded")
    assert "101 steps exceed the limit of 100" in detail["msg"]
    assert client.post("/schedules/simulate", json={"schedule": {"kind": "step"}, "steps": 100}).status_code == 200


@pytest.mark.parametrize("field", ["step_size", "milestones"])
def test_schedule_integers_stay_within_int64_arithmetic(client, field):
    value = [10**12] if field == "milestones" else 10**12
    kind = "multistep" if field == "milestones" else "step"
    response = client.post("/schedules/simulate", json={"schedule": {"kind": kind, field: value}, "steps": 5})
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"].startswith(f"schedule.{field}")


@pytest.mark.parametrize(("accept", "status"), [("text/csv", 406), ("application/*", 200), ("*/*", 200)])
def test_a_schedule_simulation_answers_json_only_and_says_so(client, accept, status):
    # It answered JSON whatever Accept said, where /simulate and /sweep answer a 406.
    body = {"schedule": {"kind": "cosine", "T_max": 10}, "steps": 10}
    response = client.post("/schedules/simulate", json=body, headers={"accept": accept})
    assert response.status_code == status
    if status == 406:
        assert response.json()["detail"] == (
            f"Cannot answer with {accept!r}. POST /schedules/simulate answers application/json only."
        )
    unknown = client.post("/schedules/simulate?format=csv", json=body).json()["detail"][0]
    assert unknown["field"] == "query.format"
