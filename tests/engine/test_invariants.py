"""Properties every registry optimizer must have, and identities between optimizers.

One table drives the registry-wide checks: adding an optimizer without an entry in CONVERGENCE fails
`test_every_optimizer_is_in_the_tables`.
"""

from __future__ import annotations

import numpy as np
import pytest

from service.engine import REGISTRY, RunSpec, gradients, run, simulate, simulate_source

NAMES = list(REGISTRY)
T, D = 120, 3
INITIAL = np.array([0.8, -1.2, 0.3])
# The optax optimizers have no maximize switch (optax has none); every torch one has it.
WITHOUT_MAXIMIZE = {"lion", "adabelief", "yogi"}

# Closed-loop convergence on f(p) = 1/2 p^T A p from INITIAL (|p| ~ 1): hyperparameter overrides, steps,
# and the largest |p| allowed at the end.
CONVERGENCE = {
    "sgd": ({"lr": 0.1}, 300, 1e-6),
    "adagrad": ({"lr": 0.5}, 300, 1e-6),
    "rmsprop": ({"lr": 0.01}, 400, 1e-6),
    "adam": ({"lr": 0.05}, 400, 1e-6),
    "adamw": ({"lr": 0.05}, 400, 1e-6),
    "adamax": ({"lr": 0.05}, 400, 1e-6),
    "nadam": ({"lr": 0.05}, 400, 1e-6),
    "radam": ({"lr": 0.05}, 400, 1e-6),
    "adadelta": ({"lr": 1.0}, 3000, 1e-6),
    "rprop": ({}, 300, 1e-5),
    "asgd": ({"lr": 0.1}, 300, 1e-6),
    # the relative step max(eps2, RMS(theta)) * min(lr, 1/sqrt(t)) shrinks with theta and with t
    "adafactor": ({"lr": 0.1}, 400, 1e-2),
    # a constant-lr sign method ends oscillating within ~lr of the minimum
    "lion": ({"lr": 0.01}, 400, 2e-3),
    "adabelief": ({"lr": 0.05}, 400, 1e-6),
    "yogi": ({"lr": 0.05}, 400, 1e-6),
}
A = np.array([1.0, 2.0, 0.5])  # diagonal Hessian


def benign_gradients(steps: int = T, dim: int = D, seed: int = 3) -> np.ndarray:
    return gradients.trend_noise(steps, dim, seed, noise_std=0.3, trend_start=0.2, trend_end=-0.4)


def open_loop(name: str, grads: np.ndarray, initial=INITIAL, schedule=None, **hyper):
    """`run` with every series recorded; `schedule` is a per-step base lr, `hyper` the hyperparameters."""
    optimizer = REGISTRY[name]
    record = ("params", "learning_rates", "updates", "state")
    return run(optimizer, optimizer.hyper(hyper), grads, initial, record, schedule)


def closed_loop(name: str, steps: int, initial: np.ndarray, **hyper) -> np.ndarray:
    """Drive `step` with the gradient of the quadratic at the current point: g = A * p. Returns T+1 points."""
    optimizer = REGISTRY[name]
    h = optimizer.hyper(hyper)
    params = np.array(initial, dtype=np.float64)
    state = optimizer.init(params, h)
    path = [params]
    for t in range(1, steps + 1):
        update, _, state = optimizer.step(A * params, params, state, h, h.lr, t)
        params = params + update
        path.append(params)
    return np.array(path)


def step_by_step(name: str, grads: np.ndarray, initial: np.ndarray, **hyper):
    """Open loop through `step` directly, for any leading batch shape: grads (T, ..., D)."""
    optimizer = REGISTRY[name]
    h = optimizer.hyper(hyper)
    params = np.array(initial, dtype=np.float64)
    state = optimizer.init(params, h)
    path = [params]
    for t in range(1, len(grads) + 1):
        update, _, state = optimizer.step(grads[t - 1], params, state, h, h.lr, t)
        params = params + update
        path.append(params)
    return np.array(path)


def test_every_optimizer_is_in_the_tables():
    assert set(CONVERGENCE) == set(REGISTRY)
    with_maximize = {n for n, o in REGISTRY.items() if "maximize" in {h.name for h in o.hyperparameters}}
    assert set(REGISTRY) - with_maximize == WITHOUT_MAXIMIZE
    assert all(REGISTRY[n].reference.startswith("optax") for n in WITHOUT_MAXIMIZE)


@pytest.mark.parametrize("name", NAMES)
def test_finite_and_shapes_kept_on_benign_inputs(name):
    grads = benign_gradients()
    final, diverged_at, series, states = open_loop(name, grads)
    assert diverged_at is None
    assert series["params"].shape == (T + 1, D)
    assert series["learning_rates"].shape == series["updates"].shape == (T, D)
    assert set(states) == set(REGISTRY[name].state_names)
    for values in (*series.values(), *states.values()):
        assert np.isfinite(values).all()
    assert all(values.shape == (T, D) for values in states.values())
    assert np.array_equal(final, series["params"][-1])
    # the reported learning rates are positive factors (zero only where a sign method stands still)
    assert (series["learning_rates"] >= 0).all()


@pytest.mark.parametrize("name", NAMES)
def test_step_is_pure(name):
    optimizer = REGISTRY[name]
    hyper = optimizer.hyper({"weight_decay": 0.1} if "weight_decay" in optimizer.hyper_type._fields else {})
    grads = benign_gradients(steps=5)
    params = INITIAL.copy()
    state = optimizer.init(params, hyper)
    for t in range(1, 6):
        grad = grads[t - 1].copy()
        before = (grad.copy(), params.copy(), [s.copy() for s in state])
        update, rate, new_state = optimizer.step(grad, params, state, hyper, hyper.lr, t)
        assert np.array_equal(grad, before[0]) and np.array_equal(params, before[1])
        assert all(np.array_equal(s, b) for s, b in zip(state, before[2], strict=True))
        assert update.shape == params.shape and np.shape(rate) in ((), params.shape)
        assert type(new_state) is type(state) and new_state._fields == optimizer.state_names
        # replaying the step gives the same answer
        again = optimizer.step(grad, params, state, hyper, hyper.lr, t)
        assert np.array_equal(again[0], update)
        params, state = params + update, new_state


@pytest.mark.parametrize("name", NAMES)
def test_leading_batch_dimension_equals_separate_runs(name):
    batch = 4
    grads = np.stack([benign_gradients(seed=s) for s in range(batch)], axis=1)  # (T, B, D)
    initial = INITIAL * np.arange(1.0, batch + 1)[:, None]  # (B, D), different scales per row
    together = step_by_step(name, grads, initial)
    assert together.shape == (T + 1, batch, D)
    for b in range(batch):
        alone = step_by_step(name, grads[:, b], initial[b])
        np.testing.assert_allclose(together[:, b], alone, rtol=1e-13, atol=0)


@pytest.mark.parametrize("name", NAMES)
def test_converges_on_a_quadratic(name):
    overrides, steps, tolerance = CONVERGENCE[name]
    path = closed_loop(name, steps, INITIAL, **overrides)
    assert np.isfinite(path).all()
    assert np.max(np.abs(path[-1])) < tolerance, path[-1]
    loss = 0.5 * np.sum(A * path**2, axis=1)
    assert loss[-1] < 1e-2 * loss[0]


@pytest.mark.parametrize("name", [n for n in NAMES if n not in WITHOUT_MAXIMIZE])
def test_maximize_is_minimizing_the_negated_gradients(name):
    grads = benign_gradients()
    extra = {"weight_decay": 0.05} if "weight_decay" in REGISTRY[name].hyper_type._fields else {}
    up = open_loop(name, grads, maximize=True, **extra)
    down = open_loop(name, -grads, maximize=False, **extra)
    assert np.array_equal(up[2]["params"], down[2]["params"])
    assert np.array_equal(up[2]["learning_rates"], down[2]["learning_rates"])
    # from the origin without decay, maximizing mirrors minimizing
    mirrored = open_loop(name, grads, initial=np.zeros(D), maximize=True)[2]["params"]
    plain = open_loop(name, grads, initial=np.zeros(D))[2]["params"]
    np.testing.assert_array_equal(mirrored, -plain)


# --- identities ------------------------------------------------------------------------------------


def params_of(name, grads, **hyper):
    return open_loop(name, grads, **hyper)[2]["params"]


def test_adamw_without_decay_is_adam():
    grads = benign_gradients()
    for amsgrad in (False, True):
        np.testing.assert_array_equal(
            params_of("adamw", grads, weight_decay=0.0, amsgrad=amsgrad), params_of("adam", grads, amsgrad=amsgrad)
        )


def test_adam_with_decoupled_decay_is_adamw():
    grads = benign_gradients()
    for amsgrad in (False, True):
        adam = open_loop("adam", grads, weight_decay=0.3, decoupled_weight_decay=True, amsgrad=amsgrad)
        adamw = open_loop("adamw", grads, weight_decay=0.3, amsgrad=amsgrad)
        for a, b in zip(adam[2].values(), adamw[2].values(), strict=True):
            np.testing.assert_array_equal(a, b)


def test_rmsprop_with_bias_correction_is_adam_with_beta1_zero():
    """Adam(beta1=0, beta2=alpha) is RMSProp on the bias-corrected v_hat = v/(1-alpha^t): with eps = 0 its
    steps are RMSProp's times sqrt(1 - alpha^t) exactly, and once alpha^t < 2^-53 they are RMSProp's."""
    grads = benign_gradients(steps=500)
    alpha = 0.9
    adam = open_loop("adam", grads, lr=0.01, beta1=0.0, beta2=alpha, eps=0.0)
    rms = open_loop("rmsprop", grads, lr=0.01, alpha=alpha, eps=0.0)
    t = np.arange(1, 501)[:, None]
    np.testing.assert_allclose(adam[2]["updates"], rms[2]["updates"] * np.sqrt(1 - alpha**t), rtol=1e-13, atol=0)
    np.testing.assert_allclose(adam[3]["exp_avg_sq"], rms[3]["square_avg"], rtol=1e-15, atol=0)
    late = open_loop("adam", grads, lr=0.01, beta1=0.0, beta2=alpha)[2]["updates"][400:]
    np.testing.assert_allclose(late, open_loop("rmsprop", grads, alpha=alpha)[2]["updates"][400:], rtol=1e-15)


def both_engines(name: str, grads: np.ndarray, per_step=None, **hyper) -> list[tuple[dict, dict]]:
    """(series, state) of one open-loop run by the numpy loop and by the compiled kernel."""
    spec = RunSpec(REGISTRY[name], hyper, per_step=per_step or {})
    record = ("params", "learning_rates", "updates", "state")
    runs = []
    for engine in ("reference", "compiled"):
        (result,) = simulate_source(grads, [spec], INITIAL, record, engine=engine).runs
        runs.append((result.series, result.state))
    return runs


@pytest.mark.parametrize(("name", "hyper"), [("adam", {"lr": 0.01}), ("adamax", {"lr": 0.01})])
def test_adam_and_adamax_rates_are_lr_over_the_denominator_times_m_hat(name, hyper):
    """The README's convention: the update is -rate * m_hat, m_hat = m / (1 - beta1^t), and the rate is lr over
    the denominator (Adamax's infinity norm u, no bias correction in it; Adam's sqrt(v_hat) + eps)."""
    grads = benign_gradients()
    t = np.arange(1, T + 1)[:, None]
    for series, state in both_engines(name, grads, **hyper):
        m_hat = state["exp_avg"] / (1 - 0.9**t)
        np.testing.assert_allclose(series["updates"], -series["learning_rates"] * m_hat, rtol=1e-14, atol=0)
        if name == "adamax":
            np.testing.assert_allclose(series["learning_rates"], 0.01 / state["exp_inf"], rtol=1e-15, atol=0)


def test_rmsprop_rate_is_lr_over_d_whatever_the_momentum():
    """Momentum changes RMSProp's direction (a buffer of g / D), not its per-coordinate rate lr / D: open loop,
    D is the same with or without momentum, so the rates are too, and a momentum that a schedule takes
    to 0 for some steps does not make the rate jump from lr / D to lr and back."""
    grads = benign_gradients()
    plain = both_engines("rmsprop", grads, lr=0.01)
    momentum = np.where(np.arange(T) % 10 == 0, 0.0, 0.9)
    cycled = both_engines("rmsprop", grads, {"momentum": momentum}, lr=0.01)
    for (series, state), (alone, _) in zip(cycled, plain, strict=True):
        np.testing.assert_array_equal(series["learning_rates"], alone["learning_rates"])
        np.testing.assert_allclose(
            series["learning_rates"], 0.01 / (np.sqrt(state["square_avg"]) + 1e-8), rtol=1e-15, atol=0
        )
        # with momentum the step is lr times the buffer (rate * D * b); without, rate times the gradient
        on = momentum > 0
        np.testing.assert_allclose(series["updates"][on], -0.01 * state["momentum_buffer"][on], rtol=1e-15, atol=0)
        np.testing.assert_allclose(series["updates"][~on], -(series["learning_rates"] * grads)[~on], rtol=1e-15)
        assert not np.allclose(series["updates"], alone["updates"])


def test_nadam_with_beta1_zero_is_adam_with_beta1_zero():
    # mu_t = 0 for every t: the Nesterov mix reduces to the gradient itself.
    grads = benign_gradients()
    for decay in (4e-3, 0.0):
        np.testing.assert_allclose(
            params_of("nadam", grads, beta1=0.0, momentum_decay=decay, lr=1e-3),
            params_of("adam", grads, beta1=0.0, lr=1e-3),
            rtol=1e-14,
        )


def test_radam_without_rectification_is_momentum_sgd_on_m_hat():
    grads = benign_gradients()
    # beta2 = 0.5: rho_inf = 3 <= 4, never rectified; beta1 = 0 leaves m_hat = g: plain SGD.
    np.testing.assert_allclose(
        params_of("radam", grads, beta1=0.0, beta2=0.5, lr=0.01, weight_decay=0.1),
        params_of("sgd", grads, lr=0.01, weight_decay=0.1),
        rtol=1e-14,
    )
    # default betas: steps 1-5 are -lr * m_hat (rho_t <= 5), the adaptive step starts at step 6
    _, _, series, states = open_loop("radam", grads, lr=0.01)
    m_hat = states["exp_avg"][:5] / (1 - 0.9 ** np.arange(1, 6))[:, None]
    np.testing.assert_allclose(series["updates"][:5], -0.01 * m_hat, rtol=1e-15)
    assert (series["learning_rates"][:5] == 0.01).all() and (series["learning_rates"][5:] != 0.01).all()


def test_asgd_without_decay_is_sgd_and_its_average_copies_the_params_before_t0():
    grads = benign_gradients()
    np.testing.assert_array_equal(params_of("asgd", grads, lambd=0.0, lr=0.05), params_of("sgd", grads, lr=0.05))
    _, _, series, states = open_loop("asgd", grads)
    np.testing.assert_array_equal(states["ax"], series["params"][1:])
    assert (states["mu"] == 1).all()
    # t0 = 10: mu = 1/max(1, t - t0) after step t, used at step t + 1; ax averages from step t0 + 3 on
    _, _, series, states = open_loop("asgd", grads, t0=10.0)
    np.testing.assert_array_equal(states["ax"][:12], series["params"][1:13])
    np.testing.assert_allclose(states["ax"][-1], series["params"][12:].mean(axis=0), rtol=1e-12)
    assert states["mu"][10, 0] == 1 and states["mu"][11, 0] == 0.5


def test_sign_descent_three_ways():
    """Adamax(beta1=0, beta2=0, eps=0) steps lr * g/|g| and Lion(beta1=0, no decay) lr * sign(g): the same
    sign descent on gradients without zeros."""
    grads = benign_gradients()
    assert (grads != 0).all()
    lion = params_of("lion", grads, beta1=0.0, weight_decay=0.0, lr=0.01)
    adamax = params_of("adamax", grads, beta1=0.0, beta2=0.0, eps=0.0, lr=0.01)
    np.testing.assert_allclose(adamax, lion, rtol=1e-14)
    by_hand = INITIAL - 0.01 * np.cumsum(np.sign(grads), axis=0)
    np.testing.assert_allclose(lion[1:], by_hand, rtol=1e-13)


def test_yogi_from_zero_starts_as_adam():
    # with both accumulators at 0, Yogi's first v is (1 - beta2) g^2, Adam's
    grads = benign_gradients()
    yogi = params_of("yogi", grads, initial_accumulator_value=0.0, eps=1e-8)
    adam = params_of("adam", grads)
    np.testing.assert_allclose(yogi[1], adam[1], rtol=1e-15)
    assert not np.allclose(yogi[-1], adam[-1], rtol=1e-6)


def test_scale_invariant_optimizers_ignore_the_gradients_scale():
    grads = benign_gradients()
    for name, hyper in [
        ("adam", {"eps": 0.0}),
        ("adamax", {"eps": 0.0}),
        ("rprop", {}),
        ("lion", {}),
        ("adafactor", {}),
    ]:
        np.testing.assert_allclose(
            params_of(name, grads * 1e3, **hyper), params_of(name, grads, **hyper), rtol=1e-12, err_msg=name
        )


def test_rprop_and_asgd_seed_their_state_with_the_lr_in_force_at_step_one():
    grads = benign_gradients()
    schedule = np.linspace(0.02, 0.001, T)
    _, _, series, states = open_loop("rprop", grads, schedule=schedule)
    # step 1 moves by the schedule's first lr; later lr values are never read
    np.testing.assert_array_equal(np.abs(series["updates"][0]), 0.02)
    np.testing.assert_array_equal(
        open_loop("rprop", grads, schedule=schedule)[2]["params"],
        open_loop("rprop", grads, schedule=np.full(T, 0.02))[2]["params"],
    )
    _, _, series, states = open_loop("asgd", grads, schedule=schedule)
    assert (series["learning_rates"][0] == 0.02).all()
    expected = schedule[:-1] / (1 + 1e-4 * schedule[:-1] * np.arange(1, T)) ** 0.75
    np.testing.assert_allclose(series["learning_rates"][1:, 0], expected, rtol=1e-15)


def test_rprop_step_sizes_stay_within_bounds_and_flips_do_not_move():
    grads = benign_gradients()
    _, _, series, states = open_loop("rprop", grads, lr=0.5, step_size_min=0.01, step_size_max=0.2)
    assert states["step_size"].min() >= 0.01 and states["step_size"].max() <= 0.2
    flipped = grads[1:] * states["prev"][:-1] < 0
    assert flipped.any()
    assert (series["updates"][1:][flipped] == 0).all() and (states["prev"][1:][flipped] == 0).all()


def test_adafactor_clips_its_update_rms_at_d():
    grads = benign_gradients()
    _, _, series, states = open_loop("adafactor", grads, lr=1.0, d=1.0)
    # the step's RMS is at most alpha_t = max(eps2, RMS(theta)) * min(lr, 1/sqrt(t))
    params = series["params"]
    rms = lambda x: np.sqrt(np.mean(x * x, axis=-1))  # noqa: E731
    alpha = np.maximum(1e-3, rms(params[:-1])) * np.minimum(1.0, 1 / np.sqrt(np.arange(1, T + 1)))
    assert (rms(series["updates"]) <= alpha * (1 + 1e-12)).all()


@pytest.mark.parametrize(("beta2", "first"), [(0.6, None), (0.65, None), (0.666, None), (0.667, 22), (0.7, 10)])
def test_radam_switches_on_only_where_rho_t_can_pass_5(beta2, first):
    # rho_inf = 2 / (1 - beta2) - 1 <= 5 (beta2 <= 2/3): rho_t never passes 5, the rate stays lr for ever.
    # By hand, the first t with rho_inf - 2 t beta2^t / (1 - beta2^t) > 5.
    rho_inf = 2 / (1 - beta2) - 1
    by_hand = next((t for t in range(1, 2001) if rho_inf - 2 * t * beta2**t / (1 - beta2**t) > 5), None)
    assert by_hand == first
    grads = np.random.default_rng(0).normal(size=(2000, 1))
    rates = open_loop("radam", grads, lr=0.01, beta2=beta2)[2]["learning_rates"][:, 0]
    switched = np.flatnonzero(rates != 0.01)
    assert (int(switched[0]) + 1 if switched.size else None) == first


@pytest.mark.parametrize("engine", ["auto", "reference"])
@pytest.mark.parametrize(
    ("name", "hyper", "grad", "after_one_step"),
    [
        # |g| = 2e154 > sqrt(float64 max): g * g alone overflows, but torch's addcmul forms (1 - beta2) g first
        # and then its square average 4e305 is finite. Step one of Adam moves by lr (m_hat / sqrt(v_hat) = 1),
        # RAdam's by lr * g (momentum SGD before rectification); NAdam divides v by 1 - beta2 before its root,
        # inf, and does not move (all three as torch 2.13 does).
        ("adam", {}, 2e154, -1e-3),
        ("nadam", {}, 2e154, 0.0),
        ("radam", {}, 2e154, -1e-3 * 2e154),
        # beta = 1 keeps the average at zero whatever g is (not 0 * inf = NaN): Adadelta's ratio is
        # sqrt(eps) / sqrt(eps) = 1, RMSProp divides by eps alone.
        ("adadelta", {"rho": 1.0}, 1e200, -1e200),
        ("rmsprop", {"alpha": 1.0}, 1e200, -0.01 / 1e-8 * 1e200),
    ],
)
def test_square_averages_take_large_gradients_as_torch_does(engine, name, hyper, grad, after_one_step):
    result = simulate(np.array([[grad]]), [RunSpec(REGISTRY[name], hyper)], engine=engine)[0]
    assert result.diverged_at is None
    assert result.series["params"][1, 0] == pytest.approx(after_one_step, rel=1e-15)


def test_adafactor_takes_the_rms_of_one_coordinate_as_its_magnitude():
    # torch's RMS is norm(p) / sqrt(numel), and the norm of one number is |p|: at p = 1e160 the relative step
    # size is 1e160 * lr, though p * p overflows. Step 1 (v = g^2, so the normalized update is 1):
    # 1e160 - 0.01 * 1e160 = 9.9e159, as torch 2.13 gives.
    result = simulate(np.array([[1.0]]), [RunSpec(REGISTRY["adafactor"], {"lr": 0.01})], initial=np.array([1e160]))[0]
    assert result.diverged_at is None and result.series["params"][1, 0] == pytest.approx(9.9e159, rel=1e-15)
