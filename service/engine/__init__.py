"""Optiscope's numerical engine: numpy only, no HTTP. Public surface below."""

from . import gradients
from .optimizers import REGISTRY
from .registry import Hyperparameter, Optimizer
from .simulate import SERIES, BudgetExceeded, RunResult, RunSpec, run, simulate

__all__ = [
    "REGISTRY",
    "SERIES",
    "BudgetExceeded",
    "Hyperparameter",
    "Optimizer",
    "RunResult",
    "RunSpec",
    "gradients",
    "run",
    "simulate",
]
