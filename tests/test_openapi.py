"""The committed OpenAPI document is the contract: it must match the code."""

from pathlib import Path

from scripts.export_openapi import render

COMMITTED = Path(__file__).resolve().parent.parent / "openapi" / "openapi.json"


def test_committed_openapi_matches_the_app():
    assert COMMITTED.read_text(encoding="utf-8") == render(), "run `make openapi` and commit openapi/openapi.json"


def test_operation_ids_are_stable():
    import json

    spec = json.loads(render())
    ids = {op["operationId"] for path in spec["paths"].values() for op in path.values()}
    assert {
        "simulate-simulate_endpoint",
        "optimizers-list_optimizers",
        "optimizers-get_optimizer",
        "health-healthz",
        "objectives-list_objectives",
        "objectives-get_objective",
        "objectives-surface",
    } <= ids
