"""Gradient sources for open-loop runs: every optimizer sees the same (T, D) gradient sequence.

`trend_noise` is the tutorial's sequence: ``randn * noise_std + linspace(trend_start, trend_end, T)``
drawn from numpy's legacy seeded generator (``np.random.seed(seed); np.random.randn(T)``), so the
defaults reproduce it bit for bit. With ``dim > 1`` the columns are drawn one after another from the
same stream: column j holds draws ``j*T .. (j+1)*T - 1``, so column 0 is always the 1-D sequence.
"""

from __future__ import annotations

import numpy as np


def sequence(values) -> np.ndarray:
    """T numbers (one parameter) or T rows of D numbers, as a float64 (T, D) array."""
    array = np.asarray(values, dtype=np.float64)
    return array.reshape(-1, 1) if array.ndim == 1 else array


def trend_noise(
    steps: int = 50,
    dim: int = 1,
    seed: int = 0,
    noise_std: float = 0.2,
    trend_start: float = -0.5,
    trend_end: float = 0.5,
) -> np.ndarray:
    noise = np.random.RandomState(seed).randn(dim, steps).T
    return noise * noise_std + np.linspace(trend_start, trend_end, steps)[:, None]


def tutorial() -> np.ndarray:
    """The tutorial's 50-step sequence (seed 0, noise 0.2, trend -0.5 → 0.5), shape (50, 1)."""
    return trend_noise()
