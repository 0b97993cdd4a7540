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
from collections.abc import Iterator, Mapping
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


# Rows written per chunk: a streamed CSV answer holds one chunk's cells at a time (and its writer gives
# the GIL back between chunks, so the event loop keeps serving).
CHUNK_ROWS = 1 << 14


def _aligned(values: np.ndarray | None, first: int, start: int, stop: int, width: int, part=slice(None)) -> np.ndarray:
    """Steps start .. stop-1 of a series whose first row is step `first`, as rows of `width` (the columns
    `part` of a per-coordinate series); NaN where absent."""
    out = np.full((stop - start, width), np.nan)
    if values is not None:
        low, high = max(start - first, 0), min(stop - first, len(values))
        if high > low:
            out[low + first - start : high + first - start] = values[low:high, part]
    return out


def _cells(column: np.ndarray) -> list[float | None]:
    """Floats for the csv writer (it writes repr, the shortest round-trip form); None, an empty cell, for NaN."""
    values = column.ravel().tolist()
    return [None if v != v else v for v in values]


def _series(values: Any) -> np.ndarray | None:
    """A series as an array of rows (a per-step series as one column), read once per run."""
    if values is None:
        return None
    array = np.asarray(values, dtype=np.float64)
    return array[:, None] if array.ndim == 1 else array


def _done(run: Mapping[str, Any], steps: int) -> int:
    """The last step a run has rows for: every step, or the one before it diverged."""
    return steps if run["diverged_at"] is None else run["diverged_at"] - 1


def csv_rows(payload: Mapping[str, Any]) -> int:
    """How many rows the CSV of `payload` has (its header not counted)."""
    return sum((_done(run, payload["steps"]) + 1) * payload["dim"] for run in payload["runs"])


def simulation_csv(payload: Mapping[str, Any]) -> bytes:
    return b"".join(csv_chunks(payload))


def csv_chunks(payload: Mapping[str, Any]) -> Iterator[bytes]:
    """The CSV, CHUNK_ROWS rows at a time (the first chunk starts with the header); a chunk may end within
    a step's coordinates (D = 10^6 makes a step 10^6 rows)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    steps, dim = payload["steps"], payload["dim"]
    for run in payload["runs"]:
        done = _done(run, steps)
        sources = {**{c: run.get(SOURCE[c]) for c in PER_COORDINATE}, **{c: run.get(c) for c in PER_STEP}}
        if sources["gradient"] is None:  # open loop: every run saw the request's gradients
            sources["gradient"] = payload.get("gradients")
        sources = {column: _series(values) for column, values in sources.items()}
        total = (done + 1) * dim
        for first in range(0, total, CHUNK_ROWS):
            last = min(first + CHUNK_ROWS, total)  # rows first .. last-1: steps row // dim, coordinates row % dim
            start, stop = first // dim, (last - 1) // dim + 1
            # The chunk's rows among its steps' rows. Within one step they are coordinates: a chunk of a wide
            # step aligns those alone (`part`); across steps, whole steps are aligned and cut.
            rows = slice(first - start * dim, last - start * dim)
            within = stop - start == 1
            part, cut, shown = (rows, slice(None), last - first) if within else (slice(None), rows, dim)
            index = np.arange(first, last)
            columns = [[run["label"]] * (last - first), [run["name"]] * (last - first)]
            columns += [(index // dim).tolist(), (index % dim).tolist()]
            for column in COLUMNS[4:]:
                wide = column in PER_COORDINATE
                origin = 0 if column in FROM_START else 1
                aligned = _aligned(
                    sources[column], origin, start, stop, shown if wide else 1, part if wide else slice(None)
                )
                columns.append(_cells(np.broadcast_to(aligned, (stop - start, shown)).reshape(-1)[cut]))
            writer.writerows(zip(*columns, strict=True))
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():  # no run had a row: the header alone
        yield buffer.getvalue().encode()
