"""POST /simulate with Accept: text/csv: the long format holds exactly the JSON answer's numbers."""

from __future__ import annotations

import csv
import io

import pytest

from service.api.export import COLUMNS

BODY = {
    "gradients": {"kind": "sequence", "values": [[0.5, -1.0], [0.25, 2.0], [1e10, 0.0], [0.1, 0.1]]},
    "initial": [1.0, -1.0],
    "optimizers": [
        {"name": "sgd", "lr": 0.5},
        {"name": "adam", "lr": 0.1, "schedule": {"kind": "step", "step_size": 2, "gamma": 0.5}},
        {"name": "sgd", "label": "blows up, at step 3", "lr": 1e300},
    ],
    "record": ["params", "learning_rates", "updates"],
}


def as_csv(client, body):
    response = client.post("/simulate", json=body, headers={"accept": "text/csv"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(response.text)))


def number(cell: str) -> float | None:
    return None if cell == "" else float(cell)


def test_csv_rows_and_values_equal_the_json_answer(client):
    answer = client.post("/simulate", json=BODY).json()
    rows = as_csv(client, BODY)
    assert list(rows[0]) == list(COLUMNS)
    dim = answer["dim"]
    expected_rows = sum(len(run["params"]) * dim for run in answer["runs"])
    assert len(rows) == expected_rows == (5 + 5 + 3) * 2
    by_run = {}
    for row in rows:
        by_run.setdefault(row["label"], []).append(row)
    assert list(by_run) == [run["label"] for run in answer["runs"]]
    for run in answer["runs"]:
        mine = by_run[run["label"]]
        assert {row["name"] for row in mine} == {run["name"]}
        for row in mine:
            t, c = int(row["step"]), int(row["coordinate"])
            assert number(row["param"]) == run["params"][t][c]
            if t == 0:
                assert row["gradient"] == row["learning_rate"] == row["update"] == row["base_lr"] == ""
                continue
            assert number(row["gradient"]) == answer["gradients"][t - 1][c]
            assert number(row["learning_rate"]) == run["learning_rates"][t - 1][c]
            assert number(row["update"]) == run["updates"][t - 1][c]
            assert number(row["base_lr"]) == (run["base_lr"][t - 1] if "base_lr" in run else None)
            assert row["loss"] == row["distance_to_optimum"] == row["scheduled_momentum"] == ""


def test_a_diverged_run_stops_where_its_json_series_stop(client):
    answer = client.post("/simulate", json=BODY).json()
    blown = answer["runs"][2]
    assert blown["diverged_at"] == 3
    rows = [row for row in as_csv(client, BODY) if row["label"] == blown["label"]]
    assert [int(row["step"]) for row in rows] == [0, 0, 1, 1, 2, 2]


def test_csv_carries_the_series_whatever_record_says(client):
    rows = as_csv(client, {**BODY, "record": []})
    assert len(rows) == 26 and all(row["param"] != "" for row in rows)


def test_the_tutorial_as_csv(client):
    rows = as_csv(client, {})
    assert len(rows) == 4 * 51
    sgd_lr = {row["learning_rate"] for row in rows if row["label"] == "sgd" and row["step"] != "0"}
    assert sgd_lr == {"0.1"}


def test_closed_loop_rows_carry_each_runs_own_gradients_loss_and_distance(client):
    body = {
        "gradients": {"kind": "objective", "function": "quadratic", "dim": 2, "steps": 5},
        "optimizers": [{"name": "sgd", "lr": 0.1}, {"name": "adam", "lr": 0.1}],
    }
    answer = client.post("/simulate", json=body).json()
    rows = as_csv(client, body)
    assert len(rows) == 2 * 6 * 2
    for run in answer["runs"]:
        for row in (r for r in rows if r["label"] == run["label"]):
            t, c = int(row["step"]), int(row["coordinate"])
            assert number(row["loss"]) == run["loss"][t]
            assert number(row["distance_to_optimum"]) == run["distance_to_optimum"][t]
            assert number(row["gradient"]) == (run["gradients"][t - 1][c] if t else None)


def test_a_run_that_diverges_at_its_first_step_has_only_its_start(client):
    body = {"gradients": {"kind": "sequence", "values": [[1e300, 1.0]]}, "optimizers": [{"name": "sgd", "lr": 1e10}]}
    rows = as_csv(client, body)
    assert [(row["step"], row["coordinate"], row["param"], row["learning_rate"]) for row in rows] == [
        ("0", "0", "0.0", ""),
        ("0", "1", "0.0", ""),
    ]


@pytest.mark.parametrize(
    "thinning",
    [{"record_every": 5}, {"include_gradients": False}, {"record_every": 7, "include_gradients": False}],
)
@pytest.mark.parametrize("source", [{}, {"gradients": {"kind": "objective", "function": "rosenbrock", "steps": 30}}])
def test_csv_keeps_every_step_with_its_gradient_whatever_the_json_thinning(client_with, thinning, source):
    """record_every and include_gradients shape the JSON answer only: the CSV of the same run is the same."""
    client = client_with(response_cache_entries=0)
    full = client.post("/simulate", json=source, headers={"accept": "text/csv"})
    thinned = client.post("/simulate", json={**source, **thinning}, headers={"accept": "text/csv"})
    assert full.status_code == thinned.status_code == 200
    assert thinned.text == full.text


def test_a_large_csv_is_streamed_in_chunks_with_the_same_bytes(client, monkeypatch):
    whole = client.post("/simulate", json=BODY, headers={"accept": "text/csv"})
    assert "content-length" in whole.headers
    # Chunks of one step (3 rows // D = 2), streamed past 5 rows: the diverged run and every boundary.
    monkeypatch.setattr("service.api.export.CHUNK_ROWS", 3)
    monkeypatch.setattr("service.api.simulate.STREAM_CSV_ROWS", 5)
    streamed = client.post("/simulate", json=BODY, headers={"accept": "text/csv"})
    assert streamed.status_code == 200 and "content-length" not in streamed.headers
    assert streamed.content == whole.content
    for rows in (1, 5):  # chunks ending within a step's coordinates (here D = 2)
        monkeypatch.setattr("service.api.export.CHUNK_ROWS", rows)
        assert client.post("/simulate", json=BODY, headers={"accept": "text/csv"}).content == whole.content
    wide = {"gradients": {"kind": "synthetic", "steps": 3, "dim": 7}, "optimizers": [{"name": "adam"}]}
    monkeypatch.setattr("service.api.simulate.STREAM_CSV_ROWS", 10**9)
    expected = client.post("/simulate", json=wide, headers={"accept": "text/csv"}).content
    monkeypatch.setattr("service.api.simulate.STREAM_CSV_ROWS", 5)
    for rows in (1, 3, 6, 7, 8, 20):
        monkeypatch.setattr("service.api.export.CHUNK_ROWS", rows)
        assert client.post("/simulate", json=wide, headers={"accept": "text/csv"}).content == expected, rows


@pytest.mark.parametrize("accept", ["text/csv", "image/svg+xml"])
def test_csv_and_figures_over_the_limit_say_what_would_help(client_with, accept):
    # They hold every step of every series: record, record_every and include_gradients are no remedy.
    client = client_with(max_values=1_000)
    body = {"gradients": {"kind": "synthetic", "steps": 300}, "record": [], "record_every": 100}
    body["include_gradients"] = False
    assert client.post("/simulate", json=body).status_code == 200
    answer = client.post("/simulate", json=body, headers={"accept": accept})
    assert answer.status_code == 422
    message = answer.json()["detail"][0]["msg"]
    assert message.endswith(
        "holds every step of every run's series, whatever record, record_every and include_gradients say: ask "
        "for fewer steps, coordinates or optimizers"
    ), message
