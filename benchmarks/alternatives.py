"""The same workloads written the way a user would without Optiscope: plain Python, torch.optim, optax.

Each `make_*` returns a zero-argument callable that runs the whole workload once and returns its
result (so the timing includes producing what a caller needs: the recorded series or final params).
torch and optax are optional: `None` when not installed (the `bench` extra).
"""

from __future__ import annotations

import math
import time

import numpy as np

try:
    import torch
except ImportError:  # pragma: no cover - optional
    torch = None
try:
    import jax
    import jax.numpy as jnp
    import optax

    jax.config.update("jax_enable_x64", True)
except ImportError:  # pragma: no cover - optional
    jax = jnp = optax = None


# --- plain Python ---------------------------------------------------------------------------------


def python_tutorial(grads, lr=0.1, eps=1e-8, alpha=0.9, beta1=0.9, beta2=0.999):
    """SGD, Adagrad, RMSprop and Adam (torch conventions) on floats: params and learning rates per step."""
    sgd = [0.0]
    ada, ada_lr, g2 = [0.0], [], 0.0
    rms, rms_lr, sq = [0.0], [], 0.0
    adam, adam_lr, m, v = [0.0], [], 0.0, 0.0
    for t, g in enumerate(grads, start=1):
        sgd.append(sgd[-1] - lr * g)
        g2 += g * g
        rate = lr / (math.sqrt(g2) + eps)
        ada_lr.append(rate)
        ada.append(ada[-1] - rate * g)
        sq = alpha * sq + (1 - alpha) * g * g
        rate = lr / (math.sqrt(sq) + eps)
        rms_lr.append(rate)
        rms.append(rms[-1] - rate * g)
        m += (1 - beta1) * (g - m)
        v = beta2 * v + (1 - beta2) * g * g
        rate = lr / (math.sqrt(v) / math.sqrt(1 - beta2**t) + eps)
        adam_lr.append(rate)
        adam.append(adam[-1] - rate * (m / (1 - beta1**t)))
    return sgd, ada, ada_lr, rms, rms_lr, adam, adam_lr


def python_adam(grads, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, theta=0.0, record=True):
    m = v = 0.0
    out = [theta] if record else None
    for t, g in enumerate(grads, start=1):
        m += (1 - beta1) * (g - m)
        v = beta2 * v + (1 - beta2) * g * g
        theta -= lr / (math.sqrt(v) / math.sqrt(1 - beta2**t) + eps) * (m / (1 - beta1**t))
        if record:
            out.append(theta)
    return out if record else theta


def python_adam_sweep(grads, rates):
    return [python_adam(grads, lr, record=False) for lr in rates]


def python_adam_wide(grads2d):
    """Adam over every coordinate of a (T, D) array, coordinate by coordinate."""
    return [python_adam(grads2d[:, j].tolist(), record=False) for j in range(grads2d.shape[1])]


# --- torch.optim ----------------------------------------------------------------------------------


def torch_tutorial(grads):
    def run():
        out = []
        for make in (
            lambda p: torch.optim.SGD([p], lr=0.1),
            lambda p: torch.optim.Adagrad([p], lr=0.1, eps=1e-8),
            lambda p: torch.optim.RMSprop([p], lr=0.1, alpha=0.9, eps=1e-8),
            lambda p: torch.optim.Adam([p], lr=0.1, eps=1e-8),
        ):
            p = torch.zeros(1, dtype=torch.float64)
            opt = make(p)
            trajectory = [0.0]
            for g in grads:
                p.grad = torch.tensor([g], dtype=torch.float64)
                opt.step()
                trajectory.append(p.item())
            out.append(trajectory)
        return out

    return run


def torch_adam_sequence(grads, lr=1e-3):
    grads = torch.from_numpy(np.ascontiguousarray(grads).reshape(-1, 1))

    def run():
        p = torch.zeros(1, dtype=torch.float64)
        opt = torch.optim.Adam([p], lr=lr)
        out = torch.empty(len(grads) + 1, dtype=torch.float64)
        out[0] = 0.0
        for t in range(len(grads)):
            p.grad = grads[t]
            opt.step()
            out[t + 1] = p[0]
        return out

    return run


def torch_adam_wide(grads, lr=1e-3, **flags):
    grads = torch.from_numpy(grads)

    def run():
        p = torch.zeros(grads.shape[1], dtype=torch.float64)
        opt = torch.optim.Adam([p], lr=lr, **flags)
        for t in range(grads.shape[0]):
            p.grad = grads[t]
            opt.step()
        return p

    return run


def torch_adam_sweep(grads, rates):
    """One optimizer per configuration (torch has no per-element learning rate)."""
    grads = torch.from_numpy(np.ascontiguousarray(grads).reshape(-1, 1))

    def run():
        finals = []
        for lr in rates:
            p = torch.zeros(1, dtype=torch.float64)
            opt = torch.optim.Adam([p], lr=float(lr))
            for t in range(len(grads)):
                p.grad = grads[t]
                opt.step()
            finals.append(p.item())
        return finals

    return run


# --- optax ----------------------------------------------------------------------------------------


def _compiled(fn, *args):
    """jit-compile `fn` for these arguments: (callable, seconds spent compiling)."""
    started = time.perf_counter()
    compiled = jax.jit(fn).lower(*args).compile()
    return compiled, time.perf_counter() - started


def optax_tutorial(grads):
    grads = jnp.asarray(np.asarray(grads).reshape(-1, 1))
    optimizers = [
        optax.sgd(0.1),
        optax.adagrad(0.1, initial_accumulator_value=0.0, eps=1e-8),
        optax.rmsprop(0.1, decay=0.9, eps=1e-8),
        optax.adam(0.1, eps=1e-8),
    ]

    def trajectories(g):
        out = []
        for opt in optimizers:

            def body(carry, gt, opt=opt):
                params, state = carry
                updates, state = opt.update(gt, state, params)
                params = optax.apply_updates(params, updates)
                return (params, state), params

            params = jnp.zeros(1)
            _, traj = jax.lax.scan(body, (params, opt.init(params)), g)
            out.append(traj)
        return out

    compiled, seconds = _compiled(trajectories, grads)
    return (lambda: jax.block_until_ready(compiled(grads))), seconds


def optax_adam_sequence(grads, lr=1e-3):
    grads = jnp.asarray(np.asarray(grads).reshape(-1, 1))
    opt = optax.adam(lr)

    def trajectory(g):
        def body(carry, gt):
            params, state = carry
            updates, state = opt.update(gt, state, params)
            params = optax.apply_updates(params, updates)
            return (params, state), params

        params = jnp.zeros(1)
        return jax.lax.scan(body, (params, opt.init(params)), g)[1]

    compiled, seconds = _compiled(trajectory, grads)
    return (lambda: jax.block_until_ready(compiled(grads))), seconds


def optax_adam_wide(grads, lr=1e-3):
    grads = jnp.asarray(grads)
    opt = optax.adam(lr)

    def final(g):
        def body(carry, gt):
            params, state = carry
            updates, state = opt.update(gt, state, params)
            return (optax.apply_updates(params, updates), state), None

        params = jnp.zeros(g.shape[1])
        return jax.lax.scan(body, (params, opt.init(params)), g)[0][0]

    compiled, seconds = _compiled(final, grads)
    return (lambda: jax.block_until_ready(compiled(grads))), seconds


def optax_adam_sweep(grads, rates):
    grads = jnp.asarray(np.asarray(grads).reshape(-1, 1))
    rates = jnp.asarray(rates)

    def final(lr, g):
        opt = optax.adam(lr)

        def body(carry, gt):
            params, state = carry
            updates, state = opt.update(gt, state, params)
            return (optax.apply_updates(params, updates), state), None

        params = jnp.zeros(1)
        return jax.lax.scan(body, (params, opt.init(params)), g)[0][0]

    batched = jax.vmap(final, in_axes=(0, None))
    compiled, seconds = _compiled(batched, rates, grads)
    return (lambda: jax.block_until_ready(compiled(rates, grads))), seconds
