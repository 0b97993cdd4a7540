"""The fast path for one-number rows writes exactly what orjson writes."""

from __future__ import annotations

import numpy as np
import orjson
import pytest

from service.api.responses import NUMPY, column_json, json_response


@pytest.mark.parametrize(
    "values",
    [
        np.array([[1.5], [-2.0], [3e-300], [1e300]]),
        np.random.default_rng(0).normal(size=(1000, 1)) * 1e-7,
        np.array([[0.0], [-0.0]]),
        np.arange(12.0).reshape(12, 1)[::2],  # not contiguous
    ],
)
def test_columns_serialize_like_orjson(values):
    assert column_json(values) == orjson.dumps(np.ascontiguousarray(values), option=NUMPY)


def test_payloads_keep_their_bytes():
    payload = {
        "a": np.arange(5.0)[:, None],
        "b": [{"c": np.ones((3, 1)), "d": np.ones((2, 2)), "e": np.ones((1, 1))}],
        "f": np.empty((0, 1)),
        "g": 1,
    }
    assert json_response(payload).body == orjson.dumps(payload, option=NUMPY)
