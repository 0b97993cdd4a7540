"""Gradient sources for open-loop runs: every optimizer sees the same (T, D) gradient sequence.

Synthetic patterns, for step t = 1..T and coordinate j = 0..D-1 (z, u, e: standard normal, uniform
[0, 1) and standard normal draws; t_df: Student-t with df degrees of freedom):

    trend_noise   g = noise_std z + trend_start + (trend_end - trend_start) (t - 1) / (T - 1)
    constant      g = value
    sine          g = offset + amplitude sin(2π (t - 1) / period + phase + j phase_shift)
    sparse        g = [u < probability] (mean + noise_std z)
    scaled        g = s_j (mean + noise_std z),  s_j = min_scale (max_scale / min_scale)^(j / (D - 1))
    heavy_tailed  g = mean + scale t_df
    drift         g = m_t + noise_std z,  m_1 = start,  m_t = m_{t-1} + step_std e_t

Seeds. `trend_noise` is the tutorial's sequence, drawn from numpy's legacy generator
(``np.random.seed(seed); np.random.randn(T)``), so the defaults reproduce it bit for bit. With
``dim > 1`` its columns are drawn one after another from the same stream: column j holds draws
``j*T .. (j+1)*T - 1``, so column 0 is always the 1-D sequence.

The other random patterns use numpy's PCG64 generator, the same numbers on every machine (Student-t
draws pass through libm's log and exp, so they may differ in the last bit across platforms): random array
k of a pattern (in the order u, z or e, z above) comes from ``default_rng(SeedSequence(seed).spawn(K)[k])``
and is filled step by step (row-major (T, D)), so with the same seed a longer run extends a shorter one
(drift's innovations e start at step 2). `constant` and `sine` draw nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .registry import Hyperparameter


def sequence(values) -> np.ndarray:
    """T numbers (one parameter) or T rows of D numbers, as a float64 (T, D) array."""
    array = np.asarray(values, dtype=np.float64)
    return array.reshape(-1, 1) if array.ndim == 1 else array


def streams(seed: int, count: int) -> list[np.random.Generator]:
    """`count` independent PCG64 generators for `seed` (see the module docstring)."""
    return [np.random.default_rng(child) for child in np.random.SeedSequence(seed).spawn(count)]


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


def constant(steps: int = 50, dim: int = 1, value: float = 1.0, first_column: int = 0) -> np.ndarray:
    """g = value at every step and coordinate: each optimizer's response to a steady slope."""
    return np.full((steps, dim), float(value))


def sine(
    steps: int = 50,
    dim: int = 1,
    amplitude: float = 1.0,
    period: float = 20.0,
    phase: float = 0.0,
    phase_shift: float = 0.0,
    offset: float = 0.0,
    first_column: int = 0,
) -> np.ndarray:
    """g = offset + amplitude sin(2π (t - 1) / period + phase + j phase_shift): oscillating gradients.
    `first_column`: the columns j = first_column .. first_column + dim - 1 only (a block of them)."""
    columns = np.arange(first_column, first_column + dim)
    angle = 2 * np.pi * np.arange(steps)[:, None] / period + phase + phase_shift * columns
    return offset + amplitude * np.sin(angle)


def sparse(
    steps: int = 50, dim: int = 1, seed: int = 0, probability: float = 0.1, mean: float = 1.0, noise_std: float = 0.5
) -> np.ndarray:
    """g = [u < probability] (mean + noise_std z): each entry is non-zero with the given probability."""
    active, values = streams(seed, 2)
    mask = active.random((steps, dim)) < probability
    return np.where(mask, mean + noise_std * values.standard_normal((steps, dim)), 0.0)


def scaled(
    steps: int = 50,
    dim: int = 4,
    seed: int = 0,
    min_scale: float = 0.01,
    max_scale: float = 100.0,
    mean: float = 0.5,
    noise_std: float = 1.0,
) -> np.ndarray:
    """g = s_j (mean + noise_std z) with scales s_j log-spaced from min_scale to max_scale over the
    coordinates: the same signal at magnitudes orders apart, which per-coordinate methods equalize."""
    (values,) = streams(seed, 1)
    scales = np.geomspace(min_scale, max_scale, dim)
    return scales * (mean + noise_std * values.standard_normal((steps, dim)))


def heavy_tailed(
    steps: int = 50, dim: int = 1, seed: int = 0, df: float = 2.0, scale: float = 0.2, mean: float = 0.1
) -> np.ndarray:
    """g = mean + scale t_df: Student-t noise, whose rare huge values (infinite variance for df <= 2)
    throw plain SGD off and barely move normalized methods."""
    (values,) = streams(seed, 1)
    return mean + scale * values.standard_t(df, (steps, dim))


def drift(
    steps: int = 50, dim: int = 1, seed: int = 0, start: float = 1.0, step_std: float = 0.1, noise_std: float = 0.1
) -> np.ndarray:
    """g = m_t + noise_std z with a random-walk mean m (m_1 = start, m_t = m_{t-1} + step_std e_t): the
    gradient's sign changes slowly, as when the objective's landscape moves under the optimizer."""
    walk, values = streams(seed, 2)
    steps_taken = np.vstack([np.zeros((1, dim)), step_std * walk.standard_normal((steps - 1, dim))])
    return start + np.cumsum(steps_taken, axis=0) + noise_std * values.standard_normal((steps, dim))


# --- the pattern table the API builds its request models from -------------------------------------


@dataclass(frozen=True)
class Pattern:
    name: str
    formula: str
    generate: Callable[..., np.ndarray]
    parameters: tuple[Hyperparameter, ...]
    seed: str | None  # how `seed` is used, or None for patterns that draw nothing
    default_dim: int = 1
    # Its columns are independent and drawn from no stream: `generate(..., first_column=j)` gives a block of
    # them, and a run generates one block at a time (`Columns`) instead of holding T x D numbers.
    by_columns: bool = False


def _p(name: str, default: float, description: str, **bounds) -> Hyperparameter:
    return Hyperparameter(name, default, description, **bounds)


POSITIVE = {"minimum": 0.0, "exclusive_minimum": True}
NON_NEGATIVE = {"minimum": 0.0}
LEGACY_SEED = "numpy's legacy RandomState(seed); column j takes draws j*T .. (j+1)*T - 1"
PCG64_SEED = "numpy PCG64: default_rng(SeedSequence(seed).spawn(K)[k]) for random array k, filled step by step"

PATTERNS = {
    p.name: p
    for p in (
        Pattern(
            "trend_noise",
            "g = noise_std * z + linspace(trend_start, trend_end, T)",
            trend_noise,
            (
                _p("noise_std", 0.2, "Standard deviation of the Gaussian noise.", **NON_NEGATIVE),
                _p("trend_start", -0.5, "Trend value at the first step."),
                _p("trend_end", 0.5, "Trend value at the last step."),
            ),
            LEGACY_SEED,
        ),
        Pattern(
            "constant", "g = value", constant, (_p("value", 1.0, "The gradient at every step."),), None, by_columns=True
        ),
        Pattern(
            "sine",
            "g = offset + amplitude * sin(2*pi*(t-1)/period + phase + j*phase_shift)",
            sine,
            (
                _p("amplitude", 1.0, "Amplitude of the oscillation."),
                _p("period", 20.0, "Period in steps.", **POSITIVE),
                _p("phase", 0.0, "Phase at the first step, in radians."),
                _p("phase_shift", 0.0, "Phase added per coordinate j, in radians."),
                _p("offset", 0.0, "Constant added to the oscillation."),
            ),
            None,
            by_columns=True,
        ),
        Pattern(
            "sparse",
            "g = [u < probability] * (mean + noise_std * z)",
            sparse,
            (
                _p("probability", 0.1, "Probability that an entry is non-zero.", **NON_NEGATIVE, maximum=1.0),
                _p("mean", 1.0, "Mean of the non-zero entries."),
                _p("noise_std", 0.5, "Standard deviation of the non-zero entries.", **NON_NEGATIVE),
            ),
            PCG64_SEED + " (u, then z)",
        ),
        Pattern(
            "scaled",
            "g = s_j * (mean + noise_std * z), s_j = geomspace(min_scale, max_scale, D)",
            scaled,
            (
                _p("min_scale", 0.01, "Scale of coordinate 0.", **POSITIVE),
                _p("max_scale", 100.0, "Scale of coordinate D-1.", **POSITIVE),
                _p("mean", 0.5, "Mean before scaling."),
                _p("noise_std", 1.0, "Noise standard deviation before scaling.", **NON_NEGATIVE),
            ),
            PCG64_SEED + " (z)",
            default_dim=4,
        ),
        Pattern(
            "heavy_tailed",
            "g = mean + scale * t_df (Student-t)",
            heavy_tailed,
            (
                _p("df", 2.0, "Degrees of freedom of the Student-t (smaller is heavier-tailed).", **POSITIVE),
                _p("scale", 0.2, "Scale of the Student-t noise.", **NON_NEGATIVE),
                _p("mean", 0.1, "Mean gradient (the signal under the noise)."),
            ),
            PCG64_SEED + " (t)",
        ),
        Pattern(
            "drift",
            "g = m_t + noise_std * z, m_1 = start, m_t = m_{t-1} + step_std * e_t",
            drift,
            (
                _p("start", 1.0, "Mean gradient m_1 at the first step."),
                _p("step_std", 0.1, "Standard deviation of the random walk's steps.", **NON_NEGATIVE),
                _p("noise_std", 0.1, "Standard deviation of the noise around the mean.", **NON_NEGATIVE),
            ),
            PCG64_SEED + " (e, then z)",
        ),
    )
}


def generate(pattern: str, steps: int, dim: int, seed: int | None = None, **parameters) -> np.ndarray:
    """The (T, D) sequence of a named pattern; `seed` only for patterns that draw random numbers."""
    spec = PATTERNS[pattern]
    seeded = {} if spec.seed is None else {"seed": 0 if seed is None else seed}
    return spec.generate(steps=steps, dim=dim, **seeded, **parameters)


class NonFiniteGradients(ValueError):
    """A synthetic source's parameters give gradients beyond float64 (found as its blocks are generated)."""


class Explicit:
    """A gradient sequence already in memory, (T, D), read-only and in C order."""

    def __init__(self, values) -> None:
        self.values = np.ascontiguousarray(sequence(values)).view()
        self.values.flags.writeable = False
        self.shape = self.values.shape

    def blocks(self, width: int):
        """Column blocks, left to right, as (start, array, offset): the block's gradients are
        ``array[:, offset:offset + w]`` (here the whole array, so nothing is copied)."""
        return column_blocks(self.values, width)

    def build(self) -> np.ndarray:
        return self.values


def column_blocks(values: np.ndarray, width: int):
    """`blocks` of a (T, D) array in memory: the whole array each time, at each block's first column."""
    dim = values.shape[1]
    for start in range(0, dim, width):
        yield start, min(width, dim - start), values, start


class Columns:
    """A pattern whose columns are independent and deterministic (`Pattern.by_columns`), generated a block of
    columns at a time by the pattern's own function: the same numbers as its whole array, never T x D at once.
    Raises NonFiniteGradients at a block beyond float64."""

    def __init__(self, pattern: str, steps: int, dim: int, **parameters) -> None:
        self.pattern, self.parameters = PATTERNS[pattern], parameters
        self.shape = (steps, dim)

    def _columns(self, first: int, count: int) -> np.ndarray:
        with np.errstate(over="ignore", invalid="ignore"):
            block = self.pattern.generate(self.shape[0], count, **self.parameters, first_column=first)
        if not np.isfinite(block).all():
            raise NonFiniteGradients(self.pattern.name)
        block.flags.writeable = False
        return block

    def blocks(self, width: int):
        """As `Explicit.blocks`; each block generated when reached (a small sequence whole, once)."""
        steps, dim = self.shape
        if steps * dim <= SMALL:
            yield from column_blocks(self.build(), width)
            return
        for start in range(0, dim, width):
            count = min(width, dim - start)
            yield start, count, self._columns(start, count), 0

    def build(self) -> np.ndarray:
        return self._columns(0, self.shape[1])


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
        """As `Explicit.blocks`; each block is generated (in C order) when reached. Small sequences come
        whole from a cache (seeding the legacy generator alone costs more than a tutorial-sized run)."""
        if self.steps * self.dim <= SMALL:
            return column_blocks(self.build(), width)
        return self._generated_blocks(width)

    def _generated_blocks(self, width: int):
        stream = np.random.RandomState(self.seed)
        with np.errstate(over="ignore", invalid="ignore"):
            trend = np.linspace(self.trend_start, self.trend_end, self.steps)[:, None]
        for start in range(0, self.dim, width):
            count = min(width, self.dim - start)
            block = np.empty((self.steps, count))
            with np.errstate(over="ignore", invalid="ignore"):
                np.multiply(stream.randn(count, self.steps).T, self.noise_std, out=block)
                block += trend
            if not np.isfinite(block).all():
                raise NonFiniteGradients("trend_noise")
            block.flags.writeable = False
            yield start, count, block, 0

    def build(self) -> np.ndarray:
        if self.steps * self.dim <= SMALL:
            return _small_trend_noise(self.steps, self.dim, self.seed, self.noise_std, self.trend_start, self.trend_end)
        return trend_noise(self.steps, self.dim, self.seed, self.noise_std, self.trend_start, self.trend_end)


# Sequences up to this many numbers are memoized (they are pure functions of their parameters).
SMALL = 1 << 16


@lru_cache(maxsize=64)
def _small_trend_noise(steps, dim, seed, noise_std, trend_start, trend_end) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):
        values = np.ascontiguousarray(trend_noise(steps, dim, seed, noise_std, trend_start, trend_end))
    if not np.isfinite(values).all():
        raise NonFiniteGradients("trend_noise")
    values.flags.writeable = False  # C order and read-only: the kernels take it as it is
    return values
