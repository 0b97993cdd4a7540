"""Answers as text: aligned tables for people, JSON and CSV for programs."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ..api.models import ObjectiveInfo, OptimizerInfo, ScheduleInfo, SimulateResponse, SweepResponse

MAX_SHOWN = 4  # coordinates shown in a table cell before eliding


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines) + "\n"


def number(x: float | None) -> str:
    return "-" if x is None else f"{x:.6g}"


def grid_value(value: float | bool | None) -> str:
    """A grid value as the request writes it: flags as true/false (not 1/0), numbers short, absent as -."""
    return json.dumps(value) if isinstance(value, bool) else number(value)


def vector(values: Sequence[float]) -> str:
    shown = ", ".join(number(v) for v in values[:MAX_SHOWN])
    more = f", ... ({len(values)} values)" if len(values) > MAX_SHOWN else ""
    return f"[{shown}{more}]" if len(values) > 1 else shown


def simulation_table(result: SimulateResponse) -> str:
    coordinates = "coordinate" if result.dim == 1 else "coordinates"
    head = f"{result.steps} steps, {result.dim} {coordinates}"
    objective = result.objective
    if objective is not None:
        head += f", closed loop on {objective.function}"
        if objective.minimum_value is not None:
            head += f" (minimum {number(objective.minimum_value)})"
    tuned = any(run.tuning is not None for run in result.runs)
    headers = ["run", "optimizer", *(["lr (tuned)"] if tuned else []), "steps", "final params"]
    if objective is not None:
        headers += ["final loss"]
    rows = []
    for run in result.runs:
        done = result.steps if run.diverged_at is None else run.diverged_at - 1
        lr = [_lr_used(run)] if tuned else []
        row = [run.label, run.name, *lr, done, vector(run.final)]
        if objective is not None:
            row.append(number(run.loss[-1]) if run.loss else "-")
        rows.append([*row, "-" if run.diverged_at is None else f"at step {run.diverged_at}"])
    return f"{head}\n\n" + table([*headers, "diverged"], rows)


def _lr_used(run) -> str:
    """The lr a run used: the one its tuning chose, else its own (no value scored, or not tuned)."""
    if run.tuning is not None and run.tuning.chosen is not None:
        return number(run.tuning.chosen)
    own = run.hyperparameters.get("lr")
    return "-" if own is None else f"{number(own)} (own)"


def sweep_table(result: SweepResponse) -> str:
    """One row per configuration: its grid values, score and divergence; `*` marks each optimizer's best."""
    coordinates = "coordinate" if result.dim == 1 else "coordinates"
    score = "final loss" if result.score == "final_loss" else "distance to target"
    head = f"{result.steps} steps, {result.dim} {coordinates}, score: {score} (lower is better, * best)"
    axes = list(dict.fromkeys(name for entry in result.optimizers for c in entry.configurations for name in c.values))
    rows = []
    for entry in result.optimizers:
        best = None if entry.best is None else entry.best.index
        for i, configuration in enumerate(entry.configurations):
            values = [grid_value(configuration.values.get(name)) for name in axes]
            diverged = "-" if configuration.diverged_at is None else f"at step {configuration.diverged_at}"
            mark = "*" if i == best else ""
            rows.append([entry.label, entry.name, *values, number(configuration.score), diverged, mark])
    return f"{head}\n\n" + table(["run", "optimizer", *axes, result.score, "diverged", "best"], rows)


def catalog_table(entries: Sequence[OptimizerInfo]) -> str:
    rows = [[e.name, e.title, ", ".join(f"{k}={json.dumps(v)}" for k, v in e.defaults.items())] for e in entries]
    return table(["name", "title", "hyperparameters (defaults)"], rows)


def optimizer_text(entry: OptimizerInfo) -> str:
    lines = [f"{entry.name}: {entry.title}", "", entry.summary, "", f"update:         {entry.update.text}"]
    lines += [f"learning rate:  {entry.learning_rate}", f"paper:          {entry.paper}"]
    lines += [f"matches:        {entry.reference}", "", "hyperparameters:"]
    properties = entry.hyperparameters.get("properties", {})
    rows = []
    for name, default in entry.defaults.items():
        schema = properties.get(name, {})
        rows.append([name, json.dumps(default), bounds(schema), schema.get("description", "")])
    lines.append(indent(table(["name", "default", "range", "meaning"], rows)))
    if entry.notes:
        lines += ["notes:", *(f"  - {note}" for note in entry.notes)]
    return "\n".join(lines).rstrip() + "\n"


def bounds(schema: dict[str, Any]) -> str:
    """A JSON Schema's range as `[0, 1)`, `>= 0`, `cos | linear`, or its type."""
    for option in schema.get("anyOf", [schema]):
        if "enum" in option:
            return " | ".join(map(str, option["enum"]))
        low = option.get("minimum", option.get("exclusiveMinimum"))
        high = option.get("maximum", option.get("exclusiveMaximum"))
        above = ">" if "exclusiveMinimum" in option else ">="
        below = "<" if "exclusiveMaximum" in option else "<="
        if low is not None and high is not None:
            return f"{'(' if above == '>' else '['}{low:g}, {high:g}{')' if below == '<' else ']'}"
        if low is not None:
            return f"{above} {low:g}"
        if high is not None:
            return f"{below} {high:g}"
        if option.get("type") in ("boolean", "array"):
            return option["type"]
    return ""


def schedules_table(entries: Sequence[ScheduleInfo]) -> str:
    rows = [[e.kind, e.reference, ", ".join(e.parameters.get("properties", {}))] for e in entries]
    return table(["kind", "torch", "parameters"], rows)


def objectives_table(entries: Sequence[ObjectiveInfo]) -> str:
    rows = [
        [e.name, e.title, e.dimensions.rule, ", ".join(f"{k}={json.dumps(v)}" for k, v in e.defaults.items())]
        for e in entries
    ]
    return table(["name", "title", "dimensions", "parameters (defaults)"], rows)


def objective_text(entry: ObjectiveInfo) -> str:
    lines = [f"{entry.name}: {entry.title}", "", entry.summary, "", f"f:           {entry.formula.text}"]
    lines += [f"dimensions:  {entry.dimensions.rule} (default {entry.dimensions.default})"]
    lines += [f"minimum:     {entry.minimum.text}", f"start:       {vector(entry.start)}"]
    lines += [f"reference:   {entry.reference}"]
    properties = entry.parameters.get("properties", {})
    if entry.defaults:
        rows = []
        for name, default in entry.defaults.items():
            schema = properties.get(name, {})
            rows.append([name, json.dumps(default), bounds(schema), schema.get("description", "")])
        lines += ["", "parameters:", indent(table(["name", "default", "range", "meaning"], rows)).rstrip("\n")]
    if entry.notes:
        lines += ["", "notes:", *(f"  - {note}" for note in entry.notes)]
    return "\n".join(lines).rstrip() + "\n"


def indent(text: str) -> str:
    return "".join(f"  {line}" if line.strip() else line for line in text.splitlines(keepends=True))


def to_json(value: Any) -> str:
    """A model or a list of models as JSON, with the fields the answer had (as the service sends it)."""
    if isinstance(value, list):
        return json.dumps([item.model_dump(mode="json", exclude_unset=True) for item in value]) + "\n"
    return value.model_dump_json(exclude_unset=True) + "\n"
