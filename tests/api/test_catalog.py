"""GET /optimizers: the catalog a front end builds its forms from."""

from __future__ import annotations

from service.engine import REGISTRY


def test_catalog_lists_every_registered_optimizer_with_its_documentation(client):
    catalog = client.get("/optimizers").json()
    assert [entry["name"] for entry in catalog] == list(REGISTRY)
    assert {"sgd", "adagrad", "rmsprop", "adam"} <= set(REGISTRY)
    for entry in catalog:
        assert entry["title"]
        for key in ("summary", "paper", "learning_rate"):
            assert len(entry[key]) > 10, (entry["name"], key)
        assert entry["update"]["latex"] and entry["update"]["text"]
        schema = entry["hyperparameters"]
        assert schema["type"] == "object" and schema["additionalProperties"] is False
        assert set(schema["properties"]) == set(entry["defaults"])
        for name, prop in schema["properties"].items():
            assert prop["default"] == entry["defaults"][name]
            assert prop["description"]


def test_adam_entry_has_torch_defaults_and_bounds(client):
    entry = client.get("/optimizers/adam").json()
    assert entry["defaults"] == {
        "lr": 1e-3,
        "beta1": 0.9,
        "beta2": 0.999,
        "eps": 1e-8,
        "weight_decay": 0.0,
        "decoupled_weight_decay": False,
        "amsgrad": False,
        "maximize": False,
    }
    props = entry["hyperparameters"]["properties"]
    assert props["beta1"]["minimum"] == 0 and props["beta1"]["exclusiveMaximum"] == 1
    assert props["lr"]["type"] == "number" and props["amsgrad"]["type"] == "boolean"
    assert entry["state"] == ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"]
    assert any("AMSGrad" in note for note in entry["notes"])


def test_torch_defaults_per_optimizer(client):
    defaults = {e["name"]: e["defaults"] for e in client.get("/optimizers").json()}
    assert defaults["sgd"] == {
        "lr": 1e-3,
        "momentum": 0.0,
        "dampening": 0.0,
        "weight_decay": 0.0,
        "nesterov": False,
        "maximize": False,
    }
    assert defaults["adagrad"] == {
        "lr": 1e-2,
        "lr_decay": 0.0,
        "weight_decay": 0.0,
        "initial_accumulator_value": 0.0,
        "eps": 1e-10,
        "maximize": False,
    }
    assert defaults["rmsprop"] == {
        "lr": 1e-2,
        "alpha": 0.99,
        "eps": 1e-8,
        "weight_decay": 0.0,
        "momentum": 0.0,
        "centered": False,
        "maximize": False,
    }


def test_unknown_optimizer_is_a_404_listing_the_known_ones(client):
    response = client.get("/optimizers/adamx")
    assert response.status_code == 404
    assert response.json() == {"detail": f"Unknown optimizer 'adamx'. Known optimizers: {', '.join(REGISTRY)}."}


def test_healthz(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_every_nullable_parameter_says_what_null_means(client):
    """A form shows `x-null-means` where a null field's value would be (Logistic's batch_size: the full
    batch, not something "auto")."""
    said = {}
    for url, key in (("/optimizers", "hyperparameters"), ("/objectives", "parameters"), ("/schedules", "parameters")):
        for entry in client.get(url).json():
            for name, prop in entry[key]["properties"].items():
                if {"type": "null"} in prop.get("anyOf", []):
                    said[f"{entry.get('name') or entry['kind']}.{name}"] = prop.get("x-null-means")
    assert said == {
        "adafactor.eps1": "machine epsilon",
        "quadratic.scales": "from condition_number",
        "quadratic.condition_number": "10 (unused with scales)",
        "quadratic.rotation_seed": "no rotation",
        "logistic_regression.batch_size": "full batch",
        "onecycle.total_steps": "the run's steps",
    }
