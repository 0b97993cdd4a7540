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


def test_every_error_answer_is_declared_with_the_body_the_server_sends():
    import json

    from fastapi.testclient import TestClient

    from service.main import create_app

    spec = json.loads(render())
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            if "422" in responses:  # the service's own body (each entry has `field`), not FastAPI's default
                schema = responses["422"]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ValidationErrorBody"}, (method, path)
            if "404" in responses:
                schema = responses["404"]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorMessage"}, (method, path)
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    # What the server sends for each: a 422 of /sweep has `field`, a 404 of a scenario a `detail` sentence.
    client = TestClient(create_app())
    detail = client.post("/sweep", json={"grid": {"foo": [1]}}).json()["detail"][0]
    assert set(detail) >= {"field", "loc", "msg", "type"}
    for path in ("/scenarios/nope", "/objectives/nope", "/objectives/nope/surface"):
        answer = client.get(path)
        assert answer.status_code == 404 and isinstance(answer.json()["detail"], str), path


def test_integer_schemas_state_their_bounds_as_integers():
    """FastAPI's OpenAPI models write every bound as a float; 2^63 - 1 as a float is 2^63, a seed the
    server refuses. Integer schemas carry exact integers, and the seeds' bound is the exclusive 2^63."""
    import json

    spec = json.loads(COMMITTED.read_text(encoding="utf-8"))
    integers, seeds = [], []

    def walk(node, name=None):
        if isinstance(node, dict):
            if node.get("type") == "integer":
                integers.append(node)
                if name is not None and name.endswith("seed"):
                    seeds.append(node)
            for key, value in node.items():
                walk(value, key if key not in ("anyOf", "items") else name)
        elif isinstance(node, list):
            for value in node:
                walk(value, name)

    walk(spec)
    assert len(integers) > 50
    for node in integers:
        for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "default"):
            assert type(node.get(key, 0)) is int, (key, node)
    assert len(seeds) > 10
    for node in seeds:
        assert node["minimum"] == 0 and "maximum" not in node or node["maximum"] == 2**32 - 1, node
        assert node.get("exclusiveMaximum", 2**63) == 2**63, node


def test_tune_values_are_numbers_while_a_grid_axis_may_hold_flags():
    import json

    schemas = json.loads(COMMITTED.read_text(encoding="utf-8"))["components"]["schemas"]
    tune = schemas["SimulateRequest"]["properties"]["tune_values"]["anyOf"][0]
    grid = schemas["SweepRequest"]["properties"]["grid"]["additionalProperties"]["anyOf"][0]
    assert tune["items"] == {"type": "number"} and grid["items"] == {"type": ["number", "boolean"]}
    assert tune["maxItems"] == grid["maxItems"] == 100_000


def test_declared_response_headers_are_the_ones_the_server_sends():
    import json

    from fastapi.testclient import TestClient

    from service.main import create_app
    from service.settings import Settings

    spec = json.loads(COMMITTED.read_text(encoding="utf-8"))
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                assert "X-Request-ID" in response["headers"], (method, path, status)
                assert ("WWW-Authenticate" in response["headers"]) == (status == "401"), (method, path, status)
    for path in ("/simulate", "/sweep"):
        assert set(spec["paths"][path]["post"]["responses"]["200"]["headers"]) == {"X-Request-ID", "Vary"}
    client = TestClient(create_app(Settings(api_key="k")))
    refused, ran = client.post("/simulate", json={}), client.post("/simulate", json={}, headers={"x-api-key": "k"})
    missing = client.get("/objectives/nope", headers={"x-api-key": "k"})
    assert refused.status_code == 401 and refused.headers["www-authenticate"] == 'APIKey header="X-API-Key"'
    assert ran.status_code == 200 and ran.headers["vary"] == "Accept"
    swept = client.post("/sweep", json={"grid": {"lr": [0.1]}}, headers={"x-api-key": "k"})
    assert swept.status_code == 200 and swept.headers["vary"] == "Accept"
    assert missing.status_code == 404
    given = client.get("/optimizers", headers={"x-api-key": "k", "x-request-id": "trace-7"})
    assert given.headers["x-request-id"] == "trace-7"
    assert all(len(answer.headers["x-request-id"]) == 32 for answer in (refused, ran, missing))


def test_each_objective_states_its_dimension_rule_and_the_server_holds_to_it():
    """An objective's `dim` bounds in the schema are the catalog's; just outside them is a 422 at `dim`
    with the function's rule, just inside them a run."""
    import json

    from fastapi.testclient import TestClient

    from service.main import create_app

    schemas = json.loads(render())["components"]["schemas"]
    client = TestClient(create_app())
    for entry in client.get("/objectives").json():
        model = next(
            s for s in schemas.values() if s.get("properties", {}).get("function", {}).get("const") == entry["name"]
        )
        dim = model["properties"]["dim"]
        low, high = entry["dimensions"]["min"], entry["dimensions"]["max"]
        assert (dim["minimum"], dim.get("maximum")) == (low, high), entry["name"]
        inside = {"kind": "objective", "function": entry["name"], "dim": low, "steps": 1}
        assert client.post("/simulate", json={"gradients": inside}).status_code == 200, entry["name"]
        for bad in (low - 1, None if high is None else high + 1):
            if not bad:  # D = 0 is every function's plain `minimum: 1` check
                continue
            source = {"kind": "objective", "function": entry["name"], "dim": bad, "steps": 1}
            answer = client.post("/simulate", json={"gradients": source})
            assert answer.status_code == 422, (entry["name"], bad)
            error = answer.json()["detail"][0]
            assert error["field"] == "gradients.dim" and entry["dimensions"]["rule"] in error["msg"], error


def test_the_surface_declares_every_function_parameter_it_reads_from_the_query():
    """Each catalog parameter is an optional query parameter of the surface, with its type, and the server
    reads it as declared: a comma-separated list for `scales`."""
    import json

    from fastapi.testclient import TestClient

    from service.engine import OBJECTIVES
    from service.main import create_app

    declared = {p["name"]: p for p in json.loads(render())["paths"]["/objectives/{name}/surface"]["get"]["parameters"]}
    client = TestClient(create_app())
    types = {"float": "number", "int": "integer", "bool": "boolean", "float_list": "array"}
    for objective in OBJECTIVES.values():
        for parameter in objective.parameters:
            query = declared[parameter.name]
            assert query["in"] == "query" and not query["required"], parameter.name
            assert query["schema"]["type"] == types[parameter.kind], parameter.name
            assert f"{objective.name}: " in query["description"], parameter.name
            names = client.get(f"/objectives/{objective.name}").json()["parameters"]["properties"]
            assert parameter.name in names  # (the catalog's schema: the same parameters)
    assert declared["scales"]["explode"] is False
    answer = client.get("/objectives/quadratic/surface?scales=1,100&resolution=3&dim=2")
    assert answer.status_code == 200 and answer.json()["z"][1][1] == 0.0  # the minimum at the origin
