"""Hyperparameters and arithmetic shared by many optimizers, so each is described once.

The helpers below are plain numpy arithmetic (no in-place ops, no boolean indexing), so a compiled
path can reuse them unchanged.
"""

from __future__ import annotations

import numpy as np

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

DECOUPLED_WEIGHT_DECAY = Hyperparameter(
    "decoupled_weight_decay",
    False,
    "Apply weight decay as in AdamW (shrink the parameters by lr * weight_decay) instead of as an L2 gradient term.",
    kind="bool",
)


def square_average(average, beta, g):
    """torch's ``average.mul_(beta).addcmul_(g, g, value=1 - beta)``, its factors in torch's order: (1 − β)·g
    first, then times g, so a |g| past √(float64 max) ≈ 1.34e154 overflows only where the average itself
    would, and β = 1 keeps the average whatever g is. (torch's CPU kernel also fuses the last multiply and
    add into one rounding, which numpy cannot: the two differ by an ulp at times.)"""
    return beta * average + ((1 - beta) * g) * g


def lerp(start, end, weight):
    """torch.lerp: ``start + weight * (end - start)``, evaluated from the nearer end as torch does.

    torch computes ``end - (end - start) * (1 - weight)`` when ``|weight| >= 0.5``; matching that keeps
    moments bit-for-bit closer to torch's (e.g. Adafactor's first step, weight 1, gives exactly ``end``).
    """
    return np.where(np.abs(weight) < 0.5, start + weight * (end - start), end - (end - start) * (1 - weight))


def rms(x):
    """Root mean square over the coordinate axis (the last), kept as a length-1 axis to broadcast back: torch's
    `x.norm(2) / sqrt(x.numel())`, whose norm of one number is its magnitude (no square to overflow past
    1.34e154 or vanish below 1e-162)."""
    if x.shape[-1] == 1:
        return np.abs(x)
    return np.sqrt(np.mean(x * x, axis=-1, keepdims=True))


# Once t * (1 - beta) >= 38, beta**t <= exp(-38) < 3.2e-17, under half an ulp of 1 below it (2**-54 =
# 5.6e-17) even with pow's last-bit error, so 1 - beta**t rounds to exactly 1.0.
SATURATED = 38.0


def bias_correction(beta, t):
    """``1 - beta**t``, bit for bit, skipping `pow` once the result is exactly 1.0 (see SATURATED).

    After a few hundred steps for beta = 0.9 and a few tens of thousands for beta = 0.999 the power is
    below float64's resolution at 1: a long run then costs no transcendental function per step.
    """
    if t * (1 - beta) >= SATURATED:
        return 1.0
    return 1 - beta**t
