"""Adagrad: per-coordinate steps shrink with the root of the summed squared gradients.

g_t = ±∇ + λ θ_{t-1}
γ_t = γ / (1 + (t − 1) η)                 (learning-rate decay η)
G_t = G_{t-1} + g_t²                      (G_0 = initial_accumulator_value)
θ_t = θ_{t-1} − γ_t g_t / (√G_t + ε)
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ..registry import Hyperparameter, Optimizer
from . import _common


class AdagradState(NamedTuple):
    sum: np.ndarray


def init(params: np.ndarray, hyper: Any) -> AdagradState:
    return AdagradState(np.zeros_like(params) + hyper.initial_accumulator_value)


def step(grad, params, state: AdagradState, hyper, lr, t: int):
    g = -grad if hyper.maximize else grad
    if hyper.weight_decay != 0:
        g = g + hyper.weight_decay * params
    clr = lr / (1 + (t - 1) * hyper.lr_decay)
    total = state.sum + g * g
    rate = clr / (np.sqrt(total) + hyper.eps)
    return -(rate * g), rate, AdagradState(total)


OPTIMIZER = Optimizer(
    name="adagrad",
    title="Adagrad",
    summary="Per-coordinate rates that shrink with the accumulated squared gradients: rarely "
    "updated coordinates keep large steps.",
    paper="Duchi, Hazan & Singer (2011), Adaptive Subgradient Methods for Online Learning and "
    "Stochastic Optimization, JMLR 12.",
    update_latex=r"g_t = \nabla f(\theta_{t-1}) + \lambda\theta_{t-1},\quad "
    r"\gamma_t = \frac{\gamma}{1 + (t-1)\eta},\quad G_t = G_{t-1} + g_t^2,\quad "
    r"\theta_t = \theta_{t-1} - \frac{\gamma_t}{\sqrt{G_t} + \epsilon}\, g_t",
    update_text="g = grad + weight_decay*theta; clr = lr / (1 + (t-1)*lr_decay); G += g^2; "
    "theta -= clr / (sqrt(G) + eps) * g",
    learning_rate="clr / (sqrt(G) + eps) per coordinate; the direction is the gradient (with weight decay).",
    hyperparameters=(
        _common.lr(1e-2),
        Hyperparameter("lr_decay", 0.0, "Learning-rate decay η: the base rate is lr / (1 + (t-1) η).", minimum=0.0),
        _common.weight_decay(),
        Hyperparameter(
            "initial_accumulator_value", 0.0, "Starting value G_0 of the squared-gradient sum.", minimum=0.0
        ),
        _common.eps(1e-10, "added to sqrt(G) in the denominator"),
        _common.MAXIMIZE,
    ),
    state_names=AdagradState._fields,
    init=init,
    step=step,
    scales_with_lr=True,
    notes=(
        "optax.adagrad starts the accumulator at 0.1 and puts eps inside the root "
        "(1/sqrt(G + eps)); torch starts at initial_accumulator_value (0) with eps outside, as here.",
    ),
)
