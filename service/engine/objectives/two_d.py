"""Classic two-dimensional test functions: Beale, Himmelblau, Booth and a saddle.

Each takes x of shape (..., 2); coordinates are written (x, y).
"""

from __future__ import annotations

import numpy as np

from ._base import Objective, Problem, newton_refine

TWO_D = {"min_dim": 2, "max_dim": 2, "default_dim": 2}
REFERENCE = "Jamil & Yang (2013), A Literature Survey of Benchmark Functions for Global Optimization Problems"


def _xy(x):
    x = np.asarray(x, dtype=np.float64)
    return x[..., 0], x[..., 1]


# --- Beale ------------------------------------------------------------------------------------------
# f = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2; minimum 0 at (3, 0.5).


def beale_value(x):
    x, y = _xy(x)
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


def beale_gradient(x):
    x, y = _xy(x)
    r1, r2, r3 = 1.5 - x + x * y, 2.25 - x + x * y**2, 2.625 - x + x * y**3
    dx = 2 * (r1 * (y - 1) + r2 * (y**2 - 1) + r3 * (y**3 - 1))
    dy = 2 * x * (r1 + 2 * r2 * y + 3 * r3 * y**2)
    return np.stack([dx, dy], axis=-1)


BEALE = Objective(
    name="beale",
    title="Beale",
    summary="A narrow curved valley with flat plateaus and steep walls: gradients span many orders of magnitude.",
    formula_latex=r"f(x, y) = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2",
    formula_text="f(x, y) = (1.5 - x + x*y)^2 + (2.25 - x + x*y^2)^2 + (2.625 - x + x*y^3)^2",
    minimum_text="f(3, 0.5) = 0",
    parameters=(),
    build=lambda dim, p: Problem(2, beale_value, beale_gradient, np.array([1.0, 1.5]), np.array([[3.0, 0.5]]), 0.0),
    window=(-4.5, 4.5, -4.5, 4.5),
    reference=REFERENCE,
    **TWO_D,
)

# --- Himmelblau -------------------------------------------------------------------------------------
# f = (x^2 + y - 11)^2 + (x + y^2 - 7)^2; four minima of value 0.


def himmelblau_value(x):
    x, y = _xy(x)
    return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2


def himmelblau_gradient(x):
    x, y = _xy(x)
    r1, r2 = x**2 + y - 11, x + y**2 - 7
    return np.stack([4 * x * r1 + 2 * r2, 2 * r1 + 4 * y * r2], axis=-1)


def _himmelblau_hessian(x):
    x, y = x
    return np.array([[12 * x**2 + 4 * y - 42, 4 * (x + y)], [4 * (x + y), 4 * x + 12 * y**2 - 26]])


# Three of the four minima have no short closed form: polished from 6 digits by Newton's method.
HIMMELBLAU_MINIMA = np.array(
    [
        newton_refine(himmelblau_gradient, _himmelblau_hessian, guess)
        for guess in ([3.0, 2.0], [-2.805118, 3.131312], [-3.779310, -3.283186], [3.584428, -1.848126])
    ]
)

HIMMELBLAU = Objective(
    name="himmelblau",
    title="Himmelblau",
    summary="Four global minima of equal value: which one an optimizer reaches depends on its path.",
    formula_latex=r"f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2",
    formula_text="f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2",
    minimum_text="f = 0 at (3, 2), (-2.805118, 3.131313), (-3.779310, -3.283186) and (3.584428, -1.848126)",
    parameters=(),
    build=lambda dim, p: Problem(
        2, himmelblau_value, himmelblau_gradient, np.array([0.0, 0.0]), HIMMELBLAU_MINIMA, 0.0
    ),
    window=(-5.0, 5.0, -5.0, 5.0),
    reference=REFERENCE,
    **TWO_D,
)

# --- Booth ------------------------------------------------------------------------------------------
# f = (x + 2y - 7)^2 + (2x + y - 5)^2: a convex quadratic, minimum 0 at (1, 3).


def booth_value(x):
    x, y = _xy(x)
    return (x + 2 * y - 7) ** 2 + (2 * x + y - 5) ** 2


def booth_gradient(x):
    x, y = _xy(x)
    r1, r2 = x + 2 * y - 7, 2 * x + y - 5
    return np.stack([2 * r1 + 4 * r2, 4 * r1 + 2 * r2], axis=-1)


BOOTH = Objective(
    name="booth",
    title="Booth",
    summary="A convex quadratic bowl (condition number 9): the easy case every optimizer should solve.",
    formula_latex=r"f(x, y) = (x + 2y - 7)^2 + (2x + y - 5)^2",
    formula_text="f(x, y) = (x + 2*y - 7)^2 + (2*x + y - 5)^2",
    minimum_text="f(1, 3) = 0",
    parameters=(),
    build=lambda dim, p: Problem(2, booth_value, booth_gradient, np.array([-5.0, -5.0]), np.array([[1.0, 3.0]]), 0.0),
    window=(-10.0, 10.0, -10.0, 10.0),
    reference=REFERENCE,
    **TWO_D,
)

# --- Saddle -----------------------------------------------------------------------------------------


def saddle_value(x):
    x, y = _xy(x)
    return x**2 - y**2


def saddle_gradient(x):
    x, y = _xy(x)
    return np.stack([2 * x, -2 * y], axis=-1)


SADDLE = Objective(
    name="saddle",
    title="Saddle",
    summary="x^2 - y^2: a saddle point at the origin. Starting near the ridge y = 0, an optimizer first "
    "slides towards the saddle, then escapes along y; how fast depends on how it scales small gradients.",
    formula_latex=r"f(x, y) = x^2 - y^2",
    formula_text="f(x, y) = x^2 - y^2",
    minimum_text="none: unbounded below (the origin is a saddle point)",
    parameters=(),
    build=lambda dim, p: Problem(2, saddle_value, saddle_gradient, np.array([1.0, 0.01])),
    window=(-2.0, 2.0, -2.0, 2.0),
    reference="textbook saddle",
    notes=("Unbounded below: every run that escapes the saddle eventually overflows and is reported as diverged.",),
    **TWO_D,
)
