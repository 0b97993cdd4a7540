"""Request and response models. Optimizer specs are generated from the engine's registry, so adding an
optimizer to the engine adds its typed, bounded spec here without editing this file."""

from __future__ import annotations

import math
from difflib import get_close_matches
from typing import Annotated, Any, Literal, Union

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, PlainValidator, WithJsonSchema, create_model, model_validator

from ..engine import REGISTRY, SERIES, Hyperparameter, Optimizer
from .errors import limit_error, path_error

MAX_LABEL = 64


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
                    raise path_error(
                        "extra_forbidden", f"Unknown field '{key}'.{hint} Allowed: {', '.join(allowed)}.", key
                    )
        return data


# --- gradient sources -------------------------------------------------------------------------


def _number_rows(value: Any) -> np.ndarray:
    """T numbers, or T rows of D numbers, all finite; booleans and strings are not numbers."""
    if not isinstance(value, list) or not value:
        raise path_error("values", "values must be a non-empty list of numbers or of equal-length rows of numbers")
    numbers = (int, float)
    if isinstance(value[0], list):
        width = len(value[0])
        for i, row in enumerate(value):
            if not isinstance(row, list):
                raise path_error("values", "every row must be a list of numbers (mixed rows and numbers)", i)
            if len(row) != width or not row:
                raise path_error(
                    "ragged", f"row {i} has {len(row)} numbers, row 0 has {width}: rows must be equal and non-empty", i
                )
            if not set(map(type, row)) <= {int, float}:
                j = next(j for j, v in enumerate(row) if type(v) not in numbers)
                raise path_error("float_type", f"{row[j]!r} is not a number", i, j)
    elif not set(map(type, value)) <= {int, float}:
        i = next(i for i, v in enumerate(value) if type(v) not in numbers)
        raise path_error("float_type", f"{value[i]!r} is not a number", i)
    try:
        array = np.array(value, dtype=np.float64)
    except OverflowError as exc:  # integers beyond float64
        raise path_error("finite_number", "numbers must fit in float64") from exc
    if not np.isfinite(array).all():
        where = np.argwhere(~np.isfinite(array))[0]
        raise path_error("finite_number", "gradients must be finite numbers (no NaN or Infinity)", *map(int, where))
    return array.reshape(-1, 1) if array.ndim == 1 else array


def _initial(value: Any) -> float | list[float] | None:
    """One finite number for every coordinate, or a list of D finite numbers."""
    if value is None:
        return None
    if isinstance(value, list):
        for i, v in enumerate(value):
            if type(v) not in (int, float):
                raise path_error("float_type", f"{v!r} is not a number", i)
            if not math.isfinite(v):
                raise path_error("finite_number", "initial values must be finite numbers", i)
        return [float(v) for v in value]
    if type(value) not in (int, float):
        raise path_error("float_type", "initial must be a number or a list of D numbers")
    if not math.isfinite(value):
        raise path_error("finite_number", "initial must be a finite number")
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


class SyntheticGradients(StrictModel):
    """A seeded synthetic sequence. `trend_noise` is randn * noise_std + linspace(trend_start, trend_end):
    numpy's legacy generator seeded with `seed`; with dim > 1 column j takes draws j*T .. (j+1)*T - 1,
    so column 0 is the 1-D sequence. The defaults reproduce the tutorial's sequence bit for bit."""

    kind: Literal["synthetic"]
    pattern: Literal["trend_noise"] = "trend_noise"
    steps: int = Field(50, ge=1, description="Number of steps T.")
    dim: int = Field(1, ge=1, description="Number of parameter coordinates D.")
    seed: int = Field(0, ge=0, le=2**32 - 1, description="Seed of numpy's legacy RandomState.")
    noise_std: float = Field(0.2, ge=0, description="Standard deviation of the Gaussian noise.")
    trend_start: float = Field(-0.5, description="Trend value at the first step.")
    trend_end: float = Field(0.5, description="Trend value at the last step.")

    @property
    def shape(self) -> tuple[int, int]:
        return self.steps, self.dim

    def build(self) -> np.ndarray:
        """The sequence; a 422 if these magnitudes overflow float64 (NaN or infinity never reach a run)."""
        from ..engine import gradients

        with np.errstate(over="ignore", invalid="ignore"):
            values = gradients.trend_noise(
                self.steps, self.dim, self.seed, self.noise_std, self.trend_start, self.trend_end
            )
        if not np.isfinite(values).all():
            raise limit_error(
                ("gradients",),
                f"noise_std = {self.noise_std:g} with a trend from {self.trend_start:g} to {self.trend_end:g} gives "
                "gradients beyond float64: use smaller magnitudes",
                kind="finite_number",
            )
        return values


GradientSource = Annotated[SequenceGradients | SyntheticGradients, Field(discriminator="kind")]


# --- optimizer specs, one model per registry entry ---------------------------------------------


def _hyperparameter_field(h: Hyperparameter) -> tuple[Any, Any]:
    python_type: Any = {"float": float, "int": int, "bool": bool}[h.kind]
    if h.nullable:
        python_type = python_type | None
    bounds: dict[str, float] = {}
    if h.minimum is not None:
        bounds["gt" if h.exclusive_minimum else "ge"] = h.minimum
    if h.maximum is not None:
        bounds["lt" if h.exclusive_maximum else "le"] = h.maximum
    return python_type, Field(h.default, description=h.description, **bounds)


def _check_constraints(self: StrictModel) -> StrictModel:
    optimizer: Optimizer = REGISTRY[self.name]
    hyper = optimizer.hyper(self.model_dump(include={h.name for h in optimizer.hyperparameters}))
    for field, message in optimizer.constraints(hyper):
        raise path_error("constraint", message, field)
    return self


def _spec_model(optimizer: Optimizer) -> type[StrictModel]:
    fields: dict[str, Any] = {
        "name": (Literal[optimizer.name], Field(description="Optimizer name.")),
        "label": (
            str | None,
            Field(
                None, min_length=1, max_length=MAX_LABEL, description="Run label; defaults to the name, made unique."
            ),
        ),
    }
    fields.update({h.name: _hyperparameter_field(h) for h in optimizer.hyperparameters})
    return create_model(
        f"{optimizer.title.replace(' ', '')}Spec",
        __base__=StrictModel,
        __doc__=f"{optimizer.title}: {optimizer.summary}",
        __validators__={"_constraints": model_validator(mode="after")(_check_constraints)},
        **fields,
    )


SPEC_MODELS: dict[str, type[StrictModel]] = {name: _spec_model(o) for name, o in REGISTRY.items()}
OptimizerSpec = Annotated[Union[tuple(SPEC_MODELS.values())], Field(discriminator="name")]  # noqa: UP007


def tutorial_optimizers() -> list[Any]:
    """The tutorial's four optimizers: SGD, Adagrad, RMSProp (decay 0.9) and Adam, lr 0.1, eps 1e-8."""
    return [
        SPEC_MODELS["sgd"](name="sgd", lr=0.1),
        SPEC_MODELS["adagrad"](name="adagrad", lr=0.1, eps=1e-8),
        SPEC_MODELS["rmsprop"](name="rmsprop", lr=0.1, alpha=0.9, eps=1e-8),
        SPEC_MODELS["adam"](name="adam", lr=0.1, eps=1e-8),
    ]


def tutorial_gradients() -> SyntheticGradients:
    return SyntheticGradients(kind="synthetic")


Series = Literal["params", "learning_rates", "updates", "state"]
assert set(Series.__args__) == set(SERIES)


class SimulateRequest(StrictModel):
    """Every field is optional: the empty body runs the tutorial's scenario."""

    gradients: GradientSource = Field(default_factory=tutorial_gradients, description="The gradient source.")
    initial: Initial = Field(
        None, description="Starting parameters: one number for every coordinate, or D numbers. Default zeros."
    )
    optimizers: list[OptimizerSpec] = Field(
        default_factory=tutorial_optimizers,
        min_length=1,
        description="Optimizers to run, each with its hyperparameters (unset ones take their defaults).",
    )
    record: list[Series] = Field(
        default_factory=lambda: ["params", "learning_rates"],
        description="Per-step series to return: params, learning_rates, updates, and state (each optimizer's "
        "named state arrays after every step); [] returns only each run's final parameters.",
    )

    @model_validator(mode="after")
    def _initial_matches_dim(self) -> SimulateRequest:
        dim = self.gradients.shape[1]
        if isinstance(self.initial, list) and len(self.initial) != dim:
            raise path_error(
                "initial_length", f"initial has {len(self.initial)} numbers but the gradients have D = {dim}", "initial"
            )
        return self


# --- responses ----------------------------------------------------------------------------------

Rows = list[list[float]]


class Run(BaseModel):
    label: str = Field(description="Unique label of this run.")
    name: str = Field(description="Optimizer name.")
    hyperparameters: dict[str, float | int | bool | None] = Field(description="Every hyperparameter, resolved.")
    params: Rows | None = Field(None, description="T+1 rows of D: row 0 is the initial point (when recorded).")
    learning_rates: Rows | None = Field(None, description="T rows of D effective learning rates (when recorded).")
    updates: Rows | None = Field(None, description="T rows of D parameter changes (when recorded).")
    state: dict[str, Rows] | None = Field(
        None, description="Optimizer state after each step, T rows of D per state array (when recorded)."
    )
    final: list[float] = Field(description="Final parameters (the last finite ones if the run diverged).")
    diverged_at: int | None = Field(
        description="First step whose parameters are not finite; the run's series stop before it. Null if none."
    )


class SimulateResponse(BaseModel):
    steps: int = Field(description="Number of steps T.")
    dim: int = Field(description="Number of coordinates D.")
    gradients: Rows = Field(description="The gradient sequence, T rows of D.")
    runs: list[Run]


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
