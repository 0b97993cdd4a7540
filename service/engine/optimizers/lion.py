"""Lion (optax.lion): the sign of an interpolation of momentum and gradient, with decoupled weight decay.

c_t = sign(β₁ m_{t-1} + (1 − β₁) g_t)             (sign(0) = 0)
m_t = β₂ m_{t-1} + (1 − β₂) g_t                  (state `mu`)
θ_t = θ_{t-1} − γ (c_t + λ θ_{t-1})
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ..registry import Hyperparameter, Optimizer


class LionState(NamedTuple):
    mu: np.ndarray


def init(params: np.ndarray, hyper: Any) -> LionState:
    return LionState(np.zeros_like(params))


def step(grad, params, state: LionState, hyper, lr, t: int):
    direction = np.sign((1.0 - hyper.beta1) * grad + hyper.beta1 * state.mu)
    if hyper.weight_decay != 0:
        direction = direction + hyper.weight_decay * params
    mu = (1 - hyper.beta2) * grad + hyper.beta2 * state.mu
    rate = np.zeros_like(grad) + lr
    return -(rate * direction), rate, LionState(mu)


OPTIMIZER = Optimizer(
    name="lion",
    title="Lion",
    summary="Evolved sign momentum: every coordinate moves by exactly lr (plus decay) in the sign of a blend "
    "of the momentum and the current gradient; the momentum itself uses a slower second rate.",
    paper="Chen et al. (2023), Symbolic Discovery of Optimization Algorithms, NeurIPS.",
    update_latex=r"c_t = \operatorname{sign}(\beta_1 m_{t-1} + (1-\beta_1) g_t),\quad "
    r"m_t = \beta_2 m_{t-1} + (1-\beta_2) g_t,\quad \theta_t = \theta_{t-1} - \gamma (c_t + \lambda\theta_{t-1})",
    update_text="c = sign(beta1*m + (1-beta1)*g); m = beta2*m + (1-beta2)*g; theta -= lr * (c + weight_decay*theta)",
    learning_rate="lr itself, the same for every coordinate; the direction is sign(beta1*m + (1-beta1)*g) plus "
    "weight_decay*theta (optax adds the decay to the direction before scaling by lr).",
    hyperparameters=(
        Hyperparameter(
            "lr",
            1e-3,
            "Learning rate (a schedule, if given, overrides it per step). optax has no default; Lion usually "
            "needs an lr 3-10x smaller than AdamW's.",
            minimum=0.0,
        ),
        Hyperparameter(
            "beta1", 0.9, "Interpolation between momentum and gradient inside the sign.", minimum=0.0, maximum=1.0
        ),
        Hyperparameter("beta2", 0.99, "Decay rate of the momentum.", minimum=0.0, maximum=1.0),
        Hyperparameter(
            "weight_decay",
            1e-3,
            "Decoupled weight decay: weight_decay * params is added to the sign step, then scaled by lr.",
            minimum=0.0,
        ),
    ),
    state_names=LionState._fields,
    reference="optax 0.2.8",
    init=init,
    step=step,
    scales_with_lr=True,
    notes=(
        "optax.lion has no maximize option and no default learning rate; 1e-3 is used here. Its default "
        "weight_decay is 1e-3 (the paper's experiments use larger values with smaller lr: the decay per "
        "step is lr * weight_decay).",
        "b1 mixes the gradient into the sign and b2 updates the momentum, as in the paper; sign(0) = 0, so a "
        "zero gradient with zero momentum does not move (apart from decay).",
        "No bias correction: the first step's sign uses (1 - beta1)*g only, which has the sign of g.",
    ),
)
