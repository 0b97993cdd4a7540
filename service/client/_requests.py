"""Requests as the service's own pydantic models: built from keyword arguments, dicts or models,
validated before they are sent (with the service's messages), and serialized with orjson."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

import numpy as np
import orjson
import pydantic

from ..api.errors import format_errors
from ._exceptions import ValidationError, field_errors

Model = TypeVar("Model", bound=pydantic.BaseModel)


def plain(value: Any) -> Any:
    """numpy arrays and scalars as Python lists and numbers, so the strict models accept them."""
    if isinstance(value, np.ndarray | np.generic):
        return value.tolist()
    if isinstance(value, Mapping):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


def build(model: type[Model], request: Model | Mapping[str, Any] | None, fields: Mapping[str, Any]) -> Model:
    """`request` (a model or a dict) updated with `fields`, validated as `model`.

    Raises ValidationError with the same field paths and messages the service would answer with."""
    if isinstance(request, model) and not fields:
        return request
    if isinstance(request, pydantic.BaseModel):
        if not isinstance(request, model):  # a SweepRequest's fields are no simulation's
            raise TypeError(f"expected a {model.__name__}, a dict or keyword arguments, got a {type(request).__name__}")
        data = request.model_dump(exclude_unset=True)
    elif request is None:
        data = {}
    elif isinstance(request, Mapping):
        data = dict(request)
    else:
        raise TypeError(f"expected a {model.__name__}, a dict or keyword arguments, got {type(request).__name__}")
    data.update(fields)
    data = plain(data)
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        raise local_validation_error(exc, data) from None


def local_validation_error(exc: pydantic.ValidationError, body: Any) -> ValidationError:
    entries = format_errors(
        ({**error, "loc": ("body", *error["loc"])} for error in exc.errors(include_url=False)), body
    )
    return ValidationError(field_errors(entries), detail=entries)


def encode(request: pydantic.BaseModel) -> bytes:
    """The fields the caller set (the service fills in the same defaults), as JSON bytes."""
    return orjson.dumps(request.model_dump(exclude_unset=True), option=orjson.OPT_SERIALIZE_NUMPY)


def query(values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Query parameters as the service reads them: None left out, lists comma-separated (`at` repeated),
    booleans as true/false, floats written to round-trip."""
    params: list[tuple[str, str]] = []
    for key, raw in plain(dict(values)).items():
        if raw is None:
            continue
        if isinstance(raw, list) and key == "at":
            params.extend((key, _scalar(item)) for item in raw)
        elif isinstance(raw, list):
            params.append((key, ",".join(map(_scalar, raw))))
        else:
            params.append((key, _scalar(raw)))
    return params


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)
