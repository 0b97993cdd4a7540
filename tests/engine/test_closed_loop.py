"""The closed-loop driver: gradients at the optimizer's own parameters, the extra series, noise and
minibatch streams, divergence, schedules, and agreement with the open-loop driver."""

from __future__ import annotations

import dataclasses
import importlib

import numpy as np
import pytest

from service.engine import OBJECTIVES, REGISTRY, RunSpec, compiled, simulate, simulate_objective
from service.engine.batch import BudgetExceeded
from service.engine.closed_loop import random_streams, run_closed_loop
from tests.fixtures_util import assert_matches

simulate_module = importlib.import_module("service.engine.simulate")  # the package exports its function


def objective(name, dim=None, **params):
    return OBJECTIVES[name].problem(dim, params)


def one(problem, name, steps, initial=None, record=("params", "learning_rates"), **kwargs):
    spec_keys = {"lr_schedule", "per_step"}
    hyper = {k: v for k, v in kwargs.items() if k not in {"noise_std", "seed", *spec_keys}}
    spec = RunSpec(REGISTRY[name], hyper, None, kwargs.get("lr_schedule"), kwargs.get("per_step", {}))
    noise = {k: kwargs[k] for k in ("noise_std", "seed") if k in kwargs}
    return simulate_objective(problem, [spec], steps, initial, record, **noise)[0]


def test_sgd_on_a_quadratic_contracts_each_coordinate_geometrically():
    p = objective("quadratic", 3, scales=[1.0, 2.0, 4.0])
    result = one(p, "sgd", 20, lr=0.1)
    t = np.arange(21)[:, None]
    expected = (1 - 0.1 * np.array([1.0, 2.0, 4.0])) ** t
    assert np.allclose(result.series["params"], expected, rtol=1e-13, atol=0)
    assert np.allclose(result.series["loss"], p.value(expected), rtol=1e-13)
    assert np.allclose(result.series["distance_to_optimum"], np.linalg.norm(expected, axis=1), rtol=1e-13)


def test_series_shapes_and_gradients_are_taken_at_the_runs_own_parameters():
    p = objective("rosenbrock")
    result = one(p, "adam", 50, lr=0.05, record=("params", "learning_rates", "updates", "state"))
    series = result.series
    assert series["params"].shape == (51, 2) and series["loss"].shape == (51,)
    assert series["gradients"].shape == (50, 2) and series["distance_to_optimum"].shape == (51,)
    assert series["learning_rates"].shape == (50, 2) and series["updates"].shape == (50, 2)
    assert set(result.state) == {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
    # Evaluated again in one batch: equal up to the rounding of vectorized (SIMD) paths.
    assert np.allclose(series["gradients"], p.gradient(series["params"][:-1]), rtol=1e-14, atol=1e-12)
    assert np.allclose(series["loss"], p.value(series["params"]), rtol=1e-14, atol=0)
    assert np.array_equal(series["params"][0], p.start)
    assert series["loss"][-1] < series["loss"][0]


def test_fed_its_own_gradients_the_open_loop_driver_retraces_the_path():
    p = objective("beale")
    for name, hyper in [("sgd", {"lr": 1e-3, "momentum": 0.9}), ("rmsprop", {"lr": 0.01}), ("adagrad", {"lr": 0.5})]:
        closed = one(p, name, 60, **hyper)
        opened = simulate(closed.series["gradients"], [RunSpec(REGISTRY[name], hyper)], p.start)[0]
        assert np.array_equal(opened.series["params"], closed.series["params"])
        assert np.array_equal(opened.series["learning_rates"], closed.series["learning_rates"])


def test_default_start_and_explicit_initial():
    p = objective("booth")
    assert one(p, "sgd", 1).series["params"][0].tolist() == [-5.0, -5.0]
    assert one(p, "sgd", 1, initial=[2.0, 1.0]).series["params"][0].tolist() == [2.0, 1.0]
    assert one(p, "sgd", 1, initial=0.5).series["params"][0].tolist() == [0.5, 0.5]


def test_unknown_optimum_omits_the_distance():
    result = one(objective("logistic_regression"), "adagrad", 5, lr=0.1)
    assert "distance_to_optimum" not in result.series and result.series["loss"].shape == (6,)


def test_noise_is_seeded_shared_by_every_run_and_pinned():
    p = objective("quadratic", 3)
    specs = [RunSpec(REGISTRY["sgd"], {"lr": 0.0}), RunSpec(REGISTRY["adam"], {"lr": 0.0})]
    a, b = simulate_objective(p, specs, 4, noise_std=0.5, seed=42)
    exact = p.gradient(p.start)
    noise = a.series["gradients"] - exact
    assert np.array_equal(a.series["gradients"], b.series["gradients"])
    stream, _ = random_streams(42)
    assert np.allclose(noise, 0.5 * stream.standard_normal((4, 3)), rtol=0, atol=1e-15)
    # SeedSequence(42).spawn(2)[0] through PCG64: the same numbers on every machine.
    assert (noise[0] / 0.5).tolist() == pytest.approx([0.41832996532437755, 0.6055761737634663, 0.02878785992514126])
    again = simulate_objective(p, specs[:1], 6, noise_std=0.5, seed=42)[0]
    assert np.array_equal(again.series["gradients"][:4], a.series["gradients"])  # longer runs extend shorter ones
    other = simulate_objective(p, specs[:1], 4, noise_std=0.5, seed=43)[0]
    assert not np.array_equal(other.series["gradients"], a.series["gradients"])
    # The loss stays the exact value: with lr 0 the parameters and the loss never move.
    assert np.all(a.series["loss"] == p.value(p.start))


def test_minibatches_are_seeded_and_shared():
    p = objective("logistic_regression", 6, n_samples=60, batch_size=10)
    specs = [RunSpec(REGISTRY["sgd"], {"lr": 0.0}), RunSpec(REGISTRY["sgd"], {"lr": 0.0})]
    a, b = simulate_objective(p, specs, 5, seed=1)
    assert np.array_equal(a.series["gradients"], b.series["gradients"])
    assert len({tuple(row) for row in a.series["gradients"]}) == 5  # a different minibatch at every step
    _, batches = random_streams(1)
    assert np.array_equal(a.series["gradients"][0], p.stochastic_gradient(p.start, batches))


def test_divergence_stops_the_run_and_keeps_the_finite_prefix():
    # The saddle is unbounded below: with lr = 1, y triples at every step from 0.01; the loss -y^2
    # overflows first, once y passes 1.3e154 (step 328), long before y itself would.
    result = one(objective("saddle"), "sgd", 2000, lr=1.0, record=("params", "learning_rates", "updates", "state"))
    t = result.diverged_at
    assert t == 328
    series = result.series
    assert len(series["params"]) == t and len(series["loss"]) == t and len(series["gradients"]) == t - 1
    assert len(series["updates"]) == t - 1 and len(result.state["momentum_buffer"]) == t - 1
    assert all(np.isfinite(v).all() for v in series.values())
    assert np.array_equal(result.final, series["params"][-1])


def test_a_start_where_the_loss_overflows_is_rejected():
    with pytest.raises(ValueError, match="loss at the initial point is not finite"):
        one(objective("rosenbrock"), "sgd", 3, initial=[1e100, 1e100])


def test_schedules_and_per_step_hyperparameters_apply_as_in_open_loop():
    p = objective("quadratic", 2)
    lr = np.array([0.1, 0.05, 0.025])
    result = one(p, "sgd", 3, lr_schedule=lr, momentum=0.5, per_step={"momentum": np.array([0.9, 0.5, 0.8])})
    x = p.start.copy()
    buf = None
    for t in range(3):
        g = p.gradient(x)
        momentum = [0.9, 0.5, 0.8][t]
        buf = g if buf is None else momentum * buf + g
        x = x - lr[t] * buf
        assert np.allclose(result.series["params"][t + 1], x, rtol=1e-15)


def test_run_closed_loop_returns_the_open_loop_tuple():
    p = objective("himmelblau")
    optimizer = REGISTRY["rmsprop"]
    final, diverged_at, series, states = run_closed_loop(optimizer, optimizer.hyper({"lr": 0.05}), p, p.start, 300)
    assert diverged_at is None and states == {}
    assert series["distance_to_optimum"][-1] < 1e-2 and series["loss"][-1] < 1e-3
    assert np.array_equal(final, series["params"][-1])


@pytest.mark.parametrize("function", list(OBJECTIVES))
def test_every_optimizer_runs_on_every_function(function):
    problem = objective(function)
    for name, optimizer in REGISTRY.items():
        result = simulate_objective(problem, [RunSpec(optimizer, {"lr": 1e-3})], 20, noise_std=0.1)[0]
        kept = 20 if result.diverged_at is None else result.diverged_at - 1
        assert result.series["loss"].shape == (kept + 1,) and result.series["gradients"].shape == (kept, problem.dim)
        assert all(np.isfinite(values).all() for values in result.series.values()), (function, name)
        # Row-wise and batched evaluation may round differently (SIMD paths): equal to a few ulps.
        loss = problem.value(result.series["params"])
        assert np.allclose(result.series["loss"], loss, rtol=1e-14, atol=0), (function, name)


@pytest.mark.parametrize("name", [name for name, o in REGISTRY.items() if compiled.supports(o)])
def test_compiled_steps_equal_the_numpy_loop(name):
    """Each step through the optimizer's compiled kernel gives the numpy loop's run: plain, noisy with
    minibatches, scheduled with a cycled hyperparameter, and diverging."""
    optimizer = REGISTRY[name]
    everything = ("params", "learning_rates", "updates", "state")
    fields = optimizer.hyper_type._fields
    cycled = next((f for f in ("momentum", "beta1") if f in fields), None)
    cases = [
        (objective("rosenbrock"), {}, None, {}),
        (objective("logistic_regression", 4, n_samples=40, batch_size=8), {"noise_std": 0.1, "seed": 3}, None, {}),
        (
            objective("rastrigin", 3),
            {},
            np.linspace(0.02, 0.002, 60),
            {cycled: np.linspace(0.95, 0.85, 60)} if cycled else {},
        ),
        (objective("rosenbrock"), {}, np.full(60, 1e300), {}),
    ]
    for case, (problem, noise, lr, per_step) in enumerate(cases):
        hyper = optimizer.hyper({"lr": 0.01})
        runs = [
            run_closed_loop(
                optimizer, hyper, problem, problem.start, 60, everything, lr, None, per_step, engine=engine, **noise
            )
            for engine in ("auto", "reference")
        ]
        (fast_final, fast_diverged, fast_series, fast_state), (final, diverged, series, state) = runs
        assert fast_diverged == diverged, f"{name} case {case}"
        assert_matches(fast_final, final, f"{name} case {case} final", rtol=1e-12)
        assert fast_series.keys() == series.keys() and fast_state.keys() == state.keys()
        for key in series:
            assert_matches(fast_series[key], series[key], f"{name} case {case} {key}", rtol=1e-12)
        for key in state:
            assert_matches(fast_state[key], state[key], f"{name} case {case} state {key}", rtol=1e-12)
    if optimizer.scales_with_lr:  # the last case: steps of lr = 1e300 overflow the loss at once (Rprop's are clamped)
        assert diverged == 1


class Clock:
    """A stand-in for the engine's `time` module: the clock moves only when a step's gradient is taken."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now


@pytest.mark.parametrize("engine", ["auto", "reference"])
def test_slow_steps_stop_within_a_step_of_the_deadline(monkeypatch, engine):
    # Each gradient costs 40 ms of (fake) time, so a deadline at 10.02 s falls in step 251, and the look at
    # the clock before step 252 stops the run. A stride of 1,024 steps between looks would have run all
    # 1,000 steps (40 s); the stride follows the step cost instead.
    clock = Clock()
    monkeypatch.setattr(simulate_module, "time", clock)
    base = OBJECTIVES["rosenbrock"].problem(2)

    def gradient(x):
        clock.now += 0.04
        return base.gradient(x)

    problem = dataclasses.replace(base, gradient=gradient)
    with pytest.raises(BudgetExceeded, match=r"adam stopped at step 252 of 1000: over the time budget"):
        simulate_objective(problem, [RunSpec(REGISTRY["adam"], {})], 1000, deadline=10.02, engine=engine)


def test_fast_steps_look_at_the_clock_at_most_every_1024_steps(monkeypatch):
    # Steps that take no time: past the first two (which measure a step), the loop pauses every 1,024 steps.
    monkeypatch.setattr(simulate_module, "time", Clock())
    paused = []
    monkeypatch.setattr(simulate_module.progress, "report", lambda step, steps: paused.append(step))
    simulate(np.zeros((3000, 1)), [RunSpec(REGISTRY["adam"], {})], engine="reference")
    assert paused == [1, 2, 1024, 2048]


def test_slow_steps_still_pause_at_every_multiple_of_1024(monkeypatch):
    # A progress bar over runs one after another takes a report at or below the last one for the next run's
    # start: a run that last reported 1,020 followed by one whose first report is 1,024 (the compiled
    # driver's) read as one run.
    clock = Clock()

    class Ticking:
        @staticmethod
        def monotonic():
            clock.now += 0.004  # each look at the clock: a few steps between pauses
            return clock.now

    monkeypatch.setattr(simulate_module, "time", Ticking)
    paused = []
    monkeypatch.setattr(simulate_module.progress, "report", lambda step, steps: paused.append(step))
    simulate(np.zeros((2100, 1)), [RunSpec(REGISTRY["adam"], {})], engine="reference")
    assert 1024 in paused and 2048 in paused and paused == sorted(set(paused)) and len(paused) > 10
