"""Request and response models. Optimizer specs are generated from the engine's registry, so adding an
optimizer to the engine adds its typed, bounded spec here without editing this file."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection
from difflib import get_close_matches
from functools import cache
from itertools import chain, islice
from typing import Annotated, Any, Literal, Union

import numpy as np
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PlainValidator,
    Tag,
    TypeAdapter,
    ValidationError,
    WithJsonSchema,
    WrapValidator,
    create_model,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from ..engine import OBJECTIVES, REGISTRY, SERIES, Hyperparameter, Objective, Optimizer, Problem, gradients
from ..engine.schedules import MAX_EPOCH, SCHEDULES, Schedule, horizon_problem
from ..engine.simulate import compiles
from ..settings import MAX_OPTIMIZER_ITEMS
from .errors import cut, limit_error, numbers, path_error, shown

MAX_LABEL = 64


# A label comes back in the answer (JSON, CSV, figure legends). Its constraints sit in the type, so that
# pydantic reads it as text, refusing half a surrogate pair (JSON can escape one, UTF-8 cannot write it).
# Control characters (Unicode's Cc: U+0000-U+001F, U+007F-U+009F) are refused too: XML (an SVG figure's
# text) cannot hold most of them, and a terminal would act on them.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _printable(label: str) -> str:
    if found := CONTROL_CHARACTERS.search(label):
        raise PydanticCustomError(
            "control_character",
            f"A label cannot hold control characters: U+{ord(found.group()):04X} at position {found.start()}.",
        )
    return label


Label = Annotated[
    str,
    Field(min_length=1, max_length=MAX_LABEL, json_schema_extra={"pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"}),
    AfterValidator(_printable),
]


class StrictModel(BaseModel):
    """Strict JSON types (no "1" or true for numbers), finite numbers only, unknown fields rejected
    with the list of allowed ones."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _reject_unknown_fields(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key in data:
                if key not in cls.model_fields:
                    allowed = sorted(cls.model_fields)
                    close = get_close_matches(str(key), allowed, n=1)
                    hint = f" Did you mean '{close[0]}'?" if close else ""
                    # Half a surrogate pair (JSON can escape one) cannot go into an error: written escaped.
                    name = cut(key.encode("utf-8", "backslashreplace").decode("utf-8"))
                    raise path_error(
                        "extra_forbidden", f"Unknown field '{name}'.{hint} Allowed: {', '.join(allowed)}.", name
                    )
        return data


# --- gradient sources -------------------------------------------------------------------------


def _number_rows(value: Any) -> np.ndarray:
    """T numbers, or T rows of D numbers, all finite; booleans and strings are not numbers.
    Checked a whole list at a time (a million rows in ~0.05 s, on the event loop); the first offender is
    looked for only when there is one."""
    if not isinstance(value, list) or not value:
        raise path_error("values", "values must be a non-empty list of numbers or of equal-length rows of numbers")
    rows = isinstance(value[0], list)
    width = len(value[0]) if rows else 1
    if rows:
        if (
            set(map(type, value)) != {list}
            or set(map(len, value)) != {width}
            or not width
            or not set(map(type, chain.from_iterable(value))) <= NUMBER_TYPES  # (every row a list by now)
        ):
            _bad_row(value, width)
    elif not set(map(type, value)) <= NUMBER_TYPES:
        i = next(i for i, v in enumerate(value) if type(v) not in NUMBER_TYPES)
        raise path_error("float_type", f"{shown(value[i])} is not a number", i)
    try:  # one flat pass: ~3x sooner than np.array on a list of one-number rows
        array = np.fromiter(chain.from_iterable(value) if rows else value, np.float64, len(value) * width)
    except OverflowError as exc:  # integers beyond float64
        raise path_error("finite_number", "numbers must fit in float64") from exc
    array = array.reshape(len(value), width)
    if not np.isfinite(array).all():
        where = np.argwhere(~np.isfinite(array))[0][: 2 if rows else 1]  # a flat list's path has no column
        raise path_error("finite_number", "gradients must be finite numbers (no NaN or Infinity)", *map(int, where))
    return array


NUMBER_TYPES = {int, float}


def _bad_row(value: list, width: int) -> None:
    """The first offending row, as a row-by-row check finds it: not a list, empty, of another length than
    row 0, or (first) holding something that is not a number. Looked for a whole list at a time: the first
    row of the wrong shape, and the first non-number in the rows before it."""
    shape = next((i for i, row in enumerate(value) if not isinstance(row, list) or len(row) != width or not row), None)
    before = islice(chain.from_iterable(value), None if shape is None else shape * width)
    k = next((k for k, v in enumerate(before) if type(v) not in NUMBER_TYPES), None)
    if k is not None:
        i, j = divmod(k, width)
        raise path_error("float_type", f"{shown(value[i][j])} is not a number", i, j)
    if shape is None:
        return  # (rows of list subclasses, all numbers: nothing is wrong)
    row = value[shape]
    if not isinstance(row, list):
        raise path_error("values", "every row must be a list of numbers (mixed rows and numbers)", shape)
    if not row:
        raise path_error("ragged", f"row {shape} is empty: rows must be equal and non-empty", shape)
    raise path_error(
        "ragged",
        f"row {shape} has {numbers(len(row))}, row 0 has {width}: rows must be equal and non-empty",
        shape,
    )


def _fits(number: int | float) -> bool:
    """A JSON number that float64 holds: finite, and, an integer, within its range (JSON integers are
    unbounded; `math.isfinite` raises on those beyond it)."""
    try:
        return math.isfinite(number)
    except OverflowError:
        return False


def _initial(value: Any) -> float | list[float] | None:
    """One finite number for every coordinate, or a list of D finite numbers (`initial`, `target`)."""
    if value is None:
        return None
    if isinstance(value, list):
        for i, v in enumerate(value):
            if type(v) not in (int, float):
                raise path_error("float_type", f"{shown(v)} is not a number", i)
            if not _fits(v):
                raise path_error("finite_number", "values must be finite numbers within float64's range", i)
        return [float(v) for v in value]
    if type(value) not in (int, float):
        raise path_error("float_type", "expected a number or a list of D numbers")
    if not _fits(value):
        raise path_error("finite_number", "expected a finite number within float64's range")
    return float(value)


Initial = Annotated[
    float | list[float] | None,
    PlainValidator(_initial),
    WithJsonSchema(
        {"anyOf": [{"type": "number"}, {"type": "array", "items": {"type": "number"}, "minItems": 1}, {"type": "null"}]}
    ),
]

Matrix = Annotated[
    np.ndarray,
    PlainValidator(_number_rows),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "array", "items": {"type": "number"}, "minItems": 1},
                {
                    "type": "array",
                    "items": {"type": "array", "items": {"type": "number"}, "minItems": 1},
                    "minItems": 1,
                },
            ]
        }
    ),
]


class SequenceGradients(StrictModel):
    """An explicit gradient sequence: T numbers (one parameter) or T rows of D numbers."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    kind: Literal["sequence"]
    values: Matrix = Field(description="T numbers, or T rows of D numbers.")

    @property
    def shape(self) -> tuple[int, int]:
        return self.values.shape

    def build(self) -> np.ndarray:
        return self.values

    def source(self):
        return gradients.Explicit(self.values)


# --- optimizer specs, one model per registry entry ---------------------------------------------


MAX_MILESTONES = 1000


def _first_bad_item(h: Hyperparameter, bounds: dict[str, float]) -> Callable[[Any], Any]:
    """A list of numbers (a quadratic's D `scales`) checked as a whole, and only its first wrong item
    reported, as for `values` and `initial`: item by item, [-1] * 200,000 was 200,000 errors in 4.4 s.
    The error is the one the item alone gets; a list with nothing wrong goes on to the usual validation."""
    item = TypeAdapter(Annotated[float, Field(**bounds)], config=ConfigDict(strict=True, allow_inf_nan=False))

    def first_bad(value: Any) -> Any:
        if not isinstance(value, list) or (i := _first_outside(value, h)) is None:
            return value
        try:
            item.validate_python(value[i])
        except ValidationError as exc:
            error = exc.errors()[0]
            raise path_error(error["type"], error["msg"], i) from None
        return value

    return first_bad


def _first_outside(value: list, h: Hyperparameter) -> int | None:
    """The index of the first item that is not a finite number within `h`'s bounds, or None."""
    end = len(value)
    if not set(map(type, value)) <= NUMBER_TYPES:
        end = next(i for i, v in enumerate(value) if type(v) not in NUMBER_TYPES)
    head = value if end == len(value) else value[:end]
    try:
        numbers = np.fromiter(head, np.float64, end)
    except OverflowError:  # an integer beyond float64 (bad too): the numbers before it are looked at
        end = next(i for i, v in enumerate(head) if not _fits(v))
        numbers = np.fromiter(head[:end], np.float64, end)
    good = np.isfinite(numbers) & ~h.outside(numbers)
    if not good.all():
        return int(np.argmin(good))
    return end if end < len(value) else None


def _hyperparameter_field(h: Hyperparameter) -> tuple[Any, Any]:
    bounds: dict[str, float] = {}
    if h.minimum is not None:
        bounds["gt" if h.exclusive_minimum else "ge"] = h.minimum
    if h.maximum is not None:
        bounds["lt" if h.exclusive_maximum else "le"] = h.maximum
    python_type: Any = {
        "float": float,
        "int": int,
        "bool": bool,
        # fail_fast: the first bad item only, as for every list of numbers
        "int_list": Annotated[
            list[Annotated[int, Field(ge=0, le=MAX_EPOCH)]], Field(max_length=MAX_MILESTONES, fail_fast=True)
        ],
        "float_list": Annotated[
            list[Annotated[float, Field(**bounds)]], Field(min_length=1), BeforeValidator(_first_bad_item(h, bounds))
        ],
        "choice": Literal[h.choices] if h.choices else str,
    }[h.kind]
    if h.nullable:
        python_type = python_type | None
    if h.kind in ("int_list", "float_list", "choice", "bool"):
        bounds = {}
    default = list(h.default) if isinstance(h.default, list | tuple) else h.default
    extra = {"x-null-means": h.null_means} if h.null_means else None
    return python_type, Field(default, description=h.description, json_schema_extra=extra, **bounds)


def known_tag(
    key: str, noun: str, known: Collection[str], *, quoted: bool = True, at_key: bool = True, default: Any = None
) -> Callable[[Any], Any]:
    """A BeforeValidator for a union told apart by `key` (an optimizer's name, a schedule's kind): an object
    whose `key` is missing or not one of `known` is a 422 saying which are known, with the closest one, at
    `key` (`at_key`) or at the object. Instead of pydantic's "Input tag 'x' found using 'kind' does not
    match any of the expected tags: ..."; `default` stands for a missing key that has one."""
    listed = ", ".join(map(repr, known) if quoted else known)
    where = (key,) if at_key else ()

    def check(value: Any) -> Any:
        if not isinstance(value, dict) or (isinstance(tag := value.get(key, default), str) and tag in known):
            return value
        if key not in value:
            raise path_error("missing", f"{key} is required. Known {noun}s: {listed}.", *where)
        close = get_close_matches(str(value[key]), list(known), n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise path_error(
            "union_tag_invalid", f"Unknown {noun} {shown(value[key])}.{hint} Known {noun}s: {listed}.", *where
        )

    return check


# --- schedules, one model per kind ---------------------------------------------------------------


def _schedule_model(schedule: Schedule, extra: dict[str, Any] | None = None, validators=None) -> type[StrictModel]:
    fields: dict[str, Any] = {"kind": (Literal[schedule.kind], Field(description="Schedule kind."))}
    fields.update({p.name: _hyperparameter_field(p) for p in schedule.parameters})
    fields.update(extra or {})
    return create_model(
        f"{schedule.title}Spec",
        __base__=StrictModel,
        __doc__=f"{schedule.title} ({schedule.reference}): {schedule.formula_text}",
        __validators__=validators or {},
        **fields,
    )


BASE_SCHEDULE_MODELS = {k: _schedule_model(s) for k, s in SCHEDULES.items() if k != "sequential"}
CHILD_KINDS = tuple(k for k in BASE_SCHEDULE_MODELS if k != "onecycle")


def _not_onecycle(value: Any) -> Any:
    if isinstance(value, dict) and value.get("kind") == "onecycle":  # a known kind, but not here (as in torch)
        raise path_error(
            "union_tag_invalid",
            "onecycle cannot be a sequential child: it sets the whole cycle's lr itself. Use it alone.",
            "kind",
        )
    return value


ChildSchedule = Annotated[
    Union[tuple(BASE_SCHEDULE_MODELS[k] for k in CHILD_KINDS)],  # noqa: UP007
    Field(discriminator="kind"),
    BeforeValidator(known_tag("kind", "sequential child kind", CHILD_KINDS)),
    BeforeValidator(_not_onecycle),  # (the last before-validator runs first)
]


def _check_sequential(self: StrictModel) -> StrictModel:
    if len(self.milestones) != len(self.schedulers) - 1:
        raise path_error(
            "milestones",
            f"{len(self.schedulers)} schedulers need {len(self.schedulers) - 1} milestones, got {len(self.milestones)}",
            "milestones",
        )
    if any(b <= a for a, b in zip(self.milestones, self.milestones[1:], strict=False)):
        raise path_error("milestones", "milestones must be strictly increasing", "milestones")
    return self


SequentialSpec = _schedule_model(
    SCHEDULES["sequential"],
    extra={
        "schedulers": (
            list[ChildSchedule],
            Field(min_length=1, max_length=16, description="Schedules to run one after another (no onecycle)."),
        )
    },
    validators={"_sequential": model_validator(mode="after")(_check_sequential)},
)
SCHEDULE_MODELS: dict[str, type[StrictModel]] = {**BASE_SCHEDULE_MODELS, "sequential": SequentialSpec}
ScheduleSpec = Annotated[
    Union[tuple(SCHEDULE_MODELS.values())],  # noqa: UP007
    Field(discriminator="kind"),
    BeforeValidator(known_tag("kind", "schedule kind", tuple(SCHEDULE_MODELS))),
]


def cycled_hyperparameter(optimizer: Optimizer) -> str | None:
    """What OneCycle's cycle_momentum drives, as torch decides: `momentum` if the optimizer has one,
    else `beta1` (torch: optimizers with `betas`; here also lion, adabelief, yogi)."""
    names = {h.name for h in optimizer.hyperparameters}
    return "momentum" if "momentum" in names else "beta1" if "beta1" in names else None


def uses_cycled_momentum(schedule: Any) -> bool:
    if schedule is None:
        return False
    if schedule.kind == "sequential":
        return any(uses_cycled_momentum(child) for child in schedule.schedulers)
    return schedule.kind == "onecycle" and schedule.cycle_momentum


def momentum_starts_off(schedule: Any) -> bool:
    """A OneCycle (never a sequential's child) whose cycled momentum starts at 0 and rises."""
    return uses_cycled_momentum(schedule) and schedule.max_momentum == 0 < schedule.base_momentum


RISING_MOMENTUM_DAMPENED = (
    "a momentum cycle rising from max_momentum = 0 with dampening > 0 is not supported: torch creates "
    "SGD's momentum buffer, undamped, at the first step whose momentum is not 0, this engine at step 1 "
    "(they differ by the factor 1 - dampening there): set dampening to 0 or max_momentum above 0"
)


def dampened_rising_momentum(dampening: float, schedule: Any) -> bool:
    """SGD (the optimizer with dampening) with dampening > 0 under a momentum cycle rising from 0."""
    return bool(dampening) and momentum_starts_off(schedule)


def _check_constraints(self: StrictModel) -> StrictModel:
    optimizer: Optimizer = REGISTRY[self.name]
    hyper = optimizer.hyper(self.model_dump(include={h.name for h in optimizer.hyperparameters}))
    for field, message in optimizer.constraints(hyper):
        raise path_error("constraint", message, field)
    if uses_cycled_momentum(self.schedule) and cycled_hyperparameter(optimizer) is None:
        raise path_error(
            "constraint",
            f"onecycle's cycle_momentum needs an optimizer with momentum or beta1; {optimizer.name} has "
            "neither: set cycle_momentum to false",
            "schedule",
            "cycle_momentum",
        )
    if dampened_rising_momentum(getattr(self, "dampening", 0), self.schedule):
        raise path_error("constraint", RISING_MOMENTUM_DAMPENED, "schedule", "max_momentum")
    return self


def _spec_model(optimizer: Optimizer) -> type[StrictModel]:
    fields: dict[str, Any] = {
        "name": (Literal[optimizer.name], Field(description="Optimizer name.")),
        "label": (
            Label | None,
            Field(None, description="Run label; defaults to the name, made unique."),
        ),
    }
    fields.update({h.name: _hyperparameter_field(h) for h in optimizer.hyperparameters})
    fields["schedule"] = (
        ScheduleSpec | None,
        Field(None, description="Learning-rate schedule setting the base lr per step, as torch.optim.lr_scheduler."),
    )
    return create_model(
        f"{optimizer.title.replace(' ', '')}Spec",
        __base__=StrictModel,
        __doc__=f"{optimizer.title}: {optimizer.summary}",
        __validators__={"_constraints": model_validator(mode="after")(_check_constraints)},
        **fields,
    )


SPEC_MODELS: dict[str, type[StrictModel]] = {name: _spec_model(o) for name, o in REGISTRY.items()}


OptimizerSpec = Annotated[
    Union[tuple(SPEC_MODELS.values())],  # noqa: UP007
    Field(discriminator="name"),
    BeforeValidator(known_tag("name", "optimizer", tuple(SPEC_MODELS), quoted=False)),
]

# One optimizer entry can hold ~90 errors (a sequential schedule of 16 children, every field wrong): a list
# longer than this reports its first bad entry only. Every entry's errors, 9,900 entries in a 10 MB body, were
# 396,000 errors: 12 s of the server's time and an 85 MB answer.
FULLY_REPORTED_ENTRIES = 16
_FIRST_BAD_OPTIMIZER = TypeAdapter(Annotated[list[OptimizerSpec], Field(fail_fast=True)])


def _first_bad_entry_past_a_few(value: Any, validate: Callable[[Any], Any]) -> Any:
    if isinstance(value, list) and FULLY_REPORTED_ENTRIES < len(value) <= MAX_OPTIMIZER_ITEMS:
        return _FIRST_BAD_OPTIMIZER.validate_python(value)
    return validate(value)


OptimizerList = Annotated[list[OptimizerSpec], WrapValidator(_first_bad_entry_past_a_few)]


# --- synthetic patterns and objective functions, one model per engine table entry ---------------

# Seeds are below 2^63 (numpy's int64). An exclusive bound: 2^63 is exact in the OpenAPI document, whose
# numbers FastAPI writes as floats (2^63 - 1 is not a float).
SEED_LIMIT = 2**63


class SyntheticBase(StrictModel):
    """A seeded synthetic sequence (one model per pattern in the engine's table)."""

    @property
    def shape(self) -> tuple[int, int]:
        return self.steps, self.dim

    def build(self) -> np.ndarray:
        """The sequence; a 422 if these magnitudes overflow float64 (NaN or infinity never reach a run)."""
        with np.errstate(over="ignore", invalid="ignore"):
            values = gradients.generate(
                self.pattern, self.steps, self.dim, **self.model_dump(exclude={"kind", "pattern", "steps", "dim"})
            )
        if not np.isfinite(values).all():
            raise limit_error(
                ("gradients",),
                f"these {self.pattern} parameters give gradients beyond float64: use smaller magnitudes",
                kind="finite_number",
            )
        return values

    def source(self):
        """The engine's view: trend_noise, constant and sine are generated block by block (never T x D at once);
        the other patterns draw their numbers step by step across the coordinates, so they are built whole."""
        if self.pattern == "trend_noise":
            # The fields straight from the instance (a model_dump costs a few microseconds more).
            return gradients.TrendNoise(**{k: v for k, v in self.__dict__.items() if k not in ("kind", "pattern")})
        if gradients.PATTERNS[self.pattern].by_columns:
            parameters = self.model_dump(exclude={"kind", "pattern", "steps", "dim"})
            return gradients.Columns(self.pattern, self.steps, self.dim, **parameters)
        return gradients.Explicit(self.build())

    def held(self, optimizers: Any = ()) -> tuple[int, str]:
        """The gradients the runs of `optimizers` hold whole, T x D, and why; (0, "") when they come a block at
        a time: a pattern generated by blocks, run by compiled optimizers only (the numpy loop of one that is
        not, adafactor, steps through the whole array)."""
        if not (self.pattern == "trend_noise" or gradients.PATTERNS[self.pattern].by_columns):
            return self.steps * self.dim, f"the {self.pattern} pattern is drawn step by step across the coordinates"
        whole = next((spec.name for spec in optimizers if not _compiles(spec.name)), None)
        return (self.steps * self.dim, f"{whole} steps through the whole sequence") if whole else (0, "")


@cache
def _compiles(name: str) -> bool:
    """Whether optimizer `name` runs compiled (asked twice per request: once is enough per process)."""
    return compiles(REGISTRY[name])


def _pattern_model(pattern: gradients.Pattern) -> type[StrictModel]:
    legacy = pattern.name == "trend_noise"
    fields: dict[str, Any] = {
        "kind": (Literal["synthetic"], Field(description="Gradient source kind.")),
        # trend_noise is the default pattern: `{"kind": "synthetic"}` is the tutorial's sequence.
        "pattern": (Literal[pattern.name], Field(pattern.name if legacy else ..., description="Pattern name.")),
        "steps": (int, Field(50, ge=1, description="Number of steps T.")),
        "dim": (int, Field(pattern.default_dim, ge=1, description="Number of parameter coordinates D.")),
    }
    if pattern.seed is not None:
        below = {"le": 2**32 - 1} if legacy else {"lt": SEED_LIMIT}
        fields["seed"] = (int, Field(0, ge=0, description=f"Seed: {pattern.seed}.", **below))
    fields.update({h.name: _hyperparameter_field(h) for h in pattern.parameters})
    seeds = f" Seed: {pattern.seed}." if pattern.seed else " Deterministic (no seed)."
    return create_model(
        f"{pattern.name.title().replace('_', '')}Pattern",
        __base__=SyntheticBase,
        __doc__=f"Synthetic `{pattern.name}`: {pattern.formula} (step t = 1..T, coordinate j = 0..D-1).{seeds}",
        **fields,
    )


PATTERN_MODELS: dict[str, type[StrictModel]] = {name: _pattern_model(p) for name, p in gradients.PATTERNS.items()}


def _pattern_tag(value: Any) -> str | None:
    if isinstance(value, dict):
        return value.get("pattern", "trend_noise")
    return getattr(value, "pattern", None)


# Discriminated by `pattern`, which defaults to trend_noise; an unknown pattern is an error at `pattern`.
SyntheticGradients = Annotated[
    Union[tuple(Annotated[m, Tag(name)] for name, m in PATTERN_MODELS.items())],  # noqa: UP007
    Discriminator(_pattern_tag),
    BeforeValidator(known_tag("pattern", "pattern", tuple(PATTERN_MODELS), default="trend_noise")),
]

OBJECTIVE_SOURCE_FIELDS = ("kind", "function", "dim", "steps", "noise_std", "seed")


class ObjectiveBase(StrictModel):
    """Closed loop on an objective function (one model per function in the engine's catalog)."""

    @property
    def shape(self) -> tuple[int, int]:
        return self.steps, self.dim

    @property
    def objective(self) -> Objective:
        return OBJECTIVES[self.function]

    def parameters(self) -> dict[str, Any]:
        return self.model_dump(exclude=set(OBJECTIVE_SOURCE_FIELDS))

    def work_per_step(self) -> int:
        """Numbers one evaluation touches: D times the function's cost per coordinate."""
        return self.dim * self.objective.cost_per_coordinate(self.dim, self.objective.params(self.parameters()))

    def problem(self) -> Problem:
        return self.objective.problem(self.dim, self.parameters())


def _check_objective(self: ObjectiveBase) -> ObjectiveBase:
    objective = self.objective
    for field, message in objective.problems(self.dim, objective.params(self.parameters())):
        raise path_error("dimension" if field == "dim" else "constraint", message, field)
    return self


def _dim_bounds(objective: Objective) -> dict[str, int]:
    bounds = {"minimum": objective.min_dim}
    if objective.max_dim is not None:
        bounds["maximum"] = objective.max_dim
    return bounds


def _objective_model(objective: Objective) -> type[StrictModel]:
    clash = {p.name for p in objective.parameters} & set(OBJECTIVE_SOURCE_FIELDS)
    assert not clash, f"{objective.name}: parameter names {clash} are taken by the source's own fields"
    fields: dict[str, Any] = {
        "kind": (Literal["objective"], Field(description="Gradient source kind: closed loop on a function.")),
        "function": (Literal[objective.name], Field(description="Objective function name.")),
        "dim": (
            int,
            Field(
                objective.default_dim,
                ge=1,
                description=f"Number of coordinates D ({objective.dimension_rule})"
                + (f"; without it, the length of `{objective.dim_from}` when given." if objective.dim_from else "."),
                # The function's bounds, for clients reading the schema; `_check_objective` enforces them
                # with a message naming the function and its rule.
                json_schema_extra=_dim_bounds(objective),
            ),
        ),
        "steps": (int, Field(100, ge=1, description="Number of optimizer steps T.")),
        "noise_std": (
            float,
            Field(0.0, ge=0, description="Standard deviation of Gaussian noise added to every gradient (0: exact)."),
        ),
        "seed": (
            int,
            Field(
                0,
                ge=0,
                lt=SEED_LIMIT,
                description="Seed of the gradient noise and minibatch draws (numpy PCG64: "
                "SeedSequence(seed).spawn(2), noise then minibatches).",
            ),
        ),
    }
    fields.update({p.name: _hyperparameter_field(p) for p in objective.parameters})
    validators = {"_objective": model_validator(mode="after")(_check_objective)}
    if objective.dim_from:

        def dim_from_list(cls: Any, data: Any) -> Any:
            if isinstance(data, dict) and "dim" not in data:
                return {**data, "dim": objective.default_dim_for(data)}
            return data

        validators["_dim_from"] = model_validator(mode="before")(classmethod(dim_from_list))
    return create_model(
        f"{objective.name.title().replace('_', '')}Objective",
        __base__=ObjectiveBase,
        __doc__=f"{objective.title}: {objective.formula_text}. Minimum: {objective.minimum_text}.",
        __validators__=validators,
        **fields,
    )


OBJECTIVE_MODELS: dict[str, type[StrictModel]] = {name: _objective_model(o) for name, o in OBJECTIVES.items()}


ObjectiveGradients = Annotated[
    Union[tuple(OBJECTIVE_MODELS.values())],  # noqa: UP007
    Field(discriminator="function"),
    BeforeValidator(known_tag("function", "function", tuple(OBJECTIVE_MODELS))),
]

SOURCE_KINDS = ("sequence", "synthetic", "objective")


def _source_kind(value: Any) -> str | None:
    return value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)


_known_source_kind = known_tag("kind", "kind", SOURCE_KINDS, at_key=False)


def _known_kind(value: Any) -> Any:
    if not isinstance(value, dict | StrictModel):
        raise path_error(
            "model_type",
            f'expected an object {{"kind": ..., ...}}, got {shown(value)}. Known kinds: '
            f"{', '.join(map(repr, SOURCE_KINDS))}.",
        )
    return _known_source_kind(value)


# A callable discriminator: OpenAPI's discriminator mapping cannot point at the nested unions.
GradientSource = Annotated[
    Union[  # noqa: UP007
        Annotated[SequenceGradients, Tag("sequence")],
        Annotated[SyntheticGradients, Tag("synthetic")],
        Annotated[ObjectiveGradients, Tag("objective")],
    ],
    Discriminator(_source_kind),
    BeforeValidator(_known_kind),
]


def tutorial_optimizers() -> list[Any]:
    """The tutorial's four optimizers: SGD, Adagrad, RMSProp (decay 0.9) and Adam, lr 0.1, eps 1e-8."""
    return list(_tutorial_optimizers())


@cache
def _tutorial_optimizers() -> tuple[Any, ...]:
    # Built once: validating four specs per request costs more than the tutorial's whole simulation.
    # Specs are never modified after validation, so requests may share them.
    return (
        SPEC_MODELS["sgd"](name="sgd", lr=0.1),
        SPEC_MODELS["adagrad"](name="adagrad", lr=0.1, eps=1e-8),
        SPEC_MODELS["rmsprop"](name="rmsprop", lr=0.1, alpha=0.9, eps=1e-8),
        SPEC_MODELS["adam"](name="adam", lr=0.1, eps=1e-8),
    )


@cache
def tutorial_gradients() -> StrictModel:
    # Built once and shared, like the tutorial's optimizers (never modified after validation): ~2 µs a request.
    return PATTERN_MODELS["trend_noise"](kind="synthetic")


Series = Literal["params", "learning_rates", "updates", "state"]
# Hard caps on lists of models and names, whatever the settings (MAX_OPTIMIZER_ITEMS, with the settings that
# it bounds): past them, validation reports one error (too_long) instead of one per item, which for an 8 MB
# body of bad entries took 45 s and 4 GB to answer.
MAX_RECORD_ITEMS = 16
assert set(Series.__args__) == set(SERIES)

MAX_GRID_VALUES = 100_000
# A grid's axes are hyperparameters every optimizer of the sweep has (10 at most today).
MAX_GRID_AXES = 16
MAX_RECORD_EVERY = 1_000_000_000  # more than any run's steps: only the last step is kept
SPACINGS = {"logspace": np.logspace, "linspace": np.linspace}


def _declared_size(values: Any) -> int:
    """How many values an axis declares (a list's length, a spacing's num), before it is read; 0 for what its
    own validation refuses."""
    if isinstance(values, list):
        return len(values)
    if isinstance(values, dict) and len(values) == 1:
        (spec,) = values.values()
        if isinstance(spec, list) and len(spec) == 3 and type(spec[2]) is int:
            return max(spec[2], 0)
    return 0


def _grid_values(value: Any) -> list[float | int | bool]:
    """A list of numbers or flags, or {"logspace" | "linspace": [start, stop, num]} expanded."""
    if isinstance(value, dict):
        if len(value) != 1 or next(iter(value)) not in SPACINGS:
            raise path_error("grid_values", 'expected {"logspace": [start, stop, num]} or {"linspace": [...]}')
        (kind, spec), *_ = value.items()
        if not (isinstance(spec, list) and len(spec) == 3):
            raise path_error("grid_values", f"{kind} takes [start, stop, num]", kind)
        start, stop, num = spec
        for i, bound in enumerate((start, stop)):
            if type(bound) not in (int, float) or not _fits(bound):
                raise path_error("float_type", f"{kind} bounds must be finite numbers within float64's range", kind, i)
        if type(num) is not int or not 1 <= num <= MAX_GRID_VALUES:
            raise path_error("grid_values", f"num must be an integer from 1 to {MAX_GRID_VALUES}", kind, 2)
        with np.errstate(over="ignore", invalid="ignore"):
            values = SPACINGS[kind](start, stop, num)
        if not np.isfinite(values).all():
            raise path_error("finite_number", f"{kind} values overflow float64", kind)
        if kind == "logspace" and not values.all():
            raise path_error("finite_number", "logspace values underflow to 0 (below 10^-324)", kind)
        return values.tolist()
    if not isinstance(value, list) or not value:
        raise path_error("grid_values", 'expected a non-empty list of values or {"logspace": [start, stop, num]}')
    if len(value) > MAX_GRID_VALUES:
        raise path_error("grid_values", f"{len(value)} values exceed the limit of {MAX_GRID_VALUES}")
    for i, v in enumerate(value):
        if type(v) not in (int, float, bool) or (type(v) is not bool and not _fits(v)):
            what = shown(v) if type(v) is not int else "this integer"  # not 400 digits back
            raise path_error("float_type", f"{what} is not a flag or a finite number within float64's range", i)
    return value


DEFAULT_LR_VALUES = tuple(np.logspace(-4, 0, 9).tolist())


def _grid_schema(items: dict) -> dict:
    """JSON schema of a list of values (`items`) or a {"logspace"|"linspace": [start, stop, num]} object."""
    spaced = [{"type": "number"}] * 2 + [{"type": "integer", "minimum": 1, "maximum": MAX_GRID_VALUES}]
    return {
        "anyOf": [
            {"type": "array", "items": items, "minItems": 1, "maxItems": MAX_GRID_VALUES},
            *(
                {
                    "type": "object",
                    "properties": {kind: {"type": "array", "prefixItems": spaced, "minItems": 3, "maxItems": 3}},
                    "required": [kind],
                    "additionalProperties": False,
                }
                for kind in SPACINGS
            ),
        ]
    }


# A sweep axis: numbers, or flags for a boolean hyperparameter.
GridValues = Annotated[
    list[float | int | bool],
    PlainValidator(_grid_values),
    WithJsonSchema(_grid_schema({"type": ["number", "boolean"]})),
]
# Learning rates to tune over: numbers only (a flag is refused by the same validation, at its index).
TuneValues = Annotated[
    list[float | int], PlainValidator(_grid_values), WithJsonSchema(_grid_schema({"type": "number"}))
]


class SimulateRequest(StrictModel):
    """Every field is optional: the empty body runs the tutorial's scenario."""

    gradients: GradientSource = Field(default_factory=tutorial_gradients, description="The gradient source.")
    initial: Initial = Field(
        None,
        description="Starting parameters: one number for every coordinate, or D numbers. Default zeros; for "
        "objective sources the function's usual start.",
    )
    optimizers: OptimizerList = Field(
        default_factory=tutorial_optimizers,
        min_length=1,
        max_length=MAX_OPTIMIZER_ITEMS,  # one error for a long list (OPTISCOPE_MAX_OPTIMIZERS is lower)
        description="Optimizers to run, each with its hyperparameters (unset ones take their defaults).",
    )
    record: list[Series] = Field(
        default_factory=lambda: ["params", "learning_rates"],
        max_length=MAX_RECORD_ITEMS,  # one error for a long list, not one per item
        description="Per-step series to return: params, learning_rates, updates, and state (each optimizer's "
        "named state arrays after every step); [] returns only each run's final parameters.",
    )
    record_every: int = Field(
        1,
        ge=1,
        le=MAX_RECORD_EVERY,
        description="Keep every k-th step in the series (and in `gradients`): steps k, 2k, 3k, ... and always the "
        "last step T, listed in `recorded_steps`; params keep the start point as row 0 besides.",
    )
    include_gradients: bool = Field(
        True,
        description="Return the gradient sequence (at the recorded steps); false for large synthetic runs, which "
        "are then generated block by block and never held whole (trend_noise, constant and sine).",
    )
    tune: Literal["lr"] | None = Field(
        None,
        description='"lr": first sweep each optimizer\'s lr over `tune_values`, then run it with the best one '
        "(lowest score, see POST /sweep); each run reports the sweep in `tuning`.",
    )
    tune_values: TuneValues = Field(
        default_factory=lambda: list(DEFAULT_LR_VALUES),
        description='The lr values `tune` tries: a list, or {"logspace": [start, stop, num]} (10^start .. 10^stop) '
        'or {"linspace": [start, stop, num]}.',
    )
    target: Initial = Field(
        None,
        description="Open-loop sources with `tune`: where the parameters should end (one number or D); the score is "
        "the distance from the final parameters to it. Default the origin.",
    )

    @model_validator(mode="after")
    def _initial_matches_dim(self) -> SimulateRequest:
        if self.tune is None:
            given = {"tune_values": "tune_values" in self.model_fields_set, "target": self.target is not None}
            for name in (name for name, set_ in given.items() if set_):
                raise path_error("tune_missing", f'{name} applies with "tune": "lr" (no tuning was asked)', name)
        return check_shapes(self)


def check_shapes(request: Any) -> Any:
    """Schedules cover the run; `initial` and `target` lists have D numbers; target only for open loop."""
    steps, dim = request.gradients.shape
    for i, spec in enumerate(request.optimizers):
        problem = spec.schedule and horizon_problem(spec.schedule.model_dump(), steps)
        if problem:  # only onecycle has a horizon, its total_steps (it cannot be a sequential's child)
            raise path_error("schedule_horizon", problem, "optimizers", i, "schedule", "total_steps")
    for name in ("initial", "target"):
        value = getattr(request, name, None)
        if isinstance(value, list) and len(value) != dim:
            raise path_error(
                f"{name}_length", f"{name} has {numbers(len(value))} but the gradients have D = {dim}", name
            )
    if getattr(request, "target", None) is not None and request.gradients.kind == "objective":
        raise path_error(
            "target_closed_loop", "target applies to open-loop sources: an objective is scored by its loss", "target"
        )
    return request


class SweepRequest(StrictModel):
    """A grid of hyperparameter values for one or several optimizers over one gradient source, run as one
    batch. Every field is optional: the empty body sweeps the tutorial's four optimizers over lr."""

    gradients: GradientSource = Field(default_factory=tutorial_gradients, description="The gradient source.")
    initial: Initial = Field(None, description="Starting parameters, as in POST /simulate.")
    optimizers: OptimizerList = Field(
        default_factory=tutorial_optimizers,
        min_length=1,
        max_length=MAX_OPTIMIZER_ITEMS,  # one error for a long list (OPTISCOPE_MAX_OPTIMIZERS is lower)
        description="Optimizers to sweep; their own values are the base that the grid overrides.",
    )
    grid: dict[str, GridValues] = Field(
        default_factory=lambda: {"lr": list(DEFAULT_LR_VALUES)},
        min_length=1,
        max_length=MAX_GRID_AXES,
        description='Hyperparameter name -> values (a list, or {"logspace": [start, stop, num]} or '
        '{"linspace": [start, stop, num]}); every optimizer runs every combination (the cartesian product, the '
        "first name varying slowest). Each name must be a hyperparameter of every optimizer listed.",
    )
    target: Initial = Field(
        None,
        description="Open-loop sources: where the parameters should end (one number or D numbers); the score is "
        "the Euclidean distance from the final parameters to it. Default the origin.",
    )
    trajectories: bool = Field(False, description="Return each configuration's params at the recorded steps.")
    record_every: int = Field(
        1,
        ge=1,
        le=MAX_RECORD_EVERY,
        description="With trajectories: keep every k-th step (and the last); without them, a 422.",
    )

    @field_validator("grid", mode="before")
    @classmethod
    def _grid_size(cls, grid: Any) -> Any:
        """Axes and values counted before any axis is expanded: 1,000 axes of {"linspace": [0, 1, 100000]}
        are a 38 kB body asking for 10^8 numbers (and a product of 10^5000 configurations)."""
        if not isinstance(grid, dict):
            return grid
        if len(grid) > MAX_GRID_AXES:
            raise path_error(
                "limit_exceeded",
                f"{len(grid)} axes exceed the limit of {MAX_GRID_AXES}: a grid's axes "
                "are hyperparameters of every optimizer swept",
            )
        sizes = [_declared_size(values) for values in grid.values()]
        if sum(sizes) > MAX_GRID_VALUES:
            raise path_error(
                "limit_exceeded", f"the axes hold {sum(sizes)} values together, over the limit of {MAX_GRID_VALUES}"
            )
        return grid

    @model_validator(mode="after")
    def _shapes(self) -> SweepRequest:
        if not self.trajectories and "record_every" in self.model_fields_set:  # as tune_values without tune
            raise path_error(
                "trajectories_missing",
                "record_every applies with trajectories: true (no trajectories were asked)",
                "record_every",
            )
        return check_shapes(self)


# --- responses ----------------------------------------------------------------------------------

Rows = list[list[float]]


class Run(BaseModel):
    label: str = Field(description="Unique label of this run.")
    name: str = Field(description="Optimizer name.")
    hyperparameters: dict[str, float | int | bool | None] = Field(description="Every hyperparameter, resolved.")
    params: Rows | None = Field(None, description="T+1 rows of D: row 0 is the initial point (when recorded).")
    learning_rates: Rows | None = Field(None, description="T rows of D effective learning rates (when recorded).")
    updates: Rows | None = Field(None, description="T rows of D parameter changes (when recorded).")
    base_lr: list[float] | None = Field(
        None, description="Base learning rate the schedule set at each step (when the run has a schedule)."
    )
    scheduled_momentum: list[float] | None = Field(
        None, description="Momentum (or beta1) OneCycle set at each step (when it cycles momentum)."
    )
    state: dict[str, Rows] | None = Field(
        None, description="Optimizer state after each step, T rows of D per state array (when recorded)."
    )
    loss: list[float] | None = Field(
        None, description="Objective sources only: f at the T+1 points visited (row 0 the start), exact and noise-free."
    )
    gradients: Rows | None = Field(
        None, description="Objective sources only: the T gradients this run received, noise included (rows of D)."
    )
    distance_to_optimum: list[float | None] | None = Field(
        None,
        description="Objective sources whose global minima are known: T+1 Euclidean distances to the nearest one "
        "(null where a distance is beyond float64, from a point near float64's own end).",
    )
    final: list[float] = Field(description="Final parameters (the last finite ones if the run diverged).")
    diverged_at: int | None = Field(
        description="First step whose parameters, learning rate, state (closed loop: gradient or loss) are not "
        "finite; the run's series stop before it. Null if none."
    )
    tuning: Tuning | None = Field(None, description='With tune = "lr": the sweep that chose this run\'s lr.')

    # numpy views for Python callers (the client and the command line); they do not change the schema.

    def params_array(self) -> np.ndarray:
        """Parameters as a float64 array of shape (T+1, D), row 0 the initial point."""
        return _rows(_recorded(self.params, "params"), self.final)

    def learning_rates_array(self) -> np.ndarray:
        """Effective learning rates as a float64 array of shape (T, D)."""
        return _rows(_recorded(self.learning_rates, "learning_rates"), self.final)

    def updates_array(self) -> np.ndarray:
        """Parameter changes as a float64 array of shape (T, D)."""
        return _rows(_recorded(self.updates, "updates"), self.final)

    def state_arrays(self) -> dict[str, np.ndarray]:
        """Each optimizer state array after every step, shape (T, D)."""
        return {
            name: _rows(np.array(rows, dtype=np.float64), self.final)
            for name, rows in _recorded(self.state, "state").items()
        }

    def final_array(self) -> np.ndarray:
        """Final parameters, shape (D,)."""
        return np.array(self.final, dtype=np.float64)

    def loss_array(self) -> np.ndarray:
        """Closed loop: f at the T+1 points visited, shape (T+1,)."""
        return _recorded(self.loss, "loss", _OBJECTIVE_ONLY)

    def gradients_array(self) -> np.ndarray:
        """Closed loop: the gradients this run received, shape (T, D)."""
        return _rows(_recorded(self.gradients, "gradients", _OBJECTIVE_ONLY), self.final)

    def distance_to_optimum_array(self) -> np.ndarray:
        """Closed loop on a function with known minima: distance to the nearest one, shape (T+1,)."""
        return _recorded(self.distance_to_optimum, "distance_to_optimum", _OBJECTIVE_ONLY)


class Tuning(BaseModel):
    parameter: Literal["lr"]
    score: Literal["final_distance", "final_loss"] = Field(description="What the scores measure (lower is better).")
    values: list[float] = Field(description="The lr values tried.")
    scores: list[float | None] = Field(
        description="Score per value; null where the run diverged or its score is beyond float64."
    )
    chosen: float | None = Field(
        description="The lr with the lowest score (the run uses it); null if no value has a score."
    )


class SweepConfiguration(BaseModel):
    values: dict[str, float | int | bool] = Field(description="This configuration's grid values.")
    score: float | None = Field(
        description="Lower is better; null when the configuration diverged or its score is beyond float64."
    )
    diverged_at: int | None
    final: list[float]
    params: Rows | None = Field(None, description="With trajectories: params at 0 and the recorded steps.")


class SweepBest(BaseModel):
    index: int = Field(description="Index into `configurations`.")
    values: dict[str, float | int | bool]
    score: float


class SweepOptimizer(BaseModel):
    label: str
    name: str
    hyperparameters: dict[str, float | int | bool | None] = Field(description="The base values the grid overrides.")
    configurations: list[SweepConfiguration]
    best: SweepBest | None = Field(description="The lowest score; null when no configuration has one.")


class SweepResponse(BaseModel):
    steps: int
    dim: int
    score: Literal["final_distance", "final_loss"] = Field(
        description="final_distance: Euclidean distance from the final params to `target` (open-loop sources, "
        "which have no loss); final_loss: the objective at the final params (objective sources)."
    )
    target: list[float] | None = Field(None, description="Open-loop sources: the target of final_distance.")
    recorded_steps: list[int] | None = Field(None, description="With trajectories: the steps after row 0.")
    optimizers: list[SweepOptimizer]


_RECORD_IT = "include it in the request's `record` list"
_OBJECTIVE_ONLY = "only runs on an objective source (gradients kind 'objective') report it"


def _rows(array: np.ndarray, final: list[float]) -> np.ndarray:
    """A series of rows of D, (0, D) when it has none (a run that diverged at its first step)."""
    return array.reshape(0, len(final)) if array.size == 0 else array


def _recorded(series: Any, name: str, remedy: str = _RECORD_IT) -> Any:
    if series is None:
        raise ValueError(f"this run has no '{name}': {remedy}")
    return series if isinstance(series, dict) else np.array(series, dtype=np.float64)


class ObjectiveSummary(BaseModel):
    function: str
    parameters: dict[str, Any] = Field(
        description="Every function parameter, defaults filled in; a null has the meaning the catalog gives it "
        "(a quadratic's condition_number: 10 when scales is null)."
    )
    initial: list[float] = Field(description="The start point (the function's default unless `initial` was given).")
    minima: Rows | None = Field(description="Known global minimizers (rows of D), or null where none is known.")
    minimum_value: float | None = Field(description="f at the global minima, or null.")


class SimulateResponse(BaseModel):
    steps: int = Field(description="Number of steps T.")
    dim: int = Field(description="Number of coordinates D.")
    recorded_steps: list[int] | None = Field(
        None,
        description="With record_every > 1: the steps (1..T) whose values the series and `gradients` hold, in order "
        "(params: after row 0, the start). A diverged run keeps those before its `diverged_at`.",
    )
    gradients: Rows | None = Field(
        None,
        description="The gradient sequence every run received, T rows of D (sequence and synthetic sources). "
        "Absent for objective sources: there each run computes its own gradients, reported in its `gradients`.",
    )
    objective: ObjectiveSummary | None = Field(None, description="Objective sources only: the function run on.")
    runs: list[Run]

    def gradients_array(self) -> np.ndarray:
        """The gradient sequence every run received, shape (T, D) (objective sources: see each run's)."""
        if self.gradients is None:
            raise ValueError(
                "this answer has no shared gradients: the request set include_gradients false, or, on an objective "
                "source, each run has its own (run.gradients_array())"
            )
        return np.array(self.gradients, dtype=np.float64)

    def run(self, label: str) -> Run:
        """The run with this label; a KeyError lists the labels there are."""
        for run in self.runs:
            if run.label == label:
                return run
        raise KeyError(f"no run labelled {label!r}; the runs are {', '.join(r.label for r in self.runs)}")


class UpdateRule(BaseModel):
    latex: str
    text: str


class OptimizerInfo(BaseModel):
    name: str
    title: str
    summary: str
    paper: str
    reference: str = Field(description="The implementation this one matches step for step.")
    update: UpdateRule
    learning_rate: str = Field(description="What this optimizer's `learning_rates` and direction mean.")
    state: list[str] = Field(description="Names of the optimizer's state arrays.")
    notes: list[str] = Field(description="Where libraries disagree, and which convention is followed.")
    defaults: dict[str, float | int | bool | None]
    hyperparameters: dict[str, Any] = Field(description="JSON Schema of the hyperparameters.")


class ScheduleSimulateRequest(StrictModel):
    schedule: ScheduleSpec = Field(description="The schedule.")
    steps: int = Field(100, ge=1, description="Number of optimizer steps to plan for.")
    lr: float = Field(0.1, ge=0, description="The optimizer's base learning rate (OneCycle ignores it).")

    @model_validator(mode="after")
    def _horizon(self) -> ScheduleSimulateRequest:
        problem = horizon_problem(self.schedule.model_dump(), self.steps)
        if problem:
            raise path_error("schedule_horizon", problem, "schedule")
        return self


class ScheduleSimulateResponse(BaseModel):
    steps: int
    step: list[int] = Field(description="Optimizer steps 1..T.")
    lr: list[float] = Field(description="Base learning rate in force at each step.")
    momentum: list[float] | None = Field(None, description="Momentum/beta1 OneCycle sets at each step, if it does.")

    def lr_array(self) -> np.ndarray:
        """The base learning rate at each step, shape (T,)."""
        return np.array(self.lr, dtype=np.float64)


class ScheduleInfo(BaseModel):
    kind: str
    title: str
    reference: str
    formula: UpdateRule
    parameters: dict[str, Any] = Field(description="JSON Schema of the schedule's parameters.")


class Dimensions(BaseModel):
    rule: str = Field(description="Admissible dimensions, e.g. 'D = 2' or 'D >= 1'.")
    min: int
    max: int | None = Field(description="Largest D, or null for any.")
    default: int


class Minimum(BaseModel):
    text: str = Field(description="Where the global minima are, in words (and for other parameters).")
    points: Rows | None = Field(description="Global minimizers at the default dimension and parameters, or null.")
    value: float | None = Field(description="f at those points, or null.")


class Window(BaseModel):
    x_min: float
    x_max: float
    y_min: float
    y_max: float


class ObjectiveInfo(BaseModel):
    name: str
    title: str
    summary: str
    reference: str
    formula: UpdateRule
    dimensions: Dimensions
    parameters: dict[str, Any] = Field(description="JSON Schema of the function's parameters.")
    defaults: dict[str, Any]
    minimum: Minimum
    start: list[float] = Field(description="Default start point at the default dimension.")
    window: Window = Field(description="Recommended plotting window for coordinates 0 and 1.")
    stochastic: bool = Field(description="Whether the function has minibatch gradients (batch_size).")
    notes: list[str]


class SurfaceResponse(BaseModel):
    function: str
    dim: int
    parameters: dict[str, Any] = Field(
        description="Every function parameter, defaults filled in (a null as in the catalog)."
    )
    x_axis: int = Field(description="Coordinate along x.")
    y_axis: int = Field(description="Coordinate along y.")
    at: list[float] = Field(description="The point whose other coordinates the slice keeps (D numbers).")
    x: list[float] = Field(description="Grid values along x (resolution numbers).")
    y: list[float] = Field(description="Grid values along y (resolution numbers).")
    z: list[list[float | None]] = Field(
        description="f on the grid: z[i][j] at (x[j], y[i]), rows over y; null where f overflows float64."
    )
    z_min: float | None = Field(description="Smallest finite z, or null.")
    z_max: float | None = Field(description="Largest finite z, or null.")

    def z_array(self) -> np.ndarray:
        """f on the grid, shape (len(y), len(x)), NaN where it overflows: ready for matplotlib's contour."""
        return np.array([[np.nan if v is None else v for v in row] for row in self.z], dtype=np.float64)

    def meshgrid(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(X, Y, Z) arrays of shape (len(y), len(x)): `contour(*surface.meshgrid())`."""
        x, y = np.meshgrid(np.array(self.x, dtype=np.float64), np.array(self.y, dtype=np.float64))
        return x, y, self.z_array()
