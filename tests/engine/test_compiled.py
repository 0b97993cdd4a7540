"""The compiled path equals the reference numpy loop, for every optimizer in the registry.

Random seeded cases: hyperparameters drawn across their ranges (flags included), schedules (a base lr
per step), per-step overrides, several coordinates split over blocks, divergence, record_every and
synthetic sources generated block by block. The reference loop (`engine="reference"`) is the truth.
"""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

from service.engine import REGISTRY, RunSpec, batch, compiled, gradients
from service.engine.simulate import compiles, simulate, simulate_source
from tests.fixtures_util import assert_matches

COMPILED = [name for name, o in REGISTRY.items() if compiled.supports(o)]
EVERYTHING = ("params", "learning_rates", "updates", "state")


def random_hyperparameters(optimizer, rng: np.random.Generator) -> dict:
    """Values across each hyperparameter's range, rejecting combinations its constraints forbid."""
    for _ in range(100):
        values = {}
        for h in optimizer.hyperparameters:
            if h.kind == "bool":
                values[h.name] = bool(rng.integers(2))
            elif h.kind == "int":
                values[h.name] = int(rng.integers(0 if h.minimum is None else int(h.minimum), 5))
            elif h.kind == "float":
                low = 0.0 if h.minimum is None else h.minimum
                high = h.maximum if h.maximum is not None else max(2 * abs(h.default), 1.0)
                value = float(rng.uniform(low, high))
                if h.exclusive_maximum and value >= high:
                    value = low
                if h.exclusive_minimum and value <= low:
                    value = high if not h.exclusive_maximum else (low + high) / 2
                # Keep a default now and then, so the common path is covered too.
                values[h.name] = h.default if rng.random() < 0.3 else value
        if h.name == "lr" or "lr" in values:
            values["lr"] = float(10 ** rng.uniform(-3, 0))
        if not optimizer.constraints(optimizer.hyper(values)):
            return values
    raise AssertionError(f"no admissible hyperparameters drawn for {optimizer.name}")


def assert_same(fast, slow, label: str) -> None:
    assert fast.diverged_at == slow.diverged_at, label
    assert fast.series.keys() == slow.series.keys() and fast.state.keys() == slow.state.keys()
    assert_matches(fast.final, slow.final, f"{label} final", rtol=1e-12)
    for name in fast.series:
        assert_matches(fast.series[name], slow.series[name], f"{label} {name}", rtol=1e-12)
    for name in fast.state:
        assert_matches(fast.state[name], slow.state[name], f"{label} state {name}", rtol=1e-12)


def both(grads, specs, **options):
    fast = simulate(grads, specs, **options)
    slow = simulate(grads, specs, engine="reference", **options)
    return fast, slow


def test_every_elementwise_optimizer_compiles():
    for name, optimizer in REGISTRY.items():
        assert compiles(optimizer) == compiled.supports(optimizer)
        if optimizer.elementwise and all(h.kind in ("float", "int", "bool") for h in optimizer.hyperparameters):
            assert name in COMPILED


@pytest.mark.parametrize("name", COMPILED)
def test_random_cases_match_the_reference(name):
    optimizer = REGISTRY[name]
    rng = np.random.default_rng(sum(map(ord, name)))
    for case in range(12):
        steps, dim = int(rng.integers(1, 40)), int(rng.integers(1, 5))
        grads = rng.normal(0, 10.0 ** rng.uniform(-2, 1), (steps, dim))
        initial = rng.normal(0, 1, dim)
        specs = [RunSpec(optimizer, random_hyperparameters(optimizer, rng)) for _ in range(2)]
        if case % 3 == 1:  # a schedule: the base lr changes every step
            specs[0] = RunSpec(optimizer, specs[0].hyperparameters, lr=10 ** rng.uniform(-3, 0, steps))
        fast, slow = both(grads, specs, initial=initial, record=EVERYTHING, record_every=1 + case % 4)
        for f, s in zip(fast, slow, strict=True):
            assert_same(f, s, f"{name} case {case}")


@pytest.mark.parametrize("name", COMPILED)
def test_divergence_matches_the_reference(name):
    optimizer = REGISTRY[name]
    # Overflowing gradients partway through, in one coordinate only, and a zero-gradient 0/0.
    grads = np.ones((12, 3))
    grads[6, 1] = 1e308
    grads[7:, 1] = -1e308
    specs = [
        RunSpec(optimizer, {"lr": 1e300}),
        RunSpec(optimizer, {"lr": 0.1}),
        RunSpec(optimizer, {"lr": 0.1, **({"eps": 0.0} if "eps" in optimizer.hyper_type._fields else {})}),
    ]
    cases = ((grads, 1), (np.zeros((5, 2)), 2), (np.where(grads > 1, 1e300, grads), 5), (grads[:, 1:2], 1))
    for values, every in cases:  # the last: one coordinate, the kernel's single-sequence loop
        fast, slow = both(values, specs, initial=1.0, record=EVERYTHING, record_every=every)
        for f, s in zip(fast, slow, strict=True):
            assert_same(f, s, f"{name} divergence")


@pytest.mark.parametrize("name", COMPILED)
def test_long_single_sequences_match_the_reference(name):
    """One coordinate over thousands of steps: the kernel's single-sequence loop, past the step where
    the bias corrections saturate (t (1 - beta) >= 38: beta1 = 0.9 at 380, beta2 = 0.99 at 3,800)."""
    optimizer = REGISTRY[name]
    rng = np.random.default_rng(11)
    grads = rng.normal(size=(4500, 1))
    betas = {k: v for k, v in (("beta1", 0.9), ("beta2", 0.99)) if k in optimizer.hyper_type._fields}
    specs = [RunSpec(optimizer, {"lr": 1e-3, **betas})]
    fast, slow = both(grads, specs, initial=0.5, record=EVERYTHING, record_every=7)
    assert_same(fast[0], slow[0], f"{name} long")
    scheduled = RunSpec(optimizer, {"lr": 1e-3, **betas}, lr=np.linspace(1e-3, 1e-4, 4500))
    fast, slow = both(grads, [scheduled], record=("params",))
    assert_same(fast[0], slow[0], f"{name} long, scheduled")


@pytest.mark.parametrize("beta", [0.0, 0.3, 0.5, 0.9, 0.95, 0.99, 0.999, 0.9999, 0.99999, 1 - 1e-7])
def test_bias_correction_is_one_minus_the_power_bit_for_bit(beta):
    """Skipping `pow` once it saturates changes no bit, in Python and compiled, on both sides of the
    switch (t (1 - beta) = 38)."""
    from service.engine.optimizers import _common

    switch = int(_common.SATURATED / (1 - beta))
    steps = np.unique(np.concatenate([np.arange(1, 200), np.arange(max(1, switch - 300), switch + 300)]))
    fast = compiled._rebinder().function(_common.bias_correction)
    for t in steps.tolist():
        exact = 1 - beta ** float(t)
        assert _common.bias_correction(beta, t) == exact, (beta, t)
        assert fast(beta, float(t)) == exact, (beta, t)
    assert _common.bias_correction(beta, switch + 1) == 1.0


@pytest.mark.parametrize("name", COMPILED)
def test_per_step_override_matches_the_reference(name):
    optimizer = REGISTRY[name]
    fields = [h.name for h in optimizer.hyperparameters if h.kind == "float" and h.name in ("momentum", "beta1")]
    if not fields:
        pytest.skip(f"{name} has no momentum or beta1 for a schedule to cycle")
    rng = np.random.default_rng(7)
    grads = rng.normal(size=(30, 2))
    spec = RunSpec(optimizer, {}, lr=np.linspace(0.01, 0.1, 30), per_step={fields[0]: np.linspace(0.95, 0.85, 30)})
    fast, slow = both(grads, [spec], record=EVERYTHING)
    assert_same(fast[0], slow[0], f"{name} per-step {fields[0]}")


def test_blocks_and_chunks_do_not_change_results(monkeypatch):
    """Force many coordinate blocks and step chunks: wide runs take the same path through the math."""
    rng = np.random.default_rng(3)
    grads = rng.normal(size=(25, 37))
    specs = [RunSpec(REGISTRY[name], {"lr": 0.05}) for name in COMPILED]
    one = grads[:, :1]  # one coordinate: the single-sequence loop, its state carried from chunk to chunk
    whole = simulate(grads, specs, record=EVERYTHING, record_every=3) + simulate(one, specs, record=EVERYTHING)
    monkeypatch.setattr(batch, "BLOCK_VALUES", 5)
    monkeypatch.setattr(batch, "CHUNK_WORK", 7)
    split = simulate(grads, specs, record=EVERYTHING, record_every=3) + simulate(one, specs, record=EVERYTHING)
    for a, b in zip(whole, split, strict=True):
        assert np.array_equal(a.final, b.final)
        for name in a.series:
            assert np.array_equal(a.series[name], b.series[name])
        for name in a.state:
            assert np.array_equal(a.state[name], b.state[name])


def test_threads_split_blocks_and_configurations(monkeypatch):
    """Units of work on a thread pool (blocks, and configurations within a block) change nothing."""
    rng = np.random.default_rng(11)
    grads = gradients.Explicit(rng.normal(size=(30, 7)))
    optimizer = REGISTRY["adam"]
    rates = np.tile(10.0 ** rng.uniform(-3, 6, 9), (30, 1))

    def run(workers):
        job = batch.Job(optimizer, optimizer.hyper({}), rates, np.ones((9, 7)), {}, EVERYTHING)
        batch.run_jobs(grads, [job], every=4, workers=workers)
        return job

    alone = run(1)
    monkeypatch.setattr(batch, "PARALLEL_WORK", 1)
    for block_values in (3, 10_000):
        monkeypatch.setattr(batch, "BLOCK_VALUES", block_values)
        split = run(3)
        assert np.array_equal(alone.final, split.final) and np.array_equal(alone.diverged_at, split.diverged_at)
        for name in alone.series:
            assert np.array_equal(alone.series[name], split.series[name])
        for name in alone.state:
            assert np.array_equal(alone.state[name], split.state[name])


def test_a_lone_unit_of_work_runs_on_the_calling_thread(monkeypatch):
    """One configuration over one block cannot be split: it runs here, whatever its size, not on the pool."""
    monkeypatch.setattr(batch, "PARALLEL_WORK", 1)
    monkeypatch.setattr(batch, "SMALL_WORK", 0)  # past the single-call path for small runs

    def no_pool(count):
        raise AssertionError("a lone unit of work went to the thread pool")

    monkeypatch.setattr(batch, "_pool", no_pool)
    optimizer = REGISTRY["adam"]
    job = batch.Job(optimizer, optimizer.hyper({}), np.full((1, 1), 0.01), np.zeros((1, 1)), {}, ("params",))
    batch.run_jobs(gradients.Explicit(np.ones((40, 1))), [job], workers=2)
    assert job.series["params"].shape == (1, 41, 1) and np.isfinite(job.final).all()


def test_a_deadline_in_the_past_stops_the_run():
    grads = np.zeros((10, 2))
    with pytest.raises(batch.BudgetExceeded, match="over the time budget"):
        simulate(grads, [RunSpec(REGISTRY["adam"], {})], deadline=0.0)


def test_divergence_in_a_later_block_truncates_every_block(monkeypatch):
    monkeypatch.setattr(batch, "BLOCK_VALUES", 2)
    grads = np.ones((10, 6))
    grads[4, 5] = np.inf
    fast, slow = both(grads, [RunSpec(REGISTRY["sgd"], {"lr": 0.1})], record=EVERYTHING)
    assert fast[0].diverged_at == 5
    assert_same(fast[0], slow[0], "sgd blocks")


def test_synthetic_blocks_are_the_full_array_bit_for_bit():
    source = gradients.TrendNoise(steps=17, dim=23, seed=5, noise_std=0.3)
    full = gradients.trend_noise(17, 23, 5, 0.3)
    for width in (1, 4, 23, 100):
        pieces = np.concatenate([b[:, o : o + w] for _, w, b, o in source.blocks(width)], axis=1)
        assert np.array_equal(pieces, full)


@pytest.mark.parametrize(
    ("pattern", "parameters"),
    [("sine", {"amplitude": 2.0, "period": 7.0, "phase": 0.3, "phase_shift": 0.11, "offset": -0.5}), ("constant", {})],
)
def test_column_patterns_come_a_block_at_a_time_bit_for_bit(monkeypatch, pattern, parameters):
    monkeypatch.setattr(gradients, "SMALL", 10)  # generated by blocks, not whole
    source = gradients.Columns(pattern, 17, 23, **parameters)
    full = gradients.generate(pattern, 17, 23, **parameters)
    assert np.array_equal(source.build(), full)
    for width in (1, 4, 23, 100):
        blocks = list(source.blocks(width))
        assert all(b.shape == (17, w) and o == 0 for _, w, b, o in blocks)  # never the whole array at once
        assert [start for start, *_ in blocks] == list(range(0, 23, width))
        assert np.array_equal(np.concatenate([b for _, _, b, _ in blocks], axis=1), full)
    specs = [RunSpec(REGISTRY["adam"], {"lr": 0.1}), RunSpec(REGISTRY["sgd"], {"lr": 0.5, "momentum": 0.9})]
    monkeypatch.setattr(batch, "BLOCK_GRADIENTS", 40)
    streamed = simulate_source(source, specs, record=("params",), record_every=3, include_gradients=True)
    explicit = simulate_source(
        full, specs, record=("params",), record_every=3, include_gradients=True, engine="reference"
    )
    assert np.array_equal(streamed.gradients, explicit.gradients)
    for a, b in zip(streamed.runs, explicit.runs, strict=True):
        assert np.array_equal(a.final, b.final) and np.array_equal(a.series["params"], b.series["params"])


def test_a_column_pattern_beyond_float64_stops_at_its_block(monkeypatch):
    monkeypatch.setattr(gradients, "SMALL", 10)
    source = gradients.Columns("sine", 5, 8, amplitude=1e308, offset=1e308)
    with pytest.raises(gradients.NonFiniteGradients, match="sine"):
        list(source.blocks(2))


def test_synthetic_source_runs_like_its_array(monkeypatch):
    monkeypatch.setattr(batch, "BLOCK_GRADIENTS", 40)
    source = gradients.TrendNoise(steps=20, dim=9, seed=1)
    specs = [RunSpec(REGISTRY["adam"], {"lr": 0.1}), RunSpec(REGISTRY["sgd"], {"lr": 10.0, "momentum": 0.9})]
    streamed = simulate_source(source, specs, record=("params",), record_every=4, include_gradients=True)
    explicit = simulate_source(source.build(), specs, record=("params",), record_every=4, include_gradients=True)
    assert np.array_equal(streamed.gradients, explicit.gradients)
    assert np.array_equal(streamed.gradients, source.build()[streamed.recorded_steps - 1])
    for a, b in zip(streamed.runs, explicit.runs, strict=True):
        assert np.array_equal(a.final, b.final) and np.array_equal(a.series["params"], b.series["params"])


@pytest.mark.parametrize(
    ("steps", "every", "kept"), [(10, 1, list(range(1, 11))), (10, 3, [3, 6, 9, 10]), (9, 3, [3, 6, 9]), (2, 5, [2])]
)
def test_recorded_steps_end_with_the_last(steps, every, kept):
    assert batch.recorded_steps(steps, every).tolist() == kept


def test_a_batch_of_learning_rates_equals_separate_runs():
    """One job with N configurations (a sweep) gives each configuration's single run exactly."""
    optimizer = REGISTRY["adam"]
    grads = gradients.Explicit(np.random.default_rng(0).normal(size=(40, 3)))
    rates = np.array([1e-3, 0.1, 1e6, 0.5])
    job = batch.Job(optimizer, optimizer.hyper({}), np.tile(rates, (40, 1)), np.ones((4, 3)), {}, ("params",))
    batch.run_jobs(grads, [job])
    for n, lr in enumerate(rates):
        (alone,) = simulate(grads.values, [RunSpec(optimizer, {"lr": float(lr)})], initial=1.0, record=("params",))
        assert np.array_equal(job.final[n], alone.final)
        assert (job.diverged_at[n] or None) == alone.diverged_at
        kept = int(job.kept_rows[n])
        assert np.array_equal(job.series["params"][n, : kept + 1], alone.series["params"])


SCALING = [name for name in COMPILED if REGISTRY[name].scales_with_lr]


def test_optimizers_whose_state_reads_lr_or_params_do_not_scale():
    assert set(COMPILED) - set(SCALING) == {"rprop", "asgd"}
    adam = REGISTRY["adam"]
    assert adam.lr_linear(adam.hyper({})) and not adam.lr_linear(adam.hyper({"weight_decay": 0.1}))
    assert not REGISTRY["adamw"].lr_linear(REGISTRY["adamw"].hyper({}))  # weight_decay 0.01 by default


def sweep_both_ways(monkeypatch, optimizer, hyper, rates, grads, initial, record, every=1, per_step=None):
    """The same lr sweep run scaled (once, at the largest lr) and through the kernel for every configuration;
    also whether the scaled run took the scaled path (it hands a job back when values near overflow)."""
    jobs, taken = [], []
    scale = batch._run_scaled
    monkeypatch.setattr(batch, "_run_scaled", lambda *args: taken.append(scale(*args)) or taken[-1])
    for scaled in (True, False):
        monkeypatch.setattr(batch, "SCALED_MIN_CONFIGS", 2 if scaled else 10**9)
        job = batch.Job(optimizer, hyper, rates[None, :], initial, per_step or {}, record)
        batch.run_jobs(grads, [job], every)
        jobs.append(job)
    return (*jobs, taken)


@pytest.mark.parametrize("name", SCALING)
def test_a_scaled_lr_sweep_equals_running_every_configuration(name, monkeypatch):
    """An lr sweep of an optimizer whose steps scale with lr runs it once and scales the steps: every
    recorded series equals the kernel's run of each configuration, to rounding."""
    optimizer = REGISTRY[name]
    rng = np.random.default_rng(sum(map(ord, name)) + 1)
    for case in range(4):
        values = {**random_hyperparameters(optimizer, rng), "weight_decay": 0.0}
        hyper = optimizer.hyper({k: v for k, v in values.items() if k in optimizer.hyper_type._fields})
        steps, dim, configs = int(rng.integers(1, 300)), int(rng.integers(1, 4)), int(rng.integers(2, 30))
        grads = gradients.Explicit(rng.normal(0, 10.0 ** rng.uniform(-2, 1), (steps, dim)))
        rates = 10 ** rng.uniform(-4, 0, configs)
        initial = rng.normal(0, 1, (configs, dim))
        scaled, each, taken = sweep_both_ways(
            monkeypatch, optimizer, hyper, rates, grads, initial, EVERYTHING, 1 + case
        )
        assert taken == [True]
        assert not scaled.diverged_at.any() and np.array_equal(scaled.kept_rows, each.kept_rows)
        assert_matches(scaled.final, each.final, f"{name} case {case} final", rtol=1e-11)
        assert scaled.series.keys() == each.series.keys() and scaled.state.keys() == each.state.keys()
        for key in scaled.series:
            assert_matches(scaled.series[key], each.series[key], f"{name} case {case} {key}", rtol=1e-11)
        for key in scaled.state:
            assert np.array_equal(scaled.state[key], each.state[key]), f"{name} case {case} state {key}"


def test_a_scaled_sweep_that_would_diverge_runs_every_configuration(monkeypatch):
    """Near float64's limit the kernel runs each configuration, for the exact step it diverges at."""
    optimizer = REGISTRY["sgd"]
    grads = gradients.Explicit(np.full((20, 2), 1e10))
    rates = np.array([1e-3, 1e297, 1e300])  # steps of 1e307 overflow at the 18th; of 1e310 at once
    initial = np.zeros((3, 2))
    scaled, each, taken = sweep_both_ways(
        monkeypatch, optimizer, optimizer.hyper({}), rates, grads, initial, ("params",)
    )
    assert taken == [False]
    assert scaled.diverged_at.tolist() == each.diverged_at.tolist() == [0, 18, 1]
    assert np.array_equal(scaled.final, each.final)
    assert np.array_equal(scaled.series["params"], each.series["params"])


def test_a_scaled_sweep_runs_its_largest_lr_which_finds_an_overflow_within_a_step(monkeypatch):
    """Adamax's step computes (-lr m) / u, as torch does: at lr = 2 and m = 1e308 that overflows, though m / u
    is 1. The scaled sweep ran lr = 1 and scaled by 2, finite: the kernel's (and torch's) run diverges."""
    optimizer = REGISTRY["adamax"]
    grads = gradients.Explicit(np.array([[1e308]]))
    scaled, each, taken = sweep_both_ways(
        monkeypatch, optimizer, optimizer.hyper({"beta1": 0.0}), np.array([0.5, 2.0]), grads, np.zeros((2, 1)), ()
    )
    assert taken == [False]
    assert scaled.diverged_at.tolist() == each.diverged_at.tolist() == [0, 1]
    assert np.array_equal(scaled.final, each.final)


def test_each_engine_version_keeps_its_own_kernel_directory(tmp_path, monkeypatch):
    monkeypatch.setenv(compiled.CACHE_ENV, str(tmp_path))
    stale = tmp_path / "0123456789abcdef"
    recent = tmp_path / "fedcba9876543210"
    unrelated = tmp_path / "some-other-directory-long"
    # Named like a version, but holding someone else's file, or not a digest: never removed.
    lookalike, not_hex = tmp_path / "abcdefabcdefabcd", tmp_path / "notes-2025-11-01"
    for directory in (stale, recent, unrelated, lookalike, not_hex):
        directory.mkdir()
    (stale / "optiscope_kernel_adam.py").write_text("# generated")
    (stale / "__pycache__").mkdir()
    (lookalike / "optiscope_kernel_adam.py").write_text("# generated")
    (lookalike / "thesis.tex").write_text("precious")
    month_ago = time.time() - compiled.STALE_SECONDS - 60
    for directory in (stale, unrelated, lookalike, not_hex):
        os.utime(directory, (month_ago, month_ago))

    digest, directory = compiled._kernel_dir.__wrapped__()

    assert directory == tmp_path / compiled.source_digest() and digest == directory.name
    assert directory.is_dir()
    assert not stale.exists()  # another version, unused for a month
    assert recent.exists() and unrelated.exists()  # in use lately; not a version's directory
    assert (lookalike / "thesis.tex").exists() and not_hex.exists()


def test_long_runs_index_arrays_are_kept_for_two_shapes_only():
    # 64 cached (T,) int64 pairs held 1.1 GB after 80 requests of ~10^6 steps, each of a different length.
    cached = (batch._rows.short.cache_info().currsize, batch.no_rows.short.cache_info().currsize)
    for steps in range(batch.CACHED_STEPS + 1, batch.CACHED_STEPS + 6):
        for record in ((), ("params",)):
            source = gradients.TrendNoise(steps=steps, dim=1)
            simulate_source(source, [RunSpec(REGISTRY["adam"], {"lr": 0.01})], record=record, record_every=7)
    assert (batch._rows.short.cache_info().currsize, batch.no_rows.short.cache_info().currsize) == cached
    assert batch._rows.long.cache_info().currsize == batch.no_rows.long.cache_info().currsize == 2
    assert batch.recorded_steps(20, 7).tolist() == [7, 14, 20] and batch.recorded_steps(20, 7) is batch.recorded_steps(
        20, 7
    )


def test_threads_looking_for_the_kernel_cache_at_once_all_find_it(tmp_path, monkeypatch):
    # Each probed the directory with the same file (per process): one thread's unlink made another's fail,
    # and with every candidate failing so, "no writable directory for compiled kernels".
    from concurrent.futures import ThreadPoolExecutor

    monkeypatch.setenv(compiled.CACHE_ENV, str(tmp_path / "kernels"))
    with ThreadPoolExecutor(16) as pool:
        found = list(pool.map(lambda _: compiled.cache_dir(), range(2000)))
    assert set(found) == {tmp_path / "kernels"}
