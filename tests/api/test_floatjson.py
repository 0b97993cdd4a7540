"""The compiled JSON number writer writes each float64 exactly as orjson does (shortest round trip, orjson's
layout), across every binary exponent, the layout's thresholds and the algorithm's special cases."""

from __future__ import annotations

import numpy as np
import orjson
import pytest

from service.api.floatjson import rows_json

NUMPY = orjson.OPT_SERIALIZE_NUMPY


def same_as_orjson(values: np.ndarray) -> None:
    ours = bytes(rows_json(values))
    theirs = orjson.dumps(values, option=NUMPY)
    if ours != theirs:
        for mine, expected, value in zip(ours[1:-1].split(b","), theirs[1:-1].split(b","), values, strict=True):
            assert mine == expected, f"{value!r}: {mine!r}, orjson writes {expected!r}"
    assert ours == theirs


def test_every_binary_exponent():
    rng = np.random.default_rng(7)
    exponents = np.arange(0, 2047, dtype=np.uint64)  # biased: subnormals, normals, and 2047 (inf, nan)
    significands = rng.integers(0, 1 << 52, size=(exponents.size, 60), dtype=np.uint64)
    significands[:, :3] = [0, 1, (1 << 52) - 1]  # powers of two (a narrower interval below) and neighbours
    bits = (exponents[:, None] << np.uint64(52)) | significands
    signs = rng.integers(0, 2, size=bits.shape, dtype=np.uint64) << np.uint64(63)
    same_as_orjson((bits | signs).view(np.float64).reshape(-1))


def test_short_decimals_and_whole_numbers():
    rng = np.random.default_rng(8)
    decimals = [np.round(rng.random(5000) * 10.0**scale, places) for scale in range(-8, 18, 3) for places in (1, 4, 9)]
    whole = rng.integers(-(2**53), 2**53, size=20000).astype(np.float64)
    steps = -0.001 * np.arange(1, 20001)  # an SGD trajectory under a constant gradient
    same_as_orjson(np.concatenate([*decimals, whole, steps, rng.random(20000), rng.normal(size=20000) * 1e-7]))


@pytest.mark.parametrize(
    "value",
    [
        0.0,
        -0.0,
        1.0,
        -1.0,
        0.1,
        0.3,
        100.0,
        123.25,
        1e-5,
        9.999e-6,
        1e-6,
        1e-7,
        1.5e-7,
        1e15,
        1e16,
        1.5e16,
        9999999999999998.0,
        1234567890123456.0,
        12345678901234567.0,
        2.0**53,
        2.0**53 + 2,
        1e21,
        1e22,
        1e23,
        5e-324,
        1e-323,
        1.5e-323,
        2.2250738585072014e-308,
        2.225073858507201e-308,
        1.7976931348623157e308,
        float("nan"),
        -float("nan"),
        float("inf"),
        -float("inf"),
    ],
)
def test_edge_cases(value):
    same_as_orjson(np.array([value]))


def test_the_tiniest_subnormals_take_their_shortest_digits():
    # The first 2^16 subnormals: among them 10..20 x 2^-1074, whose shortest form has one digit
    # (5e-323, not the two digits 4.9e-323 that Schubfach's s >= 100 test leaves).
    same_as_orjson(np.arange(1, 1 << 16, dtype=np.uint64).view(np.float64))
    assert bytes(rows_json(np.array([10 * 5e-324, 20 * 5e-324]))) == b"[5e-323,1e-322]"


def test_rows_and_blocks():
    values = np.random.default_rng(9).normal(size=(7, 3))
    assert bytes(rows_json(values)) == orjson.dumps(values, option=NUMPY)
    head, tail = bytes(rows_json(values[:4], last=False)), bytes(rows_json(values[4:], first=False))
    assert head + tail == orjson.dumps(values, option=NUMPY)
    assert bytes(rows_json(np.empty((0, 1)))) == b"[]"
