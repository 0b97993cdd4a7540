"""Compiled loop kernels: the optimizers' own `step` functions, run per coordinate by numba.

For every elementwise optimizer in the registry this module writes a small Python module (the loop
kernel, generated from the optimizer's state and hyperparameter names) into a cache directory,
imports it and compiles it with numba, caching the machine code on disk so that later processes only
load it. The kernel calls the optimizer module's `step` on scalars; nothing about the math is written
here. To make the numpy code compile on scalars unchanged, `step` is compiled from its own code
object with its globals rebound: `np` becomes a numpy namespace whose `where` and `zeros_like` act on
scalars as numpy's do on one-element arrays, and helpers from the engine's modules are compiled the
same way.

Numerics: no fast-math (no reassociation, no fused multiply-add), numpy's error model (division by
zero gives inf or NaN, never an exception), and the step count `t` passed as a float so that
`beta ** t` calls the C library's `pow` as Python does. The kernel therefore reproduces the numpy
path to the last bit in everything but the few library functions numpy itself vectorizes differently.

The cache key of a kernel file includes a hash of the engine's sources and the numba version: a
changed optimizer rewrites its kernel file, and numba (which checks only the file's timestamp)
recompiles it.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import shutil
import sys
import tempfile
import threading
import time
import types
from pathlib import Path
from typing import Any

import numpy as np

from .registry import Optimizer

ENGINE_DIR = Path(__file__).resolve().parent
CACHE_ENV = "OPTISCOPE_KERNEL_CACHE"
# A read-only cache made ahead of time (the container image's, compiled when it was built): copied into
# the cache when the cache lacks it, so that a fresh container loads its kernels instead of compiling.
SEED_ENV = "OPTISCOPE_KERNEL_SEED"
# A version's kernel directory unused for this long is removed by the next version that starts.
STALE_SECONDS = 30 * 24 * 3600
_LOCK = threading.RLock()
_KERNELS: dict[str, Any] = {}
_COMPILE_SECONDS: dict[str, float] = {}
_SKIP = object()


@functools.cache
def available() -> bool:
    """True when numba can be imported (the compiled path is optional: numpy is always there)."""
    try:
        import numba  # noqa: F401
    except ImportError:  # pragma: no cover - numba is a dependency; this guards broken installs
        return False
    return True


def supports(optimizer: Optimizer) -> bool:
    """Elementwise optimizers whose hyperparameters are numbers or flags run compiled."""
    found = _SUPPORTED.get(optimizer.name)
    if found is None:
        numbers = all(h.kind in ("float", "int", "bool") and not h.nullable for h in optimizer.hyperparameters)
        found = _SUPPORTED[optimizer.name] = optimizer.elementwise and numbers
    return found


_SUPPORTED: dict[str, bool] = {}


def cache_dir() -> Path:
    """Where generated kernels and numba's cache live: $OPTISCOPE_KERNEL_CACHE, else the user cache; the
    temporary directory when that cannot be written (a container user without a home, a read-only image)."""
    configured = os.environ.get(CACHE_ENV)
    if configured:
        preferred = Path(configured)
    else:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        preferred = Path(base) / "optiscope" / "kernels"
    for candidate in (preferred, Path(tempfile.gettempdir()) / f"optiscope-kernels-{os.getuid()}"):
        try:
            candidate.mkdir(parents=True, exist_ok=True)
            # One probe per thread: threads compiling at once (an app serving before its warm-up) unlinked
            # each other's probe, and found no writable directory.
            probe = candidate / f".writable-{os.getpid()}-{threading.get_ident()}"
            probe.touch()
            probe.unlink()
        except OSError:
            continue
        seed = os.environ.get(SEED_ENV)
        if seed:
            _seed(Path(seed), candidate)
        return candidate
    raise OSError(f"no writable directory for compiled kernels: set {CACHE_ENV}")


@functools.cache
def _seed(seed: Path, cache: Path) -> None:
    """Copy what the cache lacks of `seed` (an engine version's kernels, the JSON writer's code), keeping
    the files' times: numba's cache takes a kernel's machine code only if its source file's time and size
    are those it was compiled from. Machine code for another CPU is simply recompiled. Each entry is
    copied aside and renamed into place, so that another process starting at the same time never reads
    half a copy."""
    if not seed.is_dir() or seed.resolve() == cache.resolve():
        return
    for entry in seed.iterdir():
        target = cache / entry.name
        if target.exists() or entry.name.startswith("."):
            continue
        aside = cache / f".seeding-{os.getpid()}-{entry.name}"
        try:
            if entry.is_dir():
                shutil.copytree(entry, aside, copy_function=shutil.copy2)
            else:
                shutil.copy2(entry, aside)
            os.rename(aside, target)
        except OSError:  # copied by another process meanwhile, or not at all: at worst a compilation
            if aside.is_dir():
                shutil.rmtree(aside, ignore_errors=True)
            else:
                aside.unlink(missing_ok=True)


def hyper_values(hyper: Any) -> np.ndarray:
    """The hyperparameters as the kernel takes them: one float64 per field (flags as 0 or 1; the
    kernel turns them back into bools and ints). Shared and read-only: callers must not write."""
    try:
        return _hyper_array(hyper)
    except TypeError:  # an unhashable value (an array): no caching
        return np.array(hyper, dtype=np.float64)


@functools.lru_cache(maxsize=1024)
def _hyper_array(hyper: Any) -> np.ndarray:
    values = np.array(hyper, dtype=np.float64)
    values.flags.writeable = False
    return values


# --- compiling step functions on scalars ---------------------------------------------------------


def _scalar_where(condition, x, y):
    return x if condition else y


def _scalar_zeros_like(x):
    return 0.0


class _Rebinder:
    """Compiles engine functions from their code objects with scalar-friendly globals (see module doc)."""

    def __init__(self, numba_module) -> None:
        self.numba = numba_module
        self.options = {"inline": "always", "error_model": "numpy"}
        scalar_np = types.ModuleType("numpy_on_scalars")
        scalar_np.__dict__.update(np.__dict__)
        scalar_np.where = numba_module.njit(**self.options)(_scalar_where)
        scalar_np.zeros_like = numba_module.njit(**self.options)(_scalar_zeros_like)
        self.scalar_np = scalar_np
        self.functions: dict[Any, Any] = {}
        self.modules: dict[Any, Any] = {}

    def _rebind(self, value: Any) -> Any:
        if value is np:
            return self.scalar_np
        if isinstance(value, types.ModuleType) and value.__name__.startswith("service.engine"):
            return self.module(value)
        if isinstance(value, types.FunctionType) and value.__module__.startswith("service.engine"):
            return self.function(value)
        return _SKIP

    def function(self, fn: types.FunctionType):
        if fn not in self.functions:
            namespace = dict(fn.__globals__)
            for name in fn.__code__.co_names:
                if name in namespace:
                    rebound = self._rebind(namespace[name])
                    if rebound is not _SKIP:
                        namespace[name] = rebound
            copy = types.FunctionType(fn.__code__, namespace, fn.__name__, fn.__defaults__, fn.__closure__)
            self.functions[fn] = self.numba.njit(**self.options)(copy)
        return self.functions[fn]

    def module(self, module: types.ModuleType):
        if module not in self.modules:
            copy = types.ModuleType(module.__name__ + "_on_scalars")
            self.modules[module] = copy
            for name, value in vars(module).items():
                rebound = _SKIP
                if value is np or (isinstance(value, types.FunctionType) and value.__module__ == module.__name__):
                    rebound = self._rebind(value)
                setattr(copy, name, value if rebound is _SKIP else rebound)
        return self.modules[module]


_REBINDER: _Rebinder | None = None


def compiled_step(optimizer: Optimizer):
    """The optimizer's own `step`, compiled for scalars (inlined into the kernel that calls it)."""
    return _rebinder().function(optimizer.step)


def compiled_init(optimizer: Optimizer):
    """The optimizer's own `init`, compiled for one scalar parameter."""
    return _rebinder().function(optimizer.init)


def _rebinder() -> _Rebinder:
    global _REBINDER
    with _LOCK:
        if _REBINDER is None:
            import numba

            _REBINDER = _Rebinder(numba)
        return _REBINDER


# --- the generated loop kernel ---------------------------------------------------------------------

TEMPLATE = """\
\"\"\"Generated loop kernel for `{name}` (do not edit: rewritten when the engine's sources change).
source hash: {digest}\"\"\"
import collections

import numba
from numba import types as nt

from service.engine.compiled import compiled_init, compiled_step
from service.engine.optimizers import REGISTRY

Hyper = collections.namedtuple("Hyper", {hyper_names!r})
State = collections.namedtuple("State", {state_names!r})
step = compiled_step(REGISTRY[{name!r}])
init = compiled_init(REGISTRY[{name!r}])

F1 = nt.Array(nt.float64, 1, "C")
F2 = nt.Array(nt.float64, 2, "C")
F3 = nt.Array(nt.float64, 3, "C")
F4 = nt.Array(nt.float64, 4, "C")
I1 = nt.Array(nt.int64, 1, "C")
ROWS = nt.Array(nt.int64, 1, "C", readonly=True)
GRADS = nt.Array(nt.float64, 2, "C", readonly=True)
I = nt.int64
NUMBERS = nt.Array(nt.float64, 1, "C", readonly=True)
RATES = nt.Array(nt.float64, 2, "C", readonly=True)
# What the kernel only reads is typed read-only, which takes writable and read-only arrays alike (a
# schedule's rates may come as a read-only broadcast view).
SIGNATURE = I(GRADS, I, F2, NUMBERS, NUMBERS, I, RATES, I, I, ROWS, I, F3, F3, F3, F4, I1)
K = {width}  # rows of `lanes`: the parameters, {k} state arrays, divergence counts


@numba.njit([SIGNATURE], cache=True, nogil=True, error_model="numpy")
def kernel(grads, g_offset, lanes, hv, over, over_field, lr, t_start, t_stop, rows, out_offset,
           rec_params, rec_rates, rec_updates, rec_state, first_bad):
    \"\"\"Steps t_start..t_stop-1 (0-based) of N configurations over a block of B coordinates.

    `lanes` is (K, N*B), one column per coordinate of each configuration (configuration-major): row 0
    the parameters, then the optimizer state, and last a count of non-finite steps (kept in each
    configuration's first column). One array for everything the loop writes keeps the number of
    runtime overlap checks small enough for the loop over coordinates to vectorize. The block's
    gradients are grads[:, g_offset:g_offset + B] (C order: the loop knows their stride); lr is
    (T, N), or (1, N) when constant over the steps; hv holds the hyperparameters as numbers,
    constant but for field `over_field` (if >= 0), which takes over[t]. rows[t] >= 0 records step t
    into row rows[t] + 1 of rec_params and row rows[t] of the others, at column out_offset + j; a call
    from step 0 records the starting parameters as row 0 of rec_params. A
    configuration whose params, rate or state turn non-finite at step t gets first_bad[n] = t + 1 (the
    earliest over calls). Returns how many configurations have gone bad.
    \"\"\"
    configs = lr.shape[1]
    lr_varies = lr.shape[0] > 1
    width = lanes.shape[1] // configs
    keep_params = rec_params.shape[0] > 0
    keep_rates = rec_rates.shape[0] > 0
    keep_updates = rec_updates.shape[0] > 0
    keep_state = rec_state.shape[0] > 0
    if t_start == 0:
        # The state, created at the first step with the hyperparameters in force then (as torch does),
        # and the starting point as the recorded parameters' first row.
        for n in range(configs):
            first = Hyper({hyper_init})
            for j in range(width):
                i = n * width + j
                new = init(lanes[0, i], first)
{init_store}
                lanes[K - 1, i] = 0.0
                if keep_params:
                    rec_params[n, 0, out_offset + j] = lanes[0, i]
    if configs == 1 and width == 1:
        # One long sequence: the step straight in the loop over steps. An inner loop (even of one
        # iteration) lets the compiler hoist the step's powers of beta out of it unconditionally,
        # defeating the saturation test that skips them (optimizers._common.bias_correction).
        # The parameter and the state live in locals (registers) between steps, not in `lanes`: the
        # compiler cannot tell that the recording stores leave `lanes` alone, and would reload them.
        i = 0
        p = lanes[0, 0]
{state_locals}
        for t in range(t_start, t_stop):
            tf = float(t + 1)
            hyper = Hyper({hyper_t})
            lt = t if lr_varies else 0
            update, rate, new = step(grads[t, g_offset], p, State({state_vars}), hyper, lr[lt, 0], tf)
            new_p = p + update
            b = (new_p - new_p != 0.0) | (rate - rate != 0.0){state_check}
            p = new_p
{state_next}
            row = rows[t]
            if row >= 0:
{record_single}
            if b and first_bad[0] == 0:
                first_bad[0] = t + 1
        lanes[0, 0] = p
{state_back}
        return int(first_bad[0] > 0)
    for t in range(t_start, t_stop):
        tf = float(t + 1)
        lt = t if lr_varies else 0
        hyper = Hyper({hyper_t})
        row = rows[t]
        nbad = 0
        if width == 1:
            g = grads[t, g_offset]
            if row < 0:
                for i in range(configs):
                    p = lanes[0, i]
                    update, rate, new = step(g, p, State({state_load}), hyper, lr[lt, i], tf)
                    new_p = p + update
                    b = (new_p - new_p != 0.0) | (rate - rate != 0.0){state_check}
                    lanes[0, i] = new_p
{state_store}
                    lanes[K - 1, i] += b
                    nbad += b
            else:
                for i in range(configs):
                    p = lanes[0, i]
                    update, rate, new = step(g, p, State({state_load}), hyper, lr[lt, i], tf)
                    new_p = p + update
                    b = (new_p - new_p != 0.0) | (rate - rate != 0.0){state_check}
                    lanes[0, i] = new_p
{state_store}
                    lanes[K - 1, i] += b
                    nbad += b
{record}
        else:
            for n in range(configs):
                lr_n = lr[lt, n]
                base = n * width
                nb = 0
                # One-dimensional views indexed by the loop counter: the compiler then sees
                # consecutive accesses and vectorizes (an offset index defeats it).
                gt = grads[t, g_offset : g_offset + width]
                l0 = lanes[0, base : base + width]
{row_views}
                if row < 0:
                    for j in range(width):
                        p = l0[j]
                        update, rate, new = step(gt[j], p, State({state_load_inner}), hyper, lr_n, tf)
                        new_p = p + update
                        b = (new_p - new_p != 0.0) | (rate - rate != 0.0){state_check}
                        l0[j] = new_p
{state_store_inner}
                        nb += b
                else:
                    for j in range(width):
                        p = l0[j]
                        update, rate, new = step(gt[j], p, State({state_load_inner}), hyper, lr_n, tf)
                        new_p = p + update
                        b = (new_p - new_p != 0.0) | (rate - rate != 0.0){state_check}
                        l0[j] = new_p
{state_store_inner}
                        nb += b
                        column = out_offset + j
{record_inner}
                lanes[K - 1, base] += nb
                nbad += nb
        if nbad > 0:
            for n in range(configs):
                if lanes[K - 1, n * width] > 0 and (first_bad[n] == 0 or t + 1 < first_bad[n]):
                    first_bad[n] = t + 1
    gone = 0
    for n in range(configs):
        gone += first_bad[n] > 0
    return gone
"""


def _indent(lines: list[str], spaces: int) -> str:
    return "\n".join(" " * spaces + line for line in lines)


def _recording(k: int, config: str, column: str, spaces: int) -> str:
    """The kernel's statements recording step `row` of configuration `config` at column `column`."""
    lines = [
        "if keep_params:",
        f"    rec_params[{config}, row + 1, {column}] = new_p",
        "if keep_rates:",
        f"    rec_rates[{config}, row, {column}] = rate",
        "if keep_updates:",
        f"    rec_updates[{config}, row, {column}] = update",
        "if keep_state:",
        *(f"    rec_state[{config}, {i}, row, {column}] = new[{i}]" for i in range(k)),
    ]
    return _indent(lines if k else [*lines, "    pass"], spaces)


def _hyper_field(i: int, kind: str, step: str = "t") -> str:
    """How the kernel reads hyperparameter i from its numbers: floats may be overridden per step."""
    if kind == "bool":
        return f"hv[{i}] != 0.0"
    if kind == "int":
        return f"int(hv[{i}])"
    return f"over[{step}] if over_field == {i} else hv[{i}]"


def _init_field(i: int, h) -> str:
    return "lr[0, n]" if h.name == "lr" else _hyper_field(i, h.kind, "0")


def kernel_source(optimizer: Optimizer, digest: str) -> str:
    state = list(optimizer.state_names)
    k = len(state)
    return TEMPLATE.format(
        name=optimizer.name,
        digest=digest,
        hyper_names=[h.name for h in optimizer.hyperparameters],
        state_names=state,
        hyper_t=", ".join(_hyper_field(i, h.kind) for i, h in enumerate(optimizer.hyperparameters)),
        hyper_init=", ".join(_init_field(i, h) for i, h in enumerate(optimizer.hyperparameters)),
        init_store=_indent([f"lanes[{i + 1}, i] = new[{i}]" for i in range(k)], 16),
        width=k + 2,
        k=k,
        state_load=", ".join(f"lanes[{i + 1}, i]" for i in range(k)),
        state_check="".join(f" | (new[{i}] - new[{i}] != 0.0)" for i in range(k)),
        state_store=_indent([f"lanes[{i + 1}, i] = new[{i}]" for i in range(k)], 20),
        state_locals=_indent([f"s{i} = lanes[{i + 1}, 0]" for i in range(k)], 8),
        state_vars=", ".join(f"s{i}" for i in range(k)),
        state_next=_indent([f"s{i} = new[{i}]" for i in range(k)], 12),
        state_back=_indent([f"lanes[{i + 1}, 0] = s{i}" for i in range(k)], 8),
        state_store_inner=_indent([f"l{i + 1}[j] = new[{i}]" for i in range(k)], 24),
        state_load_inner=", ".join(f"l{i + 1}[j]" for i in range(k)),
        row_views=_indent([f"l{i + 1} = lanes[{i + 1}, base : base + width]" for i in range(k)], 16),
        record_single=_recording(k, "i", "out_offset", 16),
        record=_recording(k, "i", "out_offset", 20),
        record_inner=_recording(k, "n", "column", 24),
    )


def source_digest() -> str:
    """Hash of everything a kernel's machine code depends on: the engine's sources and numba's version."""
    import numba

    digest = hashlib.sha256(f"numba {numba.__version__} numpy {np.__version__} {sys.version}".encode())
    for path in sorted(ENGINE_DIR.rglob("*.py")):
        digest.update(path.relative_to(ENGINE_DIR).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@functools.cache
def _kernel_dir() -> tuple[str, Path]:
    """The engine's source digest, and its directory in the cache: each version of the engine keeps its own
    kernels, so two checkouts or images sharing a cache do not overwrite (and recompile) each other's.
    Directories of other versions unused for STALE_SECONDS are removed."""
    digest = source_digest()
    root = cache_dir()
    directory = root / digest
    directory.mkdir(exist_ok=True)
    os.utime(directory)  # in use
    for other in root.iterdir():
        if other.name != digest and _version_directory(other, len(digest)):
            try:
                stale = time.time() - other.stat().st_mtime > STALE_SECONDS
            except OSError:
                continue
            if stale:
                shutil.rmtree(other, ignore_errors=True)
    return digest, directory


def _version_directory(path: Path, length: int) -> bool:
    """Whether `path` is another engine version's kernel directory: named by a digest, holding nothing but
    generated kernels and numba's cache of them. The cache may be a directory the user shares with other
    things: anything else is never removed."""
    if len(path.name) != length or path.name.strip("0123456789abcdef") or not path.is_dir():
        return False
    try:
        entries = list(path.iterdir())
    except OSError:
        return False
    return all(entry.name == "__pycache__" or entry.name.startswith("optiscope_kernel_") for entry in entries)


def _write_if_changed(path: Path, text: str) -> None:
    """Numba's cache is keyed on the kernel file's timestamp: only touch it when its text changes."""
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def kernel(optimizer: Optimizer):
    """The compiled kernel of `optimizer` (generated, compiled or loaded from the disk cache once)."""
    found = _KERNELS.get(optimizer.name)
    if found is not None:
        return found
    with _LOCK:
        if optimizer.name not in _KERNELS:
            started = time.perf_counter()
            digest, directory = _kernel_dir()
            path = directory / f"optiscope_kernel_{optimizer.name}.py"
            _write_if_changed(path, kernel_source(optimizer, digest))
            module_name = f"optiscope_kernel_{optimizer.name}"
            spec = importlib.util.spec_from_file_location(module_name, path)
            module = importlib.util.module_from_spec(spec)
            sys.modules[module_name] = module
            spec.loader.exec_module(module)
            _KERNELS[optimizer.name] = module
            _COMPILE_SECONDS[optimizer.name] = time.perf_counter() - started
        return _KERNELS[optimizer.name]


def kernel_function(optimizer: Optimizer):
    """The compiled kernel itself (`kernel(optimizer).kernel`), looked up once per optimizer."""
    found = _FUNCTIONS.get(optimizer.name)
    if found is None:
        found = _FUNCTIONS[optimizer.name] = kernel(optimizer).kernel
    return found


_FUNCTIONS: dict[str, Any] = {}


def warm_up(registry) -> dict[str, float]:
    """Compile (or load from the disk cache) every supported optimizer's kernel; seconds per kernel."""
    for optimizer in registry.values():
        if supports(optimizer):
            kernel_function(optimizer)
    return dict(_COMPILE_SECONDS)


__all__ = ["available", "cache_dir", "compiled_step", "kernel", "kernel_source", "supports", "warm_up"]
