"""RMSProp: steps divided by a running root-mean-square of the gradients.

g_t = ±∇ + λ θ_{t-1}
v_t = α v_{t-1} + (1 − α) g_t²
ḡ_t = α ḡ_{t-1} + (1 − α) g_t,  v̄_t = v_t − ḡ_t²     (centered)
D_t = √v̄_t + ε   (centered)  |  √v_t + ε
b_t = μ b_{t-1} + g_t / D_t,  θ_t = θ_{t-1} − γ b_t   (momentum μ > 0)
θ_t = θ_{t-1} − γ g_t / D_t                            (otherwise)
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ..registry import Hyperparameter, Optimizer
from . import _common


class RMSpropState(NamedTuple):
    square_avg: np.ndarray
    grad_avg: np.ndarray
    momentum_buffer: np.ndarray


def init(params: np.ndarray, hyper: Any) -> RMSpropState:
    zeros = np.zeros_like(params)
    return RMSpropState(zeros, zeros, zeros)


def step(grad, params, state: RMSpropState, hyper, lr, t: int):
    g = -grad if hyper.maximize else grad
    if hyper.weight_decay != 0:
        g = g + hyper.weight_decay * params
    alpha = hyper.alpha
    square_avg = _common.square_average(state.square_avg, alpha, g)
    grad_avg = state.grad_avg
    if hyper.centered:
        grad_avg = _common.lerp(grad_avg, g, 1 - alpha)
        denom = np.sqrt(square_avg - grad_avg * grad_avg) + hyper.eps
    else:
        denom = np.sqrt(square_avg) + hyper.eps
    buf = state.momentum_buffer
    rate = lr / denom  # with momentum too: the rate follows D whatever momentum a schedule gives a step
    if hyper.momentum > 0:
        buf = hyper.momentum * buf + g / denom
        return -(lr * buf), rate, RMSpropState(square_avg, grad_avg, buf)
    return -(rate * g), rate, RMSpropState(square_avg, grad_avg, buf)


OPTIMIZER = Optimizer(
    name="rmsprop",
    title="RMSProp",
    summary="Steps divided by a running root-mean-square of recent gradients; optionally centered "
    "(divides by a variance estimate) and with momentum.",
    paper="Hinton, Srivastava & Swersky (2012), Neural Networks for Machine Learning, Lecture 6e; "
    "Graves (2013), Generating Sequences With Recurrent Neural Networks (centered form).",
    update_latex=r"v_t = \alpha v_{t-1} + (1-\alpha) g_t^2,\quad "
    r"D_t = \sqrt{v_t - [\bar g_t^2]_{\text{centered}}} + \epsilon,\quad "
    r"\theta_t = \theta_{t-1} - \gamma \cdot \begin{cases} b_t = \mu b_{t-1} + g_t / D_t & \mu > 0 \\ "
    r"g_t / D_t & \text{otherwise} \end{cases}",
    update_text="g = grad + weight_decay*theta; v = alpha*v + (1-alpha)*g^2; "
    "centered: gbar = alpha*gbar + (1-alpha)*g, D = sqrt(v - gbar^2) + eps, else D = sqrt(v) + eps; "
    "momentum: b = momentum*b + g/D, theta -= lr*b; else theta -= lr/D * g",
    learning_rate="lr / D per coordinate (D = sqrt(v) + eps, or sqrt(v - gbar^2) + eps when centered) "
    "with the gradient as direction. With momentum > 0 too: the step is then lr times the momentum buffer "
    "b of normalized gradients g / D, i.e. the rate times D * b.",
    hyperparameters=(
        _common.lr(1e-2),
        Hyperparameter(
            "alpha", 0.99, "Smoothing constant α of the squared-gradient average.", minimum=0.0, maximum=1.0
        ),
        _common.eps(1e-8, "added to the root (outside it) in the denominator"),
        _common.weight_decay(),
        Hyperparameter("momentum", 0.0, "Momentum factor μ.", minimum=0.0),
        Hyperparameter("centered", False, "Normalize by an estimate of the gradient's variance.", kind="bool"),
        _common.MAXIMIZE,
    ),
    state_names=RMSpropState._fields,
    init=init,
    step=step,
    scales_with_lr=True,
    notes=(
        "torch adds eps outside the root (sqrt(v) + eps); optax.rmsprop adds it inside "
        "(sqrt(v + eps)) and TensorFlow's RMSprop inside as well, so small-gradient steps differ.",
        "Under a momentum cycle rising from 0 (OneCycle with max_momentum 0) torch 2.13 raises KeyError: it creates "
        "the momentum buffer only when momentum > 0 at the first step. Here the buffer starts at zeros.",
    ),
)
