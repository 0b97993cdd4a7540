"""Objective functions for closed-loop runs: the catalog, in order, and the records that describe them.

Every function is an `Objective` (formula, parameters, dimension rule, known minima, default start,
plotting window) that builds a `Problem` with vectorized numpy `value(x)` and analytic `gradient(x)`
over x of shape (..., D).
"""

from __future__ import annotations

import time
from collections.abc import Mapping

import numpy as np

from .. import progress
from ..batch import BudgetExceeded
from ._base import Objective, Problem
from .logistic import LOGISTIC_REGRESSION
from .n_d import ACKLEY, RASTRIGIN, ROSENBROCK, STYBLINSKI_TANG
from .quadratic import QUADRATIC
from .two_d import BEALE, BOOTH, HIMMELBLAU, SADDLE

OBJECTIVES: Mapping[str, Objective] = {
    o.name: o
    for o in (
        QUADRATIC,
        ROSENBROCK,
        RASTRIGIN,
        ACKLEY,
        STYBLINSKI_TANG,
        BEALE,
        HIMMELBLAU,
        BOOTH,
        SADDLE,
        LOGISTIC_REGRESSION,
    )
}

# Grid points evaluated at once by `surface`: bounds the memory of functions that expand each point
# (logistic regression multiplies every point by its n_samples x D data).
SURFACE_CHUNK_VALUES = 4_000_000


def surface(
    problem: Problem,
    xs: np.ndarray,
    ys: np.ndarray,
    axes: tuple[int, int] = (0, 1),
    at: np.ndarray | None = None,
    deadline: float | None = None,
) -> np.ndarray:
    """f on the grid xs × ys: z[i, j] = f(point with x_{axes[0]} = xs[j], x_{axes[1]} = ys[i]), every other
    coordinate taken from `at` (default: the problem's start). Rows run over y, as contour plots expect.
    Between chunks: stops if interrupted (progress.Interrupted) or past `deadline` (BudgetExceeded)."""
    base = np.array(problem.start if at is None else at, dtype=np.float64)
    grid_x, grid_y = np.meshgrid(np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64))
    flat_x, flat_y = grid_x.ravel(), grid_y.ravel()
    chunk = surface_chunk(problem)
    z = np.empty(flat_x.size)
    interrupt = progress.interrupt()
    with np.errstate(all="ignore"):
        for lo in range(0, flat_x.size, chunk):
            progress.check(interrupt, lo, flat_x.size, "the surface")
            if deadline is not None and time.monotonic() > deadline:
                raise BudgetExceeded(f"the surface stopped at point {lo} of {flat_x.size}: over the time budget")
            points = np.repeat(base[None, :], min(chunk, flat_x.size - lo), axis=0)
            points[:, axes[0]] = flat_x[lo : lo + chunk]
            points[:, axes[1]] = flat_y[lo : lo + chunk]
            z[lo : lo + chunk] = problem.value(points)
    return z.reshape(grid_x.shape)


def surface_chunk(problem: Problem) -> int:
    """Grid points `surface` evaluates at once."""
    return max(1, SURFACE_CHUNK_VALUES // (problem.dim * problem.cost_per_coordinate))


__all__ = ["OBJECTIVES", "Objective", "Problem", "surface"]
