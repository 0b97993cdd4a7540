"""`optiscope simulate`: requests from options, local runs through the route's code, three formats."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from service.api.export import COLUMNS
from service.cli import main
from service.settings import Settings

TUTORIAL_FINALS = {"sgd": -0.14055927231309776, "adagrad": 0.28716204145654994, "adam": 1.033510695367403}


def test_default_is_the_tutorial_as_a_table(optiscope):
    result = optiscope("simulate")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == "50 steps, 1 coordinate"
    assert lines[2].split() == ["run", "optimizer", "steps", "final", "params", "diverged"]
    rows = {line.split()[0]: line.split() for line in lines[4:]}
    assert list(rows) == ["sgd", "adagrad", "rmsprop", "adam"]
    for label, final in TUTORIAL_FINALS.items():
        assert rows[label][1:] == [label, "50", f"{final:.6g}", "-"]


def test_json_is_exactly_what_the_route_answers(optiscope, client):
    body = {
        "gradients": {"kind": "synthetic", "steps": 80, "dim": 2, "seed": 3},
        "optimizers": [{"name": "adam", "lr": 0.1}, {"name": "sgd", "lr": 0.1, "momentum": 0.9}],
        "initial": [1.0, -1.0],
        "record": ["params", "learning_rates", "updates"],
    }
    result = optiscope(
        "simulate",
        "--gradients",
        "synthetic:steps=80,dim=2,seed=3",
        "--optimizer",
        "adam:lr=0.1",
        "--optimizer",
        "sgd:lr=0.1,momentum=0.9",
        "--initial",
        "[1, -1]",
        "--record",
        "params,learning_rates,updates",
        "--format",
        "json",
    )
    assert result.code == 0, result.err
    assert json.loads(result.out) == client.post("/simulate", json=body).json()


def test_tune_record_every_and_tune_values_are_the_routes_fields(optiscope, client):
    body = {
        "gradients": {"kind": "objective", "function": "rosenbrock", "steps": 60},
        "optimizers": [{"name": "adam"}, {"name": "sgd", "momentum": 0.9}],
        "tune": "lr",
        "tune_values": {"logspace": [-3, 0, 4]},
        "record_every": 20,
    }
    source = ("--objective", "rosenbrock", "--steps", "60", "-o", "adam", "-o", "sgd:momentum=0.9")
    tuning = ("--tune", "lr", "--tune-values", "logspace:-3:0:4")
    result = optiscope("simulate", *source, *tuning, "--record-every", "20", "--format", "json")
    assert result.code == 0, result.err
    answer = client.post("/simulate", json=body).json()
    assert json.loads(result.out) == answer and answer["recorded_steps"] == [20, 40, 60]
    # The table shows the lr each run used.
    table = optiscope("simulate", *source, *tuning)
    assert table.code == 0, table.err
    header, _, *rows = table.out.splitlines()[2:]
    assert header.split()[:4] == ["run", "optimizer", "lr", "(tuned)"]
    chosen = [run["tuning"]["chosen"] for run in answer["runs"]]
    assert [float(row.split()[2]) for row in rows] == pytest.approx(chosen, rel=1e-5)
    thinned = optiscope("simulate", *source, "--record-every", "20")  # the table has no series to thin
    assert thinned.code == 2 and "--record-every thins the series of --format json" in thinned.err
    aimed = optiscope("simulate", "-o", "sgd", "--tune", "lr", "--target", "-1", "--format", "json")
    tutorial = {"optimizers": [{"name": "sgd"}], "tune": "lr", "target": -1}
    assert aimed.code == 0 and json.loads(aimed.out) == client.post("/simulate", json=tutorial).json()
    wrong = optiscope("simulate", *source, "--tune", "lr", "--tune-values", "geomspace:1:2:3")
    assert wrong.code == 2 and "--tune-values 'geomspace:1:2:3': expected logspace:START:STOP:NUM" in wrong.err


def test_csv_is_long_format_with_the_initial_point_at_step_0(optiscope):
    result = optiscope(
        "simulate", "-g", "[[0.5, -1.0], [0.25, 2.0]]", "-o", "sgd:lr=0.5", "-f", "csv", "--record", "params"
    )
    assert result.code == 0, result.err
    rows = list(csv.DictReader(io.StringIO(result.out)))
    assert tuple(rows[0]) == COLUMNS  # the service's CSV: every column, every series, whatever --record says
    assert len(rows) == 1 * 3 * 2  # runs x (T + 1) x D
    assert (rows[0]["step"], rows[0]["param"], rows[0]["gradient"], rows[0]["update"]) == ("0", "0.0", "", "")
    last = rows[-1]
    assert (last["name"], last["step"], last["coordinate"], last["gradient"], last["update"]) == (
        "sgd", "2", "1", "2.0", "-1.0"
    )  # fmt: skip
    assert float(last["param"]) == pytest.approx(0.5 * 1.0 - 0.5 * 2.0)


@pytest.mark.parametrize(
    "body",
    [
        {},  # the tutorial
        {"gradients": {"kind": "objective", "function": "rosenbrock", "steps": 5}},  # each run's own gradients
        {"include_gradients": False, "record": ["updates"]},
        {"record_every": 4, "gradients": {"kind": "synthetic", "steps": 10}, "record": []},  # steps 0..10, not 0..3
        {
            "gradients": {"kind": "sequence", "values": [1e308, 1e308]},
            "optimizers": [{"name": "sgd", "lr": 1.0}],
        },  # diverges at 2
    ],
)
def test_csv_is_the_services_csv(optiscope, client, tmp_path, body):
    (tmp_path / "request.json").write_text(json.dumps(body))
    result = optiscope("simulate", "--request", str(tmp_path / "request.json"), "-f", "csv")
    assert result.code == 0, result.err
    served = client.post("/simulate", json=body, headers={"accept": "text/csv"})
    assert result.out == served.text


def test_steps_and_several_optimizers_as_in_the_issue(optiscope):
    argv = ["--optimizer", "adam:lr=0.1", "--optimizer", "sgd:lr=0.1,momentum=0.9", "--steps", "500"]
    result = optiscope("simulate", *argv)
    assert result.code == 0, result.err
    assert result.out.startswith("500 steps, 1 coordinate")
    rows = [line.split()[:3] for line in result.out.splitlines()[4:]]
    assert rows == [["adam", "adam", "500"], ["sgd", "sgd", "500"]]


def test_divergence_is_shown(optiscope):
    result = optiscope("simulate", "-g", "[1e308, 1e308]", "-o", "sgd:lr=10", "--initial", "0")
    assert result.code == 0, result.err
    assert result.out.splitlines()[4].split() == ["sgd", "sgd", "0", "0", "at", "step", "1"]


def test_schedules_and_nested_fields_in_an_optimizer_spec(optiscope):
    spec = "sgd:lr=1,label=stepped,schedule.kind=multistep,schedule.milestones=[2,3],schedule.gamma=0.5"
    result = optiscope("simulate", "-g", "[1, 1, 1, 1]", "-o", spec, "-f", "json", "--record", "params")
    assert result.code == 0, result.err
    run = json.loads(result.out)["runs"][0]
    assert run["label"] == "stepped" and run["base_lr"] == [1.0, 1.0, 0.5, 0.25]  # torch: epoch t-1 at step t


@pytest.mark.parametrize("kind", ["json-list", "json-source", "csv", "csv-with-header", "npy", "stdin"])
def test_gradient_files(optiscope, tmp_path, monkeypatch, kind):
    rows = np.array([[0.5, -1.0], [0.25, 2.0], [-0.5, 0.0]])
    names = {"json-list": "g.json", "json-source": "g.json", "csv": "g.csv", "csv-with-header": "g.csv"}
    path = tmp_path / {**names, "npy": "g.npy"}.get(kind, "-")
    if kind == "json-list":
        path.write_text(json.dumps(rows.tolist()))
    elif kind == "json-source":
        path.write_text(json.dumps({"kind": "sequence", "values": rows.tolist()}))
    elif kind.startswith("csv"):
        np.savetxt(path, rows, delimiter=",", header="g0,g1" if kind == "csv-with-header" else "", comments="")
    elif kind == "npy":
        np.save(path, rows)
    else:
        monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(rows.tolist())))
    result = optiscope("simulate", "-g", "-" if kind == "stdin" else str(path), "-o", "sgd:lr=1", "-f", "json")
    assert result.code == 0, result.err
    answer = json.loads(result.out)
    assert answer["gradients"] == rows.tolist()
    assert answer["runs"][0]["final"] == (-rows.sum(axis=0)).tolist()


def test_a_gradient_csv_first_line_is_a_header_only_if_it_holds_no_numbers(optiscope, tmp_path):
    typo = tmp_path / "typo.csv"
    typo.write_text("0.5,-1.O\n0.25,2.0\n-0.5,0.0\n")  # the letter O: not a header, not data
    result = optiscope("simulate", "-g", str(typo), "-o", "sgd")
    assert result.code == 2 and "line 1 mixes numbers and names ('0.5,-1.O')" in result.err
    exported = tmp_path / "excel.csv"
    exported.write_bytes("\ufeff0.5,-1.0\n0.25,2.0\n".encode())  # a byte-order mark before the numbers
    answer = json.loads(optiscope("simulate", "-g", str(exported), "-o", "sgd", "-f", "json").out)
    assert answer["gradients"] == [[0.5, -1.0], [0.25, 2.0]]


def test_a_request_file_with_options_on_top(optiscope, tmp_path):
    request = tmp_path / "request.json"
    request.write_text(json.dumps({"optimizers": [{"name": "adagrad", "lr": 0.5}], "initial": 2.0}))
    result = optiscope("simulate", "--request", str(request), "--steps", "5", "-f", "json", "--record", "")
    assert result.code == 0, result.err
    answer = json.loads(result.out)
    assert answer["steps"] == 5 and [r["name"] for r in answer["runs"]] == ["adagrad"]
    assert "params" not in answer["runs"][0]


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["-o", "adamx"], "optimizers[0].name: Unknown optimizer 'adamx'. Did you mean 'adamax'?"),
        (["-o", "adamx"], "Known optimizers: sgd, adagrad, rmsprop, adam"),
        (["-o", "adam:betta1=0.9"], "optimizers[0].betta1: Unknown field 'betta1'. Did you mean 'beta1'? Allowed: "),
        (["-o", "sgd", "-o", "adam:lr=-1"], "optimizers[1].lr: Input should be greater than or equal to 0"),
        (["-o", "adam:lr"], "--optimizer 'adam:lr': expected KEY=VALUE, got 'lr'"),
        (["-o", "lr=0.1"], "--optimizer 'lr=0.1': expected NAME[:KEY=VALUE,...], e.g. adam:lr=0.1"),
        (["-g", "missing.json"], "--gradients 'missing.json': no such file; use tutorial, synthetic["),
        (["-g", "[1, 2]", "--steps", "5"], "--steps sets the length of synthetic gradients"),
        (["-g", "[[1, 2], [3]]"], "gradients.values[1]: row 1 has 1 number, row 0 has 2"),
        (["--initial", "zero"], "--initial 'zero': expected a number or a JSON list of numbers"),
        (["--record", "params,loss"], "record[1]: Input should be 'params', 'learning_rates', 'updates' or 'state'"),
    ],
)
def test_usage_errors_exit_2_and_say_what_is_valid(optiscope, argv, says):
    result = optiscope("simulate", *argv)
    assert result.code == 2 and result.out == ""
    assert result.err.startswith("optiscope: error: ") and says in result.err, result.err


def test_limits_apply_to_local_runs_too(optiscope, monkeypatch):
    monkeypatch.setattr("service.settings.local_settings", lambda: Settings(max_steps=10))
    result = optiscope("simulate", "--steps", "50")
    assert result.code == 2
    assert result.err == "optiscope: error: invalid request:\n  gradients.steps: 50 steps exceed the limit of 10\n"


def test_argparse_errors_exit_2(optiscope):
    result = optiscope("simulate", "--format", "yaml")
    assert result.code == 2


def test_closed_loop_on_an_objective_shows_the_final_loss(optiscope, client):
    result = optiscope("simulate", "--objective", "rosenbrock:b=10", "--steps", "200", "-o", "adam:lr=0.05")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == "200 steps, 2 coordinates, closed loop on rosenbrock (minimum 0)"
    assert lines[2].split()[-3:] == ["final", "loss", "diverged"]
    body = {
        "gradients": {"kind": "objective", "function": "rosenbrock", "b": 10, "steps": 200},
        "optimizers": [{"name": "adam", "lr": 0.05}],
        "record": [],
    }
    run = client.post("/simulate", json=body).json()["runs"][0]
    assert lines[4].split()[-2] == f"{run['loss'][-1]:.6g}"
    as_json = json.loads(optiscope("simulate", "--objective", "rosenbrock:b=10", "--steps", "200",
                                  "-o", "adam:lr=0.05", "--record", "", "-f", "json").out)  # fmt: skip
    assert as_json["runs"][0] == run


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (
            ["--objective", "rosenbrok"],
            "gradients.function: Unknown function 'rosenbrok'. Did you mean 'rosenbrock'? Known functions: 'quadratic'",
        ),
        (["--objective", "rosenbrock:bb=1"], "gradients.bb: Unknown field 'bb'. Did you mean 'b'?"),
        (["--objective", "beale:dim=3"], "gradients.dim"),
        (["--objective", "booth", "-g", "tutorial"], "--gradients and --objective are alternatives"),
    ],
)
def test_objective_usage_errors(optiscope, argv, says):
    result = optiscope("simulate", *argv)
    assert result.code == 2 and says in result.err, result.err


def test_the_table_asks_for_neither_series_nor_gradients(optiscope, monkeypatch):
    # 200 gradients would be over a 100-number limit: the table shows final values only, so it never asks.
    monkeypatch.setattr("service.settings.local_settings", lambda: Settings(max_values=100))
    result = optiscope("simulate", "--steps", "200", "-o", "adam")
    assert result.code == 0, result.err
    assert optiscope("simulate", "--steps", "200", "-o", "adam", "-f", "json").code == 2  # JSON does ask


def test_a_one_column_csv_is_read_with_or_without_a_header_but_not_with_a_typo(optiscope, tmp_path):
    path = tmp_path / "g.csv"
    path.write_text("1.O\n2\n3\n")  # the letter O: once taken for a header, silently dropping a step
    result = optiscope("simulate", "-g", str(path), "-o", "sgd:lr=1")
    assert result.code == 2 and "line 1 has '1.O', neither a number nor a column name" in result.err
    path.write_text("gradient\n2\n3\n")
    answer = json.loads(optiscope("simulate", "-g", str(path), "-o", "sgd:lr=1", "-f", "json").out)
    assert answer["gradients"] == [[2.0], [3.0]]
    path.write_text("gradient\n")
    result = optiscope("simulate", "-g", str(path), "-o", "sgd")
    assert result.code == 2 and result.err == f"optiscope: error: --gradients {str(path)!r}: no rows of numbers\n"


def test_decimals_without_a_leading_or_trailing_digit_are_numbers(optiscope):
    result = optiscope("simulate", "-o", "adam:lr=.001,beta1=.5", "--initial", "5.", "-f", "json", "--record", "")
    assert result.code == 0, result.err
    run = json.loads(result.out)["runs"][0]
    assert (run["hyperparameters"]["lr"], run["hyperparameters"]["beta1"]) == (0.001, 0.5)


def test_gradients_nested_too_deeply_are_a_usage_error(optiscope):
    result = optiscope("simulate", "-g", "[" * 100_000)
    assert result.code == 2 and "nested too deeply" in result.err


def test_output_that_cannot_be_written_is_an_error_not_a_traceback():
    class Full(io.StringIO):
        def write(self, text):
            raise OSError(28, "No space left on device")

    err = io.StringIO()
    assert main(["simulate"], stdout=Full(), stderr=err) == 1
    assert err.getvalue() == "optiscope: error: cannot write the output: No space left on device\n"


def test_a_request_body_from_standard_input(optiscope, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps({"optimizers": [{"name": "adagrad"}], "record": []})))
    answer = json.loads(optiscope("simulate", "--request", "-", "-f", "json").out)
    assert [run["name"] for run in answer["runs"]] == ["adagrad"]
    result = optiscope("simulate", "--request", "-", "--gradients", "-")
    assert result.code == 2 and "both read standard input" in result.err
