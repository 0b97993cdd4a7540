"""Optiscope's numerical engine: numpy only, no HTTP. Public surface below."""

from . import gradients
from .closed_loop import CLOSED_LOOP_SERIES, simulate_objective
from .objectives import OBJECTIVES, Objective, Problem
from .optimizers import REGISTRY
from .registry import Hyperparameter, Optimizer
from .simulate import SERIES, BudgetExceeded, RunResult, RunSpec, run, simulate

__all__ = [
    "CLOSED_LOOP_SERIES",
    "OBJECTIVES",
    "REGISTRY",
    "SERIES",
    "BudgetExceeded",
    "Hyperparameter",
    "Objective",
    "Optimizer",
    "Problem",
    "RunResult",
    "RunSpec",
    "gradients",
    "run",
    "simulate",
    "simulate_objective",
]
