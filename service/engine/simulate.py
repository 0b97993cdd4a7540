"""Run optimizers over a gradient sequence and record what each step did.

Divergence is a result: a run stops at the first step whose parameters (or anything recorded for
that step) are not finite, reports that step as `diverged_at`, and keeps only the finite steps before
it, so callers never see NaN or infinity.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .registry import Number, Optimizer

SERIES = ("params", "learning_rates", "updates")


@dataclass(frozen=True)
class RunSpec:
    optimizer: Optimizer
    hyperparameters: Mapping[str, Number] = field(default_factory=dict)
    label: str | None = None


@dataclass
class RunResult:
    label: str
    name: str
    hyperparameters: dict[str, Number]
    final: np.ndarray
    diverged_at: int | None
    series: dict[str, np.ndarray]


def run(
    optimizer: Optimizer,
    hyper: Any,
    gradients: np.ndarray,
    initial: np.ndarray,
    record: Collection[str] = ("params", "learning_rates"),
) -> tuple[np.ndarray, int | None, dict[str, np.ndarray]]:
    """One optimizer over `gradients` (T, D) from `initial` (D,): final params, divergence step, series."""
    steps, dim = gradients.shape
    params = np.array(initial, dtype=np.float64)
    series = {name: np.empty((steps + (name == "params"), dim)) for name in SERIES if name in record}
    if "params" in series:
        series["params"][0] = params
    diverged_at = None
    with np.errstate(all="ignore"):
        state = optimizer.init(params, hyper)
        for t in range(1, steps + 1):
            update, rate, state = optimizer.step(gradients[t - 1], params, state, hyper, hyper.lr, t)
            new_params = params + update
            if not (np.isfinite(new_params).all() and np.isfinite(rate).all()):
                diverged_at = t
                break
            params = new_params
            if "params" in series:
                series["params"][t] = params
            if "learning_rates" in series:
                series["learning_rates"][t - 1] = rate
            if "updates" in series:
                series["updates"][t - 1] = update
    if diverged_at is not None:
        kept = diverged_at - 1
        series = {name: values[: kept + (name == "params")] for name, values in series.items()}
    return params, diverged_at, series


def unique_labels(labels: Sequence[str]) -> list[str]:
    """Make labels unique in order: a repeated 'adam' becomes 'adam-2', 'adam-3', ..."""
    seen: set[str] = set(labels)
    counts: dict[str, int] = {}
    result = []
    for label in labels:
        count = counts.get(label, 0) + 1
        counts[label] = count
        if count == 1:
            result.append(label)
            continue
        n = count
        while f"{label}-{n}" in seen:
            n += 1
        seen.add(f"{label}-{n}")
        result.append(f"{label}-{n}")
    return result


def simulate(
    gradients: np.ndarray,
    runs: Sequence[RunSpec],
    initial: np.ndarray | float | None = None,
    record: Collection[str] = ("params", "learning_rates"),
) -> list[RunResult]:
    """Run every spec over the same gradient sequence (T, D), starting from `initial` (default zeros)."""
    gradients = np.asarray(gradients, dtype=np.float64)
    steps, dim = gradients.shape
    start = np.broadcast_to(np.asarray(0.0 if initial is None else initial, dtype=np.float64), (dim,))
    labels = unique_labels([spec.label or spec.optimizer.name for spec in runs])
    results = []
    for spec, label in zip(runs, labels, strict=True):
        hyper = spec.optimizer.hyper(spec.hyperparameters)
        final, diverged_at, series = run(spec.optimizer, hyper, gradients, start, record)
        results.append(RunResult(label, spec.optimizer.name, hyper._asdict(), final, diverged_at, series))
    return results
