"""Loading recorded reference fixtures and comparing against them."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np

FIXTURES = Path(__file__).resolve().parent / "fixtures"
RTOL = 1e-10


@cache
def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def assert_matches(ours, reference, what: str, rtol: float = RTOL) -> None:
    """|ours - ref| <= rtol * max(|ref|, scale), scale = the series' largest magnitude.

    Pure relative error is meaningless where a trajectory crosses zero; scaling by the series'
    magnitude keeps the bound relative while tolerating those crossings.
    """
    ours, reference = np.asarray(ours, dtype=np.float64), np.asarray(reference, dtype=np.float64)
    assert ours.shape == reference.shape, f"{what}: shape {ours.shape} != reference {reference.shape}"
    scale = max(float(np.max(np.abs(reference), initial=0.0)), 1e-300)
    error = np.abs(ours - reference) / np.maximum(np.abs(reference), scale)
    worst = np.unravel_index(int(np.argmax(error)), error.shape) if error.size else ()
    assert error.size == 0 or error.max() <= rtol, (
        f"{what}: relative error {error.max():.3g} at {worst} (ours {ours[worst]!r}, reference {reference[worst]!r})"
    )
