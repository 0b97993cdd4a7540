"""Every bad input is a 422 naming the offending field; nothing a client sends is a 500."""

from __future__ import annotations

import random

import pytest
from pydantic_core import PydanticCustomError

from service.api.models import _number_rows

SEQ = {"kind": "sequence", "values": [0.1, -0.2, 0.3]}


def error(client, body, raw: bytes | None = None):
    if raw is not None:
        response = client.post("/simulate", content=raw, headers={"content-type": "application/json"})
    else:
        response = client.post("/simulate", json=body)
    assert response.status_code == 422, response.text[:500]
    detail = response.json()["detail"]
    assert detail, "a 422 must say what is wrong"
    return detail[0]


@pytest.mark.parametrize(
    ("body", "field", "kind", "says"),
    [
        ({"optimizers": [{"name": "adamx"}]}, "optimizers[0].name", "union_tag_invalid", "Did you mean 'adam"),
        ({"optimizers": [{"name": "adamx"}]}, "optimizers[0].name", "union_tag_invalid", "optimizers: sgd, adagrad"),
        ({"optimizers": [{"lr": 0.1}]}, "optimizers[0].name", "missing", "name is required. Known optimizers: sgd"),
        ({"gradients": None}, "gradients", "model_type", 'expected an object {"kind": ..., ...}, got null'),
        ({"gradients": [1, 2]}, "gradients", "model_type", "got [1, 2]. Known kinds: 'sequence'"),
        (
            {"optimizers": [{"name": "adam", "betta1": 0.9}]},
            "optimizers[0].betta1",
            "extra_forbidden",
            "Did you mean 'beta1'?",
        ),
        ({"optimizers": [{"name": "adam", "lr": -0.1}]}, "optimizers[0].lr", "greater_than_equal", "0"),
        ({"optimizers": [{"name": "adam", "beta1": 1.0}]}, "optimizers[0].beta1", "less_than", "1"),
        ({"optimizers": [{"name": "rmsprop", "alpha": 1.5}]}, "optimizers[0].alpha", "less_than_equal", "1"),
        ({"optimizers": [{"name": "adam", "lr": "0.1"}]}, "optimizers[0].lr", "float_type", "number"),
        ({"optimizers": [{"name": "adam", "lr": True}]}, "optimizers[0].lr", "float_type", "number"),
        ({"optimizers": [{"name": "adam", "amsgrad": 1}]}, "optimizers[0].amsgrad", "bool_type", "boolean"),
        ({"optimizers": [{"name": "sgd", "nesterov": True}]}, "optimizers[0].nesterov", "constraint", "momentum > 0"),
        (
            {"optimizers": [{"name": "sgd", "nesterov": True, "momentum": 0.9, "dampening": 0.1}]},
            "optimizers[0].nesterov",
            "constraint",
            "dampening = 0",
        ),
        ({"optimizers": [{"name": "sgd", "label": ""}]}, "optimizers[0].label", "string_too_short", "1"),
        # an SVG figure's text cannot hold U+0001, a terminal acts on ESC
        ({"optimizers": [{"name": "sgd", "label": "a\x01"}]}, "optimizers[0].label", "control_character", "U+0001 at"),
        ({"optimizers": [{"name": "sgd", "label": "\x1b[2J"}]}, "optimizers[0].label", "control_character", "U+001B"),
        ({"optimizers": [{"name": "sgd", "label": "a\nb"}]}, "optimizers[0].label", "control_character", "U+000A"),
        ({"optimizers": [{"name": "sgd", "label": "\x85"}]}, "optimizers[0].label", "control_character", "U+0085"),
        ({"optimizers": []}, "optimizers", "too_short", "at least 1"),
        ({"gradients": {"kind": "file"}}, "gradients", "union_tag_invalid", "'sequence', 'synthetic'"),
        ({"gradients": {"kind": "sequence", "values": []}}, "gradients.values", "values", "non-empty"),
        ({"gradients": {"kind": "sequence", "values": [[1, 2], [3]]}}, "gradients.values[1]", "ragged", "1 number,"),
        ({"gradients": {"kind": "sequence", "values": [[1, 2], []]}}, "gradients.values[1]", "ragged", "row 1"),
        ({"gradients": {"kind": "sequence", "values": [[]]}}, "gradients.values[0]", "ragged", "row 0 is empty"),
        # The first offender of a list checked whole, wherever it is.
        (
            {"gradients": {"kind": "sequence", "values": [[1, 2], [3, 4], [5, 6], [7]]}},
            "gradients.values[3]",
            "ragged",
            "row 3",
        ),
        (
            {"gradients": {"kind": "sequence", "values": [[1, 2], [3, 4], 5, [6]]}},
            "gradients.values[2]",
            "values",
            "mixed",
        ),
        (
            {"gradients": {"kind": "sequence", "values": [[1, 2], [3, 4], [5, True], [None, 0]]}},
            "gradients.values[2][1]",
            "float_type",
            "true is not",
        ),
        (
            {"gradients": {"kind": "sequence", "values": [[1, 2], [3, 10**400]]}},
            "gradients.values",
            "finite_number",
            "float64",
        ),
        (
            {"gradients": {"kind": "sequence", "values": [0, 1, 2, "3", 4]}},
            "gradients.values[3]",
            "float_type",
            "'3' is not",
        ),
        (
            {"tune": "lr", "tune_values": {"logspace": [-400, -300, 4]}},
            "tune_values.logspace",
            "finite_number",
            "underflow",
        ),
        ({"gradients": {"kind": "sequence", "values": [[1], 2]}}, "gradients.values[1]", "values", "list"),
        ({"gradients": {"kind": "sequence", "values": [1, True]}}, "gradients.values[1]", "float_type", "true is not"),
        ({"gradients": {"kind": "sequence", "values": [[1, "2"]]}}, "gradients.values[0][1]", "float_type", "'2'"),
        ({"gradients": {"kind": "sequence", "values": [1, None]}}, "gradients.values[1]", "float_type", "null is not"),
        ({"gradients": {"kind": "sequence", "values": [10**400]}}, "gradients.values", "finite_number", "float64"),
        ({"gradients": {"kind": "synthetic", "steps": 0}}, "gradients.steps", "greater_than_equal", "1"),
        ({"gradients": {"kind": "synthetic", "seed": -1}}, "gradients.seed", "greater_than_equal", "0"),
        (
            {"gradients": {"kind": "synthetic", "pattern": "sawtooth"}},
            "gradients.pattern",
            "union_tag_invalid",
            "Unknown pattern 'sawtooth'. Known patterns: 'trend_noise', 'constant'",
        ),
        ({"gradients": SEQ, "initial": [0.0, 1.0]}, "initial", "initial_length", "D = 1"),
        ({"initial": "zero"}, "initial", "float_type", "number"),
        ({"initial": [0.0, False]}, "initial[1]", "float_type", "false is not"),
        ({"record": ["params", "momentum"]}, "record[1]", "literal_error", "learning_rates"),
        (  # below 0 the ripples' peaks become wells: the minimum would not be at the origin
            {"gradients": {"kind": "objective", "function": "rastrigin", "A": -10}},
            "gradients.A",
            "greater_than_equal",
            "greater than or equal to 0",
        ),
        ({"target": 0.5}, "target", "tune_missing", 'target applies with "tune": "lr"'),
        ({"tune_values": [0.1, 1.0]}, "tune_values", "tune_missing", 'tune_values applies with "tune": "lr"'),
        ({"optimizer": [{"name": "sgd"}]}, "optimizer", "extra_forbidden", "Did you mean 'optimizers'?"),
        ([1, 2], "body", "model_attributes_type", "dictionary"),
    ],
)
def test_bad_input_names_the_field(client, body, field, kind, says):
    detail = error(client, body)
    assert (detail["field"], detail["type"]) == (field, kind)
    assert says in detail["msg"]


@pytest.mark.parametrize("token", [b"NaN", b"Infinity", b"-Infinity"])
def test_nan_and_infinity_are_rejected(client, token):
    raw = b'{"gradients": {"kind": "sequence", "values": [[0.1, 0.2], [0.3, ' + token + b"]]}}"
    detail = error(client, None, raw)
    assert (detail["field"], detail["type"]) == ("gradients.values[1][1]", "finite_number")
    detail = error(client, None, b'{"optimizers": [{"name": "adam", "lr": ' + token + b"}]}")
    assert (detail["field"], detail["type"]) == ("optimizers[0].lr", "finite_number")
    detail = error(client, None, b'{"gradients": {"kind": "sequence", "values": [0.1, 0.2, ' + token + b", 0.4]}}")
    assert (detail["field"], detail["type"]) == ("gradients.values[2]", "finite_number")


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "text/plain", None])
@pytest.mark.parametrize("path", ["/simulate", "/sweep"])
def test_a_body_not_sent_as_json_is_told_the_content_type(client, path, content_type):
    headers = {"content-type": content_type} if content_type else {}
    response = client.post(path, content=b"{}", headers=headers)  # curl -d '{}' without -H
    assert response.status_code == 422
    detail = response.json()["detail"][0]
    assert detail["field"] == "body" and "Content-Type: application/json" in detail["msg"]
    assert f"(this request's content type: {content_type or 'none'})" in detail["msg"]


@pytest.mark.parametrize(
    ("path", "query", "allowed"), [("/simulate", "cordinate=1", "coordinate"), ("/sweep", "lr=0.1", "none")]
)
def test_unknown_query_parameters_are_refused_not_ignored(client, path, query, allowed):
    response = client.post(f"{path}?{query}", json={})
    assert response.status_code == 422
    detail = response.json()["detail"][0]
    name = query.split("=")[0]
    assert (detail["field"], detail["type"]) == (f"query.{name}", "extra_forbidden")
    assert detail["msg"] == f"Unknown query parameter '{name}'. Allowed: {allowed}."
    assert client.post("/simulate?coordinate=0", json={}).status_code == 200


def test_unparseable_json_is_a_422(client):
    detail = error(client, None, b'{"optimizers": [')
    assert detail["type"] == "json_invalid"
    assert detail["field"] == "body" and detail["loc"] == ["body", 16]  # FastAPI's: the character offset
    assert detail["msg"] == "The body is not valid JSON: Expecting value at character 16"


@pytest.mark.parametrize(
    ("limits", "body", "field", "says"),
    [
        ({"max_steps": 10}, {"gradients": {"kind": "synthetic", "steps": 11}}, "gradients.steps", "limit of 10"),
        ({"max_dim": 2}, {"gradients": {"kind": "synthetic", "dim": 3}}, "gradients.dim", "limit of 2"),
        ({"max_steps": 2}, {"gradients": SEQ}, "gradients.values", "3 steps exceed"),
        ({"max_optimizers": 1}, {}, "optimizers", "4 optimizers exceed the limit of 1"),
        (
            {"max_values": 453},
            {},
            "gradients",
            "moves 454 numbers (gradients plus recorded series), over the limit of 453",
        ),
    ],
)
def test_sizes_over_the_limits(client_with, limits, body, field, says):
    detail = error(client_with(**limits), body)
    assert (detail["field"], detail["type"]) == (field, "limit_exceeded")
    assert says in detail["msg"]


def test_a_closed_loop_over_the_values_limit_is_told_what_helps(client_with):
    # A closed loop keeps every step while it runs: record_every and include_gradients do not help, and
    # fewer series helps only when some are recorded.
    body = {"gradients": {"kind": "objective", "function": "rosenbrock", "steps": 100}, "record_every": 50}
    detail = error(client_with(max_values=500), body)
    assert detail["type"] == "limit_exceeded"
    assert detail["msg"].endswith(
        "a closed loop holds every step of every run while it computes, whatever record_every says: "
        "record fewer series, or ask for fewer steps, coordinates or optimizers"
    )
    assert "include_gradients" not in detail["msg"]
    detail = error(client_with(max_values=500), {**body, "record": []})
    assert detail["msg"].endswith("whatever record_every says: ask for fewer steps, coordinates or optimizers")


def test_small_inputs_are_echoed_but_large_ones_are_not(client):
    assert error(client, {"optimizers": [{"name": "adam", "lr": -1}]})["input"] == -1
    # A list's first bad item is echoed, not the list.
    scales = {"kind": "objective", "function": "quadratic", "scales": [1, -1]}
    assert error(client, {"gradients": scales})["input"] == -1
    assert error(client, {"gradients": {"kind": "sequence", "values": [[1.0], ["x"]]}})["input"] == "x"
    assert error(client, {"initial": [0, True]})["input"] is True
    assert "input" not in error(client, {"gradients": {"kind": "sequence", "values": [[1.0] * 5, [1.0]]}})


@pytest.mark.parametrize(
    ("method", "url", "headers"),
    [
        ("GET", "/optimizers/" + "x" * 5000, {}),
        ("GET", "/objectives/" + "x" * 5000, {}),
        ("GET", "/scenarios/" + "x" * 5000, {}),
        ("POST", "/simulate", {"accept": "text/" + "x" * 5000}),
        ("POST", "/sweep", {"accept": "text/" + "x" * 5000}),
        ("POST", "/simulate?" + "x" * 5000 + "=1", {}),
        ("GET", "/objectives/rosenbrock/surface?" + "x" * 5000 + "=1", {}),
        ("GET", "/objectives/rosenbrock/surface?a=" + "x" * 5000, {}),
    ],
)
def test_long_names_and_headers_are_cut_in_errors_not_echoed_whole(client, method, url, headers):
    response = client.request(method, url, headers=headers, json={} if method == "POST" else None)
    assert response.status_code in (404, 406, 422)
    assert "x" * 40 in response.text and "x" * 201 not in response.text and len(response.text) < 1000


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/sweep", {"grid": {"": [1]}}, 'grid[""]'),
        ("/sweep", {"grid": {"lr": [1], "a.b": [1]}}, 'grid["a.b"]'),
        ("/simulate", {"optimizers": [{"name": "adam", "": 1}]}, 'optimizers[0][""]'),
        ("/simulate", {"optimizers": [{"name": "adam", 'say "hi"': 1}]}, 'optimizers[0]["say \\"hi\\""]'),
        ("/simulate", {"x[0]": 1}, '["x[0]"]'),
        ("/simulate", {"optimizers": [{"name": "adam", "lr_2": 1}]}, "optimizers[0].lr_2"),
    ],
)
def test_keys_that_would_read_as_a_path_are_quoted_in_the_field(client, path, body, field):
    [entry] = client.post(path, json=body).json()["detail"]
    assert entry["field"] == field


def test_a_long_unknown_field_is_cut_in_the_error(client):
    response = client.post("/simulate", json={"optimizers": [{"name": "adam", "k" * 100_000: 1}]})
    [entry] = response.json()["detail"]
    assert entry["type"] == "extra_forbidden" and entry["field"] == "optimizers[0]." + "k" * 199 + "…"
    assert len(response.text) < 1000


# JSON may escape half of a surrogate pair; such a string cannot be written back as UTF-8.
HALF = "\\ud800"


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ('{"optimizers": [{"name": "sgd", "label": "%s"}]}', "optimizers[0].label"),
        ('{"optimizers": [{"name": "sgd", "lr": "%s"}]}', "optimizers[0].lr"),
        ('{"record": ["%s"]}', "record[0]"),
        ('{"tune": "%s"}', "tune"),
        ('{"gradients": {"kind": "synthetic", "pattern": "%s"}}', "gradients.pattern"),
    ],
)
@pytest.mark.parametrize("accept", ["application/json", "text/csv"])
def test_half_a_surrogate_pair_is_a_422_not_a_500(client, raw, field, accept):
    headers = {"content-type": "application/json", "accept": accept}
    response = client.post("/simulate", content=(raw % HALF).encode(), headers=headers)
    assert response.status_code == 422, response.text[:500]
    entry = response.json()["detail"][0]
    assert entry["field"] == field
    if field.endswith("label"):
        assert entry["type"] == "string_unicode" and entry["input"] == "\ud800"  # echoed, escaped in the JSON


@pytest.mark.parametrize(
    ("raw", "field"),
    [('{"%s": 1}', "\\ud800"), ('{"optimizers": [{"name": "sgd", "%s": 1}]}', "optimizers[0].\\ud800")],
)
def test_an_unknown_field_named_with_half_a_surrogate_pair_is_named_escaped(client, raw, field):
    response = client.post("/simulate", content=(raw % HALF).encode(), headers={"content-type": "application/json"})
    assert response.status_code == 422, response.text[:500]
    entry = response.json()["detail"][0]
    assert (entry["type"], entry["field"]) == ("extra_forbidden", field)
    assert entry["msg"].startswith("Unknown field '\\ud800'. Allowed: ")


BIG = 10**400  # a JSON integer that no float64 holds


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/simulate", {"initial": BIG}, "initial"),
        ("/simulate", {"initial": [0.0, BIG], "gradients": {"kind": "synthetic", "dim": 2}}, "initial[1]"),
        ("/simulate", {"tune": "lr", "target": BIG}, "target"),
        ("/simulate", {"tune": "lr", "tune_values": [0.1, BIG]}, "tune_values[1]"),
        ("/simulate", {"tune": "lr", "tune_values": {"logspace": [BIG, 1, 2]}}, "tune_values.logspace[0]"),
        (
            "/simulate",
            {"optimizers": [{"name": "sgd", "schedule": {"kind": "onecycle", "total_steps": BIG}}]},
            "optimizers[0].schedule.total_steps",
        ),
        (
            "/simulate",
            {"gradients": {"kind": "objective", "function": "logistic_regression", "batch_size": BIG}},
            "gradients.batch_size",
        ),
        ("/sweep", {"grid": {"lr": [BIG]}}, "grid.lr[0]"),
        ("/sweep", {"optimizers": [{"name": "sgd"}], "grid": {"momentum": [0.5, BIG]}}, "grid.momentum[1]"),
        ("/sweep", {"grid": {"lr": {"linspace": [0, BIG, 3]}}}, "grid.lr.linspace[1]"),
        ("/sweep", {"target": BIG}, "target"),
        ("/sweep", {"initial": BIG}, "initial"),
    ],
)
def test_integers_beyond_float64_are_a_422_at_their_field(client, path, body, field):
    response = client.post(path, json=body)
    assert response.status_code == 422, response.text[:300]
    detail = response.json()["detail"][0]
    assert detail["field"] == field, detail
    assert "float64" in detail["msg"] or "less than or equal" in detail["msg"], detail


def row_by_row(value):
    """The first offender of `gradients.values` as a plain row-by-row walk finds it: (kind, path), or None.
    The independent reading of the rules that `_number_rows`, which checks whole lists at once, must match."""
    numbers = (int, float)
    if not isinstance(value[0], list):
        bad = [i for i, v in enumerate(value) if type(v) not in numbers]
        return ("float_type", [bad[0]]) if bad else None
    for i, row in enumerate(value):
        if not isinstance(row, list):
            return ("values", [i])
        if not row or len(row) != len(value[0]):
            return ("ragged", [i])
        for j, v in enumerate(row):
            if type(v) not in numbers:
                return ("float_type", [i, j])
    return None


def test_values_are_checked_as_a_row_by_row_walk_would():
    rng = random.Random(5)
    entries = [0.5, 1, -2, 0.25, 3, True, None, "x", [1.0]]
    for _ in range(3000):
        width = rng.choice([1, 2, 3])
        rows = [[rng.choice(entries[:5]) for _ in range(width)] for _ in range(rng.randint(1, 6))]
        for _ in range(rng.randint(1, 2)):  # one or two faults, anywhere
            i = rng.randrange(len(rows))
            fault = rng.choice(["value", "short", "long", "empty", "scalar"])
            if not isinstance(rows[i], list):
                continue
            if fault == "value" and rows[i]:
                rows[i][rng.randrange(len(rows[i]))] = rng.choice(entries[5:])
            elif fault in ("short", "long", "empty"):
                rows[i] = {"short": rows[i][:-1], "long": [*rows[i], 1.0], "empty": []}[fault]
            elif fault == "scalar":
                rows[i] = 4.0
        flat = rng.random() < 0.2
        value = [rng.choice(entries[:8]) for _ in range(len(rows))] if flat else rows
        expected = row_by_row(value)
        try:
            _number_rows(value)
        except PydanticCustomError as exc:
            assert (exc.type, exc.context["path"]) == expected, value
        else:
            assert expected is None, value
