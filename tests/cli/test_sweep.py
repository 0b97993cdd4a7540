"""`optiscope sweep`: grids from options, local runs through the route's code, the same answer over --url."""

from __future__ import annotations

import json

import numpy as np
import pytest

from service.settings import Settings

ARGV = ["sweep", "-g", "synthetic:steps=30,dim=2,seed=3", "-o", "sgd:momentum=0.9", "-o", "adam"]


def test_default_is_the_tutorials_lr_sweep_as_a_table_with_the_best_marked(optiscope, client):
    result = optiscope("sweep")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == "50 steps, 1 coordinate, score: distance to target (lower is better, * best)"
    assert lines[2].split() == ["run", "optimizer", "lr", "final_distance", "diverged", "best"]
    rows = [line.split() for line in lines[4:]]
    assert len(rows) == 4 * 9
    answer = client.post("/sweep", json={}).json()
    for entry in answer["optimizers"]:
        marked = [row for row in rows if row[0] == entry["label"] and row[-1] == "*"]
        assert len(marked) == 1 and float(marked[0][2]) == pytest.approx(entry["best"]["values"]["lr"], rel=1e-5)


def test_json_is_exactly_what_the_route_answers(optiscope, client):
    result = optiscope(*ARGV, "--grid", "lr=logspace:-3:0:4", "--grid", "weight_decay=0,0.01", "-f", "json")
    assert result.code == 0, result.err
    body = {
        "gradients": {"kind": "synthetic", "steps": 30, "dim": 2, "seed": 3},
        "optimizers": [{"name": "sgd", "momentum": 0.9}, {"name": "adam"}],
        "grid": {"lr": {"logspace": [-3, 0, 4]}, "weight_decay": [0, 0.01]},
    }
    assert json.loads(result.out) == client.post("/sweep", json=body).json()


def test_objective_sweeps_score_the_final_loss(optiscope):
    result = optiscope("sweep", "--objective", "rosenbrock", "--steps", "100", "-o", "adam", "--grid", "lr=0.01,0.1")
    assert result.code == 0, result.err
    assert "score: final loss" in result.out and "final_loss" in result.out
    assert sum(line.rstrip().endswith("*") for line in result.out.splitlines()) == 1


def test_target_and_a_list_grid(optiscope):
    result = optiscope("sweep", "-o", "sgd", "--grid", "lr=0.05,0.1", "--target", "1", "-f", "json")
    answer = json.loads(result.out)
    assert answer["target"] == [1.0]
    assert [c["values"]["lr"] for c in answer["optimizers"][0]["configurations"]] == [0.05, 0.1]
    np.testing.assert_allclose(
        [c["score"] for c in answer["optimizers"][0]["configurations"]],
        [abs(c["final"][0] - 1) for c in answer["optimizers"][0]["configurations"]],
    )


def test_flags_in_the_table_read_as_the_request_writes_them(optiscope):
    result = optiscope("sweep", "-o", "sgd:momentum=0.9", "--grid", "nesterov=true,false")
    assert result.code == 0, result.err
    rows = [line.split() for line in result.out.splitlines()[4:]]
    assert [row[2] for row in rows] == ["true", "false"]  # not 1 and 0


def test_url_runs_on_the_server_with_the_same_answers(optiscope, live_server):
    for argv in ([*ARGV, "--grid", "lr=logspace:-2:0:3", "-f", "json"], ["sweep", "-o", "adam"]):
        local, remote = optiscope(*argv), optiscope(*argv, "--url", live_server)
        assert local.code == 0 and remote.code == 0 and remote.out == local.out, remote.err


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--grid", "lr"], "--grid 'lr': expected NAME=logspace:START:STOP:NUM"),
        (["--grid", "lr=logspace:-4:0"], "--grid 'lr=logspace:-4:0': expected logspace:START:STOP:NUM"),
        (["--grid", "lr=fast,slow"], "--grid 'lr=fast,slow': expected NAME=logspace"),
        (["--grid", "lr=0.1", "--grid", "lr=0.2"], "'lr' is already on the grid"),
        (["--grid", "betta1=0.9"], "grid.betta1: sgd has no hyperparameter 'betta1'"),
        (["--grid", "lr=-1"], "grid.lr[0]: sgd.lr must be >= 0.0, got -1"),
        (["--target", "far"], "--target 'far': expected a number or a JSON list of numbers"),
        (["-o", "adamx"], "Known optimizers: sgd, adagrad, rmsprop, adam"),
    ],
)
def test_usage_errors_exit_2_and_say_what_is_valid(optiscope, argv, says):
    result = optiscope("sweep", *argv)
    assert result.code == 2 and result.out == ""
    assert result.err.startswith("optiscope: error: ") and says in result.err, result.err


def test_argparse_errors_and_limits_exit_2(optiscope, monkeypatch):
    assert optiscope("sweep", "--format", "csv").code == 2
    monkeypatch.setattr("service.settings.local_settings", lambda: Settings(max_sweep_configs=20))
    result = optiscope("sweep", "--grid", "lr=logspace:-4:0:6")
    assert result.code == 2 and "grid: 24 configurations exceed the limit of 20" in result.err, result.err
