"""Command-line values into request fields: `adam:lr=0.1,beta1=0.95`, gradient sources, initial points.

These only parse syntax; whether a name or a hyperparameter exists, and its bounds, is checked by the
service's request models (so the messages, and the list of valid names, are the service's own).
"""

from __future__ import annotations

import json
import re
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np

SPEC_SYNTAX = "NAME[:KEY=VALUE,...], e.g. adam:lr=0.1,beta1=0.95 or sgd:lr=0.1,schedule.kind=cosine,schedule.T_max=50"
GRADIENT_FORMS = (
    "tutorial, synthetic[:steps=N,dim=D,seed=S,noise_std=X,trend_start=X,trend_end=X], "
    "a JSON list such as [0.1,-0.2], FILE.json (a list, or a gradient source object), FILE.csv, FILE.npy, "
    "or - for JSON on standard input"
)


TUNE_FORMS = "logspace:START:STOP:NUM (10^START .. 10^STOP), linspace:START:STOP:NUM, or V1,V2,..."
GRID_FORMS = (
    "NAME=logspace:START:STOP:NUM (10^START .. 10^STOP), NAME=linspace:START:STOP:NUM, or NAME=V1,V2,..., "
    "e.g. lr=logspace:-4:0:9 or beta1=0.8,0.9,0.99"
)


class UsageError(ValueError):
    """A command-line value that cannot be read: exit code 2, with the message."""


def split_top_level(text: str, separator: str = ",") -> list[str]:
    """Split on `separator` outside brackets, braces and quotes: `milestones=[5,10],gamma=0.5`."""
    parts, depth, quote, current = [], 0, "", []
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "[{(":
            depth += 1
        elif char in "]})":
            depth -= 1
        elif char == separator and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


# Decimals JSON does not read but people write: .001, 5., -.5e-3.
LOOSE_DECIMAL = re.compile(r"[+-]?(\d+\.\d*|\.\d+)([eE][+-]?\d+)?")


def value(text: str) -> Any:
    """A JSON literal (0.1, true, null, [5, 10], {"kind": ...}), a decimal such as .001, or, failing
    those, the text itself."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return float(text) if LOOSE_DECIMAL.fullmatch(text.strip()) else text


def key_values(text: str, where: str) -> dict[str, Any]:
    """`lr=0.1,schedule.kind=cosine` as {"lr": 0.1, "schedule": {"kind": "cosine"}}."""
    fields: dict[str, Any] = {}
    for item in split_top_level(text):
        key, equals, raw = item.partition("=")
        key = key.strip()
        if not equals or not key:
            raise UsageError(f"{where}: expected KEY=VALUE, got {item!r}")
        *parents, leaf = key.split(".")
        node = fields
        for parent in parents:
            node = node.setdefault(parent, {})
            if not isinstance(node, dict):
                raise UsageError(f"{where}: {key!r} sets a field inside {parent!r}, which already has a value")
        node[leaf] = value(raw.strip())
    return fields


def optimizer_spec(text: str) -> dict[str, Any]:
    """`adam:lr=0.1,beta1=0.95` as {"name": "adam", "lr": 0.1, "beta1": 0.95}."""
    name, _, rest = text.partition(":")
    name = name.strip()
    if not name or "=" in name:
        raise UsageError(f"--optimizer {text!r}: expected {SPEC_SYNTAX}")
    return {"name": name, **(key_values(rest, f"--optimizer {text!r}") if rest.strip() else {})}


def objective_source(text: str) -> dict[str, Any]:
    """`rosenbrock:b=10,dim=2,noise_std=0.1` as an objective gradient source (closed loop)."""
    name, _, rest = text.partition(":")
    if not name.strip() or "=" in name:
        raise UsageError(f"--objective {text!r}: expected NAME[:KEY=VALUE,...], e.g. rosenbrock:b=10,noise_std=0.1")
    fields = key_values(rest, f"--objective {text!r}") if rest.strip() else {}
    return {"kind": "objective", "function": name.strip(), **fields}


def gradient_source(text: str) -> dict[str, Any]:
    """A gradient source object for the request, from one of GRADIENT_FORMS."""
    kind, _, rest = text.partition(":")
    if text == "tutorial":
        return {"kind": "synthetic"}
    if kind == "synthetic":
        return {"kind": "synthetic", **(key_values(rest, f"--gradients {text!r}") if rest else {})}
    if text == "-":
        return _from_json(sys.stdin.read(), "standard input")
    if text.lstrip().startswith(("[", "{")):
        return _from_json(text, "--gradients")
    path = Path(text)
    if not path.is_file():
        raise UsageError(f"--gradients {text!r}: no such file; use {GRADIENT_FORMS}")
    try:
        if path.suffix == ".json":
            return _from_json(path.read_text(encoding="utf-8"), str(path))
        if path.suffix == ".csv":
            rows = _csv_rows(path)
        elif path.suffix == ".npy":
            rows = np.load(path, allow_pickle=False)
        else:
            raise UsageError(f"--gradients {text!r}: unknown file type {path.suffix!r}; use .json, .csv or .npy")
    except (OSError, ValueError) as exc:
        if isinstance(exc, UsageError):
            raise
        raise UsageError(f"--gradients {text!r}: cannot read it: {exc}") from None
    return {"kind": "sequence", "values": rows.tolist()}


def _csv_rows(path: Path) -> np.ndarray:
    """Rows of numbers from a CSV file (a spreadsheet's byte-order mark allowed), after a header row if it has
    one: a first line of names only. A first line mixing names and numbers is a usage error, not a header
    (a typo such as 1.O would otherwise drop a row of data)."""
    with path.open(encoding="utf-8-sig") as file:
        cells = file.readline().split(",")
    names = [cell.strip() for cell in cells if not _is_number(cell)]
    numbers = len(cells) - len(names)
    if 0 < numbers < len(cells):
        raise UsageError(
            f"--gradients {str(path)!r}: line 1 mixes numbers and names ({','.join(cells).strip()!r}): a header "
            "row holds only column names, a data row only numbers"
        )
    mistyped = [name for name in names if NUMBER_START.match(name)]
    if mistyped:  # one column: '1.O' is no column name either
        raise UsageError(
            f"--gradients {str(path)!r}: line 1 has {mistyped[0]!r}, neither a number nor a column name (a header "
            "row's names start with a letter)"
        )
    header = int(numbers == 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # numpy's "no data": told below
        rows = np.loadtxt(path, delimiter=",", ndmin=2, dtype=np.float64, skiprows=header, encoding="utf-8-sig")
    if not rows.size:
        raise UsageError(f"--gradients {str(path)!r}: no rows of numbers")
    return rows


# What a number starts like: a digit, or a sign or point before one.
NUMBER_START = re.compile(r"[+-]?\.?\d")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _from_json(text: str, where: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise UsageError(f"{where}: not valid JSON ({exc})") from None
    except RecursionError:
        raise UsageError(f"{where}: nested too deeply to be gradients") from None
    if isinstance(data, dict) and "kind" in data:
        return data
    if isinstance(data, list):
        return {"kind": "sequence", "values": data}
    raise UsageError(f"{where}: expected a list of gradients or a gradient source object with a 'kind'")


def initial_point(text: str, where: str = "--initial") -> Any:
    """`0.5` or `[1, -1]` (checked by the request model)."""
    parsed = value(text)
    if isinstance(parsed, str):
        raise UsageError(f"{where} {text!r}: expected a number or a JSON list of numbers, e.g. [1.0,-1.0]")
    return parsed


def names(text: str) -> list[str]:
    """`params,learning_rates` as a list; the empty string as []."""
    return [part.strip() for part in text.split(",") if part.strip()]


def grid(texts: list[str]) -> dict[str, Any]:
    """`--grid lr=logspace:-4:0:9 --grid beta1=0.8,0.9` as the /sweep request's grid:
    {"lr": {"logspace": [-4, 0, 9]}, "beta1": [0.8, 0.9]}; whether each name is a hyperparameter of every
    optimizer, and the values' bounds, are the service's to check."""
    axes: dict[str, Any] = {}
    for text in texts:
        name, equals, rest = text.partition("=")
        name, rest = name.strip(), rest.strip()
        if not equals or not name or not rest:
            raise UsageError(f"--grid {text!r}: expected {GRID_FORMS}")
        if name in axes:
            raise UsageError(f"--grid {text!r}: {name!r} is already on the grid; give each name once")
        axes[name] = axis_values(rest, f"--grid {text!r}", GRID_FORMS)
    return axes


def axis_values(text: str, option: str, forms: str) -> Any:
    """One axis's values (`logspace:-4:0:9`, `linspace:0:1:5` or `0.1,0.2`) as the service takes them:
    {"logspace": [-4, 0, 9]} or [0.1, 0.2]. `option` and `forms` word the usage error."""
    spacing, colon, bounds = text.partition(":")
    if colon and spacing in ("logspace", "linspace"):
        parts = bounds.split(":")
        numbers = [value(part.strip()) for part in parts]
        if len(parts) != 3 or not all(isinstance(n, int | float) and not isinstance(n, bool) for n in numbers):
            raise UsageError(f"{option}: expected {spacing}:START:STOP:NUM, e.g. {spacing}:-4:0:9")
        return {spacing: numbers}
    values = [value(part.strip()) for part in split_top_level(text)]
    if any(isinstance(v, str) for v in values) or not values:
        raise UsageError(f"{option}: expected {forms}")
    return values
