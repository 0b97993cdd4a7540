"""Fast JSON responses straight from numpy arrays."""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson
from fastapi import Response

NUMPY = orjson.OPT_SERIALIZE_NUMPY


def json_response(payload: dict) -> Response:
    """orjson serializes numpy arrays directly: ~25x faster than building Python lists first."""
    return Response(orjson.dumps(_columns_as_fragments(payload), option=NUMPY), media_type="application/json")


def column_json(values: np.ndarray) -> bytes:
    """A (T, 1) array as JSON rows `[[a],[b],...]`, the same bytes orjson writes, ~2.5x faster: orjson
    spends most of its time on the brackets of one-number rows, so the numbers go out as one flat list
    and the brackets are put in after (a JSON number never contains a comma)."""
    flat = orjson.dumps(np.ascontiguousarray(values).reshape(-1), option=NUMPY)
    return b"[" + flat.replace(b",", b"],[") + b"]"


def _columns_as_fragments(node: Any) -> Any:
    if isinstance(node, np.ndarray):
        if node.ndim == 2 and node.shape[1] == 1 and node.shape[0] > 1:
            return orjson.Fragment(column_json(node))
        return node
    if isinstance(node, dict):
        return {key: _columns_as_fragments(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_columns_as_fragments(value) for value in node]
    return node
