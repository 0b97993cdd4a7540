"""`make bench` (or `python -m benchmarks.run [--quick] [--out BENCHMARKS.md]`): W1-W4, JSON, HTTP.

Every workload runs its contenders in rounds, one call of each per round in turn, so that whatever
else the machine is doing hits all of them alike; the table gives each one's median and min-max over
the rounds and its median time over the engine's (the ratio: above 1 means the engine is faster).
torch.optim and optax join when the `bench` extra is installed; optax's compilation is timed apart.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import orjson

# torch's OpenMP threads spin between calls by default, stealing a core from whatever runs next.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from benchmarks import alternatives as alt  # noqa: E402
from service.api import floatjson, responses  # noqa: E402
from service.engine import REGISTRY, RunSpec, batch, gradients, simulate_source  # noqa: E402
from service.engine.sweep import constant_plan, sweep_open_loop  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def rounds(contenders: dict, count: int, inner: int = 1) -> dict[str, list[float]]:
    """Seconds per call of each contender, round by round: in each round every contender in turn makes
    one untimed call (its caches warm again after the others ran) and `inner` timed ones, of which the
    round keeps the median. Whatever else the machine does meanwhile hits every contender alike."""
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(count):
        for name, fn in contenders.items():
            fn()
            calls = []
            for _ in range(inner):
                started = time.perf_counter()
                fn()
                calls.append(time.perf_counter() - started)
            times[name].append(statistics.median(calls))
    return times


def fmt(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


class Report:
    def __init__(self) -> None:
        self.sections: list[str] = []
        self.verdicts: list[tuple[str, str, str]] = []

    def table(self, title: str, note: str, times: dict[str, list[float]], ours: str, extra: dict | None = None):
        base = statistics.median(times[ours])
        lines = [f"### {title}", "", note, "", "| contender | median | min – max | × engine |", "|---|---|---|---|"]
        for name, values in sorted(times.items(), key=lambda item: statistics.median(item[1])):
            median = statistics.median(values)
            lines.append(f"| {name} | {fmt(median)} | {fmt(min(values))} – {fmt(max(values))} | {median / base:.2f} |")
        for name, text in (extra or {}).items():
            lines.append(f"| {name} | {text} | | |")
        self.sections.append("\n".join(lines) + "\n")
        print("\n".join(lines), flush=True)
        return base

    def text(self, text: str) -> None:
        self.sections.append(text)
        print(text, flush=True)

    def verdict(self, target: str, measured: str, met: str) -> None:
        self.verdicts.append((target, measured, met))


def ratio_verdict(report, target, ours, theirs, factor=1.0):
    if theirs is None:
        report.verdict(target, "alternative not installed", "not measured")
        return
    met = ours <= factor * theirs
    how = "met" if met else f"missed: {ours / (factor * theirs):.2f}x over"
    report.verdict(target, f"engine {fmt(ours)} vs {fmt(theirs)} (x{factor:g} allowed)", how)


def w1(report, count):
    grads = gradients.tutorial()
    source = gradients.Explicit(grads)
    specs = [
        RunSpec(REGISTRY["sgd"], {"lr": 0.1}),
        RunSpec(REGISTRY["adagrad"], {"lr": 0.1, "eps": 1e-8}),
        RunSpec(REGISTRY["rmsprop"], {"lr": 0.1, "alpha": 0.9, "eps": 1e-8}),
        RunSpec(REGISTRY["adam"], {"lr": 0.1, "eps": 1e-8}),
    ]
    record = ("params", "learning_rates")
    values = grads[:, 0].tolist()
    contenders = {
        "Optiscope engine (compiled)": lambda: simulate_source(source, specs, record=record),
        "plain Python loop": lambda: alt.python_tutorial(values),
        "numpy step loop (engine='reference')": lambda: simulate_source(
            source, specs, record=record, engine="reference"
        ),
    }
    extra = {}
    if alt.torch is not None:
        contenders["torch.optim (params only)"] = alt.torch_tutorial(values)
    if alt.optax is not None:
        run, seconds = alt.optax_tutorial(grads)
        contenders["optax jit + scan (params only)"] = run
        extra["optax compile (once per shape)"] = fmt(seconds)
    times = rounds(contenders, count, inner=20)
    ours = report.table(
        "W1 tutorial: T=50, D=1, 4 optimizers, lr + params per step",
        "Engine call: `simulate_source` over the tutorial's gradients, recording params and learning rates.",
        times,
        "Optiscope engine (compiled)",
        extra,
    )
    met = ours < 50e-6
    report.verdict("W1 engine time under 50 µs", fmt(ours), "met" if met else f"missed: {ours / 50e-6:.2f}x over")


def w2(report, count):
    steps = 100_000
    grads = np.random.default_rng(0).normal(size=(steps, 1))
    source = gradients.Explicit(grads)
    spec = [RunSpec(REGISTRY["adam"], {"lr": 1e-3})]
    values = grads[:, 0].tolist()
    contenders = {
        "Optiscope engine (compiled)": lambda: simulate_source(source, spec, record=("params",)),
        "plain Python loop": lambda: alt.python_adam(values),
    }
    slow = {
        "numpy step loop (engine='reference')": lambda: simulate_source(
            source, spec, record=("params",), engine="reference"
        )
    }
    extra, optax_time = {}, None
    if alt.torch is not None:
        slow["torch.optim Adam"] = alt.torch_adam_sequence(grads)
    if alt.optax is not None:
        run, seconds = alt.optax_adam_sequence(grads)
        contenders["optax jit + lax.scan"] = run
        extra["optax compile (once per shape)"] = fmt(seconds)
    times = rounds(contenders, count)
    times.update(rounds(slow, max(2, count // 5)))
    if alt.optax is not None:
        optax_time = statistics.median(times["optax jit + lax.scan"])
    ours = report.table(
        "W2 long: T=100,000, D=1, Adam, params per step",
        "The numpy loop and torch.optim take seconds: they run fewer rounds.",
        times,
        "Optiscope engine (compiled)",
        extra,
    )
    ratio_verdict(report, "W2 at least as fast as optax jit", ours, optax_time)


def w3(report, count, threads):
    steps, dim = 100, 1_000_000
    grads = np.random.default_rng(0).normal(size=(steps, dim))
    source = gradients.Explicit(grads)
    spec = [RunSpec(REGISTRY["adam"], {"lr": 1e-3})]
    contenders = {
        f"Optiscope engine (compiled, {threads} threads)": lambda: simulate_source(source, spec, record=()),
    }
    slow = {
        "numpy step loop (engine='reference')": lambda: simulate_source(source, spec, record=(), engine="reference")
    }
    extra, fused = {}, None
    if alt.torch is not None:
        contenders[f"torch.optim Adam fused ({threads} threads)"] = alt.torch_adam_wide(grads, fused=True)
        contenders[f"torch.optim Adam foreach ({threads} threads)"] = alt.torch_adam_wide(grads, foreach=True)
        slow["torch.optim Adam single-tensor"] = alt.torch_adam_wide(grads, foreach=False)
    if alt.optax is not None:
        run, seconds = alt.optax_adam_wide(grads)
        contenders["optax jit + lax.scan"] = run
        extra["optax compile (once per shape)"] = fmt(seconds)
    sample = grads[:, :2000]
    started = time.perf_counter()
    alt.python_adam_wide(sample)
    python_estimate = (time.perf_counter() - started) * dim / sample.shape[1]
    extra["plain Python loop (estimated from D=2,000)"] = fmt(python_estimate)
    if alt.torch is not None:
        alt.torch.set_num_threads(threads)
    times = rounds(contenders, count)
    times.update(rounds(slow, 2))
    if alt.torch is not None:
        alt.torch.set_num_threads(1)
    ours_name = next(iter(contenders))
    if alt.torch is not None:
        fused = statistics.median(times[f"torch.optim Adam fused ({threads} threads)"])
    ours = report.table(
        "W3 wide: T=100, D=10^6, Adam, final params",
        "Gradients: one (T, D) float64 array in memory (800 MB), the same for everyone.",
        times,
        ours_name,
        extra,
    )
    ratio_verdict(report, "W3 within 1.25x of torch fused", ours, fused, 1.25)


def w4(report, count):
    steps, configs = 1000, 1000
    grads = np.random.default_rng(0).normal(size=(steps, 1))
    rates = np.logspace(-4, 0, configs)
    adam = REGISTRY["adam"]
    source = gradients.Explicit(grads)
    lr_configs = [{"lr": float(lr)} for lr in rates]
    zero = np.zeros(1)

    def ours():
        return sweep_open_loop(source, adam, lr_configs, constant_plan(steps), zero, zero)

    from service.engine.simulate import run as reference_run

    hyper = adam.hyper({})
    batched_rates = np.broadcast_to(rates[None, :, None], (steps, configs, 1))

    def numpy_loop():
        return reference_run(adam, hyper, grads, np.zeros((configs, 1)), (), batched_rates)

    def every_configuration():
        # What a sweep over anything but lr costs: no scaling, each configuration through the kernel.
        saved, batch.SCALED_MIN_CONFIGS = batch.SCALED_MIN_CONFIGS, configs + 1
        try:
            return ours()
        finally:
            batch.SCALED_MIN_CONFIGS = saved

    contenders = {
        "Optiscope engine (compiled)": ours,
        "Optiscope engine, every configuration through the kernel": every_configuration,
        "numpy step loop (all configs as one array)": numpy_loop,
    }
    extra, optax_time = {}, None
    if alt.optax is not None:
        run, seconds = alt.optax_adam_sweep(grads, rates)
        contenders["optax vmap + lax.scan"] = run
        extra["optax compile (once per shape)"] = fmt(seconds)
    times = rounds(contenders, count)
    values = grads[:, 0].tolist()
    times.update(rounds({"plain Python loop": lambda: alt.python_adam_sweep(values, rates)}, 2))
    if alt.torch is not None:
        few = rates[:: configs // 20]
        torch_run = alt.torch_adam_sweep(grads, few)
        times["torch.optim Adam, one optimizer per config (est. from 20 configs x50)"] = [
            t * configs / len(few) for t in rounds({"torch": torch_run}, 2)["torch"]
        ]
    if alt.optax is not None:
        optax_time = statistics.median(times["optax vmap + lax.scan"])
    ours_time = report.table(
        "W4 sweep: 1,000 Adam configurations (lr log-spaced), T=1,000, D=1, final params",
        "Engine call: `sweep_open_loop`. Adam's steps scale with lr, so the engine runs it once (at the largest "
        "lr) and scales (`batch._run_scaled`); the second row forces every configuration through the kernel (lr "
        "as its batch dimension), which is what a sweep over any other hyperparameter costs.",
        times,
        "Optiscope engine (compiled)",
        extra,
    )
    ratio_verdict(report, "W4 at least as fast as optax vmap", ours_time, optax_time)


def serialization(report, count):
    values = np.random.default_rng(0).normal(size=1_000_000)
    column = values.reshape(-1, 1)  # a recorded series of one coordinate: one-number rows
    as_list = values.tolist()
    floatjson.warm_up()
    threads = responses._writers()[0]._max_workers
    ours = f"Optiscope writer, (10^6, 1) rows in blocks on {threads} threads (as the service streams)"
    times = rounds(
        {
            ours: lambda: sum(len(block) for block in responses._blocks(column)),
            "Optiscope writer, (10^6, 1) rows, one call": lambda: floatjson.rows_json(column),
            "orjson, (10^6, 1) rows": lambda: orjson.dumps(column, option=orjson.OPT_SERIALIZE_NUMPY),
            "orjson, flat, brackets put in after (the service before)": lambda: orjson.dumps(
                values, option=orjson.OPT_SERIALIZE_NUMPY
            ).replace(b",", b"],["),
            "orjson, flat numpy array (no rows)": lambda: orjson.dumps(values, option=orjson.OPT_SERIALIZE_NUMPY),
            "orjson, flat Python list": lambda: orjson.dumps(as_list),
        },
        count,
    )
    times.update(rounds({"stdlib json, flat Python list": lambda: json.dumps(as_list)}, 2))
    report.table(
        "JSON, 10^6 floats",
        "Serialization alone, in process, of 10^6 normal draws (shortest round-trip digits, ~19 bytes each). "
        "The service writes float64 arrays with its own compiled writer (`service/api/floatjson.py`: orjson's "
        "bytes, checked by tests, written without holding the GIL), so a large answer's blocks are written on "
        "every core while the event loop sends.",
        times,
        ours,
    )


def compile_times(report):
    """Cold compile (empty kernel cache) and warm load, each in a fresh process."""
    from service.engine import compiled

    code = "import time; t = time.perf_counter(); from service.engine import warm_up; warm_up(); "
    code += "print(time.perf_counter() - t)"
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "OPTISCOPE_KERNEL_CACHE": cache}
        seconds = []
        for _ in range(2):
            done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=ROOT)
            seconds.append(float(done.stdout))
    cold, warm = seconds
    kernels = sum(1 for o in REGISTRY.values() if compiled.supports(o))
    report.text(
        "### Compilation\n\n"
        f"`warm_up()` in a fresh process: **{cold:.1f} s** with an empty kernel cache (compiles {kernels} kernels: "
        f"once per machine, or after the engine's sources change), **{warm:.2f} s** when the cache is there "
        "(every later start). The app runs it in its lifespan, before serving.\n"
    )


def machine() -> str:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import numba

    versions = [f"Python {platform.python_version()}", f"numpy {np.__version__}", f"numba {numba.__version__}"]
    if alt.torch is not None:
        versions.append(f"torch {alt.torch.__version__}")
    if alt.optax is not None:
        versions += [f"jax {alt.jax.__version__}", f"optax {alt.optax.__version__}"]
    load = os.getloadavg()
    return (
        f"- CPU: {model}, nproc = {os.cpu_count()}\n- {', '.join(versions)}\n"
        f"- load average at the start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (other jobs may share the machine: "
        "ratios within a table are the comparable numbers)\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="BENCHMARKS.md")
    parser.add_argument("--quick", action="store_true", help="fewer rounds, no HTTP (a smoke run)")
    parser.add_argument("--no-http", action="store_true")
    args = parser.parse_args()
    count = 5 if args.quick else 15
    threads = batch.threads()
    report = Report()
    started = time.time()
    header = machine()
    from service.engine import warm_up

    warm_up()
    if alt.torch is not None:
        alt.torch.set_num_threads(1)  # one tensor of one number: threads only add overhead (W3 uses them)
    w1(report, count * 2)
    w2(report, count)
    w3(report, max(3, count // 3), threads)
    w4(report, count * 2)
    serialization(report, count)
    compile_times(report)
    if not (args.quick or args.no_http):
        from benchmarks import http

        http.measure(report)
    write(report, header, Path(args.out), time.time() - started)


WHY = """### How

- **W1** (tutorial, four optimizers of 50 steps): one compiled kernel call per optimizer on the calling
  thread (`batch._run_small`); what is left is Python around four calls of a few microseconds each
  (resolving hyperparameters, allocating the recorded series, building the results).
- **W2** (one sequence of 10^5 steps): one configuration of one coordinate runs straight in the kernel's loop
  over steps, and Adam's bias corrections stop calling `pow` once `1 - beta**t` is exactly 1.0 in float64
  (`t (1 - beta) >= 38`: after 380 steps for beta1 = 0.9, 38,000 for beta2 = 0.999), which changes no bit.
  Before that, each step calls the C library's `pow` as torch does.
- **W3** (10^6 coordinates): blocks of coordinates with their state in cache, on two threads.
- **W4** (1,000 learning rates): Adam's state does not depend on lr or the parameters, so the engine runs it
  once, at the largest lr, and scales: each configuration's parameters are its start plus lr / lr_max times
  the running sum of that run's updates (`batch._run_scaled`; equal to separate runs to ~1e-13 relative,
  tested). The second engine row runs every configuration through the kernel, as a sweep over any other
  hyperparameter does.
- **10^6 floats end to end**: the simulation (one sequence of 10^6 SGD steps, ~5 ms in the server) keeps
  its parameter and state in registers between steps; the answer is streamed, its series written by the
  compiled writer a block of rows at a time on one thread per core while the event loop sends the blocks
  before them. The writer stores bytes without numba's negative-index checks and eight digits at a time:
  ~27 ns a number on one thread for this SGD trajectory (orjson: ~21 ns as a flat list, under the GIL).

### Still missed

- **HTTP tutorial, computed every time** (the table above; 49-54% over the recent rounds' runs). Timed inside
  the server under the same load (wrk -c8; instrumented scratch servers, not part of this benchmark), a
  tutorial request spends ~285 µs in the app against ~137 µs for the bare endpoint. The same route answering
  a precomputed payload (parsing, validation and the JSON still done) takes ~176 µs (ratio 74-89%), and
  answering precomputed bytes ~128 µs, as fast as the bare endpoint. So the simulation costs ~105 µs of
  server time and its JSON ~48 µs (~10 kB, 458 numbers, by orjson in one call); both run ~1.8x faster alone
  in a loop (59 and 25 µs). 70% needs simulation and JSON together in ~75 µs of server time.
  Tried and measured, in a loop, against what is in place:
  - one compiled call for every run of a small request (a generated kernel calling each optimizer's kernel:
    5.6 µs for the tutorial's four on ready buffers, against ~12 µs for four calls): packing the runs'
    numbers and offsets into its buffers in Python costs what the calls saved (23.7 µs against 21.0 µs for
    the whole small run);
  - the JSON's arrays written by the compiled writer in one call into orjson's document: 22.9 µs against
    orjson's 24.5 µs (gathering the arrays and their shapes costs what the writer saves).
  What is left is Python spread over the layers (request model, run specs, jobs, results, payload), ~1-3 µs
  each; the target would need them gone, not trimmed.
"""


def write(report: Report, header: str, path: Path, seconds: float) -> None:
    verdicts = ["| target | measured | verdict |", "|---|---|---|"]
    verdicts += [f"| {t} | {m} | {v} |" for t, m, v in report.verdicts]
    text = (
        "# Benchmarks\n\n"
        "Written by `make bench` (`python -m benchmarks.run`); every number below comes from one run of it "
        f"({seconds:.0f} s), on this machine:\n\n{header}\n"
        "Method: float64 everywhere, same inputs for every contender; each table's contenders run in rounds, "
        "one after another, each with one untimed call first (W1: then 20 timed calls, the round keeping their "
        "median: microsecond workloads are otherwise dominated by the caches the previous contender evicted); "
        "median and min – max over the rounds; \"× engine\" is a contender's median over the engine's. Engine "
        "times are the engine call in process (no HTTP); HTTP is measured separately.\n\n"
        "## Targets\n\n" + "\n".join(verdicts) + "\n\n" + WHY + "\n## Workloads\n\n" + "\n".join(report.sections) + "\n"
        "Reproduce: `make bench` (installs the `bench` extra: torch==2.13.0, optax, jax into `.venv-bench`), or "
        "`python -m benchmarks.run --out BENCHMARKS.md` in an environment with the project installed.\n"
    )
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
