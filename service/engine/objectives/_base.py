"""What an objective function is: a catalog record (`Objective`) that, given a dimension and parameter
values, builds a `Problem` with vectorized numpy `value` and analytic `gradient`.

    problem = objective.problem(dim, {"a": 1.0, "b": 100.0})
    problem.value(x)      # x of shape (..., D) -> (...)
    problem.gradient(x)   # (..., D) -> (..., D)

Building first and evaluating after lets a function precompute what its parameters fix once (a
rotation matrix, a synthetic data set) instead of at every step.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..registry import Hyperparameter

Array = np.ndarray


@dataclass(frozen=True)
class Problem:
    """An objective at a fixed dimension and parameters.

    `minima` holds every known global minimizer as rows (K, D) and `minimum_value` their value; both are
    None where no closed form is known (or none exists). `stochastic_gradient(x, rng)`, when present, is
    an unbiased minibatch estimate of `gradient(x)` that draws from `rng`.
    """

    dim: int
    value: Callable[[Array], Array]
    gradient: Callable[[Array], Array]
    start: Array
    minima: Array | None = None
    minimum_value: float | None = None
    stochastic_gradient: Callable[[Array, np.random.Generator], Array] | None = None
    # Numbers touched per coordinate by one evaluation (a data set's rows): bounds batches in `surface`.
    cost_per_coordinate: int = 1

    def distance_to_optimum(self, x: Array) -> Array | None:
        """Euclidean distance from each point in `x` (..., D) to the nearest known global minimizer."""
        if self.minima is None:
            return None
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            gaps = np.asarray(x)[..., None, :] - self.minima
            squares = np.sum(gaps * gaps, axis=-1)
            if ((squares > TINY_SQUARES) & (squares < np.inf)).all():  # the common case, per step of a run
                return np.sqrt(np.min(squares, axis=-1))
            return np.min(_scaled_norms(gaps, squares), axis=-1)


def _scaled_norms(gaps: np.ndarray, squares: np.ndarray) -> np.ndarray:
    """The norms of `gaps` (..., M, D) over D, given their sums of squares: scaled by the largest gap where
    the squares overflow (a point at 1e160 is 1.4e160 away, not sqrt(inf)) or may have underflowed; only a
    norm beyond float64 itself is inf."""
    gaps = np.abs(gaps)
    scale = np.max(gaps, axis=-1, keepdims=True)
    ratios = np.where(scale > 0, gaps / np.where(scale > 0, scale, 1.0), 0.0)
    scaled = scale[..., 0] * np.sqrt(np.sum(ratios * ratios, axis=-1))
    plain = np.isfinite(squares) & ((squares > TINY_SQUARES) | (scale[..., 0] == 0))
    return np.where(plain, np.sqrt(squares), scaled)


# Sums of squares below this may have lost gaps to underflow (a gap of 1e-170 squares to 0).
TINY_SQUARES = 1e-290


def no_constraints(dim: int, params: Any) -> list[tuple[str, str]]:
    return []


@dataclass(frozen=True)
class Objective:
    """A catalog entry: the formula, its parameters and dimension rule, and how to build the problem."""

    name: str
    title: str
    summary: str
    formula_latex: str
    formula_text: str
    minimum_text: str
    parameters: tuple[Hyperparameter, ...]
    build: Callable[[int, Any], Problem]
    # Window (x_min, x_max, y_min, y_max) that shows the interesting part of a 2-D plot or slice.
    window: tuple[float, float, float, float]
    reference: str
    min_dim: int = 2
    max_dim: int | None = None
    default_dim: int = 2
    notes: tuple[str, ...] = ()
    # Rules a single bound cannot express (a list's length, a parameter that needs another); returns
    # (field, message) pairs, `field` being a parameter name or "dim".
    constraints: Callable[[int, Any], list[tuple[str, str]]] = no_constraints
    # Numbers touched per coordinate by one evaluation (a data set's rows, a dense matrix's columns); the
    # built Problem carries the same number. Lets a caller bound the work before building anything.
    cost_per_coordinate: Callable[[int, Any], int] = lambda dim, params: 1
    # A list parameter with one value per coordinate (quadratic's scales): given without a D, its length is D.
    dim_from: str | None = None
    params_type: type = field(init=False, repr=False, compare=False)

    def default_dim_for(self, values: Mapping[str, Any]) -> int:
        """D when the caller gives none: the length of the `dim_from` list among `values`, else default_dim."""
        given = values.get(self.dim_from) if self.dim_from else None
        return len(given) if isinstance(given, list | tuple) and given else self.default_dim

    def __post_init__(self) -> None:
        names = [p.name for p in self.parameters]
        object.__setattr__(self, "params_type", namedtuple(f"{self.name.title()}Params", names))

    @property
    def dimension_rule(self) -> str:
        if self.max_dim == self.min_dim:
            return f"D = {self.min_dim}"
        return f"D >= {self.min_dim}" if self.max_dim is None else f"{self.min_dim} <= D <= {self.max_dim}"

    def params(self, values: Mapping[str, Any] | None = None) -> Any:
        """Resolve parameters: `values` over the defaults. Unknown names raise KeyError."""
        values = dict(values or {})
        unknown = set(values) - {p.name for p in self.parameters}
        if unknown:
            raise KeyError(f"unknown parameters for {self.name}: {sorted(unknown)}")
        return self.params_type(**{p.name: values.get(p.name, p.default) for p in self.parameters})

    def problems(self, dim: int, params: Any) -> list[tuple[str, str]]:
        """Everything wrong with (dim, params), as (field, message) pairs; [] when the problem can be built."""
        if dim < self.min_dim or (self.max_dim is not None and dim > self.max_dim):
            return [("dim", f"{self.name} needs {self.dimension_rule}, got D = {dim}")]
        return self.constraints(dim, params)

    def problem(self, dim: int | None = None, values: Mapping[str, Any] | None = None) -> Problem:
        """Build the problem at `dim` (default: `default_dim`); ValueError naming the field if invalid."""
        dim = self.default_dim if dim is None else dim
        params = self.params(values)
        for where, message in self.problems(dim, params):
            raise ValueError(f"{where}: {message}")
        return self.build(dim, params)


def tiled(pattern: tuple[float, ...], dim: int) -> Array:
    """`pattern` repeated to length `dim`: a start point for functions of any dimension."""
    return np.resize(np.asarray(pattern, dtype=np.float64), dim)


def newton_refine(gradient: Callable[[Array], Array], hessian: Callable[[Array], Array], x: Array) -> Array:
    """Polish a minimizer known to a few digits to machine precision (quadratic convergence)."""
    x = np.asarray(x, dtype=np.float64)
    for _ in range(20):
        x = x - np.linalg.solve(hessian(x), gradient(x))
    return x
