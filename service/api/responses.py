"""JSON responses straight from numpy arrays: orjson's own bytes, written faster.

orjson writes the document and small arrays. Larger float64 arrays go to `floatjson`'s compiled writer,
which writes the same bytes without holding the GIL and without orjson's slow case, the brackets of the
one-number rows of our (T, 1) series. A large answer (over STREAM_NUMBERS numbers in its big arrays) is
streamed: its big arrays are written a block of rows at a time on the writer threads, a few blocks ahead
of the one being sent, so the first bytes leave while the rest is being written, and no copy of the whole
document is ever made. The bytes are the same; the response is sent chunked, without a Content-Length.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from functools import cache
from typing import Any

import numpy as np
import orjson
from fastapi import Response
from fastapi.responses import StreamingResponse

from ..engine.batch import usable_cores
from . import floatjson

NUMPY = orjson.OPT_SERIALIZE_NUMPY
JSON = "application/json"
# A document whose arrays hold no more numbers than this in all is written by orjson in one call ...
SMALL_DOCUMENT = 1 << 12
# ... else float64 arrays with more numbers than this are written by the compiled writer (below, orjson's
# own is as fast) ...
WRITER_NUMBERS = 1 << 9
# ... arrays with more numbers than this block by block (a block is ~1 MB of JSON) ...
BLOCK_NUMBERS = 1 << 16
# ... and streamed, when their numbers add up to more than this (a few MB of JSON).
STREAM_NUMBERS = 1 << 17
# Where a streamed array goes in the document: orjson escapes control characters in strings, so a raw
# NUL byte can only come from this fragment.
PLACEHOLDER = orjson.Fragment(b"\x00")


def json_response(payload: Any, headers: dict[str, str] | None = None, numbers: int | None = None) -> Response:
    """`payload` as JSON. `numbers`, when the caller knows it, bounds how many numbers the payload's arrays
    hold: a small document (the tutorial's) is then written by orjson's own numpy writer in one call,
    ~25% faster than through `_Writer`, with the same bytes."""
    big: list[np.ndarray] = []
    if numbers is not None and numbers <= SMALL_DOCUMENT:  # arrays orjson cannot take still go to _Writer
        return Response(orjson.dumps(payload, default=_Writer(big), option=NUMPY), media_type=JSON, headers=headers)
    document = orjson.dumps(payload, default=_Writer(big))
    if sum(array.size for array in big) <= STREAM_NUMBERS:
        return Response(_fill(document, big), media_type=JSON, headers=headers)
    return StreamingResponse(_stream(document, big), media_type=JSON, headers=headers)


def array_json(values: np.ndarray, first: bool = True, last: bool = True) -> bytes | memoryview:
    """An array's JSON, or a block of rows of it (see `floatjson.rows_json` for `first` and `last`)."""
    if values.dtype == np.float64 and values.size > WRITER_NUMBERS and values.ndim in (1, 2):
        return floatjson.rows_json(values, first, last)
    text = orjson.dumps(np.ascontiguousarray(values), option=NUMPY)
    if first and last:
        return text
    return (b"[" if first else b",") + text[1:-1] + (b"]" if last else b"")


class _Writer:
    """orjson's `default`: numpy arrays and scalars (NUMPY is off so that arrays come here). Arrays over
    BLOCK_NUMBERS are left for later (`big`), a placeholder in their place."""

    def __init__(self, big: list[np.ndarray]) -> None:
        self.big = big

    def __call__(self, value: Any) -> orjson.Fragment:
        if isinstance(value, np.ndarray):
            if value.size > BLOCK_NUMBERS and value.ndim in (1, 2):
                self.big.append(value)
                return PLACEHOLDER
            return orjson.Fragment(bytes(array_json(value)))
        if isinstance(value, np.generic):
            return orjson.Fragment(orjson.dumps(value, option=NUMPY))
        raise TypeError(f"Type is not JSON serializable: {type(value).__name__}")


def _fill(document: bytes, big: list[np.ndarray]) -> bytes:
    if not big:
        return document
    return b"".join(_stream(document, big))


def _stream(document: bytes, big: list[np.ndarray]) -> Iterator[bytes | memoryview]:
    """The document, each placeholder replaced by its array written block by block."""
    parts = document.split(b"\x00")
    for text, values in zip(parts, big, strict=False):
        if text:
            yield text
        yield from _blocks(values)
    if parts[-1]:
        yield parts[-1]


def _blocks(values: np.ndarray) -> Iterator[bytes | memoryview]:
    """An array's JSON a block of rows at a time, the blocks written on the writer threads, a few ahead
    of the one being yielded."""
    rows = len(values)
    step = max(1, BLOCK_NUMBERS // max(1, values.size // rows))
    pool, ahead = _writers()
    pending: deque[Future] = deque()
    for start in range(0, rows, step):
        pending.append(pool.submit(array_json, values[start : start + step], start == 0, start + step >= rows))
        if len(pending) > ahead:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


@cache
def _writers() -> tuple[ThreadPoolExecutor, int]:
    """The threads that write blocks (one per core: the writer releases the GIL), and how many blocks
    may be written ahead of the one being sent (each ~1 MB)."""
    threads = usable_cores()
    return ThreadPoolExecutor(threads, thread_name_prefix="optiscope-json"), 2 * threads
