"""Yogi (optax.yogi): Adam whose second moment moves additively, by at most (1 − β₂) g² per step.

m_t = β₁ m_{t-1} + (1 − β₁) g_t                          (m_0 = initial_accumulator_value; state `mu`)
v_t = v_{t-1} − (1 − β₂) sign(v_{t-1} − g_t²) g_t²        (v_0 = initial_accumulator_value; state `nu`)
m̂_t = m_t / (1 − β₁ᵗ),  v̂_t = v_t / (1 − β₂ᵗ)
θ_t = θ_{t-1} − γ m̂_t / (√(v̂_t + ε_root) + ε)
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ..registry import Hyperparameter, Optimizer
from . import _common


class YogiState(NamedTuple):
    mu: np.ndarray
    nu: np.ndarray


def init(params: np.ndarray, hyper: Any) -> YogiState:
    start = np.zeros_like(params) + hyper.initial_accumulator_value
    return YogiState(start, start)


def step(grad, params, state: YogiState, hyper, lr, t: int):
    beta1, beta2 = hyper.beta1, hyper.beta2
    mu = (1 - beta1) * grad + beta1 * state.mu
    square = grad * grad
    nu = state.nu - (1 - beta2) * np.sign(state.nu - square) * square
    mu_hat = mu / _common.bias_correction(beta1, t)
    rate = lr / (np.sqrt(nu / _common.bias_correction(beta2, t) + hyper.eps_root) + hyper.eps)
    return -(rate * mu_hat), rate, YogiState(mu, nu)


OPTIMIZER = Optimizer(
    name="yogi",
    title="Yogi",
    summary="Adam with an additive second-moment update: v moves towards g^2 by at most (1 - beta2) g^2 per "
    "step, so a burst of large gradients cannot make the effective rate collapse or jump.",
    paper="Zaheer et al. (2018), Adaptive Methods for Nonconvex Optimization, NeurIPS.",
    update_latex=r"m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\quad "
    r"v_t = v_{t-1} - (1-\beta_2)\operatorname{sign}(v_{t-1} - g_t^2)\, g_t^2,\quad "
    r"\theta_t = \theta_{t-1} - \frac{\gamma}{\sqrt{v_t/(1-\beta_2^t) + \epsilon_{\text{root}}} + \epsilon}"
    r"\,\frac{m_t}{1-\beta_1^t}",
    update_text="m = beta1*m + (1-beta1)*g; v = v - (1-beta2)*sign(v - g^2)*g^2 (m and v start at "
    "initial_accumulator_value); m_hat = m/(1-beta1^t); v_hat = v/(1-beta2^t); "
    "theta -= lr/(sqrt(v_hat + eps_root) + eps) * m_hat",
    learning_rate="lr / (sqrt(v_hat + eps_root) + eps) per coordinate; the direction is the bias-corrected first "
    "moment m_hat.",
    hyperparameters=(
        Hyperparameter(
            "lr",
            1e-3,
            "Learning rate (a schedule, if given, overrides it per step). optax has no default.",
            minimum=0.0,
        ),
        _common.beta("beta1", 0.9, "first moment (momentum)"),
        _common.beta("beta2", 0.999, "second moment (the most v moves per step, as a fraction of g^2)"),
        _common.eps(1e-3, "added to the root in the denominator (optax's default 1e-3, not Adam's 1e-8)"),
        Hyperparameter(
            "eps_root",
            0.0,
            "Term added to v_hat inside the root (optax.scale_by_yogi; optax.yogi fixes it at 0).",
            minimum=0.0,
        ),
        Hyperparameter(
            "initial_accumulator_value",
            1e-6,
            "Starting value of both moments m and v (optax.scale_by_yogi; optax.yogi fixes it at 1e-6).",
            minimum=0.0,
        ),
    ),
    state_names=YogiState._fields,
    reference="optax 0.2.8",
    init=init,
    step=step,
    scales_with_lr=True,
    notes=(
        "optax.yogi exposes only learning_rate, b1, b2 and eps; eps_root and initial_accumulator_value come "
        "from optax.scale_by_yogi, which optax.yogi chains with the learning rate at their defaults.",
        "optax starts BOTH moments at initial_accumulator_value (1e-6), the first moment included, and still "
        "divides them by the bias corrections 1 - beta^t, which assume zero starts: the first step's m_hat is "
        "g + 9e-6 rather than g (beta1 = 0.9).",
        "eps defaults to 1e-3 in optax.yogi (the paper's suggestion), five orders of magnitude above Adam's: "
        "small gradients take much smaller steps than under Adam.",
    ),
)
