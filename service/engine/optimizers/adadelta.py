"""Adadelta: steps scaled by the ratio of two running RMS's, of past updates and of gradients.

g_t = ±∇ + λ θ_{t-1}
v_t = ρ v_{t-1} + (1 − ρ) g_t²                       (state `square_avg`)
Δ_t = √(u_{t-1} + ε) / √(v_t + ε) · g_t
u_t = ρ u_{t-1} + (1 − ρ) Δ_t²                       (state `acc_delta`)
θ_t = θ_{t-1} − γ Δ_t
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ..registry import Hyperparameter, Optimizer
from . import _common


class AdadeltaState(NamedTuple):
    square_avg: np.ndarray
    acc_delta: np.ndarray


def init(params: np.ndarray, hyper: Any) -> AdadeltaState:
    zeros = np.zeros_like(params)
    return AdadeltaState(zeros, zeros)


def step(grad, params, state: AdadeltaState, hyper, lr, t: int):
    g = -grad if hyper.maximize else grad
    if hyper.weight_decay != 0:
        g = g + hyper.weight_decay * params
    rho, eps = hyper.rho, hyper.eps
    square_avg = _common.square_average(state.square_avg, rho, g)
    ratio = np.sqrt(state.acc_delta + eps) / np.sqrt(square_avg + eps)
    delta = ratio * g
    acc_delta = _common.square_average(state.acc_delta, rho, delta)
    rate = lr * ratio
    return -(lr * delta), rate, AdadeltaState(square_avg, acc_delta)


OPTIMIZER = Optimizer(
    name="adadelta",
    title="Adadelta",
    summary="Per-coordinate steps sized by the ratio of the running RMS of past updates to the running RMS "
    "of gradients, so the step has the parameters' units and needs little lr tuning.",
    paper="Zeiler (2012), ADADELTA: An Adaptive Learning Rate Method, arXiv:1212.5701.",
    update_latex=r"v_t = \rho v_{t-1} + (1-\rho) g_t^2,\quad "
    r"\Delta_t = \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}}\, g_t,\quad "
    r"u_t = \rho u_{t-1} + (1-\rho)\Delta_t^2,\quad \theta_t = \theta_{t-1} - \gamma\Delta_t",
    update_text="g = grad + weight_decay*theta; v = rho*v + (1-rho)*g^2; "
    "delta = sqrt(u + eps)/sqrt(v + eps) * g; u = rho*u + (1-rho)*delta^2; theta -= lr*delta",
    learning_rate="lr * sqrt(u + eps) / sqrt(v + eps) per coordinate (the RMS ratio, with u the accumulated "
    "squared updates before this step); the direction is the gradient (with weight decay).",
    hyperparameters=(
        _common.lr(1.0),
        Hyperparameter(
            "rho",
            0.9,
            "Decay rate ρ of both running averages (squared gradients and squared updates).",
            minimum=0.0,
            maximum=1.0,
        ),
        _common.eps(1e-6, "added inside both roots (sqrt(u + eps) / sqrt(v + eps))"),
        _common.weight_decay(),
        _common.MAXIMIZE,
    ),
    state_names=AdadeltaState._fields,
    init=init,
    step=step,
    scales_with_lr=True,
    notes=(
        "The paper has no learning rate; torch multiplies the step by lr (default 1.0, so the paper's rule) and "
        "optax.adadelta by learning_rate. eps sits inside both roots in torch, optax and the paper alike.",
        "The accumulated squared updates u hold the step before lr is applied: with lr != 1 the update RMS "
        "that feeds the next ratio is not the parameters' actual change.",
        "The paper's suggested values (rho 0.95, eps 1e-6) differ from torch's default rho 0.9.",
    ),
)
