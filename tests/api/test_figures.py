"""POST /simulate with Accept: image/svg+xml or image/png: the tutorial's two-panel figure."""

from __future__ import annotations

import re
import struct
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from service import figures

SVG_NS = "{http://www.w3.org/2000/svg}"


def figure(client, body, accept, query=""):
    response = client.post(f"/simulate{query}", json=body, headers={"accept": accept})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == accept
    return response.content


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def lines_by_id(svg: bytes) -> dict[str, ET.Element]:
    root = ET.fromstring(svg)
    return {g.get("id"): g for g in root.iter(f"{SVG_NS}g") if g.get("id")}


@pytest.fixture(scope="module")
def tutorial_svg(client) -> bytes:
    return figure(client, {}, "image/svg+xml")


def test_the_tutorial_figure_as_svg_has_one_line_per_run_in_each_panel(tutorial_svg):
    svg = tutorial_svg
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG_NS}svg"
    assert (root.get("width"), root.get("height")) == ("1008pt", "360pt")  # 14 x 5 in, as the tutorial's
    groups = lines_by_id(svg)
    for panel in ("lr", "trajectory"):
        ids = sorted(i for i in groups if i.startswith(f"{panel}-"))
        assert ids == sorted(f"{panel}-{label}" for label in ("sgd", "adagrad", "rmsprop", "adam"))
        for i in ids:
            assert len(list(groups[i].iter(f"{SVG_NS}path"))) == 1, i
    texts = {"".join(t.itertext()).strip() for t in root.iter(f"{SVG_NS}text")}
    assert {"Learning rates over steps", "Parameter trajectories", "Step", "Learning rate", "Parameter value"} <= texts
    assert {"sgd (fixed)", "adagrad", "rmsprop", "adam"} <= texts  # the legends
    assert not any(i.startswith(("loss-", "path-")) for i in groups)


def test_sgd_fixed_rate_is_dashed_and_adaptive_rates_are_solid(tutorial_svg):
    groups = lines_by_id(tutorial_svg)

    def style(gid):
        return next(groups[gid].iter(f"{SVG_NS}path")).get("style")

    assert "stroke-dasharray" in style("lr-sgd")
    assert "stroke-dasharray" not in style("lr-adam")
    assert "stroke-dasharray" not in style("trajectory-sgd")


def test_the_trajectory_lines_follow_the_json_answer(client, tutorial_svg):
    answer = client.post("/simulate", json={}).json()
    groups = lines_by_id(tutorial_svg)
    for run in answer["runs"]:
        path = next(groups[f"trajectory-{run['label']}"].iter(f"{SVG_NS}path")).get("d")
        assert path.count("L") == len(run["params"]) - 1  # one vertex per step, steps 0..T


def test_the_tutorial_figure_as_png_is_1400_by_500(client):
    data = figure(client, {}, "image/png")
    assert png_size(data) == (1400, 500)


def test_figures_are_deterministic(client, tutorial_svg):
    assert figure(client, {}, "image/svg+xml") == tutorial_svg


def test_coordinate_picks_what_the_panels_show(client):
    body = {
        "gradients": {"kind": "sequence", "values": [[1.0, -1.0], [0.5, -0.5]]},
        "optimizers": [{"name": "sgd", "lr": 1.0}, {"name": "adam", "label": "my run"}],
    }
    svg = figure(client, body, "image/svg+xml", "?coordinate=1")
    texts = {"".join(t.itertext()).strip() for t in ET.fromstring(svg).iter(f"{SVG_NS}text")}
    assert "Parameter trajectories (coordinate 1)" in texts
    assert {"lr-sgd", "lr-my-run", "trajectory-my-run"} <= set(lines_by_id(svg))


def test_coordinate_out_of_range_is_a_422(client):
    response = client.post("/simulate?coordinate=1", json={}, headers={"accept": "image/png"})
    assert response.status_code == 422
    [entry] = response.json()["detail"]
    assert entry["loc"] == ["query", "coordinate"]
    assert "D = 1" in entry["msg"]


def test_diverged_runs_are_drawn_up_to_their_divergence(client):
    body = {
        "gradients": {"kind": "sequence", "values": [1.0, 1.0, 1e300, 1.0]},
        "optimizers": [{"name": "sgd", "lr": 1e10}, {"name": "adam"}],
    }
    svg = figure(client, body, "image/svg+xml")
    texts = {"".join(t.itertext()).strip() for t in ET.fromstring(svg).iter(f"{SVG_NS}text")}
    assert "sgd (fixed) (diverged at step 3)" in texts
    path = next(lines_by_id(svg)["trajectory-sgd"].iter(f"{SVG_NS}path")).get("d")
    assert path.count("L") == 2


def axes():
    from matplotlib.figure import Figure

    return Figure().subplots()


def test_the_value_axes_fit_the_runs_that_stayed_finite():
    flying = {  # climbs to 1e50, then overflows at step 4
        "label": "sgd",
        "params": np.array([[0.0], [3.0], [1e20], [1e50]]),
        "learning_rates": np.full((3, 1), 0.1),
        "loss": np.array([1.0, 9.0, 1e40, 1e100]),
        "diverged_at": 4,
    }
    steady = {
        "label": "adam",
        "params": np.array([[0.0], [0.5], [0.75], [1.0], [0.9]]),
        "learning_rates": np.array([[1e-3], [2e-3], [3e-3], [4e-3]]),
        "loss": np.array([1.0, 0.5, 0.25, 0.2, 0.1]),
        "diverged_at": None,
    }
    runs, ids = [flying, steady], ["sgd", "adam"]
    ax = axes()
    figures.draw_trajectories(ax, runs, ids, 0, "")
    low, high = ax.get_ylim()
    assert -0.2 < low < 0 and 1 < high < 1.2  # adam's 0 ... 1, with matplotlib's margins
    assert ax.get_xlim()[1] > 4  # every run's steps
    assert {line.get_gid() for line in ax.get_lines() if line.get_visible()} == {"trajectory-sgd", "trajectory-adam"}
    ax = axes()
    figures.draw_loss(ax, runs, ids)
    assert ax.get_yscale() == "linear" and ax.get_ylim()[1] < 1.1  # 0.1 ... 1: no log scale from 1e100
    ax = axes()
    figures.draw_learning_rates(ax, runs, ids, 0, "")
    assert ax.get_ylim()[1] > 0.1  # a rate does not run off with its run: sgd's 0.1 is shown
    ax = axes()  # every run diverged: the axis fits them
    figures.draw_trajectories(ax, [flying], ids[:1], 0, "")
    assert ax.get_ylim()[1] >= 1e50


@pytest.mark.parametrize("accept", ["image/svg+xml", "image/png"])
@pytest.mark.parametrize("label", ["$x^$", "$\\frac{$", "cost $5", "_nolegend_", "_hidden"])
def test_labels_are_drawn_as_written(client, accept, label):
    # matplotlib would parse $...$ as math (a stray $ fails) and hide a label starting with "_".
    data = figure(client, {"optimizers": [{"name": "adam", "label": label}]}, accept)
    if accept == "image/svg+xml":
        texts = {"".join(t.itertext()).strip().lstrip("\u200b") for t in ET.fromstring(data).iter(f"{SVG_NS}text")}
        assert label in texts


@pytest.mark.parametrize(
    "body",
    [
        {"gradients": {"kind": "sequence", "values": [1, -1, 1]}, "optimizers": [{"name": "adam", "lr": 1e308}]},
        {
            "gradients": {"kind": "objective", "function": "saddle", "steps": 2000},
            "optimizers": [{"name": "sgd", "lr": 1e10}],
        },
        {"initial": 1e308, "optimizers": [{"name": "adamw", "weight_decay": 1e300, "lr": 1e10}]},
        {
            "initial": -1.7e308,
            "gradients": {"kind": "sequence", "values": [-1e308, 1e308]},
            "optimizers": [{"name": "sgd", "lr": 1}],
        },
    ],
)
def test_runs_near_the_end_of_float64_are_drawn(client, body):
    # Points beyond 1e200 in magnitude are left out of the lines: matplotlib's axis arithmetic overflows there.
    svg = figure(client, body, "image/svg+xml")
    assert lines_by_id(svg)
    assert png_size(figure(client, body, "image/png"))[0] >= 1400


def test_contour_panel_for_a_surface():
    """The contour panel, drawn from a payload and a surface (what 2-D objectives give the route)."""
    import numpy as np

    x = np.linspace(-2, 2, 41)
    y = np.linspace(-1, 3, 41)
    z = (1 - x[None, :]) ** 2 + 100 * (y[:, None] - x[None, :] ** 2) ** 2
    path = np.array([[-1.5, 2.0], [-1.0, 1.0], [0.0, 0.2], [0.9, 0.8]])
    payload = {
        "steps": 3,
        "dim": 2,
        "gradients": np.zeros((3, 2)),
        "runs": [
            {
                "label": "adam",
                "params": path,
                "learning_rates": np.ones((3, 2)),
                "loss": np.ones(4),
                "diverged_at": None,
            }
        ],
    }
    svg = figures.render(payload, "image/svg+xml", surface={"x": x, "y": y, "z": z})
    ids = set(lines_by_id(svg))
    assert {"lr-adam", "trajectory-adam", "loss-adam", "path-adam"} <= ids
    png = figures.render(payload, "image/png", surface={"x": x, "y": y, "z": z})
    assert png_size(png) == (1400, 1000)


@pytest.mark.parametrize("labels", [["a b", "a-b", "a b"], ["", "ünï"]])
def test_run_ids_are_unique_and_svg_safe(labels):
    ids = figures.run_ids(labels)
    assert len(set(ids)) == len(ids)
    assert all(i and all(ch.isalnum() or ch in "_.-" for ch in i) for i in ids)


ROSENBROCK = {
    "gradients": {"kind": "objective", "function": "rosenbrock", "steps": 60},
    "optimizers": [{"name": "sgd", "lr": 0.001, "momentum": 0.9}, {"name": "adam", "lr": 0.05}],
}


def test_a_2d_objective_adds_the_loss_and_a_contour_with_every_path(client):
    answer = client.post("/simulate", json=ROSENBROCK).json()
    svg = figure(client, ROSENBROCK, "image/svg+xml")
    root = ET.fromstring(svg)
    assert (root.get("width"), root.get("height")) == ("1008pt", "720pt")  # 2 x 2 panels
    groups = lines_by_id(svg)
    for panel in ("lr", "trajectory", "loss", "path"):
        assert sorted(i for i in groups if i.startswith(f"{panel}-")) == [f"{panel}-adam", f"{panel}-sgd"]
    texts = {"".join(t.itertext()).strip() for t in root.iter(f"{SVG_NS}text")}
    assert {"Loss", "Paths on the objective", "start", "minimum"} <= texts
    path = next(groups["path-adam"].iter(f"{SVG_NS}path")).get("d")
    assert path.count("L") == len(answer["runs"][1]["params"]) - 1
    assert png_size(figure(client, ROSENBROCK, "image/png")) == (1400, 1000)


def test_an_objective_beyond_2d_has_the_loss_but_no_contour(client):
    body = {**ROSENBROCK, "gradients": {**ROSENBROCK["gradients"], "dim": 3}}
    svg = figure(client, body, "image/svg+xml", "?coordinate=2")
    ids = set(lines_by_id(svg))
    assert {"loss-adam", "trajectory-adam"} <= ids and not any(i.startswith("path-") for i in ids)
    assert ET.fromstring(svg).get("width") == "1512pt"  # three panels in a row


def test_a_surface_flat_to_float64_draws_the_paths_without_contours(client):
    # Rosenbrock with a = 1e18 is ~1e36 over the whole window: one contour level, which matplotlib refuses.
    body = {
        "gradients": {"kind": "objective", "function": "rosenbrock", "a": 1e18, "steps": 5},
        "optimizers": [{"name": "sgd"}],
    }
    assert "path-sgd" in lines_by_id(figure(client, body, "image/svg+xml"))
    assert png_size(figure(client, body, "image/png")) == (1400, 1000)


def test_runs_that_diverge_at_their_first_step_leave_their_panels_empty(client):
    body = {"gradients": {"kind": "sequence", "values": [1e300, 1.0]}, "optimizers": [{"name": "sgd", "lr": 1e10}]}
    svg = figure(client, body, "image/svg+xml")
    assert "trajectory-sgd" in lines_by_id(svg) and "lr-sgd" not in lines_by_id(svg)


def test_a_data_backed_functions_contour_is_coarser_within_its_evaluation_work(monkeypatch):
    # logistic regression on 10^5 samples: an 81 x 81 contour touched 1.3e9 numbers (12 s, past the budget).
    from service.api.models import SimulateRequest
    from service.api.simulate import CONTOUR_WORK, contour_surface, run_simulation
    from service.settings import Settings

    def contour(function: dict):
        request = SimulateRequest.model_validate(
            {"gradients": {"kind": "objective", "dim": 2, "steps": 2, **function}, "optimizers": [{"name": "sgd"}]}
        )
        return request, contour_surface(request, run_simulation(request, Settings()))

    _, plain = contour({"function": "rosenbrock"})
    assert len(plain["x"]) == len(plain["y"]) == 81
    request, data = contour({"function": "logistic_regression", "n_samples": 100_000})
    side = len(data["x"])
    assert 11 <= side < 81 and side * side * request.gradients.work_per_step() <= CONTOUR_WORK
    assert data["z"].shape == (side, side) and np.isfinite(data["z"]).all()
    monkeypatch.setattr("service.api.simulate.CONTOUR_WORK", 10 * 10 * request.gradients.work_per_step())
    assert contour({"function": "logistic_regression", "n_samples": 100_000})[1] is None  # not even 11 x 11


def test_twenty_runs_have_twenty_colours_the_playground_draws_alike(client):
    # tab10 repeated from the 11th run; tab20's light partners follow it, in the figures and the playground.
    body = {"optimizers": [{"name": "sgd", "lr": 0.01 * (k + 1), "label": f"run{k}"} for k in range(20)]}
    groups = lines_by_id(figure(client, body, "image/svg+xml"))
    strokes = []
    for k in range(20):
        [path] = groups[f"trajectory-run{k}"].iter(f"{SVG_NS}path")
        strokes.append(re.search(r"stroke: (#[0-9a-f]{6})", path.get("style")).group(1))
    assert len(set(strokes)) == 20 and strokes == list(figures.COLORS)
    charts = (Path(figures.__file__).parent / "static" / "js" / "charts.js").read_text(encoding="utf-8")
    palette = charts[charts.index("const PALETTE") : charts.index("];", charts.index("const PALETTE"))]
    assert re.findall(r'"(#[0-9a-f]{6})"', palette) == list(figures.COLORS)


def test_the_contour_leaves_out_the_path_of_a_diverged_run():
    # SGD at lr 0.1 on Rosenbrock is at x ~ 6 by its fourth step, then overflows: the window grew threefold to
    # hold those points and squeezed the three runs that stayed finite (all within the function's window) into
    # a corner.
    from service.api.models import SimulateRequest
    from service.api.simulate import contour_surface, run_simulation
    from service.settings import Settings

    rosenbrock = {"kind": "objective", "function": "rosenbrock", "steps": 9}
    request = SimulateRequest.model_validate({"gradients": rosenbrock})
    payload = run_simulation(request, Settings())
    assert [run["diverged_at"] for run in payload["runs"]] == [5, None, None, None]
    assert np.abs(np.asarray(payload["runs"][0]["params"][4])).max() > 5  # (the case at hand)
    surface = contour_surface(request, payload)
    assert (surface["x"][0], surface["x"][-1], surface["y"][0], surface["y"][-1]) == (-2, 2, -1, 3)  # its own window
    # Every run diverged: their paths are all there is to show.
    request = SimulateRequest.model_validate({"gradients": rosenbrock, "optimizers": [{"name": "sgd", "lr": 0.1}]})
    assert contour_surface(request, run_simulation(request, Settings()))["x"][-1] > 2


def test_the_contour_holds_every_path_with_a_margin_beyond_its_window():
    # The saddle scenario's paths climb to y = 3.7, past the window's 2: the contour reached exactly the
    # highest point, and its run's end dot was drawn on the frame.
    from service.api.models import SimulateRequest
    from service.api.simulate import CONTOUR_PATH_MARGIN, contour_surface, run_simulation
    from service.settings import Settings

    body = {
        "gradients": {"kind": "objective", "function": "saddle", "steps": 60},
        "optimizers": [{"name": "sgd", "lr": 0.05}, {"name": "rmsprop", "lr": 0.01}],
    }
    request = SimulateRequest.model_validate(body)
    payload = run_simulation(request, Settings())
    ys = np.concatenate([np.asarray(run["params"])[:, 1] for run in payload["runs"]])
    surface = contour_surface(request, payload)
    assert ys.max() > 2  # (the case at hand)
    assert surface["y"][-1] == pytest.approx(ys.max() + CONTOUR_PATH_MARGIN * (ys.max() + 2))
    assert (surface["x"][0], surface["x"][-1], surface["y"][0]) == (-2, 2, -2)  # within the window: as it is
