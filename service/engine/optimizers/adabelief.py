"""AdaBelief (optax.adabelief): Adam whose second moment tracks the squared deviation from the momentum.

m_t = β₁ m_{t-1} + (1 − β₁) g_t                          (state `mu`)
s_t = β₂ s_{t-1} + (1 − β₂)(g_t − m_t)² + ε_root          (state `nu`; ε_root accumulates in the state)
m̂_t = m_t / (1 − β₁ᵗ)   or, with Nesterov,  β₁ m_t / (1 − β₁ᵗ⁺¹) + (1 − β₁) g_t / (1 − β₁ᵗ)
ŝ_t = s_t / (1 − β₂ᵗ)
θ_t = θ_{t-1} − γ m̂_t / (√ŝ_t + ε)
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ..registry import Hyperparameter, Optimizer
from . import _common


class AdaBeliefState(NamedTuple):
    mu: np.ndarray
    nu: np.ndarray


def init(params: np.ndarray, hyper: Any) -> AdaBeliefState:
    zeros = np.zeros_like(params)
    return AdaBeliefState(zeros, zeros)


def step(grad, params, state: AdaBeliefState, hyper, lr, t: int):
    beta1, beta2 = hyper.beta1, hyper.beta2
    mu = (1 - beta1) * grad + beta1 * state.mu
    error = grad - mu
    nu = (1 - beta2) * (error * error) + beta2 * state.nu + hyper.eps_root
    if hyper.nesterov:
        mu_hat = beta1 * (mu / _common.bias_correction(beta1, t + 1)) + (1 - beta1) * (
            grad / _common.bias_correction(beta1, t)
        )
    else:
        mu_hat = mu / _common.bias_correction(beta1, t)
    rate = lr / (np.sqrt(nu / _common.bias_correction(beta2, t)) + hyper.eps)
    return -(rate * mu_hat), rate, AdaBeliefState(mu, nu)


OPTIMIZER = Optimizer(
    name="adabelief",
    title="AdaBelief",
    summary="Adam with the second moment replaced by the variance of the gradient around its momentum "
    "(the 'belief'): large steps where the gradient agrees with its prediction, small where it surprises.",
    paper="Zhuang et al. (2020), AdaBelief Optimizer: Adapting Stepsizes by the Belief in Observed Gradients, NeurIPS.",
    update_latex=r"m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\quad "
    r"s_t = \beta_2 s_{t-1} + (1-\beta_2)(g_t - m_t)^2 + \epsilon_{\text{root}},\quad "
    r"\hat m_t = \frac{m_t}{1-\beta_1^t},\quad \hat s_t = \frac{s_t}{1-\beta_2^t},\quad "
    r"\theta_t = \theta_{t-1} - \frac{\gamma}{\sqrt{\hat s_t} + \epsilon}\,\hat m_t",
    update_text="m = beta1*m + (1-beta1)*g; s = beta2*s + (1-beta2)*(g - m)^2 + eps_root; "
    "m_hat = m/(1-beta1^t) (nesterov: beta1*m/(1-beta1^(t+1)) + (1-beta1)*g/(1-beta1^t)); "
    "s_hat = s/(1-beta2^t); theta -= lr/(sqrt(s_hat) + eps) * m_hat",
    learning_rate="lr / (sqrt(s_hat) + eps) per coordinate; the direction is the bias-corrected first moment "
    "m_hat (its Nesterov form when nesterov is on).",
    hyperparameters=(
        Hyperparameter(
            "lr",
            1e-3,
            "Learning rate (a schedule, if given, overrides it per step). optax has no default.",
            minimum=0.0,
        ),
        _common.beta("beta1", 0.9, "first moment (momentum)"),
        _common.beta("beta2", 0.999, "squared deviation from the momentum"),
        _common.eps(1e-16, "added to sqrt(s_hat) in the denominator"),
        Hyperparameter(
            "eps_root",
            1e-16,
            "Term added to the second moment s at every step (it accumulates in the state; the paper adds its "
            "eps here and uses 0 outside).",
            minimum=0.0,
        ),
        Hyperparameter("nesterov", False, "Use Nesterov momentum for the first moment.", kind="bool"),
    ),
    state_names=AdaBeliefState._fields,
    reference="optax 0.2.8",
    init=init,
    step=step,
    scales_with_lr=True,
    notes=(
        "eps placement: the paper's Algorithm 2 adds the same eps inside the second moment at every step "
        "(s_t = ... + eps) and again outside the root; optax splits it into eps_root (inside, accumulating in "
        "the state nu, so part of the recorded nu) and eps (outside), both 1e-16 by default, and its docstring "
        "gives the paper's values as eps = 1e-8, eps_root = 0.",
        "optax.adabelief has no weight decay, no AMSGrad and no maximize option; the reference implementation "
        "(adabelief-pytorch) has decoupled weight decay, amsgrad and rectification switches.",
        "The deviation uses the updated momentum m_t (g_t - m_t), as in the paper.",
    ),
)
