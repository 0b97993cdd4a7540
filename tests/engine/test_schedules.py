"""Every schedule against torch.optim.lr_scheduler, from tests/fixtures/schedules.json."""

from __future__ import annotations

import pytest

from service.engine.schedules import SCHEDULES, learning_rates
from tests.fixtures_util import assert_matches, load

RECORDED = load("schedules.json")
CASES = RECORDED["cases"]


def test_every_schedule_kind_has_reference_cases():
    recorded = {case["schedule"]["kind"] for case in CASES}
    assert recorded == set(SCHEDULES)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_learning_rates_match_torch(case):
    lr, momentum = learning_rates(case["schedule"], RECORDED["base_lr"], RECORDED["n_steps"])
    assert_matches(lr, case["lr"], case["id"])
    if "momentum" in case:
        assert momentum is not None, "OneCycle with cycle_momentum must report the momentum it sets"
        assert_matches(momentum, case["momentum"], case["id"] + " momentum")
    else:
        assert momentum is None


MULTIPLICATIVE = [case for case in CASES if case["schedule"]["kind"] in ("step", "multistep", "exponential")]


@pytest.mark.parametrize("case", MULTIPLICATIVE, ids=[c["id"] for c in MULTIPLICATIVE])
def test_multiplicative_schedules_are_torchs_recursion_to_the_bit(case):
    # torch multiplies the previous lr by the factor at each step; so do we, in the same order.
    lr, _ = learning_rates(case["schedule"], RECORDED["base_lr"], RECORDED["n_steps"])
    assert lr.tolist() == case["lr"]


@pytest.mark.parametrize("base_lr", [0.0, 1e-300, 3e290])
@pytest.mark.parametrize(
    ("schedule", "factor"),
    [
        ({"kind": "exponential", "gamma": 1e10}, lambda e: 1e10 if e else 1.0),
        ({"kind": "exponential", "gamma": 1e-10}, lambda e: 1e-10 if e else 1.0),
        ({"kind": "step", "step_size": 3, "gamma": 1e20}, lambda e: 1e20 if e and e % 3 == 0 else 1.0),
        ({"kind": "multistep", "milestones": [0, 4, 4, 9], "gamma": 1e-30}, lambda e: 1e-30 ** [0, 4, 4, 9].count(e)),
    ],
)
def test_extreme_multiplicative_schedules_follow_the_recursion(schedule, factor, base_lr):
    # lr_e = lr_(e-1) * factor_e by hand: lr 0 stays 0 (a closed form gave 0 * inf = NaN), a tiny lr grows
    # for as long as its product stays finite, a huge one shrinks through the subnormals.
    expected, lr = [], base_lr
    for epoch in range(60):
        lr *= factor(epoch)
        expected.append(lr)
    assert learning_rates(schedule, base_lr, 60)[0].tolist() == expected
