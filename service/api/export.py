"""A /simulate answer as CSV, in long format: one row per run x step x coordinate.

Columns, always all of them and in this order (a cell is empty where the value does not exist):

    label, name, step, coordinate, gradient, param, learning_rate, update, base_lr, scheduled_momentum,
    loss, distance_to_optimum

Step 0 is the starting point: only `param` (and `loss`, `distance_to_optimum` for objectives) are set.
Row t >= 1 holds step t: the gradient it used, the parameter after it, its learning rate and update. Per-step
values of a run (`base_lr`, `scheduled_momentum`, `loss`, `distance_to_optimum`) repeat on each coordinate's
row. A diverged run's rows stop before its divergence step, as its JSON series do. Numbers are written in
the shortest form that reads back to the same float64, so the CSV holds exactly the JSON's values.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

import numpy as np

COLUMNS = (
    "label",
    "name",
    "step",
    "coordinate",
    "gradient",
    "param",
    "learning_rate",
    "update",
    "base_lr",
    "scheduled_momentum",
    "loss",
    "distance_to_optimum",
)
# Series with a row per step and coordinate (T rows of D, or T+1 for params), and per step only.
PER_COORDINATE = ("gradient", "param", "learning_rate", "update")
PER_STEP = ("base_lr", "scheduled_momentum", "loss", "distance_to_optimum")
SOURCE = {"gradient": "gradients", "param": "params", "learning_rate": "learning_rates", "update": "updates"}
# Series whose first row is the starting point (step 0); the others start with step 1.
FROM_START = {"param", "loss", "distance_to_optimum"}


def _aligned(values: Any, first: int, done: int, width: int) -> np.ndarray:
    """A series as done+1 rows of `width` (row t = step t), its first row at step `first`, NaN where absent."""
    out = np.full((done + 1, width), np.nan)
    if values is not None:
        array = np.asarray(values, dtype=np.float64)
        array = (array[:, None] if array.ndim == 1 else array)[: done + 1 - first]  # rows of width
        out[first : first + len(array)] = array
    return out


def _cells(column: np.ndarray) -> list[float | None]:
    """Floats for the csv writer (it writes repr, the shortest round-trip form); None, an empty cell, for NaN."""
    values = column.ravel().tolist()
    return [None if v != v else v for v in values]


def simulation_csv(payload: Mapping[str, Any]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    steps, dim = payload["steps"], payload["dim"]
    for run in payload["runs"]:
        done = steps if run["diverged_at"] is None else run["diverged_at"] - 1
        rows = (done + 1) * dim
        sources = {**{c: run.get(SOURCE[c]) for c in PER_COORDINATE}, **{c: run.get(c) for c in PER_STEP}}
        if sources["gradient"] is None:  # open loop: every run saw the request's gradients
            sources["gradient"] = payload.get("gradients")
        columns = [
            [run["label"]] * rows,
            [run["name"]] * rows,
            np.repeat(np.arange(done + 1), dim).tolist(),
            np.tile(np.arange(dim), done + 1).tolist(),
        ]
        for column in COLUMNS[4:]:
            width = dim if column in PER_COORDINATE else 1
            aligned = _aligned(sources[column], 0 if column in FROM_START else 1, done, width)
            columns.append(_cells(np.broadcast_to(aligned, (done + 1, dim))))
        writer.writerows(zip(*columns, strict=True))
    return buffer.getvalue().encode()
