"""The tutorial's figure from a /simulate answer, drawn with matplotlib (the optional `figures` extra).

Panels, each 700 x 500 px (7 x 5 in at 100 dpi, the tutorial's size):
  1. learning rates over steps (a run whose rate never changes, like plain SGD's, is dashed and marked "fixed");
  2. parameter trajectories (step 0 is the starting point);
  3. the loss, when the runs carry one (closed-loop objectives);
  4. the contour of a 2-D objective with every run's path (and its minima), when a surface is given.
Two or three panels sit in one row; four make a 2 x 2 grid. With D > 1, panels 1 and 2 show one coordinate.

Every run's line carries an SVG id naming its panel and label (`lr-adam`, `trajectory-adam`, `loss-adam`,
`path-adam`), so a figure can be checked or styled by run. Rendering is deterministic: no date, fixed ids.
Plotting stays out of the engine; this module reads the payload the API builds.
"""

from __future__ import annotations

import importlib.util
import io
import re
import threading
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

import numpy as np

PANEL_INCHES = (7.0, 5.0)
DPI = 100
MAX_POINTS = 4000  # per line; longer series are thinned for drawing (every k-th step plus the last)
# matplotlib's tab10, then the light partners tab20 pairs them with: runs 11-20 keep their own colours
# (the playground draws with the same list, in service/static/js/charts.js).
COLORS = (
    *("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"),
    *("#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5"),
)
FORMATS = {"image/svg+xml": "svg", "image/png": "png"}

_lock = threading.Lock()  # matplotlib's font and text caches are not made for concurrent drawing


@cache
def available() -> bool:
    """True when matplotlib is installed (the `figures` extra)."""
    return importlib.util.find_spec("matplotlib") is not None


def run_ids(labels: Sequence[str]) -> list[str]:
    """SVG-safe, unique id stems for run labels: `adam`, `my run` -> `my-run`, a clash -> `adam-2`."""
    ids: list[str] = []
    for label in labels:
        stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", label).strip("-") or "run"
        candidate, n = stem, 2
        while candidate in ids:
            candidate, n = f"{stem}-{n}", n + 1
        ids.append(candidate)
    return ids


def thinned(n: int) -> np.ndarray:
    """Indices 0..n-1 to draw: all of them, or every k-th plus the last when n > MAX_POINTS."""
    if n <= MAX_POINTS:
        return np.arange(n)
    return np.unique(np.r_[np.arange(0, n, -(-n // MAX_POINTS)), n - 1])


def render(
    payload: Mapping[str, Any],
    media_type: str,
    coordinate: int = 0,
    surface: Mapping[str, np.ndarray] | None = None,
) -> bytes:
    """The figure as SVG or PNG bytes. `payload` is the /simulate answer (arrays or lists); `surface`,
    for a 2-D objective, holds `x` (nx), `y` (ny) and `z` (ny, nx) for the contour panel."""
    from matplotlib.figure import Figure

    runs = payload["runs"]
    panels = ["lr", "trajectory"]
    if any(run.get("loss") is not None for run in runs):
        panels.append("loss")
    if surface is not None:
        panels.append("contour")
    rows, cols = (2, 2) if len(panels) == 4 else (1, len(panels))
    with _lock:
        figure = Figure(figsize=(PANEL_INCHES[0] * cols, PANEL_INCHES[1] * rows), dpi=DPI, layout="constrained")
        axes = figure.subplots(rows, cols, squeeze=False).ravel()
        ids = run_ids([run["label"] for run in runs])
        suffix = f" (coordinate {coordinate})" if payload["dim"] > 1 else ""
        for ax, panel in zip(axes, panels, strict=True):
            if panel == "lr":
                draw_learning_rates(ax, runs, ids, coordinate, suffix)
            elif panel == "trajectory":
                draw_trajectories(ax, runs, ids, coordinate, suffix)
            elif panel == "loss":
                draw_loss(ax, runs, ids)
            else:
                draw_contour(ax, runs, ids, surface, (payload.get("objective") or {}).get("minima"))
        buffer = io.BytesIO()
        fmt = FORMATS[media_type]
        metadata = {"Date": None} if fmt == "svg" else {"Software": None}
        with _rc():
            figure.savefig(buffer, format=fmt, metadata=metadata)
    return buffer.getvalue()


def _rc():
    import matplotlib

    # Text as <text> (small, searchable SVG) and fixed element ids (the same figure gives the same bytes).
    return matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "optiscope"})


def _legend_label(run: Mapping[str, Any], extra: str = "") -> str:
    diverged = run.get("diverged_at")
    return _literal(run["label"]) + extra + (f" (diverged at step {diverged})" if diverged else "")


def _literal(label: str) -> str:
    """A client's label as plain text: matplotlib reads `$...$` as math (a stray `$` fails to parse) and
    hides a label that starts with `_` from the legend (a zero-width space in front keeps it)."""
    label = label.replace("$", r"\$")
    return "\u200b" + label if label.startswith("_") else label


# Values drawn: up to 1e200 in magnitude. Beyond, a run is near float64's end (diverging), and matplotlib's
# axis arithmetic (the span, the margins, the ticks) overflows; those points are left out of the line.
DRAWABLE = 1e200


def _drawable(values: np.ndarray) -> np.ndarray:
    return np.where(np.abs(values) <= DRAWABLE, values, np.nan)


def _legend(ax, count: int) -> None:
    if ax.get_legend_handles_labels()[0]:  # a panel can be empty: every run diverged at its first step
        ax.legend(fontsize="small", ncols=2 if count > 8 else 1)


def draw_learning_rates(ax, runs, ids, coordinate: int, suffix: str) -> None:
    drawn: list[Drawn] = []
    for i, (run, gid) in enumerate(zip(runs, ids, strict=True)):
        rates = _drawable(np.asarray(run["learning_rates"], dtype=float).reshape(-1, run_dim(run))[:, coordinate])
        if rates.size == 0:
            continue
        fixed = bool(np.all(rates == rates[0]))
        at = thinned(rates.size)
        (line,) = ax.plot(
            at + 1,
            rates[at],
            color=COLORS[i % len(COLORS)],
            linestyle="--" if fixed else "-",
            label=_legend_label(run, " (fixed)" if fixed else ""),
        )
        line.set_gid(f"lr-{gid}")
        drawn.append((line, rates, False))  # a rate stays in range when its run's parameters run off
    _fit_values(ax, drawn)
    ax.set(title="Learning rates over steps" + suffix, xlabel="Step", ylabel="Learning rate")
    _legend(ax, len(runs))


def run_dim(run) -> int:
    """D, read off the run's starting point (its series may be empty when it diverged at step 1)."""
    return np.asarray(run["params"]).shape[-1]


def draw_trajectories(ax, runs, ids, coordinate: int, suffix: str) -> None:
    drawn: list[Drawn] = []
    for i, (run, gid) in enumerate(zip(runs, ids, strict=True)):
        values = _drawable(np.asarray(run["params"], dtype=float)[:, coordinate])
        at = thinned(values.size)
        (line,) = ax.plot(at, values[at], color=COLORS[i % len(COLORS)], label=_legend_label(run))
        line.set_gid(f"trajectory-{gid}")
        drawn.append((line, values, bool(run.get("diverged_at"))))
    _fit_values(ax, drawn, log=False)
    ax.set(title="Parameter trajectories" + suffix, xlabel="Step", ylabel="Parameter value")
    _legend(ax, len(runs))


def draw_loss(ax, runs, ids) -> None:
    drawn: list[Drawn] = []
    for i, (run, gid) in enumerate(zip(runs, ids, strict=True)):
        if run.get("loss") is None:
            continue
        loss = _drawable(np.asarray(run["loss"], dtype=float))
        at = thinned(loss.size)
        (line,) = ax.plot(at, loss[at], color=COLORS[i % len(COLORS)], label=_legend_label(run))
        line.set_gid(f"loss-{gid}")
        drawn.append((line, loss, bool(run.get("diverged_at"))))
    _fit_values(ax, drawn)
    ax.set(title="Loss", xlabel="Step", ylabel="Loss")
    _legend(ax, len(drawn))


def draw_contour(ax, runs, ids, surface, minima) -> None:
    x, y, z = (np.asarray(surface[k], dtype=float) for k in ("x", "y", "z"))
    finite = z[np.isfinite(z)]
    # Levels at quantiles follow any function's shape: narrow valleys, plateaus, saddles below zero.
    levels = np.unique(np.quantile(finite, np.linspace(0.0, 1.0, 16) ** 2)) if finite.size else np.empty(0)
    # A neutral ground (low: white, high: grey) so that every run's colour stands out on it. A surface that
    # is flat to float64 (one level: Rosenbrock with a = 1e18 is ~1e36 everywhere) has no contours to draw.
    if levels.size >= 2:
        ax.contourf(x, y, z, levels=levels, cmap="Greys", alpha=0.45)
        ax.contour(x, y, z, levels=levels, colors="#8a8f96", linewidths=0.5)
    for i, (run, gid) in enumerate(zip(runs, ids, strict=True)):
        points = _drawable(np.asarray(run["params"], dtype=float))
        color = COLORS[i % len(COLORS)]
        at = thinned(len(points))
        (line,) = ax.plot(points[at, 0], points[at, 1], color=color, linewidth=1.6, label=_legend_label(run))
        line.set_gid(f"path-{gid}")
        ax.plot(points[-1, 0], points[-1, 1], marker="o", color=color, markersize=5)
    start = np.asarray(runs[0]["params"], dtype=float)[0]
    ax.plot(start[0], start[1], marker="s", color="black", markersize=6, linestyle="none", label="start")
    if minima is not None and len(minima):
        best = np.asarray(minima, dtype=float).reshape(-1, 2)
        ax.plot(
            best[:, 0],
            best[:, 1],
            marker="*",
            color="#f2b705",
            markeredgecolor="#5c4400",
            markersize=13,
            linestyle="none",
            label="minimum",
        )
    ax.set(xlim=(x[0], x[-1]), ylim=(y[0], y[-1]), title="Paths on the objective", xlabel="x₀", ylabel="x₁")
    ax.set_aspect("equal", adjustable="box")  # bowls and valleys keep their true shape
    _legend(ax, len(runs) + 2)


# A panel's line: the line, the values it draws (NaN where left out) and whether its run diverged.
Drawn = tuple[Any, np.ndarray, bool]


def _fit_values(ax, drawn: list[Drawn], log: bool = True) -> None:
    """Scale the value axis to the lines of runs that stayed finite, as the playground does.

    A diverged run's parameters (and loss) climb towards float64's end in its last steps: fitted to them,
    the axis would reach ~1e200 and flatten every other run to a line. Its line is still drawn, leaving the
    panel where it runs off (its legend says at which step it diverged). When no finite run has a point to
    show, the axis fits them all. With `log`, the scale is logarithmic when the fitted values are positive
    and span more than three decades (else lines hug zero).
    """
    fits = [not diverged and np.isfinite(values).any() for _, values, diverged in drawn]
    if not any(fits):
        fits = [True] * len(drawn)
    fitted = [values for (_, values, _), fit in zip(drawn, fits, strict=True) if fit]
    values = np.concatenate(fitted) if fitted else np.empty(0)
    values = values[np.isfinite(values)]  # the points left out (_drawable)
    if log and values.size and values.min() > 0 and values.max() / values.min() > 1e3:
        ax.set_yscale("log")
    left_out = [line for (line, _, _), fit in zip(drawn, fits, strict=True) if not fit]
    if not left_out:
        return
    for line in left_out:
        line.set_visible(False)
    ax.relim(visible_only=True)
    ax.autoscale_view(scalex=False)
    ax.set_ylim(ax.get_ylim())  # fixed from here on: showing the diverged lines again leaves it
    for line in left_out:
        line.set_visible(True)
    ax.relim()
    ax.autoscale_view(scaley=False)
