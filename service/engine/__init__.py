"""Optiscope's numerical engine: numpy (and numba, which compiles the optimizers' own step functions into loop
kernels), no HTTP. Public surface below."""

from . import gradients
from .closed_loop import CLOSED_LOOP_SERIES, InitialLossNotFinite, simulate_objective
from .objectives import OBJECTIVES, Objective, Problem
from .optimizers import REGISTRY
from .registry import Hyperparameter, Optimizer
from .simulate import SERIES, BudgetExceeded, RunResult, RunSpec, Simulation, run, simulate, simulate_source


def warm_up() -> dict[str, float]:
    """Make every compiled kernel ready (loaded from the disk cache, or compiled once) and run each on a
    two-step problem, so that no request pays for it; returns seconds per kernel."""
    import numpy as np

    from . import compiled

    seconds = compiled.warm_up(REGISTRY)
    specs = [RunSpec(optimizer) for optimizer in REGISTRY.values()]
    simulate(np.ones((2, 1)), specs, record=SERIES)
    return seconds


__all__ = [
    "CLOSED_LOOP_SERIES",
    "OBJECTIVES",
    "REGISTRY",
    "SERIES",
    "BudgetExceeded",
    "Hyperparameter",
    "InitialLossNotFinite",
    "Objective",
    "Optimizer",
    "Problem",
    "RunResult",
    "RunSpec",
    "Simulation",
    "gradients",
    "run",
    "simulate",
    "simulate_objective",
    "simulate_source",
    "warm_up",
]
