"""Adamax: Adam with the infinity norm in place of the root-mean-square.

g_t = ±∇ + λ θ_{t-1}
m_t = β₁ m_{t-1} + (1 − β₁) g_t
u_t = max(β₂ u_{t-1}, |g_t| + ε)          (torch puts ε inside the max)
θ_t = θ_{t-1} − γ / (1 − β₁ᵗ) · m_t / u_t

Its effective learning rate is γ / u_t, Adam's convention (η = γ over the denominator, the direction the
bias-corrected first moment m_t / (1 − β₁ᵗ)).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ..registry import Optimizer
from . import _common


class AdamaxState(NamedTuple):
    exp_avg: np.ndarray
    exp_inf: np.ndarray


def init(params: np.ndarray, hyper: Any) -> AdamaxState:
    zeros = np.zeros_like(params)
    return AdamaxState(zeros, zeros)


def step(grad, params, state: AdamaxState, hyper, lr, t: int):
    g = -grad if hyper.maximize else grad
    if hyper.weight_decay != 0:
        g = g + hyper.weight_decay * params
    exp_avg = _common.lerp(state.exp_avg, g, 1 - hyper.beta1)
    exp_inf = np.maximum(hyper.beta2 * state.exp_inf, np.abs(g) + hyper.eps)
    # torch's order: addcdiv(exp_avg, exp_inf, value=-clr) computes (-clr * m) / u
    update = -((lr / _common.bias_correction(hyper.beta1, t)) * exp_avg / exp_inf)
    return update, lr / exp_inf, AdamaxState(exp_avg, exp_inf)


OPTIMIZER = Optimizer(
    name="adamax",
    title="Adamax",
    summary="Adam's variant normalized by an exponentially weighted infinity norm (a decaying maximum of "
    "|g|) instead of a root-mean-square.",
    paper="Kingma & Ba (2015), Adam: A Method for Stochastic Optimization, ICLR (Section 7.1, AdaMax).",
    update_latex=r"m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\quad u_t = \max(\beta_2 u_{t-1}, |g_t| + \epsilon),"
    r"\quad \theta_t = \theta_{t-1} - \frac{\gamma}{(1-\beta_1^t)\, u_t}\, m_t",
    update_text="g = grad + weight_decay*theta; m = beta1*m + (1-beta1)*g; u = max(beta2*u, |g| + eps); "
    "theta -= lr/(1-beta1^t) / u * m",
    learning_rate="lr / u per coordinate, as Adam's lr over its denominator; the direction is the "
    "bias-corrected first moment m_hat = m / (1 - beta1^t).",
    hyperparameters=(
        _common.lr(2e-3),
        _common.beta("beta1", 0.9, "first moment (momentum)"),
        _common.beta("beta2", 0.999, "infinity norm"),
        _common.eps(1e-8, "added to |g| inside the max (u = max(beta2*u, |g| + eps))"),
        _common.weight_decay(),
        _common.MAXIMIZE,
    ),
    state_names=AdamaxState._fields,
    init=init,
    step=step,
    scales_with_lr=True,
    notes=(
        "The paper has no eps (u = max(beta2*u, |g|)); torch and optax.adamax add eps to |g| inside the "
        "max, so eps is a floor on u rather than a term added to the denominator.",
        "Default lr is 2e-3 (the paper's), not Adam's 1e-3.",
    ),
)
