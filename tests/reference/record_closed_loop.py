#!/usr/bin/env python3
"""Record closed-loop reference trajectories: torch.optim driven by torch autograd on objective functions.

Run from the repository root, in the reference environment (see README.md beside this file):

    python tests/reference/record_closed_loop.py           # (re)write tests/fixtures/closed_loop/
    python tests/reference/record_closed_loop.py --check   # re-record in memory, compare

Every function is written again here in torch, independently of the engine's numpy code; torch autograd
supplies the gradients. Only the synthetic data that parameters fix (the quadratic's rotation, the
logistic regression's data set) is taken from the engine, and stored in the fixture so the test can
check the engine still generates it. Noise is off and the logistic regression uses the full batch, so
every trajectory is deterministic. Float64 throughout; two runs write byte-identical files.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parents[1])]

import record_fixtures as ref  # noqa: E402  (torch/optax conventions and name mapping)

from service.engine.objectives import OBJECTIVES  # noqa: E402
from service.engine.objectives.logistic import data_set  # noqa: E402
from service.engine.objectives.quadratic import eigenvalues, rotation  # noqa: E402

torch.set_default_dtype(torch.float64)
OUT = ref.FIXTURES / "closed_loop"

# --- the functions, in torch ------------------------------------------------------------------------


def rosenbrock(a, b):
    return lambda x: (b * (x[1:] - x[:-1] ** 2) ** 2 + (a - x[:-1]) ** 2).sum()


def beale():
    def f(p):
        x, y = p[0], p[1]
        return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2

    return f


def himmelblau():
    return lambda p: (p[0] ** 2 + p[1] - 11) ** 2 + (p[0] + p[1] ** 2 - 7) ** 2


def rastrigin(A):
    return lambda x: A * x.numel() + (x**2 - A * torch.cos(2 * math.pi * x)).sum()


def styblinski_tang():
    return lambda x: 0.5 * (x**4 - 16 * x**2 + 5 * x).sum()


def quadratic(matrix):
    A = torch.tensor(matrix)
    return lambda x: 0.5 * x @ (A @ x)


def logistic(X, y, l2):
    X, y = torch.tensor(X), torch.tensor(y)

    def f(w):
        z = X @ w
        return (torch.logaddexp(torch.zeros_like(z), z) - y * z).mean() + 0.5 * l2 * (w * w).sum()

    return f


# --- the problems ------------------------------------------------------------------------------------

# Learning rates per optimizer family, chosen per function so that runs converge or settle (chaotic,
# diverging runs would amplify rounding and compare nothing; `record` refuses such cases).
CORE = ("sgd", "adam", "adagrad", "rmsprop")


def quadratic_problem():
    dim, params = 5, {"condition_number": 100.0, "rotation_seed": 3}
    q = rotation(dim, 3)
    lam = eigenvalues(dim, OBJECTIVES["quadratic"].params(params))
    matrix = (q * lam) @ q.T
    matrix = 0.5 * (matrix + matrix.T)
    return {
        "function": "quadratic",
        "dim": dim,
        "parameters": params,
        "initial": [1.0] * dim,
        "steps": 100,
        "data": {"rotation": q.tolist()},
        "torch": quadratic(matrix),
        # RAdam's first five steps are unnormalized momentum steps: it needs a small lr on steep functions.
        "lr": {"sgd": 0.005, "adam": 0.05, "adagrad": 0.5, "rmsprop": 0.01, "radam": 0.01},
        "all_torch": True,
    }


def logistic_problem():
    dim, params = 8, {"n_samples": 120, "density": 0.05, "l2": 0.01, "data_seed": 5}
    X, y, _ = data_set(120, dim, 0.05, 5)
    return {
        "function": "logistic_regression",
        "dim": dim,
        "parameters": params,
        "initial": [0.0] * dim,
        "steps": 100,
        "data": {"features": X.tolist(), "labels": y.tolist()},
        "torch": logistic(X, y, 0.01),
        "lr": {"sgd": 0.5, "adam": 0.05, "adagrad": 0.5, "rmsprop": 0.01},
    }


PROBLEMS = {
    "rosenbrock": lambda: {
        "function": "rosenbrock",
        "dim": 2,
        "parameters": {"a": 1.0, "b": 100.0},
        "initial": [-1.2, 1.0],
        "steps": 300,
        "torch": rosenbrock(1.0, 100.0),
        "lr": {"sgd": 1e-3, "adam": 0.05, "adagrad": 0.5, "rmsprop": 0.01, "radam": 0.002},
        "all_torch": True,
    },
    "rosenbrock_4d": lambda: {
        "function": "rosenbrock",
        "dim": 4,
        "parameters": {"a": 1.0, "b": 20.0},
        "initial": [-1.2, 1.0, -1.2, 1.0],
        "steps": 150,
        "torch": rosenbrock(1.0, 20.0),
        "lr": {"sgd": 2e-3, "adam": 0.05, "adagrad": 0.5, "rmsprop": 0.01},
    },
    "beale": lambda: {
        "function": "beale",
        "dim": 2,
        "parameters": {},
        "initial": [1.0, 1.5],
        "steps": 200,
        "torch": beale(),
        "lr": {"sgd": 1e-3, "adam": 0.05, "adagrad": 0.5, "rmsprop": 0.01},
    },
    "quadratic": quadratic_problem,
    "rastrigin": lambda: {
        "function": "rastrigin",
        "dim": 3,
        "parameters": {"A": 10.0},
        "initial": [3.2, -2.6, 3.2],
        "steps": 150,
        "torch": rastrigin(10.0),
        "lr": {"sgd": 1e-3, "adam": 0.05, "adagrad": 0.5, "rmsprop": 0.01},
    },
    "himmelblau": lambda: {
        "function": "himmelblau",
        "dim": 2,
        "parameters": {},
        "initial": [0.0, 0.0],
        "steps": 150,
        "torch": himmelblau(),
        "lr": {"sgd": 5e-3, "adam": 0.05, "adagrad": 0.5, "rmsprop": 0.01},
    },
    "styblinski_tang": lambda: {
        "function": "styblinski_tang",
        "dim": 3,
        "parameters": {},
        "initial": [0.5, -0.5, 0.5],
        "steps": 150,
        "torch": styblinski_tang(),
        "lr": {"sgd": 5e-3, "adam": 0.05, "adagrad": 0.5, "rmsprop": 0.01},
    },
    "logistic_regression": logistic_problem,
}


def hyper_sets(problem: dict) -> list[tuple[str, str, dict]]:
    """(case id, optimizer, overrides): the four core optimizers everywhere, every torch optimizer on the
    problems marked `all_torch`."""
    lr = problem["lr"]
    sets = [
        ("sgd_momentum", "sgd", {"lr": lr["sgd"], "momentum": 0.9}),
        ("adam", "adam", {"lr": lr["adam"]}),
        ("adagrad", "adagrad", {"lr": lr["adagrad"]}),
        ("rmsprop", "rmsprop", {"lr": lr["rmsprop"]}),
    ]
    if problem.get("all_torch"):
        sets += [
            ("sgd_nesterov", "sgd", {"lr": lr["sgd"], "momentum": 0.9, "nesterov": True}),
            ("adam_amsgrad", "adam", {"lr": lr["adam"], "amsgrad": True}),
            ("rmsprop_centered_momentum", "rmsprop", {"lr": lr["rmsprop"] / 2, "centered": True, "momentum": 0.5}),
            ("adamw", "adamw", {"lr": lr["adam"]}),
            ("adamax", "adamax", {"lr": lr["adam"]}),
            ("nadam", "nadam", {"lr": lr["adam"]}),
            ("radam", "radam", {"lr": lr["radam"]}),
            ("adadelta", "adadelta", {"lr": 0.5}),
            ("rprop", "rprop", {"lr": 0.01}),
            ("asgd", "asgd", {"lr": lr["sgd"]}),
            ("adafactor", "adafactor", {"lr": 0.01}),
        ]
    return sets


def run_torch(f, optimizer: str, hyper: dict, initial: list[float], steps: int) -> dict:
    p = torch.tensor(initial, requires_grad=True)
    opt = ref.TORCH_CLASSES[optimizer]([p], **ref.torch_kwargs(optimizer, hyper))
    with torch.no_grad():
        loss = [f(p).item()]
    params, grads, diverged_at = [p.detach().clone().tolist()], [], None
    for t in range(1, steps + 1):
        opt.zero_grad()
        f(p).backward()
        grad = p.grad.detach().clone()
        opt.step()
        with torch.no_grad():
            value = f(p).item()
        if not (torch.isfinite(p).all() and torch.isfinite(grad).all() and math.isfinite(value)):
            diverged_at = t
            break
        params.append(p.detach().clone().tolist())
        grads.append(grad.tolist())
        loss.append(value)
    return {"params": params, "loss": loss, "gradients": grads, "diverged_at": diverged_at}


# A case whose trajectory moves by more than this when the start moves by one rounding error is chaotic:
# rounding differences between any two implementations grow there, and comparing at 1e-9 means nothing.
CHAOS = 1e-11


def sensitivity(a: list, b: list) -> float:
    a, b = torch.tensor(a), torch.tensor(b)
    return (torch.abs(a - b) / torch.clamp(torch.abs(b), min=torch.abs(b).max())).max().item()


def record(key: str) -> dict:
    problem = PROBLEMS[key]()
    cases = []
    for case_id, optimizer, overrides in hyper_sets(problem):
        hyper = ref.resolve(optimizer, overrides)
        result = run_torch(problem["torch"], optimizer, hyper, problem["initial"], problem["steps"])
        nudged = [x * (1 + 4e-16) for x in problem["initial"]]
        moved = sensitivity(
            run_torch(problem["torch"], optimizer, hyper, nudged, problem["steps"])["params"], result["params"]
        )
        if moved > CHAOS:
            raise SystemExit(
                f"{key}/{case_id} is chaotic (a 4e-16 nudge of the start moves it by {moved:.1e}): retune it"
            )
        cases.append({"id": f"{key}/{case_id}", "optimizer": optimizer, "hyperparameters": hyper, **result})
    fixture = {k: problem[k] for k in ("function", "dim", "parameters", "initial", "steps")}
    fixture["reference"] = f"torch {ref.TORCH_VERSION} autograd + torch.optim"
    if "data" in problem:
        fixture["data"] = problem["data"]
    fixture["cases"] = cases
    return fixture


def record_all() -> dict[str, str]:
    return {f"{key}.json": ref.dumps(record(key)) for key in PROBLEMS}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="re-record in memory and compare with the files")
    args = parser.parse_args(argv)
    if ref.TORCH_VERSION != ref.EXPECTED_TORCH:
        raise SystemExit(f"torch {ref.EXPECTED_TORCH} expected, found {ref.TORCH_VERSION}")
    files = record_all()
    if args.check:
        bad = [name for name, text in files.items() if (OUT / name).read_text() != text]
        print("\n".join(f"DIFFERS  {name}" for name in bad) or f"{len(files)} files identical")
        return 1 if bad else 0
    OUT.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (OUT / name).write_text(text)
    print(f"wrote {len(files)} files under {OUT.relative_to(ref.REPO_ROOT)}")
    for name in files:
        print(f"  {name}: {(OUT / name).stat().st_size / 1024:.0f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
