"""Hyperparameters shared by many optimizers, so each is described once."""

from __future__ import annotations

from ..registry import Hyperparameter


def lr(default: float) -> Hyperparameter:
    return Hyperparameter(
        "lr", default, "Base learning rate (a schedule, if given, overrides it per step).", minimum=0.0
    )


def eps(default: float, where: str = "added to the denominator for numerical stability") -> Hyperparameter:
    return Hyperparameter("eps", default, f"Term {where}.", minimum=0.0)


def weight_decay(default: float = 0.0, decoupled: bool = False) -> Hyperparameter:
    how = (
        "decoupled: parameters shrink by lr * weight_decay before the step"
        if decoupled
        else "L2 penalty: weight_decay * params is added to the gradient"
    )
    return Hyperparameter("weight_decay", default, f"Weight decay ({how}).", minimum=0.0)


def beta(name: str, default: float, what: str) -> Hyperparameter:
    return Hyperparameter(name, default, f"Decay rate of the {what}.", minimum=0.0, maximum=1.0, exclusive_maximum=True)


MAXIMIZE = Hyperparameter(
    "maximize", False, "Maximize the objective: the gradient's sign is flipped before anything else.", kind="bool"
)
