"""Property-based fuzzing of the committed OpenAPI document against the app (schemathesis).

Bounded and reproducible: a fixed number of derandomized cases per operation. Each response must not be
a server error, must use a documented status code and content type, and must match its documented schema.
The app runs with small limits and a short compute budget so that generated requests stay cheap; the
paths that refuse work (limits, budget) are then exercised too. Hypothesis generates at most 100 cases per
operation (schemathesis adds its coverage cases: several hundred in all), in a few seconds.
"""

from __future__ import annotations

from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from service.api.middleware import OPEN_PATHS
from service.main import create_app
from service.settings import Settings

SPEC = Path(__file__).resolve().parent.parent / "openapi" / "openapi.json"
SMALL = dict(max_steps=2_000, max_dim=64, max_values=100_000, max_work=200_000, compute_budget_seconds=0.5)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def bounded(max_examples: int):
    return settings(
        max_examples=max_examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    )


schema = schemathesis.openapi.from_path(SPEC)
schema.app = create_app(Settings(**SMALL))


@schema.parametrize()
@bounded(100)
def test_api_conforms_and_never_fails(case):
    case.call_and_validate(checks=CHECKS)


# The same document against an app with an API key, called without it: every 401 must be documented.
keyed = schemathesis.openapi.from_path(SPEC)
keyed.app = create_app(Settings(**SMALL, api_key="fuzz-key"))


@keyed.parametrize()
@bounded(10)
def test_without_the_api_key_every_answer_is_documented(case):
    response = case.call_and_validate(checks=CHECKS)
    assert (response.status_code == 401) == (case.path not in OPEN_PATHS)
