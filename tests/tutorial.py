"""The tutorial's script (shared/seed), verbatim in its arithmetic, minus the plotting.

Kept as an independent truth: the service must reproduce this, not our own engine.
"""

import numpy as np


def tutorial_run():
    np.random.seed(0)
    steps = 50
    grads = np.random.randn(steps) * 0.2 + np.linspace(-0.5, 0.5, steps)
    param_sgd, param_adagrad, param_rmsprop, param_adam = [0], [0], [0], [0]
    lr_sgd = [0.1] * steps
    lr_adagrad, lr_rmsprop, lr_adam = [], [], []
    eps = 1e-8
    G = 0
    decay = 0.9
    E_grad2 = 0
    m = 0
    v = 0
    beta1 = 0.9
    beta2 = 0.999
    base_lr = 0.1
    for t in range(steps):
        g = grads[t]
        param_sgd.append(param_sgd[-1] - lr_sgd[t] * g)
        G += g**2
        lr_a = base_lr / (np.sqrt(G) + eps)
        lr_adagrad.append(lr_a)
        param_adagrad.append(param_adagrad[-1] - lr_a * g)
        E_grad2 = decay * E_grad2 + (1 - decay) * g**2
        lr_r = base_lr / (np.sqrt(E_grad2) + eps)
        lr_rmsprop.append(lr_r)
        param_rmsprop.append(param_rmsprop[-1] - lr_r * g)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        m_hat = m / (1 - beta1 ** (t + 1))
        v_hat = v / (1 - beta2 ** (t + 1))
        lr_ad = base_lr * (np.sqrt(1 - beta2 ** (t + 1)) / (1 - beta1 ** (t + 1)))
        lr_adam_t = lr_ad / (np.sqrt(v_hat) + eps)
        lr_adam.append(lr_adam_t)
        param_adam.append(param_adam[-1] - lr_adam_t * m_hat)
    return {
        "grads": grads,
        "params": {"sgd": param_sgd, "adagrad": param_adagrad, "rmsprop": param_rmsprop, "tutorial_adam": param_adam},
        "learning_rates": {"sgd": lr_sgd, "adagrad": lr_adagrad, "rmsprop": lr_rmsprop, "tutorial_adam": lr_adam},
    }


def standard_adam(grads, lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8):
    """Textbook Adam (Kingma & Ba, Algorithm 1), scalar, written out step by step."""
    theta, m, v = 0.0, 0.0, 0.0
    params, rates = [theta], []
    for t, g in enumerate(grads, start=1):
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        m_hat = m / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        rate = lr / (np.sqrt(v_hat) + eps)
        theta = theta - rate * m_hat
        params.append(theta)
        rates.append(rate)
    return params, rates
