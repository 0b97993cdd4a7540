"""Learning-rate schedules, as torch.optim.lr_scheduler produces them when stepped once per optimizer step.

`learning_rates(schedule, base_lr, steps)` returns the base learning rate in force at each of the
`steps` optimizer steps (step t uses the scheduler's epoch e = t - 1) and, for OneCycle with
`cycle_momentum`, the momentum (or beta1) it sets. The multiplicative schedules (step, multistep,
exponential) are torch's recursion itself, a running product (bit for bit); the others are closed forms
over the epoch array, equal to torch's recursive updates up to rounding. All keep torch's structural quirks:

- SequentialLR hands over at each milestone by restarting the next scheduler at epoch 0 from the
  optimizer's initial lr (its closed form), not from the lr the previous one reached.
- ConstantLR divides by `factor` at `total_iters` (so `factor` must be > 0); with total_iters = 0
  it never does, so the factor stays for good (unless a SequentialLR restarts it later).
- CosineAnnealingLR keeps following the cosine past T_max: it climbs back up (period 2 T_max).
- OneCycleLR ignores the optimizer's lr: it starts at max_lr / div_factor and ends at that over
  final_div_factor; its `total_steps` must cover the run (torch raises past it).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .registry import Hyperparameter


@dataclass(frozen=True)
class Schedule:
    kind: str
    title: str
    reference: str
    formula_latex: str
    formula_text: str
    parameters: tuple[Hyperparameter, ...]


# Integer parameters (epochs, periods) stay within int64 arithmetic with room to spare.
MAX_EPOCH = 10**9


def _int(name, default, description, minimum=0):
    return Hyperparameter(name, default, description, kind="int", minimum=minimum, maximum=MAX_EPOCH)


def _factor(name, default, description, exclusive_minimum=False):
    return Hyperparameter(name, default, description, minimum=0.0, maximum=1.0, exclusive_minimum=exclusive_minimum)


GAMMA = Hyperparameter("gamma", 0.1, "Multiplicative factor of decay.", minimum=0.0)
ETA_MIN = Hyperparameter("eta_min", 0.0, "Minimum learning rate.", minimum=0.0)

SCHEDULES: dict[str, Schedule] = {
    s.kind: s
    for s in (
        Schedule(
            "constant",
            "ConstantLR",
            "torch.optim.lr_scheduler.ConstantLR",
            r"\gamma_t = \gamma \cdot (\text{factor if } e < \text{total\_iters else } 1)",
            "lr = base_lr * factor until epoch total_iters, then base_lr",
            (
                _factor("factor", 1.0 / 3, "Factor applied until total_iters (> 0).", exclusive_minimum=True),
                _int(
                    "total_iters", 5, "Epochs during which the factor applies (0: forever, as torch does).", minimum=0
                ),
            ),
        ),
        Schedule(
            "step",
            "StepLR",
            "torch.optim.lr_scheduler.StepLR",
            r"\gamma_t = \gamma \cdot g^{\lfloor e / s \rfloor}",
            "lr = base_lr * gamma ** (epoch // step_size)",
            (_int("step_size", 30, "Period of decay, in steps.", minimum=1), GAMMA),
        ),
        Schedule(
            "multistep",
            "MultiStepLR",
            "torch.optim.lr_scheduler.MultiStepLR",
            r"\gamma_t = \gamma \cdot g^{|\{m \in M : m \le e\}|}",
            "lr = base_lr * gamma ** (number of milestones <= epoch)",
            (
                Hyperparameter(
                    "milestones", [], "Epochs at which the lr is multiplied by gamma (repeats count).", kind="int_list"
                ),
                GAMMA,
            ),
        ),
        Schedule(
            "exponential",
            "ExponentialLR",
            "torch.optim.lr_scheduler.ExponentialLR",
            r"\gamma_t = \gamma \cdot g^{e}",
            "lr = base_lr * gamma ** epoch",
            (Hyperparameter("gamma", 0.99, "Multiplicative factor of decay per step.", minimum=0.0),),
        ),
        Schedule(
            "cosine",
            "CosineAnnealingLR",
            "torch.optim.lr_scheduler.CosineAnnealingLR",
            r"\gamma_t = \eta_{min} + (\gamma - \eta_{min}) \frac{1 + \cos(\pi e / T_{max})}{2}",
            "lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2 (rises again past T_max)",
            (_int("T_max", 100, "Half-period of the cosine, in steps.", minimum=1), ETA_MIN),
        ),
        Schedule(
            "cosine_warm_restarts",
            "CosineAnnealingWarmRestarts",
            "torch.optim.lr_scheduler.CosineAnnealingWarmRestarts",
            r"\gamma_t = \eta_{min} + (\gamma - \eta_{min}) \frac{1 + \cos(\pi T_{cur} / T_i)}{2},\ "
            r"T_i = T_0 T_{mult}^{i}",
            "lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2; the cycle restarts when "
            "T_cur reaches T_i, and T_i grows by T_mult",
            (
                _int("T_0", 10, "Length of the first cycle, in steps.", minimum=1),
                _int("T_mult", 1, "Growth factor of the cycle length.", minimum=1),
                ETA_MIN,
            ),
        ),
        Schedule(
            "linear",
            "LinearLR",
            "torch.optim.lr_scheduler.LinearLR",
            r"\gamma_t = \gamma \left(s + (f - s) \frac{\min(e, n)}{n}\right)",
            "lr = base_lr * (start_factor + (end_factor - start_factor) * min(epoch, total_iters) / total_iters)",
            (
                _factor("start_factor", 1.0 / 3, "Factor at the first step (> 0).", exclusive_minimum=True),
                _factor("end_factor", 1.0, "Factor from total_iters on."),
                _int("total_iters", 5, "Steps to go from start to end factor.", minimum=1),
            ),
        ),
        Schedule(
            "polynomial",
            "PolynomialLR",
            "torch.optim.lr_scheduler.PolynomialLR",
            r"\gamma_t = \gamma \left(1 - \frac{\min(e, n)}{n}\right)^{p}",
            "lr = base_lr * (1 - min(epoch, total_iters) / total_iters) ** power",
            (
                _int("total_iters", 5, "Steps over which the lr decays to 0.", minimum=1),
                Hyperparameter("power", 1.0, "Power of the polynomial.", minimum=0.0),
            ),
        ),
        Schedule(
            "onecycle",
            "OneCycleLR",
            "torch.optim.lr_scheduler.OneCycleLR",
            r"\gamma: \tfrac{\gamma_{max}}{d} \nearrow \gamma_{max} \searrow \tfrac{\gamma_{max}}{d f}"
            r"\ \text{(cos or linear annealing)};\ \ \mu: \mu_{max} \searrow \mu_{base} \nearrow \mu_{max}",
            "lr rises from max_lr/div_factor to max_lr over pct_start of total_steps, then anneals to "
            "max_lr/(div_factor*final_div_factor); momentum (or beta1) moves the opposite way. The optimizer's "
            "own lr is ignored.",
            (
                Hyperparameter("max_lr", 0.1, "Peak learning rate.", minimum=0.0, exclusive_minimum=True),
                Hyperparameter(
                    "total_steps",
                    None,
                    "Cycle length in steps (default: the run's steps; must be at least the run's steps).",
                    kind="int",
                    minimum=1,
                    maximum=MAX_EPOCH,
                    nullable=True,
                    null_means="the run's steps",
                ),
                _factor("pct_start", 0.3, "Fraction of the cycle spent increasing the lr."),
                Hyperparameter(
                    "anneal_strategy", "cos", "Annealing: cos or linear.", kind="choice", choices=("cos", "linear")
                ),
                Hyperparameter(
                    "cycle_momentum",
                    True,
                    "Cycle momentum (SGD, RMSProp) or beta1 (Adam family) inversely to the lr.",
                    kind="bool",
                ),
                _factor("base_momentum", 0.85, "Lowest momentum, at the lr's peak."),
                _factor("max_momentum", 0.95, "Highest momentum, at the cycle's ends."),
                Hyperparameter(
                    "div_factor", 25.0, "Initial lr = max_lr / div_factor.", minimum=0.0, exclusive_minimum=True
                ),
                Hyperparameter(
                    "final_div_factor",
                    1e4,
                    "Final lr = initial lr / final_div_factor.",
                    minimum=0.0,
                    exclusive_minimum=True,
                ),
                Hyperparameter("three_phase", False, "Use a third phase that annihilates the lr.", kind="bool"),
            ),
        ),
        Schedule(
            "sequential",
            "SequentialLR",
            "torch.optim.lr_scheduler.SequentialLR",
            r"\gamma_t = S_i(e - m_{i-1}) \text{ for } m_{i-1} \le e < m_i",
            "run schedulers[i] from epoch milestones[i-1] on, each restarted at its own epoch 0",
            (
                Hyperparameter(
                    "milestones",
                    [],
                    "Epochs at which the next scheduler takes over (one fewer than schedulers).",
                    kind="int_list",
                ),
            ),
        ),
    )
}


def _anneal(start, end, pct, strategy: str):
    if strategy == "cos":
        return end + (start - end) / 2.0 * (np.cos(np.pi * pct) + 1)
    return (end - start) * pct + start


def _onecycle_ends(params: Mapping[str, Any]) -> tuple[float, float, float]:
    """OneCycle's initial, top and final lr: max_lr / div_factor, max_lr, and the initial over final_div_factor."""
    top = params.get("max_lr", 0.1)
    initial = top / params.get("div_factor", 25.0)
    return initial, top, initial / params.get("final_div_factor", 1e4)


def onecycle_overflow(schedule: Mapping[str, Any]) -> str | None:
    """Which of a OneCycle's learning rates overflows float64, or None (its phases interpolate between them:
    an infinite end makes every value between NaN, which is not a phase of zero length)."""
    if schedule["kind"] != "onecycle":
        return None
    initial, top, final = _onecycle_ends(schedule)
    if not math.isfinite(initial):
        return f"the initial lr, max_lr / div_factor = {top:g} / {schedule.get('div_factor', 25.0):g}"
    if not math.isfinite(final):
        divisor = schedule.get("final_div_factor", 1e4)
        return f"the final lr, max_lr / div_factor / final_div_factor = {initial:g} / {divisor:g}"
    if not (math.isfinite(initial - top) and math.isfinite(final - top)):
        return "the difference between max_lr and the initial or final lr"
    return None


def _onecycle(params: Mapping[str, Any], epochs: np.ndarray, steps: int):
    total = params.get("total_steps") or steps
    pct, strategy = params.get("pct_start", 0.3), params.get("anneal_strategy", "cos")
    initial, top, bottom = _onecycle_ends(params)
    low, high = params.get("base_momentum", 0.85), params.get("max_momentum", 0.95)
    if params.get("three_phase", False):
        phases = [
            (float(pct * total) - 1, initial, top, high, low),
            (float(2 * pct * total) - 2, top, initial, low, high),
            (total - 1, initial, bottom, high, high),
        ]
    else:
        phases = [(float(pct * total) - 1, initial, top, high, low), (total - 1, top, bottom, low, high)]
    lr = np.empty(len(epochs))
    momentum = np.empty(len(epochs))
    done = np.zeros(len(epochs), dtype=bool)
    start = 0.0
    for i, (end, lr0, lr1, m0, m1) in enumerate(phases):
        here = ~done & ((epochs <= end) | (i == len(phases) - 1))
        with np.errstate(all="ignore"):
            frac = (epochs[here] - start) / (end - start) if end != start else np.full(here.sum(), np.nan)
        lr[here] = _anneal(lr0, lr1, frac, strategy)
        momentum[here] = _anneal(m0, m1, frac, strategy)
        done |= here
        start = end
    return lr, (momentum if params.get("cycle_momentum", True) else None)


def _warm_restarts(params, epochs):
    t0, mult = params.get("T_0", 10), params.get("T_mult", 1)
    if mult == 1:
        t_cur, t_i = epochs % t0, np.full(len(epochs), t0)
    else:
        starts, lengths = [0], [t0]
        while starts[-1] + lengths[-1] <= (epochs[-1] if len(epochs) else 0):
            starts.append(starts[-1] + lengths[-1])
            lengths.append(lengths[-1] * mult)
        cycle = np.searchsorted(np.array(starts), epochs, side="right") - 1
        t_cur, t_i = epochs - np.array(starts)[cycle], np.array(lengths, dtype=np.float64)[cycle]
    return t_cur, t_i


def _compounded(base_lr: float, factors: np.ndarray) -> np.ndarray:
    """The lr at each epoch of a multiplicative schedule: the previous epoch's times that epoch's factor,
    in torch's order (its recursive form, lr_e = lr_(e-1) * factor_e). A closed form base_lr * gamma ** e
    rounds differently, overflows to infinity where the product is still finite (a tiny lr growing), and
    gives 0 * inf = NaN for lr 0, which torch keeps at 0."""
    values = np.array(factors, dtype=np.float64)
    if values.size:
        values[0] *= base_lr
    return np.multiply.accumulate(values)


def _single(kind: str, params: Mapping[str, Any], base_lr: float, epochs: np.ndarray, steps: int, restarted: bool):
    """One (non-sequential) scheduler's lr at each epoch, and OneCycle's momentum (or None).

    `restarted`: the scheduler was (re)started at epoch 0 by SequentialLR through its closed form."""
    p = {h.name: h.default for h in SCHEDULES[kind].parameters} | dict(params)
    e = epochs.astype(np.float64)
    if kind == "constant":
        forever = p["total_iters"] == 0 and not restarted  # torch's recursion never undoes the factor then
        return base_lr * np.where((epochs < p["total_iters"]) | forever, p["factor"], 1.0), None
    if kind == "step":
        return _compounded(base_lr, np.where((epochs > 0) & (epochs % p["step_size"] == 0), p["gamma"], 1.0)), None
    if kind == "multistep":
        milestones = np.asarray(p["milestones"], dtype=np.int64)
        hit = milestones[(milestones >= 0) & (milestones < steps)]
        repeats = np.bincount(hit, minlength=steps)  # milestones at each epoch (repeats count)
        return _compounded(base_lr, p["gamma"] ** repeats), None
    if kind == "exponential":
        return _compounded(base_lr, np.where(epochs > 0, p["gamma"], 1.0)), None
    if kind == "cosine":
        return p["eta_min"] + (base_lr - p["eta_min"]) * (1 + np.cos(np.pi * e / p["T_max"])) / 2, None
    if kind == "cosine_warm_restarts":
        t_cur, t_i = _warm_restarts(p, epochs)
        return p["eta_min"] + (base_lr - p["eta_min"]) * (1 + np.cos(np.pi * t_cur / t_i)) / 2, None
    if kind == "linear":
        done = np.minimum(epochs, p["total_iters"]) / p["total_iters"]
        return base_lr * (p["start_factor"] + (p["end_factor"] - p["start_factor"]) * done), None
    if kind == "polynomial":
        return base_lr * (1.0 - np.minimum(epochs, p["total_iters"]) / p["total_iters"]) ** p["power"], None
    if kind == "onecycle":
        return _onecycle(p, e, steps)
    raise KeyError(kind)


def learning_rates(
    schedule: Mapping[str, Any], base_lr: float, steps: int, restarted: bool = False
) -> tuple[np.ndarray, np.ndarray | None]:
    """The base lr at optimizer steps 1..steps, and the momentum/beta1 OneCycle sets (or None).

    `schedule` is {"kind": ..., <parameters>}; a sequential one has "schedulers" and "milestones".
    """
    epochs = np.arange(steps, dtype=np.int64)
    params = {k: v for k, v in schedule.items() if k != "kind"}
    if schedule["kind"] != "sequential":
        with np.errstate(all="ignore"):
            return _single(schedule["kind"], params, base_lr, epochs, steps, restarted)
    children, milestones = params["schedulers"], list(params["milestones"])
    which = np.searchsorted(np.asarray(milestones, dtype=np.int64), epochs, side="right")
    lr = np.empty(steps)
    momentum = None
    for i, child in enumerate(children):
        here = which == i
        offset = milestones[i - 1] if i > 0 else 0
        child_lr, child_momentum = learning_rates(child, base_lr, max(steps - offset, 0) or 1, restarted=i > 0)
        local = epochs[here] - offset
        lr[here] = child_lr[local]
        if child_momentum is not None:
            momentum = np.full(steps, np.nan) if momentum is None else momentum
            momentum[here] = child_momentum[local]
    return lr, momentum


def horizon_problem(schedule: Mapping[str, Any], steps: int) -> str | None:
    """Why a schedule cannot cover `steps` steps as torch would run them, or None."""
    if schedule["kind"] == "onecycle":
        total = schedule.get("total_steps")
        if total is not None and total < steps:
            return f"onecycle's total_steps ({total}) is less than the run's {steps} steps: torch raises past it"
    if schedule["kind"] == "sequential":
        for child in schedule["schedulers"]:
            problem = horizon_problem(child, steps)
            if problem:
                return problem
    return None
