"""GET /objectives, /objectives/{name} and the surface grid."""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest

from service.engine import OBJECTIVES
from service.main import create_app
from service.settings import Settings
from tests.asgi import call, http_scope


def get(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, response.text[:500]
    return response.json()


def test_catalog_lists_every_function_with_its_documentation(client):
    catalog = get(client, "/objectives")
    assert [entry["name"] for entry in catalog] == list(OBJECTIVES)
    for entry in catalog:
        assert entry["title"] and entry["summary"] and entry["reference"]
        assert entry["formula"]["latex"] and entry["formula"]["text"]
        schema = entry["parameters"]
        assert schema["type"] == "object" and schema["additionalProperties"] is False
        assert set(schema["properties"]) == set(entry["defaults"])
        for name, prop in schema["properties"].items():
            assert prop["default"] == entry["defaults"][name] and prop["description"]
        dims = entry["dimensions"]
        assert dims["min"] <= dims["default"] and len(entry["start"]) == dims["default"]
        window = entry["window"]
        assert window["x_min"] < window["x_max"] and window["y_min"] < window["y_max"]


def test_rosenbrock_entry(client):
    entry = get(client, "/objectives/rosenbrock")
    assert entry["defaults"] == {"a": 1.0, "b": 100.0}
    assert entry["dimensions"] == {"rule": "D >= 2", "min": 2, "max": None, "default": 2}
    assert entry["minimum"]["points"] == [[1.0, 1.0]] and entry["minimum"]["value"] == 0.0
    assert entry["start"] == [-1.2, 1.0]
    assert entry["parameters"]["properties"]["b"]["exclusiveMinimum"] == 0
    assert entry["stochastic"] is False


def test_entries_without_a_known_minimum_and_with_minibatches(client):
    saddle = get(client, "/objectives/saddle")
    assert saddle["minimum"]["points"] is None and saddle["minimum"]["value"] is None
    assert saddle["dimensions"]["rule"] == "D = 2"
    logistic = get(client, "/objectives/logistic_regression")
    assert logistic["stochastic"] is True and logistic["dimensions"]["default"] == 10
    assert logistic["parameters"]["properties"]["batch_size"]["anyOf"][1] == {"type": "null"}
    assert len(get(client, "/objectives/himmelblau")["minimum"]["points"]) == 4


def test_unknown_function_is_a_404_listing_the_known_ones(client):
    for url in ("/objectives/rosenbrok", "/objectives/rosenbrok/surface"):
        detail = get(client, url, 404)["detail"]
        assert detail == f"Unknown function 'rosenbrok'. Known functions: {', '.join(OBJECTIVES)}."


def test_surface_defaults_to_the_recommended_window(client):
    answer = get(client, "/objectives/booth/surface?resolution=5")
    assert answer["x"] == np.linspace(-10, 10, 5).tolist() and answer["y"] == answer["x"]
    z = np.array(answer["z"])
    assert z.shape == (5, 5)
    x, y = np.meshgrid(answer["x"], answer["y"])
    assert np.allclose(z, (x + 2 * y - 7) ** 2 + (2 * x + y - 5) ** 2, rtol=1e-14, atol=0)
    assert answer["z_min"] == z.min() and answer["z_max"] == z.max()
    assert answer["at"] == [-5.0, -5.0] and (answer["x_axis"], answer["y_axis"]) == (0, 1)


def test_surface_rows_run_over_y(client):
    answer = get(client, "/objectives/saddle/surface?x_min=0&x_max=1&y_min=0&y_max=2&resolution=3")
    assert answer["x"] == [0.0, 0.5, 1.0] and answer["y"] == [0.0, 1.0, 2.0]
    assert answer["z"][2] == [-4.0, 0.25 - 4.0, 1.0 - 4.0]


def test_surface_of_a_slice_with_parameters(client):
    url = "/objectives/rosenbrock/surface?dim=4&x_axis=2&y_axis=0&at=0.5&at=0.25&at=9&at=-1&resolution=4&a=2&b=10"
    answer = get(client, url)
    assert answer["parameters"] == {"a": 2.0, "b": 10.0} and answer["at"] == [0.5, 0.25, 9.0, -1.0]
    problem = OBJECTIVES["rosenbrock"].problem(4, {"a": 2.0, "b": 10.0})
    point = np.array([answer["y"][3], 0.25, answer["x"][1], -1.0])
    assert answer["z"][3][1] == pytest.approx(problem.value(point), rel=1e-14)


def test_surface_list_parameters_and_null(client):
    a = get(client, "/objectives/quadratic/surface?scales=1,100&resolution=3")
    b = get(client, "/objectives/quadratic/surface?scales=1&scales=100&resolution=3&rotation_seed=null")
    assert a["z"] == b["z"] and a["z"][0][0] == 0.5 * (2.25 + 100 * 2.25)


def test_overflow_is_null_and_ignored_by_the_range(client):
    answer = get(client, "/objectives/rosenbrock/surface?x_min=-1e100&x_max=1&resolution=2")
    assert answer["z"][0][0] is None and answer["z"][0][1] is not None
    assert answer["z_min"] == min(v for row in answer["z"] for v in row if v is not None)


@pytest.mark.parametrize(
    ("query", "field", "kind", "says"),
    [
        ("x_min=1&x_max=0", "query.x_max", "value_error", "x_max (0.0) must be greater than x_min (1.0)"),
        ("y_min=-1e308&y_max=1e308", "query.y_max", "value_error", "is beyond float64"),
        ("y_min=2&y_max=2", "query.y_max", "value_error", "greater than y_min"),
        ("x_min=nan", "query.x_min", "finite_number", "finite"),
        ("resolution=1", "query.resolution", "greater_than_equal", "2"),
        ("resolution=1001", "query.resolution", "limit_exceeded", "1002001 points, over the limit of 1000000"),
        ("x_axis=2", "query.x_axis", "value_error", "not a coordinate of a D = 2 function"),
        ("y_axis=0", "query.y_axis", "value_error", "both 0"),
        ("at=1", "query.at", "value_error", "1 number but D = 2"),
        ("at=1&at=inf", "query.at", "finite_number", "finite"),
        ("dim=1", "query.dim", "dimension", "rosenbrock needs D >= 2, got D = 1"),
        ("b=0", "query.b", "greater_than", "0"),
        ("b=abc", "query.b", "value_error", "not a valid float"),
        ("c=1", "query.c", "extra_forbidden", "Unknown query parameter 'c'"),
        ("steps=10", "query.steps", "extra_forbidden", "Allowed: x_min"),
    ],
)
def test_surface_errors_name_the_query_parameter(client, query, field, kind, says):
    detail = get(client, f"/objectives/rosenbrock/surface?{query}", 422)["detail"][0]
    assert (detail["field"], detail["type"]) == (field, kind)
    assert says in detail["msg"]


def test_surface_parameter_rules_are_those_of_simulate(client):
    detail = get(client, "/objectives/quadratic/surface?scales=1,2,3&dim=2", 422)["detail"][0]
    assert (detail["field"], detail["type"]) == ("query.scales", "constraint")
    detail = get(client, "/objectives/beale/surface?dim=3", 422)["detail"][0]
    assert (detail["field"], detail["msg"]) == ("query.dim", "beale needs D = 2, got D = 3")


def test_surface_limits_come_from_settings(client_with):
    client = client_with(max_surface_points=99)
    detail = get(client, "/objectives/booth/surface?resolution=10", 422)["detail"][0]
    assert detail["type"] == "limit_exceeded" and "100 points, over the limit of 99" in detail["msg"]
    assert get(client, "/objectives/booth/surface?resolution=9")["z_min"] >= 0
    client = client_with(max_evaluation_work=1000)
    detail = get(client, "/objectives/logistic_regression/surface?resolution=2&n_samples=30", 422)["detail"][0]
    assert "4 points x 300 numbers per evaluation = 1200" in detail["msg"]
    client = client_with(max_values=1000)
    detail = get(client, "/objectives/logistic_regression/surface?resolution=2&n_samples=101", 422)["detail"][0]
    assert detail["type"] == "limit_exceeded" and "stores 1010 numbers" in detail["msg"]
    assert detail["field"] == "query.n_samples" and detail["msg"].endswith("fewer samples or coordinates")
    detail = get(client_with(max_dim=3), "/objectives/rastrigin/surface?dim=4", 422)["detail"][0]
    assert (detail["field"], detail["type"]) == ("query.dim", "limit_exceeded")


def test_a_surface_over_the_compute_budget_stops_with_a_422(client_with):
    # 90,000 points of a D = 2,000 function: a second or two of work, in chunks of 2,000 points.
    client = client_with(compute_budget_seconds=0.05)
    started = time.perf_counter()
    detail = get(client, "/objectives/rastrigin/surface?dim=2000&resolution=300", 422)["detail"][0]
    assert time.perf_counter() - started < 1.0
    assert (detail["field"], detail["type"]) == ("query.resolution", "compute_budget_exceeded")
    assert detail["msg"].startswith("the surface ran over the compute budget of 0.05 s and was stopped")
    assert "optiscope_compute_budget_exceeded_total 1.0" in client.get("/metrics").text


def test_a_surface_whose_client_goes_away_stops():
    """Computed in the thread pool, and abandoned at its next chunk once the client has gone (a 499)."""
    app = create_app(Settings(compute_budget_seconds=60))
    query = b"dim=2000&resolution=600"  # ~5 s of work
    scope = http_scope("GET", "/objectives/rastrigin/surface", query=query)
    messages = [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive() -> dict:
        if messages:
            return messages.pop(0)
        await asyncio.sleep(0.2)
        return {"type": "http.disconnect"}

    started = time.perf_counter()
    sent = call(app, scope, receive)
    assert time.perf_counter() - started < 2
    assert sent[0]["status"] == 499


def test_quadratic_scales_set_d_when_no_dim_is_given(client):
    body = {"gradients": {"kind": "objective", "function": "quadratic", "scales": [1, 2, 3, 4], "steps": 3}}
    answer = client.post("/simulate", json={**body, "record": []}).json()
    assert answer["dim"] == 4 and len(answer["runs"][0]["final"]) == 4
    assert get(client, "/objectives/quadratic/surface?scales=1,2,3&resolution=3")["dim"] == 3
    # A D given with the scales must agree with them.
    body["gradients"]["dim"] = 2
    detail = client.post("/simulate", json=body).json()["detail"][0]
    assert detail["field"] == "gradients.scales" and "scales has 4 numbers but D = 2" in detail["msg"]
