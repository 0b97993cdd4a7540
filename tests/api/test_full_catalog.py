"""The whole catalog through HTTP: every optimizer runs at its defaults, reports its state, validates its bounds."""

from __future__ import annotations

import pytest

from service.engine import REGISTRY

ROWS = [[0.3, -0.2, 0.1], [0.25, 0.05, -0.3], [-0.1, 0.4, 0.2], [0.2, -0.1, 0.0]]
BODY = {"gradients": {"kind": "sequence", "values": ROWS}, "initial": [0.5, -1.0, 2.0]}

TORCH = [
    "sgd",
    "adagrad",
    "rmsprop",
    "adam",
    "adamw",
    "adamax",
    "nadam",
    "radam",
    "adadelta",
    "rprop",
    "asgd",
    "adafactor",
]
OPTAX = ["lion", "adabelief", "yogi"]


def test_catalog_order_and_references(client):
    catalog = client.get("/optimizers").json()
    assert [e["name"] for e in catalog] == TORCH + OPTAX
    for entry in catalog:
        expected = "torch.optim 2.13" if entry["name"] in TORCH else "optax 0.2."
        assert entry["reference"].startswith(expected), entry["name"]
        assert entry["notes"], f"{entry['name']}: no note on where libraries disagree"
        assert "direction" in entry["learning_rate"], entry["name"]
        assert entry["state"] == list(REGISTRY[entry["name"]].state_names)


def test_every_optimizer_at_its_defaults_with_its_state(client):
    body = {**BODY, "optimizers": [{"name": n} for n in REGISTRY], "record": ["state", "params"]}
    response = client.post("/simulate", json=body)
    assert response.status_code == 200, response.text
    catalog = {e["name"]: e for e in client.get("/optimizers").json()}
    runs = response.json()["runs"]
    assert [r["name"] for r in runs] == list(REGISTRY)
    for run in runs:
        entry = catalog[run["name"]]
        assert run["diverged_at"] is None
        assert run["hyperparameters"] == entry["defaults"]
        assert list(run["state"]) == entry["state"]
        for rows in run["state"].values():
            assert len(rows) == len(ROWS) and all(len(row) == 3 for row in rows)
        assert len(run["params"]) == len(ROWS) + 1


def test_nullable_eps1_and_explicit_values(client):
    body = {**BODY, "optimizers": [{"name": "adafactor", "eps1": None}, {"name": "adafactor", "eps1": 1e-30}]}
    response = client.post("/simulate", json=body)
    assert response.status_code == 200, response.text
    default, explicit = response.json()["runs"]
    assert default["hyperparameters"]["eps1"] is None and explicit["hyperparameters"]["eps1"] == 1e-30


@pytest.mark.parametrize(
    ("spec", "field", "kind"),
    [
        # torch's constructor checks, as bounds
        ({"name": "rprop", "eta_minus": 1.0}, "eta_minus", "less_than"),
        ({"name": "rprop", "eta_minus": 0.0}, "eta_minus", "greater_than"),
        ({"name": "rprop", "eta_plus": 1.0}, "eta_plus", "greater_than"),
        ({"name": "adafactor", "d": 0.5}, "d", "greater_than_equal"),
        ({"name": "adafactor", "beta2_decay": 0.1}, "beta2_decay", "less_than_equal"),
        ({"name": "adafactor", "eps1": -1.0}, "eps1", "greater_than_equal"),
        ({"name": "adafactor", "eps2": -1.0}, "eps2", "greater_than_equal"),
        ({"name": "adadelta", "rho": 1.5}, "rho", "less_than_equal"),
        ({"name": "nadam", "momentum_decay": -0.1}, "momentum_decay", "greater_than_equal"),
        ({"name": "radam", "beta2": 1.0}, "beta2", "less_than"),
        ({"name": "adamax", "beta1": -0.1}, "beta1", "greater_than_equal"),
        ({"name": "adamw", "weight_decay": -0.1}, "weight_decay", "greater_than_equal"),
        # stricter than torch, where torch's result would be meaningless
        ({"name": "rprop", "step_size_min": 0.1, "step_size_max": 0.01}, "step_size_min", "constraint"),
        ({"name": "rprop", "step_size_max": -1.0}, "step_size_max", "greater_than_equal"),
        ({"name": "asgd", "lambd": -1.0}, "lambd", "greater_than_equal"),
        # optax
        ({"name": "lion", "beta1": 1.5}, "beta1", "less_than_equal"),
        ({"name": "yogi", "initial_accumulator_value": -1.0}, "initial_accumulator_value", "greater_than_equal"),
        ({"name": "adabelief", "eps_root": -1.0}, "eps_root", "greater_than_equal"),
        ({"name": "lion", "maximize": True}, "maximize", "extra_forbidden"),
    ],
)
def test_invalid_hyperparameters_are_422(client, spec, field, kind):
    response = client.post("/simulate", json={**BODY, "optimizers": [spec]})
    assert response.status_code == 422, response.text
    detail = response.json()["detail"][0]
    assert (detail["field"], detail["type"]) == (f"optimizers[0].{field}", kind)
