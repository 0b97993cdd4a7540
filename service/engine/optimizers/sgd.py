"""Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and L2 weight decay.

    g_t = ±∇ + λ θ_{t-1}
    b_1 = g_1,  b_t = μ b_{t-1} + (1 − τ) g_t           (momentum μ > 0)
    d_t = g_t + μ b_t  (Nesterov)  |  b_t  (momentum)  |  g_t  (plain)
    θ_t = θ_{t-1} − γ d_t

As torch.optim.SGD: the first momentum step copies the gradient into the buffer without dampening.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ..registry import Hyperparameter, Optimizer
from . import _common


class SGDState(NamedTuple):
    momentum_buffer: np.ndarray


def init(params: np.ndarray, hyper: Any) -> SGDState:
    return SGDState(np.zeros_like(params))


def step(grad, params, state: SGDState, hyper, lr, t: int):
    g = -grad if hyper.maximize else grad
    if hyper.weight_decay != 0:
        g = g + hyper.weight_decay * params
    buf = state.momentum_buffer
    if hyper.momentum != 0:
        buf = g if t == 1 else hyper.momentum * buf + (1 - hyper.dampening) * g
        g = g + hyper.momentum * buf if hyper.nesterov else buf
    return -(lr * g), lr, SGDState(buf)


def constraints(hyper: Any) -> list[tuple[str, str]]:
    if hyper.nesterov and (hyper.momentum <= 0 or hyper.dampening != 0):
        return [("nesterov", "Nesterov momentum requires momentum > 0 and dampening = 0")]
    return []


OPTIMIZER = Optimizer(
    name="sgd",
    title="SGD",
    summary="Gradient descent with a fixed step, optional (Nesterov) momentum and L2 weight decay.",
    paper="Robbins & Monro (1951), A Stochastic Approximation Method; Sutskever et al. (2013), "
    "On the importance of initialization and momentum in deep learning.",
    update_latex=r"g_t = \nabla f(\theta_{t-1}) + \lambda\theta_{t-1},\quad "
    r"b_t = \mu b_{t-1} + (1-\tau) g_t\ (b_1 = g_1),\quad "
    r"\theta_t = \theta_{t-1} - \gamma \cdot \begin{cases} g_t + \mu b_t & \text{nesterov} \\ "
    r"b_t & \mu > 0 \\ g_t & \text{otherwise} \end{cases}",
    update_text="g = grad + weight_decay*theta; b = momentum*b + (1-dampening)*g (b = g at step 1); "
    "theta -= lr * (g + momentum*b if nesterov else b if momentum else g)",
    learning_rate="lr itself, the same for every coordinate; the direction is the gradient "
    "(with weight decay), or the momentum buffer when momentum > 0 (g + momentum*b with Nesterov).",
    hyperparameters=(
        _common.lr(1e-3),
        Hyperparameter("momentum", 0.0, "Momentum factor μ.", minimum=0.0),
        Hyperparameter(
            "dampening", 0.0, "Dampening τ applied to the gradient in the momentum buffer.", minimum=0.0, maximum=1.0
        ),
        _common.weight_decay(),
        Hyperparameter("nesterov", False, "Use Nesterov momentum (needs momentum > 0, dampening = 0).", kind="bool"),
        _common.MAXIMIZE,
    ),
    state_names=SGDState._fields,
    init=init,
    step=step,
    scales_with_lr=True,
    constraints=constraints,
    notes=(
        "torch copies the first gradient into the momentum buffer undamped; optax's trace starts "
        "from zeros, so their first momentum steps differ by the factor (1 - dampening).",
        "The buffer is created at step 1; torch creates it at the first step whose momentum is not 0. They "
        "differ only for a momentum schedule rising from 0 with dampening > 0 (OneCycle with "
        "max_momentum = 0), which the service refuses.",
    ),
)
