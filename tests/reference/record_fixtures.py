#!/usr/bin/env python3
"""Record Optiscope's reference fixtures from torch.optim and optax.

Run from the repository root:

    python tests/reference/record_fixtures.py           # (re)write tests/fixtures/
    python tests/reference/record_fixtures.py --check   # re-record in memory, compare

Everything is float64, seeded and deterministic: two runs write byte-identical
files.  See tests/reference/README.md for the environment and for the
conventions of the reference libraries that the fixtures pin down.
"""

from __future__ import annotations

import argparse
import inspect
import json
import sys
import warnings
from pathlib import Path

import jax
import numpy as np
import torch
from torch.optim import lr_scheduler as L

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_platforms", "cpu")

import jax.numpy as jnp  # noqa: E402
import optax  # noqa: E402

torch.set_default_dtype(torch.float64)
warnings.filterwarnings("ignore")

EXPECTED_TORCH = "2.13.0"
TORCH_VERSION = torch.__version__.split("+")[0]
OPTAX_VERSION = optax.__version__
JAX_VERSION = jax.__version__
TORCH_REF = f"torch {TORCH_VERSION}"
OPTAX_REF = f"optax {OPTAX_VERSION}"

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = REPO_ROOT / "tests" / "fixtures"

T = 200  # optimizer steps per trajectory
D = 4  # coordinates
N_SCHED = 120  # steps per schedule case
SCHED_BASE_LR = 0.1
INITIAL = [0.5, -1.5, 2.0, -0.25]
SEED = 20250607

# --------------------------------------------------------------------------
# Gradient sequences
# --------------------------------------------------------------------------


def make_sequences() -> dict:
    rng = np.random.default_rng(SEED)
    scales = np.array([1e-2, 1e-1, 1.0, 1e1])
    offset = np.array([0.3, -0.2, 0.1, -0.4])
    trend = np.array([0.6, 0.8, -0.5, 0.9])  # added linearly over the run
    t = (np.arange(T, dtype=np.float64) / T)[:, None]
    z = rng.standard_normal((T, D))
    dense = scales * (z + offset + trend * t)
    mask = rng.random((T, D)) < 0.7
    sparse = np.where(mask, 0.0, dense)
    # a few forced all-zero rows (the first step included)
    for row in (0, 1, 37, 38, 99, 150, 199):
        sparse[row, :] = 0.0
    return {
        "dense": {"initial": list(INITIAL), "gradients": dense.tolist()},
        "sparse": {"initial": list(INITIAL), "gradients": sparse.tolist()},
    }


# --------------------------------------------------------------------------
# Hyperparameter names: ours <-> library
# --------------------------------------------------------------------------

IMPL_SWITCHES = {"self", "params", "foreach", "fused", "capturable", "differentiable"}

TORCH_CLASSES = {
    "sgd": torch.optim.SGD,
    "adagrad": torch.optim.Adagrad,
    "rmsprop": torch.optim.RMSprop,
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "adamax": torch.optim.Adamax,
    "nadam": torch.optim.NAdam,
    "radam": torch.optim.RAdam,
    "adadelta": torch.optim.Adadelta,
    "rprop": torch.optim.Rprop,
    "asgd": torch.optim.ASGD,
    "adafactor": torch.optim.Adafactor,
}

# torch tuple arguments split into named scalars (ours)
TUPLE_SPLITS = {
    "betas": ("beta1", "beta2"),
    "etas": ("eta_minus", "eta_plus"),
    "step_sizes": ("step_size_min", "step_size_max"),
    "eps@adafactor": ("eps1", "eps2"),
}


def _split_key(opt: str, torch_name: str):
    if f"{torch_name}@{opt}" in TUPLE_SPLITS:
        return TUPLE_SPLITS[f"{torch_name}@{opt}"]
    if torch_name in TUPLE_SPLITS:
        return TUPLE_SPLITS[torch_name]
    return None


def _num(v):
    """Hyperparameter value as JSON-ready scalar (ints promoted to float)."""
    if v is None or isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return float(v)
    raise TypeError(f"unexpected hyperparameter value {v!r}")


def torch_signature_defaults(opt: str) -> dict:
    """Constructor defaults of the torch optimizer, under our names, in order."""
    sig = inspect.signature(TORCH_CLASSES[opt].__init__)
    out = {}
    for name, prm in sig.parameters.items():
        if name in IMPL_SWITCHES or prm.kind in (prm.VAR_POSITIONAL, prm.VAR_KEYWORD):
            continue
        default = None if prm.default is inspect.Parameter.empty else prm.default
        split = _split_key(opt, name)
        if split:
            a, b = default
            out[split[0]] = _num(a)
            out[split[1]] = _num(b)
        else:
            out[name] = _num(default)
    return out


def torch_kwargs(opt: str, hp: dict) -> dict:
    """Our resolved hyperparameters -> torch constructor keyword arguments."""
    sig = inspect.signature(TORCH_CLASSES[opt].__init__)
    kw = {}
    for name in sig.parameters:
        if name in IMPL_SWITCHES:
            continue
        split = _split_key(opt, name)
        if split:
            kw[name] = (hp[split[0]], hp[split[1]])
        elif name in hp:
            kw[name] = hp[name]
    return kw


OPTAX_RENAME = {"learning_rate": "lr", "b1": "beta1", "b2": "beta2"}
OPTAX_SKIP = {"mu_dtype", "mask"}  # dtype / pytree-masking switches, not numerics
OPTAX_ALIASES = {"lion": optax.lion, "adabelief": optax.adabelief, "yogi": optax.yogi}
# optax.yogi(...) is chain(scale_by_yogi(b1, b2, eps), scale_by_learning_rate(lr));
# scale_by_yogi's extra knobs are exposed here and the alias is cross-checked.
YOGI_EXTRA = ("eps_root", "initial_accumulator_value")


def optax_signature_defaults(opt: str) -> dict:
    out = {}
    for name, prm in inspect.signature(OPTAX_ALIASES[opt]).parameters.items():
        if name in OPTAX_SKIP:
            continue
        default = None if prm.default is inspect.Parameter.empty else prm.default
        out[OPTAX_RENAME.get(name, name)] = _num(default)
    if opt == "yogi":
        sig = inspect.signature(optax.scale_by_yogi).parameters
        for name in YOGI_EXTRA:
            out[name] = _num(sig[name].default)
    return out


def library_defaults(opt: str) -> dict:
    return torch_signature_defaults(opt) if opt in TORCH_CLASSES else optax_signature_defaults(opt)


# --------------------------------------------------------------------------
# Hyperparameter sets (overrides on top of the library defaults)
# --------------------------------------------------------------------------

HP_SETS: dict[str, list[tuple[str, dict]]] = {
    "sgd": [
        ("defaults", {}),
        ("plain", {"lr": 0.01}),
        ("momentum", {"lr": 0.01, "momentum": 0.9}),
        ("momentum_dampening_wd", {"lr": 0.01, "momentum": 0.9, "dampening": 0.5, "weight_decay": 0.05}),
        ("nesterov_wd", {"lr": 0.01, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
        ("maximize_wd", {"lr": 0.02, "weight_decay": 0.1, "maximize": True}),
        ("nesterov_maximize", {"lr": 0.01, "momentum": 0.5, "nesterov": True, "maximize": True}),
    ],
    "adagrad": [
        ("defaults", {}),
        ("lr", {"lr": 0.1}),
        ("lr_decay", {"lr": 0.1, "lr_decay": 0.01}),
        ("init_acc_eps_wd", {"lr": 0.1, "initial_accumulator_value": 0.5, "eps": 1e-6, "weight_decay": 0.05}),
        ("maximize_decay_wd", {"lr": 0.1, "lr_decay": 0.05, "weight_decay": 0.01, "maximize": True}),
    ],
    "rmsprop": [
        ("defaults", {}),
        ("alpha", {"lr": 0.01, "alpha": 0.9}),
        ("centered", {"lr": 0.01, "centered": True}),
        ("momentum", {"lr": 0.001, "momentum": 0.9}),
        (
            "centered_momentum_wd_eps",
            {"lr": 0.001, "alpha": 0.95, "centered": True, "momentum": 0.8, "weight_decay": 0.05, "eps": 1e-4},
        ),
        ("maximize_wd", {"lr": 0.01, "weight_decay": 0.1, "maximize": True}),
    ],
    "adam": [
        ("defaults", {}),
        ("lr", {"lr": 0.05}),
        ("amsgrad", {"lr": 0.05, "amsgrad": True}),
        ("l2_weight_decay", {"lr": 0.05, "weight_decay": 0.1}),
        ("decoupled_weight_decay", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True}),
        (
            "amsgrad_maximize_betas_eps",
            {"lr": 0.05, "beta1": 0.5, "beta2": 0.9, "eps": 1e-6, "amsgrad": True, "maximize": True},
        ),
        (
            "amsgrad_decoupled_beta2",
            {"lr": 0.05, "beta2": 0.99, "weight_decay": 0.2, "amsgrad": True, "decoupled_weight_decay": True},
        ),
    ],
    "adamw": [
        ("defaults", {}),
        ("lr_wd", {"lr": 0.05, "weight_decay": 0.1}),
        ("amsgrad", {"lr": 0.05, "amsgrad": True}),
        ("maximize_no_wd", {"lr": 0.05, "weight_decay": 0.0, "maximize": True}),
        ("betas_eps_wd", {"lr": 0.05, "beta1": 0.8, "beta2": 0.95, "eps": 1e-6, "weight_decay": 0.5}),
    ],
    "adamax": [
        ("defaults", {}),
        ("lr", {"lr": 0.05}),
        ("wd", {"lr": 0.05, "weight_decay": 0.1}),
        ("maximize_betas_eps", {"lr": 0.05, "beta1": 0.5, "beta2": 0.9, "eps": 1e-3, "maximize": True}),
    ],
    "nadam": [
        ("defaults", {}),
        ("lr", {"lr": 0.05}),
        ("momentum_decay", {"lr": 0.05, "momentum_decay": 0.05}),
        ("l2_weight_decay", {"lr": 0.05, "weight_decay": 0.1}),
        ("decoupled_weight_decay", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True}),
        (
            "maximize_betas_eps_no_decay",
            {"lr": 0.05, "beta1": 0.8, "beta2": 0.95, "eps": 1e-6, "momentum_decay": 0.0, "maximize": True},
        ),
    ],
    "radam": [
        ("defaults", {}),
        ("lr", {"lr": 0.05}),
        ("beta2_short", {"lr": 0.05, "beta2": 0.9}),
        ("l2_weight_decay", {"lr": 0.05, "weight_decay": 0.1}),
        ("decoupled_weight_decay", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True}),
        ("maximize_betas_eps", {"lr": 0.05, "beta1": 0.5, "beta2": 0.99, "eps": 1e-6, "maximize": True}),
    ],
    "adadelta": [
        ("defaults", {}),
        ("lr_rho", {"lr": 0.5, "rho": 0.95}),
        ("eps", {"eps": 1e-3}),
        ("wd", {"weight_decay": 0.1}),
        ("maximize_rho", {"rho": 0.5, "maximize": True}),
    ],
    "rprop": [
        ("defaults", {}),
        ("etas", {"lr": 0.05, "eta_minus": 0.3, "eta_plus": 1.5}),
        ("clamped", {"lr": 0.01, "eta_minus": 0.1, "eta_plus": 1.3, "step_size_min": 1e-3, "step_size_max": 0.02}),
        ("lr_above_max", {"lr": 0.1, "step_size_max": 0.05}),
        ("maximize", {"lr": 0.02, "eta_minus": 0.7, "eta_plus": 1.1, "maximize": True}),
    ],
    "asgd": [
        ("defaults", {}),
        ("t0_50", {"lr": 0.01, "t0": 50.0}),
        ("lambd_alpha", {"lr": 0.05, "lambd": 0.2, "alpha": 0.5, "t0": 50.0}),
        ("t0_fractional_wd", {"lr": 0.01, "t0": 50.5, "weight_decay": 0.05}),
        ("maximize_t0_0", {"lr": 0.01, "t0": 0.0, "maximize": True}),
    ],
    "adafactor": [
        ("defaults", {}),
        ("lr_rho_switch", {"lr": 0.08}),
        ("eps1_explicit", {"lr": 0.05, "eps1": 1e-2, "eps2": 1e-2}),
        ("beta2_decay_d", {"lr": 0.05, "beta2_decay": -0.5, "d": 2.0}),
        ("wd", {"lr": 0.05, "weight_decay": 0.1}),
        ("maximize_eps2_large", {"lr": 0.02, "eps2": 2.0, "maximize": True}),
    ],
    # optax (learning_rate has no default there: "defaults" sets use lr=1e-3)
    "lion": [
        ("defaults", {"lr": 1e-3}),
        ("no_wd", {"lr": 0.01, "weight_decay": 0.0}),
        ("betas_wd", {"lr": 0.01, "beta1": 0.5, "beta2": 0.9, "weight_decay": 0.1}),
        ("beta1_zero", {"lr": 0.005, "beta1": 0.0, "beta2": 0.95, "weight_decay": 0.0}),
    ],
    "adabelief": [
        ("defaults", {"lr": 1e-3}),
        ("lr", {"lr": 0.05}),
        ("paper_eps", {"lr": 0.05, "eps": 1e-8, "eps_root": 0.0}),
        ("nesterov", {"lr": 0.05, "nesterov": True}),
        ("betas_eps_root_nesterov", {"lr": 0.05, "beta1": 0.5, "beta2": 0.9, "eps_root": 1e-6, "nesterov": True}),
    ],
    "yogi": [
        ("defaults", {"lr": 1e-3}),
        ("lr", {"lr": 0.05}),
        ("betas_eps", {"lr": 0.05, "beta1": 0.5, "beta2": 0.9, "eps": 1e-6}),
        ("initial_accumulator_eps_root", {"lr": 0.05, "initial_accumulator_value": 0.1, "eps_root": 1e-4}),
    ],
}

OPTIMIZERS = list(HP_SETS)


def resolve(opt: str, overrides: dict) -> dict:
    hp = library_defaults(opt)
    for k, v in overrides.items():
        if k not in hp:
            raise KeyError(f"{opt}: unknown hyperparameter {k}")
        hp[k] = _num(v)
    return hp


# --------------------------------------------------------------------------
# Schedules (torch.optim.lr_scheduler)
# --------------------------------------------------------------------------

SCHED_CLASSES = {
    "constant": L.ConstantLR,
    "step": L.StepLR,
    "multistep": L.MultiStepLR,
    "exponential": L.ExponentialLR,
    "cosine": L.CosineAnnealingLR,
    "cosine_warm_restarts": L.CosineAnnealingWarmRestarts,
    "linear": L.LinearLR,
    "polynomial": L.PolynomialLR,
    "onecycle": L.OneCycleLR,
    "sequential": L.SequentialLR,
}
SCHED_SKIP = {"self", "optimizer", "last_epoch", "epochs", "steps_per_epoch"}


def resolve_schedule(spec: dict) -> dict:
    """Fill in torch's constructor defaults (recursively for sequential)."""
    kind = spec["kind"]
    out = {"kind": kind}
    if kind == "sequential":
        out["schedulers"] = [resolve_schedule(c) for c in spec["schedulers"]]
        out["milestones"] = list(spec["milestones"])
        return out
    for name, prm in inspect.signature(SCHED_CLASSES[kind].__init__).parameters.items():
        if name in SCHED_SKIP:
            continue
        if name in spec:
            out[name] = spec[name]
        elif prm.default is inspect.Parameter.empty:
            raise KeyError(f"{kind}: {name} is required")
        else:
            out[name] = prm.default
    unknown = set(spec) - set(out)
    if unknown:
        raise KeyError(f"{kind}: unknown parameters {unknown}")
    return out


def build_scheduler(spec: dict, opt):
    kind = spec["kind"]
    if kind == "sequential":
        children = [build_scheduler(c, opt) for c in spec["schedulers"]]
        return L.SequentialLR(opt, children, milestones=list(spec["milestones"]))
    kw = {k: v for k, v in spec.items() if k != "kind"}
    if kind == "multistep":
        kw["milestones"] = list(kw["milestones"])
    return SCHED_CLASSES[kind](opt, **kw)


def _momentum_of(group):
    """What OneCycleLR cycles: group['momentum'] or group['betas'][0]."""
    if "betas" in group:
        return float(group["betas"][0])
    return float(group["momentum"])


# --------------------------------------------------------------------------
# Runners
# --------------------------------------------------------------------------


def _state_value(v):
    if isinstance(v, torch.Tensor):
        if v.dim() == 0:
            return float(v.item())
        return v.detach().reshape(-1).tolist()
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return float(v)
    raise TypeError(f"unexpected state value {type(v)}")


def run_torch(opt: str, hp: dict, seq: dict, schedule: dict | None = None) -> dict:
    p = torch.tensor(seq["initial"], dtype=torch.float64, requires_grad=True)
    optimizer = TORCH_CLASSES[opt]([p], **torch_kwargs(opt, hp))
    sched = build_scheduler(schedule, optimizer) if schedule else None
    cycles = bool(schedule and schedule["kind"] == "onecycle" and schedule["cycle_momentum"])
    params = [list(map(float, seq["initial"]))]
    state: dict[str, list] = {}
    lrs, moms = [], []
    for g in seq["gradients"]:
        group = optimizer.param_groups[0]
        lrs.append(float(group["lr"]))
        if cycles:
            moms.append(_momentum_of(group))
        p.grad = torch.tensor(g, dtype=torch.float64).clone()
        optimizer.step()
        if sched is not None:
            sched.step()
        params.append(p.detach().tolist())
        for k, v in optimizer.state[p].items():
            if v is None:
                continue
            state.setdefault(k, []).append(_state_value(v))
    for k, rows in state.items():
        if len(rows) != len(seq["gradients"]):
            raise AssertionError(f"{opt}: state {k} not present at every step")
    out = {"params": params, "state": dict(sorted(state.items()))}
    if schedule is not None:
        out["lr"] = lrs
        if cycles:
            out["momentum"] = moms
    return out


def build_optax(opt: str, hp: dict, use_alias: bool = False):
    if opt == "lion":
        return optax.lion(learning_rate=hp["lr"], b1=hp["beta1"], b2=hp["beta2"], weight_decay=hp["weight_decay"])
    if opt == "adabelief":
        return optax.adabelief(
            learning_rate=hp["lr"],
            b1=hp["beta1"],
            b2=hp["beta2"],
            eps=hp["eps"],
            eps_root=hp["eps_root"],
            nesterov=hp["nesterov"],
        )
    if opt == "yogi":
        if use_alias:
            return optax.yogi(learning_rate=hp["lr"], b1=hp["beta1"], b2=hp["beta2"], eps=hp["eps"])
        # identical to optax.yogi's body, with scale_by_yogi's remaining knobs exposed
        return optax.chain(
            optax.scale_by_yogi(
                b1=hp["beta1"],
                b2=hp["beta2"],
                eps=hp["eps"],
                eps_root=hp["eps_root"],
                initial_accumulator_value=hp["initial_accumulator_value"],
            ),
            optax.scale_by_learning_rate(hp["lr"]),
        )
    raise KeyError(opt)


def _optax_state_fields(state) -> dict:
    fields = {}
    stack = [state]
    while stack:
        s = stack.pop(0)
        if hasattr(s, "_fields"):
            for name in s._fields:
                val = getattr(s, name)
                if name in fields:
                    raise AssertionError(f"duplicate optax state field {name}")
                fields[name] = val
        elif isinstance(s, (tuple, list)):
            stack.extend(s)
    return fields


def run_optax(opt: str, hp: dict, seq: dict, use_alias: bool = False) -> dict:
    tx = build_optax(opt, hp, use_alias)
    params = jnp.asarray(seq["initial"], dtype=jnp.float64)
    state = tx.init(params)
    traj = [list(map(float, seq["initial"]))]
    rec: dict[str, list] = {}
    for g in seq["gradients"]:
        grad = jnp.asarray(g, dtype=jnp.float64)
        updates, state = tx.update(grad, state, params)
        params = optax.apply_updates(params, updates)
        assert params.dtype == jnp.float64
        traj.append(np.asarray(params).tolist())
        for name, val in _optax_state_fields(state).items():
            arr = np.asarray(val)
            if arr.ndim == 0:
                v = int(arr) if np.issubdtype(arr.dtype, np.integer) else float(arr)
            else:
                assert arr.dtype == np.float64, (opt, name, arr.dtype)
                v = arr.tolist()
            rec.setdefault(name, []).append(v)
    return {"params": traj, "state": dict(sorted(rec.items()))}


def run_case(opt: str, hp: dict, seq: dict, schedule: dict | None = None) -> dict:
    if opt in TORCH_CLASSES:
        return run_torch(opt, hp, seq, schedule)
    assert schedule is None
    return run_optax(opt, hp, seq)


# --------------------------------------------------------------------------
# Fixture builders
# --------------------------------------------------------------------------


def build_optimizer_fixture(opt: str, sequences: dict) -> dict:
    cases = []
    for set_name, overrides in HP_SETS[opt]:
        hp = resolve(opt, overrides)
        for seq_name, seq in sequences.items():
            res = run_case(opt, hp, seq)
            if opt == "yogi" and hp["eps_root"] == 0.0 and hp["initial_accumulator_value"] == 1e-6:
                alias = run_optax(opt, hp, seq, use_alias=True)
                if alias != res:
                    raise AssertionError("optax.yogi differs from chain(scale_by_yogi, ...)")
            cases.append(
                {
                    "id": f"{set_name}/{seq_name}",
                    "sequence": seq_name,
                    "hyperparameters": hp,
                    "params": res["params"],
                    "state": res["state"],
                }
            )
    ref = TORCH_REF if opt in TORCH_CLASSES else OPTAX_REF
    out = {"optimizer": opt, "reference": ref}
    if opt not in TORCH_CLASSES:
        out["jax"] = JAX_VERSION
    out["sequences"] = sequences
    out["cases"] = cases
    return out


DEFAULT_NOTES = {
    "sgd": "torch 2.x SGD has a default lr (1e-3). nesterov=True requires momentum>0 and dampening==0 "
    "(ValueError otherwise). With momentum==0 SGD keeps no state at all.",
    "adagrad": "'sum' starts at initial_accumulator_value. Effective lr at step t is lr/(1+(t-1)*lr_decay), "
    "computed from the CURRENT group lr.",
    "rmsprop": "eps is added after the sqrt (sqrt(v)+eps; centered: sqrt(v-gavg^2)+eps).",
    "adam": "decoupled_weight_decay=True makes Adam identical to AdamW.",
    "adamw": "AdamW has no decoupled_weight_decay argument (always decoupled); its weight_decay default is 0.01, "
    "not 0.",
    "adamax": "default lr is 2e-3.",
    "nadam": "default lr is 2e-3; momentum_decay default 4e-3.",
    "radam": "rectification is applied when rho_t > 5 (strict).",
    "adadelta": "default lr is 1.0.",
    "rprop": "torch etas=(eta_minus, eta_plus); step_sizes=(step_size_min, step_size_max). step_size_max "
    "default is the int 50 in torch (recorded as 50.0).",
    "asgd": "t0 default 1e6 means averaging never starts in practice.",
    "adafactor": "torch eps=(eps1, eps2) with eps1 default None, which means torch.finfo(param.dtype).eps "
    "(2.220446049250313e-16 for float64). beta2_decay must be <= 0, d >= 1.",
    "lion": "optax.lion: learning_rate has no default (null). weight_decay default 1e-3 (decoupled, applied "
    "after the sign). mu_dtype and mask are omitted (no numeric effect in float64 / single leaf). "
    "optax also has scale_by_lion(mode='hard'|'smooth'|'refined', smooth_beta) which the optax.lion "
    "alias does not expose; it always uses mode='hard'.",
    "adabelief": "optax.adabelief: learning_rate has no default (null). eps=1e-16 AND eps_root=1e-16 by default "
    "(the paper uses eps=1e-8, eps_root=0). nesterov keyword-only.",
    "yogi": "optax.yogi exposes only learning_rate, b1, b2, eps (eps default 1e-3!). eps_root (0.0) and "
    "initial_accumulator_value (1e-6) come from optax.scale_by_yogi; optax.yogi always uses those "
    "defaults. initial_accumulator_value initialises BOTH mu and nu. The fixtures drive "
    "chain(scale_by_yogi(...), scale_by_learning_rate(lr)), which is optax.yogi's own body "
    "(cross-checked bit-for-bit for default eps_root/initial_accumulator_value).",
}


def build_defaults() -> dict:
    out = {"torch": TORCH_REF, "optax": OPTAX_REF, "jax": JAX_VERSION, "optimizers": {}}
    for opt in OPTIMIZERS:
        if opt in TORCH_CLASSES:
            ctor = f"torch.optim.{TORCH_CLASSES[opt].__name__}"
            ref = TORCH_REF
        else:
            ctor = f"optax.{opt}"
            ref = OPTAX_REF
        out["optimizers"][opt] = {
            "reference": ref,
            "constructor": ctor,
            "defaults": library_defaults(opt),
            "notes": DEFAULT_NOTES[opt],
        }
    return out


SCHEDULE_CASES: list[tuple[str, dict]] = [
    ("constant_half_10", {"kind": "constant", "factor": 0.5, "total_iters": 10}),
    ("constant_defaults", {"kind": "constant"}),
    ("constant_total_iters_0", {"kind": "constant", "factor": 0.25, "total_iters": 0}),
    ("step_30_0.1", {"kind": "step", "step_size": 30, "gamma": 0.1}),
    ("step_7_0.5", {"kind": "step", "step_size": 7, "gamma": 0.5}),
    ("step_1_0.97", {"kind": "step", "step_size": 1, "gamma": 0.97}),
    ("multistep_30_80", {"kind": "multistep", "milestones": [30, 80], "gamma": 0.1}),
    ("multistep_repeated_unsorted", {"kind": "multistep", "milestones": [90, 20, 20, 50], "gamma": 0.5}),
    ("multistep_default_gamma", {"kind": "multistep", "milestones": [1, 119]}),
    ("exponential_0.95", {"kind": "exponential", "gamma": 0.95}),
    ("exponential_0.99", {"kind": "exponential", "gamma": 0.99}),
    ("cosine_tmax_120", {"kind": "cosine", "T_max": 120}),
    ("cosine_tmax_50_past_end", {"kind": "cosine", "T_max": 50, "eta_min": 0.001}),
    ("cosine_tmax_30_periods", {"kind": "cosine", "T_max": 30, "eta_min": 0.01}),
    ("cosine_tmax_119_eta_min", {"kind": "cosine", "T_max": 119, "eta_min": 0.02}),
    ("warm_restarts_10", {"kind": "cosine_warm_restarts", "T_0": 10}),
    ("warm_restarts_10_mult2", {"kind": "cosine_warm_restarts", "T_0": 10, "T_mult": 2, "eta_min": 0.001}),
    ("warm_restarts_25_mult3", {"kind": "cosine_warm_restarts", "T_0": 25, "T_mult": 3, "eta_min": 0.005}),
    ("linear_defaults", {"kind": "linear"}),
    ("linear_decay_to_zero", {"kind": "linear", "start_factor": 1.0, "end_factor": 0.0, "total_iters": 100}),
    ("linear_warmup_20", {"kind": "linear", "start_factor": 0.1, "end_factor": 1.0, "total_iters": 20}),
    ("linear_longer_than_run", {"kind": "linear", "start_factor": 0.5, "end_factor": 0.1, "total_iters": 150}),
    ("polynomial_100_p1", {"kind": "polynomial", "total_iters": 100, "power": 1.0}),
    ("polynomial_50_p2", {"kind": "polynomial", "total_iters": 50, "power": 2.0}),
    ("polynomial_80_p0.5", {"kind": "polynomial", "total_iters": 80, "power": 0.5}),
    ("onecycle_defaults_120", {"kind": "onecycle", "max_lr": 0.5, "total_steps": 120}),
    (
        "onecycle_linear_150",
        {
            "kind": "onecycle",
            "max_lr": 1.0,
            "total_steps": 150,
            "pct_start": 0.25,
            "anneal_strategy": "linear",
            "div_factor": 10.0,
            "final_div_factor": 100.0,
            "base_momentum": 0.8,
            "max_momentum": 0.9,
        },
    ),
    (
        "onecycle_three_phase_no_momentum",
        {"kind": "onecycle", "max_lr": 0.3, "total_steps": 120, "three_phase": True, "cycle_momentum": False},
    ),
    (
        "onecycle_three_phase_linear",
        {
            "kind": "onecycle",
            "max_lr": 0.2,
            "total_steps": 125,
            "pct_start": 0.4,
            "anneal_strategy": "linear",
            "three_phase": True,
        },
    ),
    (
        "onecycle_cos_no_momentum_130",
        {
            "kind": "onecycle",
            "max_lr": 0.4,
            "total_steps": 130,
            "pct_start": 0.4,
            "cycle_momentum": False,
            "div_factor": 5.0,
            "final_div_factor": 50.0,
        },
    ),
    (
        "sequential_warmup_cosine",
        {
            "kind": "sequential",
            "milestones": [10],
            "schedulers": [
                {"kind": "linear", "start_factor": 0.1, "end_factor": 1.0, "total_iters": 10},
                {"kind": "cosine", "T_max": 110, "eta_min": 0.0},
            ],
        },
    ),
    (
        "sequential_three",
        {
            "kind": "sequential",
            "milestones": [5, 60],
            "schedulers": [
                {"kind": "constant", "factor": 0.5, "total_iters": 5},
                {"kind": "exponential", "gamma": 0.97},
                {"kind": "step", "step_size": 20, "gamma": 0.5},
            ],
        },
    ),
    (
        "sequential_warmup_steps",
        {
            "kind": "sequential",
            "milestones": [15],
            "schedulers": [
                {"kind": "linear", "start_factor": 0.2, "end_factor": 1.0, "total_iters": 10},
                {"kind": "multistep", "milestones": [30, 60], "gamma": 0.3},
            ],
        },
    ),
]

# parameter sets that torch rejects, or that blow up mid-run
SCHEDULE_ERROR_CASES: list[tuple[str, dict]] = [
    ("onecycle_stepped_past_total_steps", {"kind": "onecycle", "max_lr": 0.5, "total_steps": 100}),
    ("constant_factor_zero", {"kind": "constant", "factor": 0.0, "total_iters": 10}),
    ("constant_factor_above_one", {"kind": "constant", "factor": 1.5, "total_iters": 10}),
    ("linear_start_factor_zero", {"kind": "linear", "start_factor": 0.0, "end_factor": 1.0, "total_iters": 10}),
    ("linear_start_factor_above_one", {"kind": "linear", "start_factor": 2.0, "end_factor": 1.0, "total_iters": 10}),
    ("linear_end_factor_above_one", {"kind": "linear", "start_factor": 0.5, "end_factor": 1.5, "total_iters": 10}),
    ("warm_restarts_T_mult_zero", {"kind": "cosine_warm_restarts", "T_0": 10, "T_mult": 0}),
    ("warm_restarts_T_0_zero", {"kind": "cosine_warm_restarts", "T_0": 0}),
    ("onecycle_pct_start_above_one", {"kind": "onecycle", "max_lr": 0.5, "total_steps": 120, "pct_start": 1.5}),
    ("onecycle_bad_anneal", {"kind": "onecycle", "max_lr": 0.5, "total_steps": 120, "anneal_strategy": "exp"}),
    (
        "sequential_milestone_count",
        {
            "kind": "sequential",
            "milestones": [10, 20],
            "schedulers": [{"kind": "linear"}, {"kind": "exponential", "gamma": 0.9}],
        },
    ),
]


def _dummy_optimizer():
    p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    return p, torch.optim.SGD([p], lr=SCHED_BASE_LR, momentum=0.9)


def run_schedule(spec: dict, n: int = N_SCHED):
    """Return (lrs, momentums or None, error or None, where)."""
    p, opt = _dummy_optimizer()
    lrs, moms = [], []
    cycles = spec["kind"] == "onecycle" and spec["cycle_momentum"]
    try:
        sched = build_scheduler(spec, opt)
    except Exception as e:  # noqa: BLE001
        return lrs, None, f"{type(e).__name__}: {e}", "construction"
    for step in range(1, n + 1):
        group = opt.param_groups[0]
        lrs.append(float(group["lr"]))
        if cycles:
            moms.append(_momentum_of(group))
        p.grad = torch.zeros_like(p)
        opt.step()
        try:
            sched.step()
        except Exception as e:  # noqa: BLE001
            return lrs, moms if cycles else None, f"{type(e).__name__}: {e}", f"scheduler.step() after step {step}"
    return lrs, (moms if cycles else None), None, None


def build_schedules() -> dict:
    cases = []
    for cid, spec in SCHEDULE_CASES:
        spec = resolve_schedule(spec)
        lrs, moms, err, _ = run_schedule(spec)
        if err:
            raise AssertionError(f"{cid}: {err}")
        case = {"id": cid, "schedule": spec, "lr": lrs}
        if moms is not None:
            case["momentum"] = moms
        cases.append(case)
    errors = []
    for cid, spec in SCHEDULE_ERROR_CASES:
        try:
            spec = resolve_schedule(spec)
        except KeyError as e:
            raise AssertionError(f"{cid}: {e}") from e
        lrs, moms, err, where = run_schedule(spec)
        if err is None:
            raise AssertionError(f"{cid}: expected torch to raise")
        case = {"id": cid, "schedule": spec, "error": err.split(":")[0], "message": err, "raised_at": where, "lr": lrs}
        if moms is not None:
            case["momentum"] = moms
        errors.append(case)
    return {
        "reference": TORCH_REF,
        "driver": "SGD(momentum=0.9), one float64 parameter, zero gradients; lr[i] (and momentum[i]) are read "
        "from param_groups[0] BEFORE optimizer.step() number i+1; scheduler.step() is called after "
        "every optimizer.step().",
        "base_lr": SCHED_BASE_LR,
        "n_steps": N_SCHED,
        "cases": cases,
        "error_cases": errors,
    }


SCHEDULED_CASES: list[tuple[str, str, dict, dict]] = [
    (
        "adagrad_lr_decay_step",
        "adagrad",
        {"lr": 0.1, "lr_decay": 0.01},
        {"kind": "step", "step_size": 50, "gamma": 0.5},
    ),
    ("adam_onecycle", "adam", {"lr": 0.05}, {"kind": "onecycle", "max_lr": 0.1, "total_steps": 200}),
    (
        "sgd_momentum_onecycle",
        "sgd",
        {"lr": 0.01, "momentum": 0.9},
        {"kind": "onecycle", "max_lr": 0.05, "total_steps": 200, "pct_start": 0.25, "anneal_strategy": "linear"},
    ),
    (
        "adamw_warmup_cosine",
        "adamw",
        {"lr": 0.05, "weight_decay": 0.1},
        {
            "kind": "sequential",
            "milestones": [20],
            "schedulers": [
                {"kind": "linear", "start_factor": 0.05, "end_factor": 1.0, "total_iters": 20},
                {"kind": "cosine", "T_max": 180, "eta_min": 0.001},
            ],
        },
    ),
    ("rprop_exponential", "rprop", {"lr": 0.05}, {"kind": "exponential", "gamma": 0.98}),
    ("asgd_step", "asgd", {"lr": 0.05, "lambd": 0.01, "t0": 50.0}, {"kind": "step", "step_size": 40, "gamma": 0.5}),
    (
        "adafactor_cosine",
        "adafactor",
        {"lr": 0.1, "weight_decay": 0.05},
        {"kind": "cosine", "T_max": 200, "eta_min": 0.0},
    ),
    (
        "rmsprop_onecycle_enables_momentum",
        "rmsprop",
        {"lr": 0.01},
        {"kind": "onecycle", "max_lr": 0.01, "total_steps": 200, "three_phase": True},
    ),
]


def build_scheduled(sequences: dict) -> dict:
    cases = []
    for cid, opt, overrides, spec in SCHEDULED_CASES:
        hp = resolve(opt, overrides)
        spec = resolve_schedule(spec)
        for seq_name, seq in sequences.items():
            res = run_torch(opt, hp, seq, spec)
            case = {
                "id": f"{cid}/{seq_name}",
                "optimizer": opt,
                "sequence": seq_name,
                "hyperparameters": hp,
                "schedule": spec,
                "lr": res["lr"],
            }
            if "momentum" in res:
                case["momentum"] = res["momentum"]
            case["params"] = res["params"]
            case["state"] = res["state"]
            cases.append(case)
    return {"reference": TORCH_REF, "sequences": sequences, "cases": cases}


# --------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------


def dumps(obj) -> str:
    return json.dumps(obj, separators=(",", ":"), allow_nan=False) + "\n"


def record_all() -> dict[str, str]:
    if TORCH_VERSION != EXPECTED_TORCH:
        raise SystemExit(f"expected torch {EXPECTED_TORCH}, found {torch.__version__}")
    if not OPTAX_VERSION.startswith("0.2."):
        raise SystemExit(f"expected optax 0.2.x, found {OPTAX_VERSION}")
    sequences = make_sequences()
    files: dict[str, str] = {}
    for opt in OPTIMIZERS:
        files[f"optimizers/{opt}.json"] = dumps(build_optimizer_fixture(opt, sequences))
    files["reference_defaults.json"] = dumps(build_defaults())
    files["schedules.json"] = dumps(build_schedules())
    files["optimizers_scheduled.json"] = dumps(build_scheduled(sequences))
    return files


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--check", action="store_true", help="re-record in memory and compare with the files in tests/fixtures/"
    )
    args = ap.parse_args(argv)
    files = record_all()
    if args.check:
        bad = 0
        for rel, text in files.items():
            path = FIXTURES / rel
            if not path.exists():
                print(f"MISSING  {rel}")
                bad += 1
            elif path.read_text() != text:
                print(f"DIFFERS  {rel}")
                bad += 1
            else:
                print(f"ok       {rel}")
        extra = sorted(
            str(p.relative_to(FIXTURES)) for p in FIXTURES.rglob("*.json") if str(p.relative_to(FIXTURES)) not in files
        )
        for rel in extra:
            print(f"EXTRA    {rel}")
        print(f"{len(files) - bad} matched, {bad} differ")
        return 1 if bad else 0
    for rel, text in files.items():
        path = FIXTURES / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    print(f"wrote {len(files)} files under {FIXTURES.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
