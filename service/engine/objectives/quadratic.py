"""A convex quadratic bowl with chosen curvatures, optionally rotated off the coordinate axes.

    f(x) = 1/2 x^T A x,   A = Q diag(lambda) Q^T

The eigenvalues lambda are `scales` (one per coordinate) or, when `scales` is null, log-spaced from 1 to
`condition_number`: lambda_i = condition_number^(i / (D - 1)). Q is the identity, or with
`rotation_seed` a random orthogonal matrix: the Q factor of a QR decomposition of a D x D standard normal
matrix drawn from numpy's PCG64 generator `default_rng(rotation_seed)`, with column signs fixed so that
R has a positive diagonal (which makes Q uniformly distributed). Unrotated, every coordinate is an
eigen-direction and per-coordinate methods (Adagrad, Adam) can undo the conditioning; rotated, they
cannot.
"""

from __future__ import annotations

import numpy as np

from ..registry import Hyperparameter
from ._base import Objective, Problem

MAX_ROTATED_DIM = 1000  # a dense D x D matrix and an O(D^3) decomposition
DEFAULT_CONDITION_NUMBER = 10.0


def eigenvalues(dim: int, params) -> np.ndarray:
    if params.scales is not None:
        return np.asarray(params.scales, dtype=np.float64)
    kappa = DEFAULT_CONDITION_NUMBER if params.condition_number is None else params.condition_number
    return np.geomspace(1.0, kappa, dim) if dim > 1 else np.ones(1)


def rotation(dim: int, seed: int) -> np.ndarray:
    """A Haar-random orthogonal matrix from `default_rng(seed)` (see the module docstring)."""
    q, r = np.linalg.qr(np.random.default_rng(seed).standard_normal((dim, dim)))
    return q * np.where(np.diag(r) < 0, -1.0, 1.0)


def build(dim: int, params) -> Problem:
    curvature = eigenvalues(dim, params)
    if params.rotation_seed is None:

        def value(x):
            x = np.asarray(x, dtype=np.float64)
            return 0.5 * np.sum(curvature * x * x, axis=-1)

        def gradient(x):
            return curvature * np.asarray(x, dtype=np.float64)

    else:
        q = rotation(dim, params.rotation_seed)
        matrix = (q * curvature) @ q.T
        matrix = 0.5 * (matrix + matrix.T)  # exactly symmetric, so the gradient is exactly A x

        def value(x):
            x = np.asarray(x, dtype=np.float64)
            return 0.5 * np.sum(x * (x @ matrix), axis=-1)

        def gradient(x):
            return np.asarray(x, dtype=np.float64) @ matrix

    return Problem(dim, value, gradient, np.ones(dim), np.zeros((1, dim)), 0.0, cost_per_coordinate=cost(dim, params))


def cost(dim: int, params) -> int:
    """A rotated quadratic multiplies by its dense D x D matrix; the unrotated one is elementwise."""
    return 1 if params.rotation_seed is None else dim


def constraints(dim: int, params) -> list[tuple[str, str]]:
    if params.scales is not None:
        if params.condition_number is not None:
            return [("condition_number", "give either scales or condition_number, not both")]
        if len(params.scales) != dim:
            have = f"{len(params.scales)} number{'' if len(params.scales) == 1 else 's'}"
            return [("scales", f"scales has {have} but D = {dim}: give one per coordinate")]
    if params.rotation_seed is not None and dim > MAX_ROTATED_DIM:
        return [("rotation_seed", f"a rotated quadratic needs D <= {MAX_ROTATED_DIM} (a dense D x D matrix)")]
    return []


QUADRATIC = Objective(
    name="quadratic",
    title="Quadratic",
    summary="A convex bowl with chosen curvatures: the cleanest view of how conditioning slows each "
    "optimizer, and of what per-coordinate scaling can and cannot fix (rotate it to see).",
    formula_latex=r"f(x) = \tfrac{1}{2} x^\top Q \,\mathrm{diag}(\lambda)\, Q^\top x",
    formula_text="f(x) = 1/2 * x^T Q diag(lambda) Q^T x; lambda = scales, or geomspace(1, condition_number, D); "
    "Q = I, or a seeded random rotation",
    minimum_text="f(0, ..., 0) = 0",
    parameters=(
        Hyperparameter(
            "scales",
            None,
            "Curvature (eigenvalue) of each coordinate, D positive numbers; null: log-spaced from 1 to "
            "condition_number.",
            kind="float_list",
            minimum=0.0,
            exclusive_minimum=True,
            nullable=True,
            null_means="from condition_number",
        ),
        Hyperparameter(
            "condition_number",
            None,
            f"Ratio of the largest to the smallest curvature when scales is null (null means "
            f"{DEFAULT_CONDITION_NUMBER:g}).",
            minimum=1.0,
            nullable=True,
            null_means=f"{DEFAULT_CONDITION_NUMBER:g} (unused with scales)",
        ),
        Hyperparameter(
            "rotation_seed",
            None,
            "Seed of a random rotation of the axes (numpy default_rng); null: no rotation.",
            kind="int",
            minimum=0,
            maximum=2**63,
            exclusive_maximum=True,
            nullable=True,
            null_means="no rotation",
        ),
    ),
    build=build,
    window=(-1.5, 1.5, -1.5, 1.5),
    reference="textbook convex quadratic",
    min_dim=1,
    constraints=constraints,
    cost_per_coordinate=cost,
    dim_from="scales",
    notes=(
        "The rotation comes from LAPACK's QR: bit for bit the same wherever numpy links the same LAPACK, "
        "equal to rounding (~1e-15) elsewhere.",
    ),
)
