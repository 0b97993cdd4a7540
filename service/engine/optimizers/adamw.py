"""AdamW: Adam with decoupled weight decay (the parameters shrink instead of the gradient growing).

θ ← θ (1 − γλ)                            (before the Adam step, with the current lr γ)
m_t = β₁ m_{t-1} + (1 − β₁) g_t
v_t = β₂ v_{t-1} + (1 − β₂) g_t²
v̂ᵐᵃˣ_t = max(v̂ᵐᵃˣ_{t-1}, v_t)            (AMSGrad, on the uncorrected v as torch does)
θ_t = θ − γ m̂_t / (√v̂_t + ε)

torch.optim.AdamW is torch.optim.Adam with decoupled_weight_decay=True and weight_decay 0.01.
"""

from __future__ import annotations

from ..registry import Hyperparameter, Optimizer
from . import _common
from .adam import AdamState, adam_step, init


def step(grad, params, state: AdamState, hyper, lr, t: int):
    return adam_step(grad, params, state, lr, t, hyper, True)


OPTIMIZER = Optimizer(
    name="adamw",
    title="AdamW",
    summary="Adam with decoupled weight decay: the parameters shrink by lr * weight_decay each step, "
    "outside the adaptive normalization; optional AMSGrad.",
    paper="Loshchilov & Hutter (2019), Decoupled Weight Decay Regularization, ICLR.",
    update_latex=r"\theta \leftarrow \theta(1-\gamma\lambda),\quad m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\quad "
    r"v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2,\quad \hat m_t = \frac{m_t}{1-\beta_1^t},\quad "
    r"\hat v_t = \frac{v_t}{1-\beta_2^t},\quad \theta_t = \theta - \frac{\gamma}{\sqrt{\hat v_t} + \epsilon}\,\hat m_t",
    update_text="theta *= 1 - lr*weight_decay; m = beta1*m + (1-beta1)*g; v = beta2*v + (1-beta2)*g^2; "
    "(amsgrad: vmax = max(vmax, v), used for v); m_hat = m/(1-beta1^t); v_hat = v/(1-beta2^t); "
    "theta -= lr/(sqrt(v_hat) + eps) * m_hat",
    learning_rate="lr / (sqrt(v_hat) + eps) per coordinate; the direction is the bias-corrected first moment "
    "m_hat. The decoupled decay -lr*weight_decay*theta is added to the update outside that product.",
    hyperparameters=(
        _common.lr(1e-3),
        _common.beta("beta1", 0.9, "first moment (momentum)"),
        _common.beta("beta2", 0.999, "second moment"),
        _common.eps(1e-8, "added to sqrt(v_hat) in the denominator"),
        _common.weight_decay(1e-2, decoupled=True),
        Hyperparameter("amsgrad", False, "Use the running maximum of v (AMSGrad).", kind="bool"),
        _common.MAXIMIZE,
    ),
    state_names=AdamState._fields,
    init=init,
    step=step,
    scales_with_lr=True,
    notes=(
        "torch's AdamW defaults weight_decay to 0.01 (Adam's default is 0) and has no decoupled_weight_decay "
        "switch; adam with decoupled_weight_decay = true is the same optimizer.",
        "The decay per step is lr * weight_decay (torch and optax.adamw, whose default weight_decay is 1e-4): "
        "the paper multiplies weight_decay only by the schedule multiplier eta_t, not by the base rate alpha, "
        "so a paper value of weight_decay corresponds to weight_decay / lr here.",
        "AMSGrad: torch keeps the maximum of the uncorrected v and then bias-corrects it; optax.amsgrad "
        "keeps the maximum of the bias-corrected v_hat.",
    ),
)
