"""NAdam: Adam with Nesterov momentum and Dozat's momentum schedule, as torch.optim.NAdam.

g_t = ±∇ + λ θ_{t-1}                      (or θ ← θ(1 − γλ) when decoupled)
μ_t = β₁ (1 − ½ · 0.96^(t ψ))              (ψ = momentum_decay)
Π_t = μ_1 ⋯ μ_t                            (state `mu_product`)
m_t = β₁ m_{t-1} + (1 − β₁) g_t,  v_t = β₂ v_{t-1} + (1 − β₂) g_t²
m̄_t = (1 − μ_t)/(1 − Π_t) · g_t + μ_{t+1}/(1 − Π_t μ_{t+1}) · m_t
θ_t = θ_{t-1} − γ m̄_t / (√(v_t / (1 − β₂ᵗ)) + ε)
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ..registry import Hyperparameter, Optimizer
from . import _common


class NAdamState(NamedTuple):
    exp_avg: np.ndarray
    exp_avg_sq: np.ndarray
    mu_product: np.ndarray  # the scalar product of the momentum schedule, broadcast to the params' shape


def init(params: np.ndarray, hyper: Any) -> NAdamState:
    zeros = np.zeros_like(params)
    return NAdamState(zeros, zeros, zeros + 1.0)


def step(grad, params, state: NAdamState, hyper, lr, t: int):
    g = -grad if hyper.maximize else grad
    decay = 0.0
    if hyper.weight_decay != 0:
        if hyper.decoupled_weight_decay:
            decay = -(lr * hyper.weight_decay) * params
        else:
            g = g + hyper.weight_decay * params
    beta1, beta2 = hyper.beta1, hyper.beta2
    mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * hyper.momentum_decay))
    mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * hyper.momentum_decay))
    mu_product = state.mu_product * mu
    exp_avg = _common.lerp(state.exp_avg, g, 1 - beta1)
    exp_avg_sq = _common.square_average(state.exp_avg_sq, beta2, g)
    rate = lr / (np.sqrt(exp_avg_sq / _common.bias_correction(beta2, t)) + hyper.eps)
    direction = (1.0 - mu) / (1.0 - mu_product) * g + mu_next / (1.0 - mu_product * mu_next) * exp_avg
    return decay - rate * direction, rate, NAdamState(exp_avg, exp_avg_sq, mu_product)


OPTIMIZER = Optimizer(
    name="nadam",
    title="NAdam",
    summary="Adam with Nesterov momentum: the step mixes the current gradient and the look-ahead first "
    "moment, under Dozat's slowly warming momentum schedule.",
    paper="Dozat (2016), Incorporating Nesterov Momentum into Adam, ICLR workshop.",
    update_latex=r"\mu_t = \beta_1\left(1 - \tfrac12\, 0.96^{t\psi}\right),\quad \Pi_t = \prod_{i\le t}\mu_i,\quad "
    r"m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\quad v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2,\quad "
    r"\bar m_t = \frac{1-\mu_t}{1-\Pi_t} g_t + \frac{\mu_{t+1}}{1-\Pi_t\mu_{t+1}} m_t,\quad "
    r"\theta_t = \theta_{t-1} - \frac{\gamma}{\sqrt{v_t/(1-\beta_2^t)} + \epsilon}\,\bar m_t",
    update_text="g = grad + weight_decay*theta (or theta *= 1 - lr*weight_decay when decoupled); "
    "mu_t = beta1*(1 - 0.5*0.96^(t*momentum_decay)); mu_product *= mu_t; m = beta1*m + (1-beta1)*g; "
    "v = beta2*v + (1-beta2)*g^2; mbar = (1-mu_t)/(1-mu_product)*g + mu_{t+1}/(1-mu_product*mu_{t+1})*m; "
    "theta -= lr/(sqrt(v/(1-beta2^t)) + eps) * mbar",
    learning_rate="lr / (sqrt(v_hat) + eps) per coordinate, as Adam; the direction is the Nesterov mix mbar of "
    "the current gradient and the first moment. Decoupled decay, if on, is added outside that product.",
    hyperparameters=(
        _common.lr(2e-3),
        _common.beta("beta1", 0.9, "first moment (momentum)"),
        _common.beta("beta2", 0.999, "second moment"),
        _common.eps(1e-8, "added to sqrt(v_hat) in the denominator"),
        _common.weight_decay(),
        Hyperparameter(
            "momentum_decay",
            4e-3,
            "Momentum schedule speed ψ: mu_t = beta1*(1 - 0.5*0.96^(t*psi)); 0 keeps mu_t = beta1/2.",
            minimum=0.0,
        ),
        _common.DECOUPLED_WEIGHT_DECAY,
        _common.MAXIMIZE,
    ),
    state_names=NAdamState._fields,
    init=init,
    step=step,
    scales_with_lr=True,
    notes=(
        "Momentum schedule: torch uses mu_t = beta1*(1 - 0.5*0.96^(t*momentum_decay)), starting near beta1/2 "
        "and approaching beta1 only after thousands of steps (0.96^(t*0.004) halves at t ~ 4245); "
        "optax.nadam (adam with nesterov=True) uses a constant beta1 with Adam's bias corrections, "
        "mhat = beta1*m/(1-beta1^(t+1)) + (1-beta1)*g/(1-beta1^t), so the two differ from the first step.",
        "torch bias-corrects the first moment with the product of the scheduled mu's (mu_product), not with "
        "1 - beta1^t, and does not use Dozat's extra beta2 factor on v_hat (neither does optax).",
        "momentum_decay = 0 does not give a constant beta1: it freezes mu_t at beta1/2.",
    ),
)
