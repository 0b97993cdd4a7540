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
