"""RAdam: Adam whose adaptive step is switched on, and rectified, once its variance is tractable.

g_t = ±∇ + λ θ_{t-1}                      (or θ ← θ(1 − γλ) when decoupled)
m_t = β₁ m_{t-1} + (1 − β₁) g_t,  v_t = β₂ v_{t-1} + (1 − β₂) g_t²,  m̂_t = m_t / (1 − β₁ᵗ)
ρ_∞ = 2/(1 − β₂) − 1,  ρ_t = ρ_∞ − 2t β₂ᵗ / (1 − β₂ᵗ)
r_t = √((ρ_t − 4)(ρ_t − 2) ρ_∞ / ((ρ_∞ − 4)(ρ_∞ − 2) ρ_t))
θ_t = θ_{t-1} − γ r_t √(1 − β₂ᵗ) / (√v_t + ε) · m̂_t     if ρ_t > 5
θ_t = θ_{t-1} − γ m̂_t                                   otherwise
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ..registry import Optimizer
from . import _common


class RAdamState(NamedTuple):
    exp_avg: np.ndarray
    exp_avg_sq: np.ndarray


def init(params: np.ndarray, hyper: Any) -> RAdamState:
    zeros = np.zeros_like(params)
    return RAdamState(zeros, zeros)


def step(grad, params, state: RAdamState, hyper, lr, t: int):
    g = -grad if hyper.maximize else grad
    decay = 0.0
    if hyper.weight_decay != 0:
        if hyper.decoupled_weight_decay:
            decay = -(lr * hyper.weight_decay) * params
        else:
            g = g + hyper.weight_decay * params
    beta1, beta2 = hyper.beta1, hyper.beta2
    exp_avg = _common.lerp(state.exp_avg, g, 1 - beta1)
    exp_avg_sq = _common.square_average(state.exp_avg_sq, beta2, g)
    correction2 = 1 - beta2**t
    rho_inf = 2 / (1 - beta2) - 1
    rho_t = rho_inf - 2 * t * beta2**t / correction2
    rectified = rho_t > 5.0
    # Both branches are evaluated (np.where); the guards keep the unused one free of 0/0 and sqrt(<0).
    ratio = (rho_t - 4) * (rho_t - 2) * rho_inf / np.where(rectified, (rho_inf - 4) * (rho_inf - 2) * rho_t, 1.0)
    rect = np.sqrt(np.where(rectified, ratio, 1.0))
    adaptive = rect * np.sqrt(correction2) / (np.sqrt(exp_avg_sq) + hyper.eps)
    rate = lr * np.where(rectified, adaptive, 1.0)
    update = decay - rate * (exp_avg / _common.bias_correction(beta1, t))
    return update, rate, RAdamState(exp_avg, exp_avg_sq)


OPTIMIZER = Optimizer(
    name="radam",
    title="RAdam",
    summary="Adam with a variance rectification: plain momentum SGD for the first steps, then an adaptive "
    "step scaled by r_t, which grows towards 1 as the second-moment estimate becomes reliable.",
    paper="Liu et al. (2020), On the Variance of the Adaptive Learning Rate and Beyond, ICLR.",
    update_latex=r"\rho_\infty = \frac{2}{1-\beta_2} - 1,\quad \rho_t = \rho_\infty - \frac{2t\beta_2^t}{1-\beta_2^t},"
    r"\quad r_t = \sqrt{\frac{(\rho_t-4)(\rho_t-2)\rho_\infty}{(\rho_\infty-4)(\rho_\infty-2)\rho_t}},\quad "
    r"\theta_t = \theta_{t-1} - \gamma\,\hat m_t \cdot \begin{cases} \dfrac{r_t\sqrt{1-\beta_2^t}}{\sqrt{v_t} + "
    r"\epsilon} & \rho_t > 5 \\ 1 & \text{otherwise} \end{cases}",
    update_text="g = grad + weight_decay*theta (or theta *= 1 - lr*weight_decay when decoupled); "
    "m = beta1*m + (1-beta1)*g; v = beta2*v + (1-beta2)*g^2; m_hat = m/(1-beta1^t); "
    "rho_inf = 2/(1-beta2) - 1; rho_t = rho_inf - 2t*beta2^t/(1-beta2^t); if rho_t > 5: "
    "r = sqrt((rho_t-4)(rho_t-2)rho_inf/((rho_inf-4)(rho_inf-2)rho_t)), "
    "theta -= lr*r*sqrt(1-beta2^t)/(sqrt(v) + eps) * m_hat; else theta -= lr * m_hat",
    learning_rate="lr * r_t * sqrt(1-beta2^t) / (sqrt(v) + eps) per coordinate once rho_t > 5 (from step 6 for "
    "beta2 >= 0.9), lr itself before; the direction is the bias-corrected first moment m_hat.",
    hyperparameters=(
        _common.lr(1e-3),
        _common.beta("beta1", 0.9, "first moment (momentum)"),
        _common.beta("beta2", 0.999, "second moment"),
        _common.eps(1e-8, "added to the uncorrected sqrt(v) in the denominator"),
        _common.weight_decay(),
        _common.DECOUPLED_WEIGHT_DECAY,
        _common.MAXIMIZE,
    ),
    state_names=RAdamState._fields,
    init=init,
    step=step,
    scales_with_lr=True,
    notes=(
        "Rectification threshold: torch switches the adaptive step on when rho_t > 5 (strictly); optax.radam "
        "when rho_t >= threshold (5 by default, adjustable); the paper's Algorithm 2 when rho_t > 4, the authors' "
        "code when rho_t >= 5. For 0.85 <= beta2 < 1, torch and optax switch on at step 6, the paper at step 5.",
        "eps placement: torch adds eps to the uncorrected sqrt(v) and multiplies by sqrt(1-beta2^t) outside "
        "(lr*r*sqrt(1-beta2^t)/(sqrt(v)+eps)); optax.radam adds it after bias correction "
        "(r/(sqrt(v_hat + eps_root) + eps)) like Adam. The two differ while sqrt(v) is comparable to eps.",
        "With beta2 <= 2/3 (rho_inf <= 5, never exceeded by rho_t) the adaptive step never switches on in "
        "torch or here (the paper's > 4 rule: beta2 <= 0.6): RAdam is momentum SGD with a bias-corrected first "
        "moment.",
    ),
)
