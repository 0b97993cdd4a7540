"""ASGD: SGD with a decaying step size and a running (Polyak–Ruppert) average of the iterates.

g_t = ±∇ + λ_wd θ_{t-1}
θ_t = θ_{t-1}(1 − λ η_{t-1}) − η_{t-1} g_t         (η_0 = γ, the lr in force at the first step)
a_t = θ_t if μ_{t-1} = 1 else a_{t-1} + μ_{t-1}(θ_t − a_{t-1})     (μ_0 = 1; state `ax`)
η_t = γ_t / (1 + λ γ_t t)^α,  μ_t = 1 / max(1, t − t₀)

η and μ are per-run scalars, stored broadcast to the parameters' shape; the step at t uses the values
computed at t − 1, as torch does.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ..registry import Hyperparameter, Optimizer
from . import _common


class ASGDState(NamedTuple):
    eta: np.ndarray
    mu: np.ndarray
    ax: np.ndarray


def init(params: np.ndarray, hyper: Any) -> ASGDState:
    zeros = np.zeros_like(params)
    return ASGDState(zeros + hyper.lr, zeros + 1.0, zeros)


def step(grad, params, state: ASGDState, hyper, lr, t: int):
    g = -grad if hyper.maximize else grad
    if hyper.weight_decay != 0:
        g = g + hyper.weight_decay * params
    # torch sets eta to the lr in force at the first step (a schedule's first value).
    eta = np.zeros_like(g) + lr if t == 1 else state.eta
    new_params = params * (1 - hyper.lambd * eta) - eta * g
    ax = np.where(state.mu == 1, new_params, state.ax + (new_params - state.ax) * state.mu)
    new_eta = np.zeros_like(eta) + lr / (1 + hyper.lambd * lr * t) ** hyper.alpha
    new_mu = np.zeros_like(eta) + 1 / np.maximum(1.0, t - hyper.t0)
    return new_params - params, eta, ASGDState(new_eta, new_mu, ax)


OPTIMIZER = Optimizer(
    name="asgd",
    title="ASGD",
    summary="Averaged SGD: steps with a slowly decaying rate eta_t and, after t0 steps, keeps a running "
    "average ax of the iterates (reported in the state; the parameters themselves are not averaged).",
    paper="Polyak & Juditsky (1992), Acceleration of Stochastic Approximation by Averaging, SIAM J. Control "
    "Optim. 30(4); Bottou (2012), Stochastic Gradient Descent Tricks (the eta_t schedule).",
    update_latex=r"\theta_t = \theta_{t-1}(1 - \lambda\eta_{t-1}) - \eta_{t-1} g_t,\quad "
    r"a_t = a_{t-1} + \mu_{t-1}(\theta_t - a_{t-1}),\quad "
    r"\eta_t = \frac{\gamma}{(1 + \lambda\gamma t)^{\alpha}},\quad \mu_t = \frac{1}{\max(1, t - t_0)}",
    update_text="g = grad + weight_decay*theta; theta = theta*(1 - lambd*eta) - eta*g; "
    "ax = theta if mu == 1 else ax + mu*(theta - ax); eta = lr/(1 + lambd*lr*t)^alpha; "
    "mu = 1/max(1, t - t0)  (eta starts at lr, mu at 1)",
    learning_rate="eta, the same for every coordinate (the value computed at the previous step; lr at step 1); "
    "the direction is the gradient (with weight decay). The shrink -lambd*eta*theta is added outside that "
    "product.",
    hyperparameters=(
        _common.lr(1e-2),
        Hyperparameter(
            "lambd", 1e-4, "Decay term λ: of the step size's schedule and of the parameters' shrink.", minimum=0.0
        ),
        Hyperparameter("alpha", 0.75, "Power α of the step size's decay.", minimum=0.0),
        Hyperparameter(
            "t0",
            1e6,
            "Averaging start: mu_t = 1/max(1, t - t0), so for an integer t0 the average ax stops copying the "
            "parameters at step t0 + 3 (mu acts one step late).",
        ),
        _common.weight_decay(),
        _common.MAXIMIZE,
    ),
    state_names=ASGDState._fields,
    init=init,
    step=step,
    notes=(
        "torch's eta and mu act with a one-step lag: the step at t uses eta and mu computed at t - 1, and the "
        "schedule's lr enters eta only through that formula (one step late).",
        "torch's defaults (t0 = 1e6) never start averaging in practice: ax just copies the parameters.",
        "The trajectory of the parameters does not depend on t0; only the average ax does.",
        "torch does not validate lambd or alpha; negative values are rejected here (a negative lambd can make "
        "1 + lambd*lr*t negative, which has no real fractional power; a negative alpha grows the step size).",
    ),
)
