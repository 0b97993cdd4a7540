"""`optiscope simulate --plot FILE`: the service's own figure, drawn from a local or remote run."""

from __future__ import annotations

import json
import re
import struct

import pytest

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE
    return struct.unpack(">II", data[16:24])


def test_local_run_draws_the_tutorial_figure_as_svg(optiscope, tmp_path):
    target = tmp_path / "tutorial.svg"
    outcome = optiscope("simulate", "--plot", str(target))
    assert outcome.code == 0, outcome.err
    assert "adam" in outcome.out  # the table is still printed
    svg = target.read_text(encoding="utf-8")
    for label in ("sgd", "adagrad", "rmsprop", "adam"):
        assert re.search(rf'id="lr-{label}"', svg) and re.search(rf'id="trajectory-{label}"', svg), label


def test_remote_run_draws_the_same_figure_as_png(optiscope, tmp_path, live_server):
    local, remote = tmp_path / "local.png", tmp_path / "remote.png"
    args = ("simulate", "--objective", "rosenbrock", "--steps", "50", "--optimizer", "adam:lr=0.05")
    assert optiscope(*args, "--plot", str(local)).code == 0
    assert optiscope(*args, "--plot", str(remote), "--url", live_server).code == 0
    assert png_size(local.read_bytes()) == png_size(remote.read_bytes()) == (1400, 1000)  # with the contour


@pytest.mark.parametrize(
    ("extra", "says"),
    [(("--plot", "figure.pdf"), "must end in .svg or .png"), (("--plot", "f.svg", "--coordinate", "3"), "D = 1")],
)
def test_bad_plot_options_are_usage_errors_before_anything_runs(optiscope, tmp_path, monkeypatch, extra, says):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("service.cli._backends.Local.simulate", lambda *a: pytest.fail("ran before the checks"))
    outcome = optiscope("simulate", "--steps", "5", *extra)
    assert outcome.code == 2 and says in outcome.err


def test_plot_without_matplotlib_says_so_before_anything_runs(optiscope, tmp_path, monkeypatch):
    monkeypatch.setattr("service.figures.available", lambda: False)
    monkeypatch.setattr("service.cli._backends.Local.simulate", lambda *a: pytest.fail("ran before the checks"))
    outcome = optiscope("simulate", "--steps", "5", "--plot", str(tmp_path / "f.svg"))
    assert outcome.code == 2 and "--plot needs matplotlib: pip install 'optiscope[figures]'" in outcome.err
    assert not (tmp_path / "f.svg").exists()


def test_the_figure_is_the_services_whatever_record_every_says(optiscope, client, tmp_path):
    # The service draws every step for a figure; so does --plot (it drew 3 points at steps 1-3 once).
    body = {"record_every": 4, "gradients": {"kind": "synthetic", "steps": 10}, "record": []}
    (tmp_path / "request.json").write_text(json.dumps(body))
    target = tmp_path / "figure.svg"
    assert optiscope("simulate", "--request", str(tmp_path / "request.json"), "--plot", str(target)).code == 0
    served = client.post("/simulate", json=body, headers={"accept": "image/svg+xml"})
    assert target.read_text(encoding="utf-8") == served.text


def test_a_figure_that_cannot_be_written_is_a_usage_error(optiscope, tmp_path, monkeypatch):
    monkeypatch.setattr("service.cli._backends.Local.simulate", lambda *a: pytest.fail("ran before the checks"))
    outcome = optiscope("simulate", "--steps", "5", "--plot", str(tmp_path / "missing" / "figure.svg"))
    assert outcome.code == 2 and "cannot write it: No such file or directory" in outcome.err


def test_json_with_a_figure_runs_once_when_the_request_holds_what_the_figure_needs(optiscope, tmp_path, monkeypatch):
    from service.cli._backends import Local

    calls = []
    simulate = Local.simulate
    monkeypatch.setattr(Local, "simulate", lambda self, request: calls.append(request) or simulate(self, request))
    once = optiscope("simulate", "-f", "json", "--plot", str(tmp_path / "a.svg"))  # the defaults: every step
    assert once.code == 0 and len(calls) == 1
    alone = optiscope("simulate", "-f", "json")
    assert once.out == alone.out  # the same answer as without the figure
    calls.clear()
    thinner = optiscope("simulate", "-f", "json", "--record", "params", "--plot", str(tmp_path / "b.svg"))
    assert thinner.code == 0 and len(calls) == 2 and '"learning_rates"' not in thinner.out
