"""Test functions of any dimension D: Rosenbrock, Rastrigin, Ackley and Styblinski-Tang.

Each takes x of shape (..., D); sums run over the last axis.
"""

from __future__ import annotations

import math

import numpy as np

from ..registry import Hyperparameter
from ._base import Objective, Problem, newton_refine, tiled

REFERENCE = "Jamil & Yang (2013), A Literature Survey of Benchmark Functions for Global Optimization Problems"


def _float(name: str, default: float, description: str, zero: bool = False) -> Hyperparameter:
    """A positive parameter (`zero`: or 0)."""
    return Hyperparameter(name, default, description, minimum=0.0, exclusive_minimum=not zero)


# --- Rosenbrock -------------------------------------------------------------------------------------
# f = sum_{i<D-1} b (x_{i+1} - x_i^2)^2 + (a - x_i)^2   (the chained form; D = 2 is the classic valley)


def _rosenbrock(a: float, b: float) -> tuple:
    def value(x):
        x = np.asarray(x, dtype=np.float64)
        head, tail = x[..., :-1], x[..., 1:]
        return np.sum(b * (tail - head**2) ** 2 + (a - head) ** 2, axis=-1)

    def gradient(x):
        x = np.asarray(x, dtype=np.float64)
        head, tail = x[..., :-1], x[..., 1:]
        inner = tail - head**2
        grad = np.zeros_like(x)
        grad[..., :-1] = -4 * b * head * inner - 2 * (a - head)
        grad[..., 1:] += 2 * b * inner
        return grad

    return value, gradient


def _rosenbrock_minima(dim: int, a: float) -> np.ndarray | None:
    if dim == 2:
        return np.array([[a, a * a]])
    if a in (0.0, 1.0):  # x_i = a and x_{i+1} = x_i^2 agree only there
        return np.full((1, dim), a)
    return None


def build_rosenbrock(dim: int, p) -> Problem:
    value, gradient = _rosenbrock(p.a, p.b)
    minima = _rosenbrock_minima(dim, p.a)
    return Problem(dim, value, gradient, tiled((-1.2, 1.0), dim), minima, None if minima is None else 0.0)


ROSENBROCK = Objective(
    name="rosenbrock",
    title="Rosenbrock",
    summary="A long, curved, flat-bottomed valley: finding it is easy, following it to the minimum is hard.",
    formula_latex=r"f(x) = \sum_{i=1}^{D-1} \left[ b\,(x_{i+1} - x_i^2)^2 + (a - x_i)^2 \right]",
    formula_text="f(x) = sum_{i=1}^{D-1} b*(x_{i+1} - x_i^2)^2 + (a - x_i)^2",
    minimum_text="f = 0 at (a, a^2) for D = 2 and at (1, ..., 1) for a = 1 (any D); "
    "for D > 2 and a not 0 or 1 no closed form (distance_to_optimum is then omitted)",
    parameters=(
        Hyperparameter("a", 1.0, "Position of the valley's minimum along x_1."),
        _float("b", 100.0, "Steepness of the valley walls."),
    ),
    build=build_rosenbrock,
    window=(-2.0, 2.0, -1.0, 3.0),
    reference="Rosenbrock (1960), The Computer Journal 3(3); chained N-D form as in scipy.optimize.rosen",
)

# --- Rastrigin --------------------------------------------------------------------------------------
# f = A D + sum_i x_i^2 - A cos(2 pi x_i)


def build_rastrigin(dim: int, p) -> Problem:
    A = p.A

    def value(x):
        x = np.asarray(x, dtype=np.float64)
        return A * x.shape[-1] + np.sum(x * x - A * np.cos(2 * math.pi * x), axis=-1)

    def gradient(x):
        x = np.asarray(x, dtype=np.float64)
        return 2 * x + 2 * math.pi * A * np.sin(2 * math.pi * x)

    return Problem(dim, value, gradient, tiled((3.2, -2.6), dim), np.zeros((1, dim)), 0.0)


RASTRIGIN = Objective(
    name="rastrigin",
    title="Rastrigin",
    summary="A bowl covered in a regular grid of local minima: gradient methods stop in the nearest one.",
    formula_latex=r"f(x) = A D + \sum_{i=1}^{D} \left[ x_i^2 - A \cos(2\pi x_i) \right]",
    formula_text="f(x) = A*D + sum_i x_i^2 - A*cos(2*pi*x_i)",
    minimum_text="f(0, ..., 0) = 0",
    parameters=(_float("A", 10.0, "Amplitude of the cosine ripples (0 leaves a plain bowl).", zero=True),),
    build=build_rastrigin,
    window=(-5.12, 5.12, -5.12, 5.12),
    reference=REFERENCE,
    min_dim=1,
)

# --- Ackley -----------------------------------------------------------------------------------------
# f = -a exp(-b sqrt(mean x^2)) - exp(mean cos(c x)) + a + e


def build_ackley(dim: int, p) -> Problem:
    a, b, c = p.a, p.b, p.c

    def value(x):
        x = np.asarray(x, dtype=np.float64)
        radius = np.sqrt(np.mean(x * x, axis=-1))
        # Each term is 0 at the minimum on its own: f(0) is exactly 0 (a - a e^0 + e - e^1 in any order left 4e-16).
        return a * (1 - np.exp(-b * radius)) + (math.e - np.exp(np.mean(np.cos(c * x), axis=-1)))

    def gradient(x):
        x = np.asarray(x, dtype=np.float64)
        d = x.shape[-1]
        radius = np.sqrt(np.mean(x * x, axis=-1, keepdims=True))
        # d radius / d x_i = x_i / (D radius); at the origin the cone has no gradient: take 0 there.
        with np.errstate(invalid="ignore", divide="ignore"):
            cone = np.where(radius > 0, a * b * np.exp(-b * radius) * x / (d * radius), 0.0)
        ripples = np.exp(np.mean(np.cos(c * x), axis=-1, keepdims=True)) * c * np.sin(c * x) / d
        return cone + ripples

    return Problem(dim, value, gradient, tiled((2.5, -1.5), dim), np.zeros((1, dim)), 0.0)


ACKLEY = Objective(
    name="ackley",
    title="Ackley",
    summary="A nearly flat outer region full of small local minima around one deep, narrow funnel.",
    formula_latex=r"f(x) = -a\, e^{-b \sqrt{\frac{1}{D}\sum_i x_i^2}} - e^{\frac{1}{D}\sum_i \cos(c\,x_i)} + a + e",
    formula_text="f(x) = -a*exp(-b*sqrt(mean(x^2))) - exp(mean(cos(c*x))) + a + e",
    minimum_text="f(0, ..., 0) = 0",
    parameters=(
        _float("a", 20.0, "Depth of the funnel."),
        _float("b", 0.2, "Width of the funnel (larger is narrower)."),
        _float("c", 2 * math.pi, "Frequency of the ripples."),
    ),
    build=build_ackley,
    window=(-5.0, 5.0, -5.0, 5.0),
    reference="Ackley (1987), A Connectionist Machine for Genetic Hillclimbing",
    min_dim=1,
    notes=(
        "At the origin the funnel is a cone tip with no gradient; the gradient reported there is 0 "
        "(a subgradient), where automatic differentiation of sqrt gives NaN.",
    ),
)

# --- Styblinski-Tang --------------------------------------------------------------------------------
# f = 1/2 sum_i x_i^4 - 16 x_i^2 + 5 x_i; each coordinate has its minimum at the smallest root of
# f' = 2x^3 - 16x + 2.5, about -2.903534.

STYBLINSKI_TANG_ROOT = float(
    newton_refine(lambda x: 2 * x**3 - 16 * x + 2.5, lambda x: np.array([[6 * x[0] ** 2 - 16]]), [-2.903534])[0]
)
STYBLINSKI_TANG_MIN = 0.5 * (STYBLINSKI_TANG_ROOT**4 - 16 * STYBLINSKI_TANG_ROOT**2 + 5 * STYBLINSKI_TANG_ROOT)


def styblinski_tang_value(x):
    x = np.asarray(x, dtype=np.float64)
    return 0.5 * np.sum(x**4 - 16 * x**2 + 5 * x, axis=-1)


def styblinski_tang_gradient(x):
    x = np.asarray(x, dtype=np.float64)
    return 2 * x**3 - 16 * x + 2.5


STYBLINSKI_TANG = Objective(
    name="styblinski_tang",
    title="Styblinski-Tang",
    summary="Separable quartic with 2^D local minima: one global, at about -2.9035 in every coordinate.",
    formula_latex=r"f(x) = \frac{1}{2} \sum_{i=1}^{D} \left( x_i^4 - 16 x_i^2 + 5 x_i \right)",
    formula_text="f(x) = 1/2 * sum_i (x_i^4 - 16*x_i^2 + 5*x_i)",
    minimum_text=f"f = {STYBLINSKI_TANG_MIN:.6f} * D at x_i = {STYBLINSKI_TANG_ROOT:.6f} (every coordinate)",
    parameters=(),
    build=lambda dim, p: Problem(
        dim,
        styblinski_tang_value,
        styblinski_tang_gradient,
        tiled((0.5,), dim),
        np.full((1, dim), STYBLINSKI_TANG_ROOT),
        STYBLINSKI_TANG_MIN * dim,
    ),
    window=(-5.0, 5.0, -5.0, 5.0),
    reference="Styblinski & Tang (1990), Experiments in Nonconvex Optimization, Neural Networks 3(4)",
    min_dim=1,
    notes=("The default start 0.5 lies in the basin of the local minimum near +2.7468, not the global one.",),
)
