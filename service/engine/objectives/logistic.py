"""Logistic regression on a seeded synthetic data set with sparse, rarely active features: the case
where Adagrad's per-parameter learning rates shine (Duchi, Hazan & Singer 2011).

Data (numpy's PCG64 generator `default_rng(data_seed)`, drawn in this order):

    active   = random((n_samples, D)) < p,  p_j = density^(j / (D - 1))   (feature 0 always active)
    X        = active as 0/1 features
    w_true   = 2 * standard_normal(D)
    y        = random(n_samples) < sigmoid(X w_true)                    (labels 0/1)

so feature 0 acts as an intercept and the last feature is active in a fraction `density` of samples.
Loss and gradient, with z = X w:

    f(w)  = mean_i [ log(1 + exp(z_i)) - y_i z_i ] + l2/2 * |w|^2
    ∇f(w) = X^T (sigmoid(z) - y) / n_samples + l2 * w

With `batch_size`, the closed loop's gradient at each step is the same expression over `batch_size`
samples drawn without replacement (`rng.choice(n_samples, batch_size, replace=False)`), an unbiased
estimate of the full gradient; the reported loss stays the full-data loss.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..registry import Hyperparameter
from ._base import Objective, Problem

MAX_SAMPLES = 100_000


class DataSet(NamedTuple):
    features: np.ndarray  # (n_samples, D) of 0/1
    labels: np.ndarray  # (n_samples,) of 0/1
    true_weights: np.ndarray  # (D,)


def sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-z)) without overflow for large |z|."""
    return np.exp(-np.logaddexp(0.0, -z))


def data_set(n_samples: int, dim: int, density: float, seed: int) -> DataSet:
    rng = np.random.default_rng(seed)
    frequency = density ** (np.arange(dim) / (dim - 1)) if dim > 1 else np.ones(1)
    features = (rng.random((n_samples, dim)) < frequency).astype(np.float64)
    true_weights = 2.0 * rng.standard_normal(dim)
    labels = (rng.random(n_samples) < sigmoid(features @ true_weights)).astype(np.float64)
    return DataSet(features, labels, true_weights)


def build(dim: int, p) -> Problem:
    X, y, _ = data_set(p.n_samples, dim, p.density, p.data_seed)
    l2 = p.l2

    def loss(w, X, y):
        z = np.asarray(w, dtype=np.float64) @ X.T
        return np.mean(np.logaddexp(0.0, z) - y * z, axis=-1) + 0.5 * l2 * np.sum(w * w, axis=-1)

    def grad(w, X, y):
        w = np.asarray(w, dtype=np.float64)
        return ((sigmoid(w @ X.T) - y) @ X) / len(y) + l2 * w

    stochastic = None
    if p.batch_size is not None and p.batch_size < p.n_samples:
        batch = p.batch_size

        def stochastic(w, rng):
            rows = rng.choice(p.n_samples, batch, replace=False)
            return grad(w, X[rows], y[rows])

    return Problem(
        dim,
        lambda w: loss(w, X, y),
        lambda w: grad(w, X, y),
        np.zeros(dim),
        stochastic_gradient=stochastic,
        cost_per_coordinate=samples(dim, p),
    )


def samples(dim: int, p) -> int:
    return p.n_samples


def constraints(dim: int, p) -> list[tuple[str, str]]:
    if p.batch_size is not None and p.batch_size > p.n_samples:
        return [("batch_size", f"batch_size {p.batch_size} exceeds n_samples {p.n_samples}")]
    return []


LOGISTIC_REGRESSION = Objective(
    name="logistic_regression",
    title="Logistic regression (sparse features)",
    summary="Mean log-loss of a linear classifier on synthetic data whose features are active with "
    "frequencies from always to rarely: rare features get few, small gradients, which per-parameter "
    "methods (Adagrad, Adam) amplify and SGD does not. D is the number of features.",
    formula_latex=r"f(w) = \frac{1}{n}\sum_{i=1}^{n} \left[\log\left(1 + e^{x_i^\top w}\right)"
    r" - y_i\, x_i^\top w\right] + \frac{\lambda}{2}\lVert w \rVert^2",
    formula_text="f(w) = mean_i [log(1 + exp(x_i.w)) - y_i * x_i.w] + l2/2 * |w|^2; x_ij in {0, 1} active with "
    "probability density^(j/(D-1)), y_i ~ Bernoulli(sigmoid(x_i.w_true))",
    minimum_text="no closed form (and with l2 = 0 possibly none: a rare feature seen only with one label "
    "drives its weight to infinity); distance_to_optimum is omitted",
    parameters=(
        Hyperparameter("n_samples", 200, "Number of training samples n.", kind="int", minimum=1, maximum=MAX_SAMPLES),
        Hyperparameter(
            "density",
            0.05,
            "Fraction of samples in which the rarest feature is active; feature j is active with probability "
            "density^(j/(D-1)).",
            minimum=0.0,
            maximum=1.0,
            exclusive_minimum=True,
        ),
        Hyperparameter("l2", 0.0, "L2 regularization strength (added to the loss as l2/2 * |w|^2).", minimum=0.0),
        Hyperparameter(
            "batch_size",
            None,
            "Samples per stochastic gradient, drawn without replacement at every step with the source's seed; "
            "null: the full batch (exact gradients).",
            kind="int",
            minimum=1,
            maximum=MAX_SAMPLES,
            nullable=True,
            null_means="full batch",
        ),
        Hyperparameter(
            "data_seed",
            0,
            "Seed of the synthetic data set (numpy default_rng).",
            kind="int",
            minimum=0,
            maximum=2**63,
            exclusive_maximum=True,
        ),
    ),
    build=build,
    window=(-4.0, 4.0, -4.0, 4.0),
    reference="Duchi, Hazan & Singer (2011), JMLR 12 (the sparse-feature setting)",
    min_dim=1,
    default_dim=10,
    constraints=constraints,
    cost_per_coordinate=samples,
)
