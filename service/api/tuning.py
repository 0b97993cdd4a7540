"""Sweeps as the routes need them: grids validated per optimizer, then one engine call per optimizer.

Shared by POST /sweep and by `tune` on POST /simulate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..engine import REGISTRY
from ..engine.batch import SCALED_MAX_VALUES, SCALED_MIN_CONFIGS, recorded_count
from ..engine.sweep import Sweep, constant_plan, grid, sweep_closed_loop, sweep_open_loop
from ..settings import Settings
from .errors import count, limit_error, shown
from .models import RISING_MOMENTUM_DAMPENED, cycled_hyperparameter, dampened_rising_momentum, uses_cycled_momentum
from .schedules import schedule_arrays


def check_value(optimizer, name: str, value: Any, where: tuple) -> None:
    """A grid value must have its hyperparameter's type and lie in its range (422 at `where`)."""
    h = next((h for h in optimizer.hyperparameters if h.name == name), None)
    if h is None:
        known = ", ".join(x.name for x in optimizer.hyperparameters)
        raise limit_error(
            where[:2], f"{optimizer.name} has no hyperparameter {shown(name)}; it has: {known}", "grid_unknown"
        )
    ok = {"bool": type(value) is bool, "int": type(value) is int, "float": type(value) in (int, float)}.get(h.kind)
    if not ok:
        raise limit_error(where, f"{shown(value)} is not a valid {h.kind} for {optimizer.name}.{name}", "grid_type")
    if h.kind == "bool":
        return
    if broken := h.outside(value):
        sign, bound = broken
        raise limit_error(where, f"{optimizer.name}.{name} must be {sign} {bound}, got {value}", "grid_range")


def scheduled(spec, optimizer) -> set[str]:
    """The hyperparameters a OneCycle overwrites at every step (torch's OneCycleLR): lr, from max_lr, and
    with cycle_momentum the optimizer's momentum or beta1."""
    if spec.schedule is None or spec.schedule.kind != "onecycle":
        return set()
    cycled = cycled_hyperparameter(optimizer) if uses_cycled_momentum(spec.schedule) else None
    return {"lr", cycled} - {None}


def configurations(spec, axes: Mapping[str, Sequence[Any]], field: str = "grid") -> list[dict]:
    """Every combination of `axes` over the spec's own values, each checked against the optimizer's rules."""
    optimizer = REGISTRY[spec.name]
    for name in scheduled(spec, optimizer) & set(axes):
        raise limit_error(
            ("tune",) if field == "tune_values" else (field, name),
            f"{spec.label or spec.name}'s onecycle schedule sets {name} at every step, whatever {name} is given: "
            f"a sweep of its {name} would run one configuration again and again. Sweep {name} without "
            "onecycle, or leave this optimizer out",
            "constraint",
        )
    for name, values in axes.items():
        where = (field,) if field == "tune_values" else (field, name)
        for i, value in enumerate(values):
            check_value(optimizer, name, value, (*where, i))
    base = spec.model_dump(exclude={"name", "label", "schedule"})
    configs = [{**base, **values} for values in grid(axes)]
    for config in configs:
        problems = list(optimizer.constraints(optimizer.hyper(config)))
        if dampened_rising_momentum(config.get("dampening", 0), spec.schedule):  # what the spec's own model refuses
            problems.append(("dampening", RISING_MOMENTUM_DAMPENED))
        for name, message in problems:
            values = ", ".join(f"{axis}={shown(config[axis])}" for axis in axes)
            raise limit_error(
                _entry(axes, config, name, field), f"{optimizer.name} with {values}: {message}", "constraint"
            )
    return configs


def _entry(axes: Mapping[str, Sequence[Any]], config: Mapping[str, Any], name: str, field: str) -> tuple:
    """Where a forbidden combination is reported: the grid's entry for the hyperparameter the rule names,
    or the one axis there is; else the grid."""
    axis = name if name in axes else next(iter(axes)) if len(axes) == 1 else None
    if axis is None:
        return (field,)
    value = config[axis]
    index = next(i for i, v in enumerate(axes[axis]) if v == value and type(v) is type(value))
    return (field, index) if field == "tune_values" else (field, axis, index)


def plan_for(spec, steps: int, index: int):
    """lr -> (base lr per step, per-step hyperparameters): the spec's schedule, or a constant lr."""
    optimizer = REGISTRY[spec.name]

    if spec.schedule is None:
        return constant_plan()

    def plan(lr: float):
        rates, momentum = schedule_arrays(spec.schedule, lr, steps, ("optimizers", index, "schedule"))
        return rates, ({} if momentum is None else {cycled_hyperparameter(optimizer): momentum})

    return plan


def check_sweep_limits(request, total: int, settings: Settings, field: str) -> None:
    from .simulate import check_closed_loop_work, check_work

    if total > settings.max_sweep_configs:
        raise limit_error(
            (field,),
            f"{count(total)} configurations exceed the limit of {settings.max_sweep_configs}",
            "limit_exceeded",
        )
    steps, dim = request.gradients.shape
    check_work(total, steps, dim, settings, (field,))
    if request.gradients.kind == "objective":
        check_closed_loop_work(request, settings, total)


def sweep_values(request, per_optimizer: int, trajectories: bool = False, every: int = 1) -> int:
    """The numbers a sweep (or a tune) holds and returns: its gradients (those it sends, or a synthetic
    pattern holds whole); for an objective, its data and one closed-loop run's gradients, losses and, with
    trajectories, parameters (configurations run there one after another); per configuration its final
    point and, with trajectories, its recorded parameters; and, open loop, the learning rate of every
    configuration of a scheduled optimizer at every step (they run as one batch), and an lr sweep's every
    step of one run at the largest lr, which it scales (`batch._run_scaled`)."""
    from .simulate import gradients_in_memory

    source = request.gradients
    steps, dim = source.shape
    rows = recorded_count(steps, every) + 1 if trajectories else 0
    values = per_optimizer * len(request.optimizers) * dim * (1 + rows)
    if source.kind == "objective":
        return values + source.work_per_step() + steps * dim * (1 + trajectories) + 2 * (steps + 1)
    values += gradients_in_memory(request)
    scaled = any(spec.schedule is None for spec in request.optimizers)  # a schedule's lr is per step: no scaling
    if scaled and per_optimizer >= SCALED_MIN_CONFIGS and steps * dim <= SCALED_MAX_VALUES and lr_only(request):
        values += 3 * steps * dim  # batch._run_scaled, one optimizer at a time: unit updates, rates, their sum
    return values + with_schedule(request) * per_optimizer * steps


def lr_only(request) -> bool:
    """Whether a sweep varies lr alone (a tune always does)."""
    return set(getattr(request, "grid", None) or {"lr"}) == {"lr"}


def with_schedule(request) -> int:
    return sum(spec.schedule is not None for spec in request.optimizers)


def sweep_values_field(request, settings: Settings, field: str) -> tuple:
    """Where too many sweep numbers are blamed: on the gradients when they alone are too many, else `field`."""
    from .simulate import gradients_in_memory

    alone = gradients_in_memory(request)  # (none for an objective: it holds no given sequence)
    return ("gradients",) if alone > settings.max_values else (field,)


def sweep_remedy(request, settings: Settings, fewer: str, configurations: str = "configurations") -> str:
    """What would make a sweep or tune move fewer numbers (`fewer`: what else the request can thin;
    `configurations`: what sets their number)."""
    from .simulate import held_gradients

    remedy = f"fewer {configurations}, {fewer}"
    if request.gradients.kind == "objective":
        return f"fewer steps or coordinates (a closed loop holds every step of the run it computes), {remedy}"
    held, why = held_gradients(request)
    if with_schedule(request):
        remedy = f"fewer steps (a schedule holds every configuration's lr at every step), {remedy}"
    if held:
        steps_or_coordinates = "fewer steps or coordinates" + ("" if held > settings.max_values else f", {remedy}")
        return (
            f"its T x D = {held} gradients are held whole while the configurations run ({why}): {steps_or_coordinates}"
        )
    return remedy


def run_sweep(
    request,
    spec,
    index: int,
    configs: list[dict],
    trajectories: bool = False,
    record_every: int = 1,
    deadline: float | None = None,
):
    """One optimizer's configurations over the request's gradient source."""
    optimizer = REGISTRY[spec.name]
    source = request.gradients
    steps, dim = source.shape
    plan = plan_for(spec, steps, index)
    if source.kind == "objective":
        problem = source.problem()
        initial = problem.start if request.initial is None else request.initial
        initial = np.array(np.broadcast_to(np.asarray(initial, dtype=np.float64), (dim,)))
        return sweep_closed_loop(
            problem,
            optimizer,
            configs,
            plan,
            initial,
            steps,
            source.noise_std,
            source.seed,
            record_every,
            trajectories,
            deadline,
        )
    initial = np.broadcast_to(np.asarray(0.0 if request.initial is None else request.initial, dtype=np.float64), (dim,))
    target = np.broadcast_to(np.asarray(0.0 if request.target is None else request.target, dtype=np.float64), (dim,))
    return sweep_open_loop(
        source.source(), optimizer, configs, plan, initial, target, record_every, trajectories, deadline
    )


def score_kind(request) -> str:
    return "final_loss" if request.gradients.kind == "objective" else "final_distance"


def tune_runs(request, settings: Settings, deadline: float | None = None) -> dict[int, dict]:
    """`tune: "lr"`: per optimizer, the lr values' scores and the best one (see `Tuning`)."""
    values = list(request.tune_values)
    check_sweep_limits(request, len(values) * len(request.optimizers), settings, "tune_values")
    held = sweep_values(request, len(values))
    if held > settings.max_values:
        raise limit_error(
            sweep_values_field(request, settings, "tune_values"),
            f"tuning the lr moves {held} numbers (gradients and every value's final point), over the limit of "
            f"{settings.max_values}: {sweep_remedy(request, settings, 'or no tune', 'tune_values')}",
        )
    per_spec = [configurations(spec, {"lr": values}, "tune_values") for spec in request.optimizers]
    tuning = {}
    for i, (spec, configs) in enumerate(zip(request.optimizers, per_spec, strict=True)):
        result = run_sweep(request, spec, i, configs, deadline=deadline)
        chosen = result.best()
        tuning[i] = {
            "parameter": "lr",
            "score": score_kind(request),
            "values": [float(v) for v in values],
            "scores": scores(result),
            "chosen": None if chosen is None else float(values[chosen]),
        }
    return tuning


def scores(result: Sweep) -> list[float | None]:
    return [None if np.isnan(x) else x for x in result.score.tolist()]


def configuration_payloads(result: Sweep, axes: Sequence[str]) -> list[dict]:
    """Per configuration: its grid values, score (null if diverged), divergence step, final params."""
    payloads = []
    for i, (config, score, diverged) in enumerate(
        zip(result.configs, scores(result), result.diverged_at.tolist(), strict=True)
    ):
        payload = {
            "values": {name: config[name] for name in axes},
            "score": score,
            "diverged_at": diverged or None,
            "final": result.final[i],
        }
        if result.params is not None:
            payload["params"] = np.ascontiguousarray(result.params[i])
        payloads.append(payload)
    return payloads
