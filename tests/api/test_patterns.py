"""Synthetic patterns through POST /simulate: each pattern takes only its own parameters."""

from __future__ import annotations

import numpy as np
import pytest

from service.engine.gradients import PATTERNS, generate


def post(client, body, status=200):
    response = client.post("/simulate", json=body)
    assert response.status_code == status, response.text[:500]
    return response.json()


@pytest.mark.parametrize("pattern", list(PATTERNS))
def test_every_pattern_runs_with_its_defaults(client, pattern):
    answer = post(client, {"gradients": {"kind": "synthetic", "pattern": pattern, "steps": 12}, "record": []})
    assert answer["dim"] == PATTERNS[pattern].default_dim
    assert np.array_equal(answer["gradients"], generate(pattern, 12, answer["dim"]))


def test_pattern_parameters_reach_the_engine(client):
    source = {"kind": "synthetic", "pattern": "sparse", "steps": 30, "dim": 2, "seed": 5, "probability": 0.5}
    answer = post(client, {"gradients": source, "record": []})
    expected = generate("sparse", 30, 2, seed=5, probability=0.5, mean=1.0, noise_std=0.5)
    assert np.array_equal(answer["gradients"], expected)
    source = {"kind": "synthetic", "pattern": "constant", "value": -2, "steps": 3}
    assert post(client, {"gradients": source, "record": []})["gradients"] == [[-2.0]] * 3


def test_omitted_pattern_is_the_tutorials_trend_noise(client):
    a = post(client, {"gradients": {"kind": "synthetic"}, "record": []})["gradients"]
    b = post(client, {"gradients": {"kind": "synthetic", "pattern": "trend_noise"}, "record": []})["gradients"]
    assert a == b and len(a) == 50


@pytest.mark.parametrize(
    ("source", "field", "kind", "says"),
    [
        ({"pattern": "sine", "seed": 1}, "gradients.seed", "extra_forbidden", "Allowed: amplitude, dim, kind"),
        ({"pattern": "constant", "noise_std": 1}, "gradients.noise_std", "extra_forbidden", "Allowed: dim, kind"),
        ({"pattern": "sine", "period": 0}, "gradients.period", "greater_than", "0"),
        ({"pattern": "sparse", "probability": 1.5}, "gradients.probability", "less_than_equal", "1"),
        ({"pattern": "heavy_tailed", "df": 0}, "gradients.df", "greater_than", "0"),
        ({"pattern": "scaled", "min_scale": -1}, "gradients.min_scale", "greater_than", "0"),
        ({"pattern": "drift", "step_std": -0.1}, "gradients.step_std", "greater_than_equal", "0"),
        ({"pattern": "drift", "seed": 2**63}, "gradients.seed", "less_than", "9223372036854775808"),
        ({"pattern": "trend_noise", "seed": 2**32}, "gradients.seed", "less_than_equal", "4294967295"),
        ({"pattern": "trend_noise", "value": 1}, "gradients.value", "extra_forbidden", "noise_std"),
        ({"pattern": 3}, "gradients.pattern", "union_tag_invalid", "Unknown pattern 3"),
        ({"pattern": ["sine"]}, "gradients.pattern", "union_tag_invalid", 'Unknown pattern ["sine"]'),
    ],
)
def test_each_pattern_accepts_only_its_own_parameters(client, source, field, kind, says):
    detail = post(client, {"gradients": {"kind": "synthetic", **source}}, 422)["detail"][0]
    assert (detail["field"], detail["type"]) == (field, kind)
    assert says in detail["msg"]
