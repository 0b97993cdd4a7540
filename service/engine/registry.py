"""Optimizer descriptions: the one table that the engine, the API schemas and the catalog read.

An optimizer is a pair of pure functions over numpy arrays, in the style of optax:

    state = init(params, hyper)
    update, learning_rate, state = step(grad, params, state, hyper, lr, t)

`params`, `grad` and every state array have shape ``(..., D)``: any leading batch shape runs many
configurations at once, and hyperparameter values may be arrays that broadcast against it.
`lr` is the base learning rate in force at this step (a schedule may change it), `t` the 1-based step
count. The step returns the update to add to the parameters and the effective learning rate: the
per-coordinate factor ``eta`` with ``update = -eta * direction`` (plus decoupled weight decay where the
optimizer has it); each optimizer's `learning_rate` text says what its direction is. Nothing is
mutated in place, so any step can be replayed.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

Number = float | int | bool | None
State = tuple[np.ndarray, ...]


@dataclass(frozen=True)
class Hyperparameter:
    """One hyperparameter (or schedule or objective parameter): its type, default and admissible range
    (inclusive unless said otherwise). `int_list` is a list of non-negative integers; `float_list` a
    list of numbers, each within the bounds; `choice` one of `choices`."""

    name: str
    default: Any
    description: str
    kind: Literal["float", "int", "bool", "int_list", "float_list", "choice"] = "float"
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    exclusive_maximum: bool = False
    nullable: bool = False
    choices: tuple[str, ...] = ()
    null_means: str = ""  # what null stands for, in a few words (a form's placeholder)

    def outside(self, x: Any) -> Any:
        """The bound `x` breaks, as `(">=", minimum)` or `("<", maximum)`, or None. `x` may be an array
        (of float64): the answer is then a boolean array, True where an item breaks either bound."""
        low = high = False
        if self.minimum is not None:
            low = x <= self.minimum if self.exclusive_minimum else x < self.minimum
        if self.maximum is not None:
            high = x >= self.maximum if self.exclusive_maximum else x > self.maximum
        if isinstance(x, np.ndarray):
            return np.logical_or(low, high)
        if low:
            return (">" if self.exclusive_minimum else ">=", self.minimum)
        if high:
            return ("<" if self.exclusive_maximum else "<=", self.maximum)
        return None


def no_constraints(hyper: Any) -> list[tuple[str, str]]:
    return []


@dataclass(frozen=True)
class Optimizer:
    """A registry entry: the math (`init`, `step`) and everything a catalog reader needs to trust it."""

    name: str
    title: str
    summary: str
    paper: str
    update_latex: str
    update_text: str
    learning_rate: str
    hyperparameters: tuple[Hyperparameter, ...]
    state_names: tuple[str, ...]
    init: Callable[[np.ndarray, Any], State]
    step: Callable[[np.ndarray, np.ndarray, State, Any, Any, int], tuple[np.ndarray, Any, State]]
    reference: str = "torch.optim 2.13"
    notes: tuple[str, ...] = ()
    # True when every coordinate evolves on its own (no norms or means over the parameter vector), so a
    # compiled path may run coordinates independently. Adafactor, for one, is not.
    elementwise: bool = True
    # True when the state never reads lr or the parameters, so that the update and the effective learning
    # rate are lr times functions of the gradients alone, as long as weight decay (which reads the
    # parameters) is off: a sweep over lr then runs the optimizer once and scales (`lr_linear`). Not so
    # for Rprop (its step sizes start at lr and are clamped) or ASGD (its eta and average read both).
    scales_with_lr: bool = False
    # Cross-field rules a single bound cannot express; returns (field, message) pairs.
    constraints: Callable[[Any], list[tuple[str, str]]] = no_constraints
    hyper_type: type = field(init=False, repr=False, compare=False)
    _names: frozenset = field(init=False, repr=False, compare=False)
    _defaults: Any = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        names = [h.name for h in self.hyperparameters]
        object.__setattr__(self, "hyper_type", namedtuple(f"{self.name.title()}Hyper", names))
        object.__setattr__(self, "_names", frozenset(names))
        object.__setattr__(self, "_defaults", self.hyper_type._make(h.default for h in self.hyperparameters))

    def lr_linear(self, hyper: Any) -> bool:
        """Whether, under `hyper`, every step's update and learning rate are proportional to lr."""
        return self.scales_with_lr and getattr(hyper, "weight_decay", 0) == 0

    def hyper(self, values: Mapping[str, Number] | None = None) -> Any:
        """Resolve hyperparameters: `values` over the defaults. Unknown names raise KeyError."""
        if not values:
            return self._defaults
        if len(values) == len(self._names) and self._names.issuperset(values):
            return self.hyper_type(**values)  # every one given (the API's case): ~3x cheaper than _replace
        if not self._names.issuperset(values):
            unknown = set(values) - self._names
            raise KeyError(f"unknown hyperparameters for {self.name}: {sorted(unknown)}")
        return self._defaults._replace(**values)


class Registry(Mapping[str, Optimizer]):
    """Name -> Optimizer, in catalog order."""

    def __init__(self, optimizers: Sequence[Optimizer]) -> None:
        self._by_name = {o.name: o for o in optimizers}
        if len(self._by_name) != len(optimizers):
            raise ValueError("duplicate optimizer names")

    def __getitem__(self, name: str) -> Optimizer:
        return self._by_name[name]

    def __iter__(self):
        return iter(self._by_name)

    def __len__(self) -> int:
        return len(self._by_name)
