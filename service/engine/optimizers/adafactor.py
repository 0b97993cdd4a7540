"""Adafactor as torch.optim.Adafactor, for a parameter vector (no row/column factoring: one vector per run).

g_t = ±∇
β̂_t = 1 − t^τ                                   (τ = beta2_decay ≤ 0; so β̂_1 = 0)
v_t = β̂_t v_{t-1} + (1 − β̂_t) g_t²               (state `variance`)
ρ_t = min(γ, 1/√t),  α_t = max(ε₂, RMS(θ_{t-1})) ρ_t
θ ← θ_{t-1}(1 − γλ)                              (decoupled weight decay with the lr, not ρ_t)
u_t = g_t / √max(v_t, ε₁²),  û_t = u_t / max(1, RMS(u_t)/d)
θ_t = θ − α_t û_t

RMS(x) = ‖x‖/√D is taken over the coordinate axis, so the step is not elementwise.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ..registry import Hyperparameter, Optimizer
from . import _common

# torch's eps1 = None: torch.finfo(param.dtype).eps, float64 here.
FLOAT64_EPS = float(np.finfo(np.float64).eps)


class AdafactorState(NamedTuple):
    variance: np.ndarray


def init(params: np.ndarray, hyper: Any) -> AdafactorState:
    return AdafactorState(np.zeros_like(params))


def step(grad, params, state: AdafactorState, hyper, lr, t: int):
    g = -grad if hyper.maximize else grad
    eps1 = FLOAT64_EPS if hyper.eps1 is None else hyper.eps1
    weight = float(t) ** hyper.beta2_decay
    rho = np.minimum(lr, 1 / float(t) ** 0.5)
    alpha = np.maximum(hyper.eps2, _common.rms(params)) * rho
    decay = 0.0
    if hyper.weight_decay != 0:
        decay = -(lr * hyper.weight_decay) * params
    variance = _common.lerp(state.variance, g * g, weight)
    inv_root = 1 / np.sqrt(np.maximum(variance, eps1 * eps1))
    clip = np.maximum(1.0, _common.rms(inv_root * g) / hyper.d)
    rate = alpha / clip * inv_root
    return decay - rate * g, rate, AdafactorState(variance)


OPTIMIZER = Optimizer(
    name="adafactor",
    title="Adafactor",
    summary="RMS-normalized steps with a relative step size: proportional to the parameters' RMS, capped "
    "by lr and 1/sqrt(t), with update clipping; no first moment.",
    paper="Shazeer & Stern (2018), Adafactor: Adaptive Learning Rates with Sublinear Memory Cost, ICML.",
    update_latex=r"\hat\beta_{2,t} = 1 - t^{\tau},\quad v_t = \hat\beta_{2,t} v_{t-1} + (1-\hat\beta_{2,t}) g_t^2,"
    r"\quad \rho_t = \min(\gamma, 1/\sqrt t),\quad \alpha_t = \max(\epsilon_2, \mathrm{RMS}(\theta_{t-1}))\rho_t,"
    r"\quad u_t = \frac{g_t}{\sqrt{\max(v_t, \epsilon_1^2)}},\quad "
    r"\theta_t = \theta_{t-1}(1-\gamma\lambda) - \frac{\alpha_t}{\max(1, \mathrm{RMS}(u_t)/d)}\,u_t",
    update_text="w = t^beta2_decay; v = v + w*(g^2 - v); rho = min(lr, 1/sqrt(t)); "
    "alpha = max(eps2, RMS(theta)) * rho; theta *= 1 - lr*weight_decay; u = g / sqrt(max(v, eps1^2)); "
    "theta -= alpha / max(1, RMS(u)/d) * u  (RMS over the coordinates)",
    learning_rate="alpha / (max(1, RMS(u)/d) * sqrt(max(v, eps1^2))) per coordinate, with alpha = "
    "max(eps2, RMS(theta)) * min(lr, 1/sqrt(t)); the direction is the gradient. Decoupled decay "
    "-lr*weight_decay*theta is added outside that product.",
    hyperparameters=(
        Hyperparameter(
            "lr",
            1e-2,
            "Cap on the relative step size, rho_t = min(lr, 1/sqrt(t)), and the weight decay's multiplier "
            "(a schedule, if given, overrides it per step).",
            minimum=0.0,
        ),
        Hyperparameter(
            "beta2_decay",
            -0.8,
            "Exponent τ of the second-moment schedule: the new g^2 enters with weight t^τ (τ <= 0).",
            maximum=0.0,
        ),
        Hyperparameter(
            "eps1",
            None,
            "Floor on the root of the second moment: u = g / sqrt(max(v, eps1^2)). Null is torch's default, "
            "the machine epsilon of the dtype: 2.220446049250313e-16 for float64.",
            minimum=0.0,
            nullable=True,
            null_means="machine epsilon",
        ),
        Hyperparameter("eps2", 1e-3, "Floor on the parameters' RMS in the relative step size alpha.", minimum=0.0),
        Hyperparameter("d", 1.0, "Clipping threshold on the RMS of the normalized update (d >= 1).", minimum=1.0),
        _common.weight_decay(0.0, decoupled=True),
        _common.MAXIMIZE,
    ),
    state_names=AdafactorState._fields,
    init=init,
    step=step,
    elementwise=False,
    notes=(
        "torch deviates from the paper on lr: the paper has none (rho_t = min(0.01, 1/sqrt(t))); torch caps "
        "rho_t with lr and also uses lr (not rho_t) for the decoupled weight decay.",
        "eps1: the paper adds eps1 to g^2 before averaging; torch clamps the second moment at eps1^2 instead. "
        "optax.adafactor adds its eps (1e-30) to g^2, as the paper.",
        "torch's docstring says weight_decay defaults to 1e-2; the constructor's default is 0.0, which is used here.",
        "optax.adafactor is configured differently: learning_rate scales the step directly (no min with "
        "1/sqrt(t)), its decay schedule 1 - t^-0.8 is computed in float32, and its weight_decay_rate is not "
        "multiplied by the learning rate. Matrices are factored in both libraries; here every run is a vector.",
    ),
)
