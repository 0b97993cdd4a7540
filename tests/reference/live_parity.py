#!/usr/bin/env python3
"""Live parity: every registry optimizer against torch.optim / optax on freshly drawn random cases.

Needs the `reference` extra (torch 2.13.0, optax 0.2.x); `make parity` sets it up. Run from the repository
root:

    python tests/reference/live_parity.py                 # 20 random cases per optimizer, random seed
    python tests/reference/live_parity.py --cases 100 --seed 7

Each case draws hyperparameters (every flag on or off at random), a gradient sequence (T in 20..300, D in
1..6, scales spread over orders of magnitude, some exact zeros) and a nonzero initial point, runs the
reference through the same driver as the recorded fixtures (record_fixtures.run_torch / run_optax) and the
engine open loop, and compares parameters and state at every step with the measure of
tests/engine/test_reference_parity.py. Exits 1 if any case exceeds 1e-10 and prints the seed to replay it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(Path(__file__).resolve().parent)]

import record_fixtures as ref  # noqa: E402

from service.engine import REGISTRY, run  # noqa: E402

TOLERANCE = 1e-10
COUNTERS = {"step", "count"}


def log_uniform(rng, low, high):
    return float(np.exp(rng.uniform(np.log(low), np.log(high))))


def sometimes(rng, value, otherwise=0.0, p=0.5):
    return value if rng.random() < p else otherwise


def draw_hyperparameters(name: str, rng) -> dict:
    """A random configuration every reference constructor accepts, under our names."""
    draws = {
        "lr": lambda: log_uniform(rng, 1e-4, 0.3),
        "momentum": lambda: sometimes(rng, float(rng.uniform(0.0, 0.95))),
        "dampening": lambda: sometimes(rng, float(rng.uniform(0.0, 0.9))),
        "weight_decay": lambda: sometimes(rng, log_uniform(rng, 1e-4, 0.3)),
        "lr_decay": lambda: sometimes(rng, log_uniform(rng, 1e-4, 0.1)),
        "initial_accumulator_value": lambda: sometimes(rng, log_uniform(rng, 1e-6, 1.0)),
        "eps": lambda: log_uniform(rng, 1e-12, 1e-2),
        "beta1": lambda: float(rng.choice([0.0, rng.uniform(0.0, 0.99)])),
        "beta2": lambda: float(rng.uniform(0.5, 0.9999)),
        "momentum_decay": lambda: sometimes(rng, log_uniform(rng, 1e-4, 0.5)),
        "rho": lambda: float(rng.uniform(0.0, 1.0)),
        "eta_minus": lambda: float(rng.uniform(0.05, 0.95)),
        "eta_plus": lambda: float(rng.uniform(1.05, 2.0)),
        "step_size_min": lambda: log_uniform(rng, 1e-8, 1e-3),
        "step_size_max": lambda: log_uniform(rng, 1e-2, 50.0),
        "lambd": lambda: log_uniform(rng, 1e-6, 0.5),
        "t0": lambda: float(rng.choice([0.0, rng.integers(0, 150), rng.uniform(0, 150), 1e6])),
        "beta2_decay": lambda: float(rng.uniform(-1.5, 0.0)),
        "eps1": lambda: sometimes(rng, log_uniform(rng, 1e-30, 1e-2), None),
        "eps2": lambda: log_uniform(rng, 1e-6, 1.0),
        "d": lambda: float(rng.uniform(1.0, 3.0)),
        "eps_root": lambda: sometimes(rng, log_uniform(rng, 1e-16, 1e-4)),
    }
    optimizer = REGISTRY[name]
    hp = {}
    for h in optimizer.hyperparameters:
        if h.kind == "bool":
            hp[h.name] = bool(rng.random() < 0.5)
        elif name == "rmsprop" and h.name == "alpha":
            hp[h.name] = float(rng.uniform(0.5, 0.999))
        elif name == "asgd" and h.name == "alpha":
            hp[h.name] = float(rng.uniform(0.0, 1.5))
        elif name in ("lion",) and h.name == "beta2":
            hp[h.name] = float(rng.uniform(0.5, 1.0))
        else:
            hp[h.name] = draws[h.name]()
    if name == "sgd" and hp["nesterov"]:
        hp["momentum"], hp["dampening"] = max(hp["momentum"], 0.1), 0.0
    return hp


def draw_sequence(rng) -> dict:
    steps, dim = int(rng.integers(20, 301)), int(rng.integers(1, 7))
    scales = 10.0 ** rng.uniform(-3, 1.5, dim)
    gradients = scales * (rng.standard_normal((steps, dim)) + rng.uniform(-1, 1, dim))
    gradients = np.where(rng.random((steps, dim)) < rng.choice([0.0, 0.3]), 0.0, gradients)
    initial = rng.uniform(0.2, 3.0, dim) * rng.choice([-1.0, 1.0], dim)
    return {"initial": initial.tolist(), "gradients": gradients.tolist()}


def error(got, expected) -> float:
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    if got.shape != expected.shape:
        return float("inf")
    scale = np.max(np.abs(expected), axis=0)
    denominator = np.maximum(np.abs(expected), scale)
    diff = np.abs(got - expected)
    zero = denominator == 0
    if np.any(zero & (diff != 0)):
        return float("inf")
    return float(np.max(np.where(zero, 0.0, diff / np.where(zero, 1.0, denominator)), initial=0.0))


def compare(name: str, hp: dict, sequence: dict) -> tuple[float, str]:
    expected = ref.run_case(name, hp, sequence)
    optimizer = REGISTRY[name]
    gradients = np.array(sequence["gradients"], dtype=np.float64)
    _, diverged_at, series, states = run(
        optimizer, optimizer.hyper(hp), gradients, np.array(sequence["initial"]), ("params", "state")
    )
    reference_params = np.array(expected["params"], dtype=np.float64)
    if diverged_at is not None or not np.isfinite(reference_params).all():
        # both must stop being finite at the same step; compare the finite prefix
        finite = np.isfinite(reference_params).all(axis=1)
        first_bad = int(np.argmin(finite)) if not finite.all() else None
        if first_bad != diverged_at:
            return float("inf"), f"diverged at {diverged_at}, reference at {first_bad}"
        return error(series["params"], reference_params[:first_bad]), "params (finite prefix)"
    worst, where = error(series["params"], reference_params), "params"
    for key, values in expected["state"].items():
        if key in COUNTERS:
            continue
        array = np.asarray(values, dtype=np.float64)
        array = np.broadcast_to(array[:, None], states[key].shape) if array.ndim == 1 else array
        e = error(states[key], array)
        if e > worst:
            worst, where = e, key
    return worst, where


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20, help="random cases per optimizer")
    parser.add_argument("--seed", type=int, default=None, help="seed (default: drawn and printed)")
    parser.add_argument("--only", nargs="*", default=None, help="optimizer names (default: all)")
    args = parser.parse_args(argv)
    seed = int(np.random.SeedSequence().entropy % 2**32) if args.seed is None else args.seed
    print(f"seed {seed}, {args.cases} cases per optimizer, torch {ref.TORCH_VERSION}, optax {ref.OPTAX_VERSION}")
    failures = 0
    for name in args.only or list(REGISTRY):
        rng = np.random.default_rng([seed, list(REGISTRY).index(name)])
        worst, worst_case = 0.0, None
        for i in range(args.cases):
            hp, sequence = draw_hyperparameters(name, rng), draw_sequence(rng)
            e, where = compare(name, hp, sequence)
            if e > worst:
                worst, worst_case = e, (i, where, hp)
            if e > TOLERANCE:
                failures += 1
                print(f"  FAIL {name} case {i}: error {e:.3g} in {where}; hyperparameters {hp}")
        print(
            f"{name:10s} max error {worst:.2e}" + (f"  (case {worst_case[0]}, {worst_case[1]})" if worst_case else "")
        )
    print("OK" if not failures else f"{failures} case(s) over {TOLERANCE:g}; replay with --seed {seed}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
