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


class Explicit:
    """A gradient sequence already in memory, (T, D), read-only and in C order."""

    def __init__(self, values) -> None:
        self.values = np.ascontiguousarray(sequence(values)).view()
        self.values.flags.writeable = False
        self.shape = self.values.shape

    def blocks(self, width: int):
        """Column blocks, left to right, as (start, array, offset): the block's gradients are
        ``array[:, offset:offset + w]`` (here the whole array, so nothing is copied)."""
        dim = self.shape[1]
        for start in range(0, dim, width):
            yield start, min(width, dim - start), self.values, start

    def build(self) -> np.ndarray:
        return self.values


class TrendNoise:
    """`trend_noise` generated a block of columns at a time, bit for bit the same as the full array.

    The legacy generator fills column j with draws j*T .. (j+1)*T - 1, so walking the columns left to
    right consumes the stream in order: a W-column block costs T*W numbers of memory, never T*D.
    """

    def __init__(self, steps=50, dim=1, seed=0, noise_std=0.2, trend_start=-0.5, trend_end=0.5) -> None:
        self.steps, self.dim, self.seed = steps, dim, seed
        self.noise_std, self.trend_start, self.trend_end = noise_std, trend_start, trend_end
        self.shape = (steps, dim)

    def blocks(self, width: int):
        """As `Explicit.blocks`; each block is generated (in C order) when reached."""
        stream = np.random.RandomState(self.seed)
        trend = np.linspace(self.trend_start, self.trend_end, self.steps)[:, None]
        for start in range(0, self.dim, width):
            count = min(width, self.dim - start)
            block = np.empty((self.steps, count))
            np.multiply(stream.randn(count, self.steps).T, self.noise_std, out=block)
            block += trend
            block.flags.writeable = False
            yield start, count, block, 0

    def build(self) -> np.ndarray:
        return trend_noise(self.steps, self.dim, self.seed, self.noise_std, self.trend_start, self.trend_end)
