"""Rprop: per-coordinate step sizes that grow while the gradient keeps its sign and shrink when it flips.

s_0 = γ (the lr in force at the first step; later lr values are never read)
f_t = η₊ if g_t g_{t-1} > 0,  η₋ if g_t g_{t-1} < 0,  1 otherwise
s_t = clip(s_{t-1} f_t, s_min, s_max)
g_t ← 0 where g_t g_{t-1} < 0          (no move after a sign flip; `prev` keeps this 0)
θ_t = θ_{t-1} − s_t sign(g_t)
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ..registry import Hyperparameter, Optimizer
from . import _common


class RpropState(NamedTuple):
    prev: np.ndarray
    step_size: np.ndarray


def init(params: np.ndarray, hyper: Any) -> RpropState:
    zeros = np.zeros_like(params)
    return RpropState(zeros, zeros + hyper.lr)


def step(grad, params, state: RpropState, hyper, lr, t: int):
    g = -grad if hyper.maximize else grad
    # torch fills the step sizes with the lr in force at the first step (a schedule's first value).
    step_size = np.zeros_like(g) + lr if t == 1 else state.step_size
    sign = np.sign(g * state.prev)
    factor = np.where(sign > 0, hyper.eta_plus, np.where(sign < 0, hyper.eta_minus, 1.0))
    step_size = np.minimum(np.maximum(step_size * factor, hyper.step_size_min), hyper.step_size_max)
    g = np.where(sign < 0, 0.0, g)
    direction = np.sign(g)
    return -(step_size * direction), step_size, RpropState(g, step_size)


def constraints(hyper: Any) -> list[tuple[str, str]]:
    if hyper.step_size_min > hyper.step_size_max:
        return [("step_size_min", "step_size_min must not exceed step_size_max")]
    return []


OPTIMIZER = Optimizer(
    name="rprop",
    title="Rprop",
    summary="Resilient backpropagation: only the gradient's sign is used; each coordinate's step size grows "
    "by eta_plus while the sign holds and shrinks by eta_minus when it flips.",
    paper="Riedmiller & Braun (1993), A Direct Adaptive Method for Faster Backpropagation Learning: "
    "The RPROP Algorithm, IEEE ICNN.",
    update_latex=r"f_t = \begin{cases} \eta_+ & g_t g_{t-1} > 0 \\ \eta_- & g_t g_{t-1} < 0 \\ 1 & \text{otherwise} "
    r"\end{cases},\quad s_t = \operatorname{clip}(s_{t-1} f_t, s_{\min}, s_{\max}),\quad "
    r"g_t \leftarrow 0 \text{ if } g_t g_{t-1} < 0,\quad \theta_t = \theta_{t-1} - s_t \operatorname{sign}(g_t)",
    update_text="s = lr at step 1; f = eta_plus if g*prev > 0, eta_minus if g*prev < 0, else 1; "
    "s = clip(s*f, step_size_min, step_size_max); where g*prev < 0: g = 0; theta -= s*sign(g); prev = g",
    learning_rate="the per-coordinate step size s (state `step_size`); the direction is sign(g), which is 0 at a "
    "step where the gradient's sign flipped (no move there).",
    hyperparameters=(
        Hyperparameter(
            "lr",
            1e-2,
            "Initial step size: the lr in force at the first step fills every coordinate's step size; "
            "later values (a schedule's) are never read, as in torch.",
            minimum=0.0,
        ),
        Hyperparameter(
            "eta_minus",
            0.5,
            "Multiplicative decrease η₋ on a sign flip (torch: 0 < eta_minus < 1).",
            minimum=0.0,
            maximum=1.0,
            exclusive_minimum=True,
            exclusive_maximum=True,
        ),
        Hyperparameter(
            "eta_plus",
            1.2,
            "Multiplicative increase η₊ while the sign holds (torch: eta_plus > 1).",
            minimum=1.0,
            exclusive_minimum=True,
        ),
        Hyperparameter("step_size_min", 1e-6, "Smallest step size.", minimum=0.0),
        Hyperparameter("step_size_max", 50.0, "Largest step size.", minimum=0.0),
        _common.MAXIMIZE,
    ),
    state_names=RpropState._fields,
    init=init,
    step=step,
    constraints=constraints,
    notes=(
        "torch's rule is iRprop- (Igel & Huesken 2000), not the 1993 paper's: no weight backtracking (the paper "
        "reverts the previous step on a sign flip); after a flip the gradient is zeroed, so the coordinate does "
        "not move and the next step uses factor 1.",
        "The lr only seeds the step sizes at the first step (clamped to [step_size_min, step_size_max] at once): "
        "a schedule has no effect after step 1, in torch as here.",
        "torch accepts any step_sizes pair; a negative bound or step_size_min > step_size_max is rejected here "
        "(torch's clamp would pin every step at step_size_max).",
        "optax.rprop (0.2.8) differs: it compares g with its previous update s*sign(g) rather than the "
        "previous gradient, leaves the step size unclamped where that product is 0, and applies the previous "
        "step's update (its first step does not move).",
    ),
)
