"""Every registry optimizer against trajectories recorded from torch.optim 2.13 / optax 0.2.x, offline.

The fixtures (tests/fixtures/optimizers/<name>.json, written by tests/reference/record_fixtures.py) hold,
per hyperparameter set and gradient sequence (dense and sparse, T = 200, D = 4), the reference's
parameters after every step and its state under the library's own names. Each case runs open loop
through `service.engine.run` and must agree at every step.

Error measure: for a series `got` against the reference `ref` (T rows of D),

    error = max over t, j of |got[t, j] - ref[t, j]| / max(|ref[t, j]|, scale_j),  scale_j = max_t |ref[t, j]|

i.e. relative to the largest magnitude coordinate j reaches over the run. A pure relative error
|got - ref| / |ref| is meaningless where a series crosses zero (moments, sparse-gradient states), while a
single scale across coordinates would let the small coordinates (gradients span 1e-2 .. 1e1 here) hide
behind the large ones. A coordinate that stays exactly 0 in the reference must be exactly 0 here.
The bound is TOLERANCE = 1e-10; the measured worst case is ~1e-14 (see `test_parity_report`).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from service.api.models import SPEC_MODELS
from service.engine import REGISTRY, run

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
TOLERANCE = 1e-10
# Step counters the references keep as state; the engine passes the step t to `step` instead.
COUNTERS = {"step", "count"}
# Scheduled cases whose OneCycleLR also cycles momentum (SGD, RMSProp) or beta1 (Adam) record it under this key.
CYCLED = "momentum"


@cache
def fixture(name: str) -> dict | None:
    path = FIXTURES / "optimizers" / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


@cache
def reference_defaults() -> dict:
    return json.loads((FIXTURES / "reference_defaults.json").read_text())


@cache
def scheduled() -> dict:
    return json.loads((FIXTURES / "optimizers_scheduled.json").read_text())


def error(got, ref) -> float:
    """The documented measure above; 0 when equal, inf on a shape mismatch."""
    got, ref = np.asarray(got, dtype=np.float64), np.asarray(ref, dtype=np.float64)
    if got.shape != ref.shape:
        return float("inf")
    scale = np.max(np.abs(ref), axis=0)
    denominator = np.maximum(np.abs(ref), scale)
    diff = np.abs(got - ref)
    exact_zero = denominator == 0
    if np.any(exact_zero & (diff != 0)):
        return float("inf")
    return float(np.max(np.where(exact_zero, 0.0, diff / np.where(exact_zero, 1.0, denominator)), initial=0.0))


def state_series(values, shape) -> np.ndarray:
    """A reference state series as T rows of D: per-run scalars (ASGD's eta, NAdam's mu_product) broadcast."""
    array = np.asarray(values, dtype=np.float64)
    return np.broadcast_to(array[:, None], shape) if array.ndim == 1 else array


def run_case(name: str, case: dict, sequences: dict, lr=None, per_step=None):
    optimizer = REGISTRY[name]
    sequence = sequences[case["sequence"]]
    gradients = np.array(sequence["gradients"], dtype=np.float64)
    initial = np.array(sequence["initial"], dtype=np.float64)
    hyper = optimizer.hyper(case["hyperparameters"])
    _, diverged_at, series, states = run(
        optimizer, hyper, gradients, initial, ("params", "state"), lr, per_step=per_step
    )
    assert diverged_at is None, f"{name} {case['id']}: diverged at step {diverged_at}"
    return series["params"], states


def compare(name: str, case: dict, params, states) -> dict[str, float]:
    """Errors of the parameters and of every state series the reference shares with the engine."""
    errors = {"params": error(params, case["params"])}
    optimizer = REGISTRY[name]
    unknown = set(case["state"]) - set(optimizer.state_names) - COUNTERS
    assert not unknown, f"{name}: reference state {sorted(unknown)} has no engine counterpart (a naming mismatch?)"
    for key, values in case["state"].items():
        if key in COUNTERS:
            continue
        errors[key] = error(states[key], state_series(values, states[key].shape))
    return errors


def optimizer_cases() -> list:
    """(name, case index) for every fixture case; a registry optimizer without a fixture yields (name, None)."""
    params = []
    for name in REGISTRY:
        data = fixture(name)
        if data is None or not data["cases"]:
            params.append(pytest.param(name, None, id=f"{name}-NO-FIXTURE"))
            continue
        params.extend(pytest.param(name, i, id=f"{name}-{case['id']}") for i, case in enumerate(data["cases"]))
    return params


@cache
def case_errors(name: str, index: int) -> dict[str, float]:
    """Errors of one fixture case (cached: the report below reads them again)."""
    data = fixture(name)
    case = data["cases"][index]
    params, states = run_case(name, case, data["sequences"])
    return compare(name, case, params, states)


@pytest.mark.parametrize(("name", "index"), optimizer_cases())
def test_matches_reference_at_every_step(name, index):
    assert index is not None, f"{name} is in the registry but tests/fixtures/optimizers/{name}.json has no cases"
    errors = case_errors(name, index)
    assert max(errors.values()) <= TOLERANCE, f"{name} {fixture(name)['cases'][index]['id']}: {errors}"


@pytest.mark.parametrize("name", list(REGISTRY))
def test_fixture_exercises_both_sequences_and_every_flag(name):
    data = fixture(name)
    assert data is not None, f"no reference fixture for {name}"
    assert data["optimizer"] == name
    assert {c["sequence"] for c in data["cases"]} == {"dense", "sparse"}
    gradients = np.array(data["sequences"]["dense"]["gradients"])
    assert gradients.shape[0] >= 200 and gradients.shape[1] >= 3
    assert np.all(np.array(data["sequences"]["dense"]["initial"]) != 0)
    # every boolean flag is on in at least one case, every other hyperparameter moved off its default
    optimizer = REGISTRY[name]
    for h in optimizer.hyperparameters:
        values = {c["hyperparameters"][h.name] for c in data["cases"]}
        assert values - {h.default}, f"{name}: no fixture case sets {h.name} off its default {h.default!r}"


@pytest.mark.parametrize("name", list(REGISTRY))
def test_every_fixture_case_is_a_valid_request(name):
    """The API's bounds and constraints accept every configuration the reference library ran."""
    model = SPEC_MODELS[name]
    for case in fixture(name)["cases"]:
        model.model_validate({"name": name, **case["hyperparameters"]})


def test_no_fixture_without_a_registry_entry():
    recorded = {p.stem for p in (FIXTURES / "optimizers").glob("*.json")}
    assert recorded == set(REGISTRY)


@pytest.mark.parametrize("name", list(REGISTRY))
def test_defaults_are_the_references(name):
    entry = reference_defaults()["optimizers"][name]
    ours = {h.name: h.default for h in REGISTRY[name].hyperparameters}
    theirs = dict(entry["defaults"])
    assert set(ours) == set(theirs), f"{name}: hyperparameter names differ from {entry['constructor']}"
    if theirs["lr"] is None:
        # optax's aliases take learning_rate without a default: ours is the one the "defaults" cases ran with
        assert entry["reference"].startswith("optax")
        defaults_case = next(c for c in fixture(name)["cases"] if c["id"].startswith("defaults/"))
        theirs["lr"] = defaults_case["hyperparameters"]["lr"]
    assert ours == theirs
    library, version = entry["reference"].split()
    assert REGISTRY[name].reference.split()[0].startswith(library)
    assert version.startswith(REGISTRY[name].reference.split()[-1].rstrip(".x"))


def scheduled_cases() -> list:
    return [pytest.param(i, id=case["id"]) for i, case in enumerate(scheduled()["cases"])]


@pytest.mark.parametrize("index", scheduled_cases())
def test_matches_reference_under_a_schedule(index):
    """torch with an lr_scheduler: the recorded per-step lr (and OneCycle's cycled momentum or beta1) drive
    the engine. Rprop reads the first lr only, ASGD one step late, AdamW's decay and Adafactor's rho_t follow
    it, Adam bias-corrects with the current beta1, and RMSProp's momentum is switched on by the schedule."""
    data = scheduled()
    case = data["cases"][index]
    name = case["optimizer"]
    per_step = None
    if CYCLED in case:
        names = {h.name for h in REGISTRY[name].hyperparameters}
        per_step = {"momentum" if "momentum" in names else "beta1": np.array(case[CYCLED])}
    params, states = run_case(name, case, data["sequences"], lr=np.array(case["lr"]), per_step=per_step)
    errors = compare(name, case, params, states)
    assert max(errors.values()) <= TOLERANCE, f"{case['id']}: {errors}"


def test_parity_report():
    """Worst error per optimizer over all its cases and series, printed with -s; all far below TOLERANCE."""
    worst = {}
    for name in REGISTRY:
        for index in range(len(fixture(name)["cases"])):
            worst[name] = max(worst.get(name, 0.0), *case_errors(name, index).values())
    print("\nmax error per optimizer:", ", ".join(f"{n} {e:.1e}" for n, e in worst.items()))
    assert max(worst.values()) <= TOLERANCE
