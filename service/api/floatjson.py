"""float64 arrays as JSON, byte for byte as orjson writes them, by a compiled writer that runs without the GIL.

orjson holds the GIL while it writes, and spends most of the time of a (T, 1) array on the brackets of its
one-number rows (T = 10^6: ~90 ms, or ~33 ms as one flat list with the brackets put in after). This
writer puts the brackets down as it goes and, releasing the GIL, can write the blocks of a large answer
on several threads while the event loop keeps serving.

Each number is the shortest decimal that reads back as the same float64 (as orjson, Python's `repr` and
JavaScript write it), found by the Schubfach algorithm: R. Giulietti, "The Schubfach way to render doubles"
(2020). Written here from the paper and its Java description: three products of the number's binary
significand with a 128-bit approximation of a power of ten bound the interval of decimals that round to
it, and the shortest one in it wins (ties to even). The layout is orjson's:

- 1e-5 <= |x| < 1e16 positionally, with `.0` on whole numbers: `0.00001`, `123.25`, `100.0`;
- otherwise in exponent form with a signed exponent: `1e-7`, `1.5e+16`, `5e-324`;
- zero as `0.0` or `-0.0`, and NaN and the infinities as `null`.

Bytes go into the buffer through three small intrinsics: a byte store and load without numba's
negative-index wraparound (positions are never negative), and eight digits in one unaligned store;
~25% faster than indexing the array.

A test compares the bytes with orjson's on millions of numbers of every magnitude and on the edge cases.
"""

from __future__ import annotations

import sys

import numba
import numpy as np
from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic

from ..engine import compiled

__all__ = ["MAX_NUMBER_BYTES", "rows_json", "warm_up", "write_rows"]

# The longest number: "-1.2345678901234567e-308".
MAX_NUMBER_BYTES = 24
U = np.uint64
SIGNIFICAND = U((1 << 52) - 1)
HIDDEN_BIT = U(1 << 52)
# Decimal exponents k of the powers 10^-k the algorithm multiplies by.
K_MIN, K_MAX = -324, 292


def _flog2pow10(e: int) -> int:
    """floor(log2(10^e)) for |e| <= 1233 (the paper's approximation, exact in that range)."""
    return (e * 913124641741) >> 38


def _powers_of_ten() -> tuple[np.ndarray, np.ndarray]:
    """For k in [K_MIN, K_MAX], g = floor(10^-k * 2^(127 - floor(log2 10^-k))) + 1, a 128-bit integer in
    [2^127, 2^128) just over 10^-k scaled: its high and low 64-bit halves, computed exactly."""
    high = np.empty(K_MAX - K_MIN + 1, dtype=np.uint64)
    low = np.empty_like(high)
    for k in range(K_MIN, K_MAX + 1):
        shift = 127 - _flog2pow10(-k)
        numerator, denominator = (10**-k, 1) if k <= 0 else (1, 10**k)
        if shift >= 0:
            numerator <<= shift
        else:
            denominator <<= -shift
        g = numerator // denominator + 1
        high[k - K_MIN], low[k - K_MIN] = g >> 64, g & (2**64 - 1)
    return high, low


G_HIGH, G_LOW = _powers_of_ten()
DIGIT_PAIRS = np.frombuffer(b"".join(b"%02d" % i for i in range(100)), dtype=np.uint8).copy()
# The pair's two characters as the low 16 bits of a little-endian word: first | second << 8.
DIGIT16 = DIGIT_PAIRS[0::2].astype(np.uint64) | (DIGIT_PAIRS[1::2].astype(np.uint64) << np.uint64(8))


@intrinsic
def _multiply(typingctx, a, b):
    """(high, low) 64-bit halves of the 128-bit product of two uint64: one machine multiplication."""
    signature = types.UniTuple(types.uint64, 2)(types.uint64, types.uint64)

    def codegen(context, builder, sig, args):
        wide = ir.IntType(128)
        product = builder.mul(builder.zext(args[0], wide), builder.zext(args[1], wide))
        low = builder.trunc(product, ir.IntType(64))
        high = builder.trunc(builder.lshr(product, ir.Constant(wide, 64)), ir.IntType(64))
        return context.make_tuple(builder, sig.return_type, [high, low])

    return signature, codegen


def _byte_address(context, builder, sig, args):
    """The address of buf[at] for an intrinsic called as (buf, at, ...): no wraparound, no bounds check."""
    array = context.make_array(sig.args[0])(context, builder, args[0])
    return builder.gep(array.data, [args[1]])


@intrinsic
def _put(typingctx, buf, at, value):
    """buf[at] = value (a byte), without the negative-index wraparound (at is never negative here)."""
    signature = types.void(buf, at, value)

    def codegen(context, builder, sig, args):
        byte = builder.trunc(context.cast(builder, args[2], sig.args[2], types.uint64), ir.IntType(8))
        builder.store(byte, _byte_address(context, builder, sig, args))
        return context.get_dummy_value()

    return signature, codegen


@intrinsic
def _get(typingctx, buf, at):
    """buf[at], without the wraparound."""
    signature = types.uint8(buf, at)

    def codegen(context, builder, sig, args):
        return builder.load(_byte_address(context, builder, sig, args))

    return signature, codegen


@intrinsic
def _put8(typingctx, buf, at, word):
    """The eight bytes of `word` (a uint64, its lowest byte first) at buf[at:at + 8]: one unaligned store."""
    signature = types.void(buf, at, word)

    def codegen(context, builder, sig, args):
        pointer = builder.bitcast(_byte_address(context, builder, sig, args), ir.IntType(64).as_pointer())
        value = args[2] if sys.byteorder == "little" else builder.bswap(args[2])
        builder.store(value, pointer, align=1)
        return context.get_dummy_value()

    return signature, codegen


@numba.njit(inline="always")
def _round_to_odd(g_high, g_low, cp):
    """floor(g * cp / 2^128), its lowest bit set when the fraction dropped is not zero."""
    x1, _ = _multiply(g_low, cp)
    y1, y0 = _multiply(g_high, cp)
    z = y0 + x1
    upper = y1 + U(z < y0)
    return upper | U(z > U(1))


@numba.njit(inline="always")
def _shortest(q, c):
    """(f, e): the shortest decimal f * 10^e that rounds to the float64 c * 2^q (c's last bit breaks the
    interval's ties: closed for even c, as round-to-nearest-even reads back)."""
    out = c & U(1)
    cb = c << U(2)
    cbr = cb + U(2)
    if c != HIDDEN_BIT or q == -1074:
        cbl = cb - U(2)
        k = (q * 661971961083) >> 41  # floor(q log10 2)
    else:  # a power of two: the interval below is half as wide
        cbl = cb - U(1)
        k = (q * 661971961083 - 274743187321) >> 41  # floor(q log10 2 + log10 3/4)
    h = U(q + ((-k * 913124641741) >> 38) + 1)
    g_high, g_low = G_HIGH[k - K_MIN], G_LOW[k - K_MIN]
    vb = _round_to_odd(g_high, g_low, cb << h)
    vbl = _round_to_odd(g_high, g_low, cbl << h)
    vbr = _round_to_odd(g_high, g_low, cbr << h)
    s = vb >> U(2)
    if s >= U(10):  # one digit fewer, if a multiple of ten lies in the interval (the paper: s >= 100,
        # which leaves two digits on the tiniest subnormals: 4.9e-323, not 5e-323)
        sp10 = U(10) * (s // U(10))
        tp10 = sp10 + U(10)
        upin = vbl + out <= sp10 << U(2)
        wpin = (tp10 << U(2)) + out <= vbr
        if upin != wpin:
            return (sp10 if upin else tp10), k
    t = s + U(1)
    uin = vbl + out <= s << U(2)
    win = (t << U(2)) + out <= vbr
    if uin != win:
        return (s if uin else t), k
    middle = (s + t) << U(1)  # both in: the nearer, ties to even
    if vb < middle or (vb == middle and (s & U(1)) == U(0)):
        return s, k
    return t, k


@numba.njit(inline="always")
def _digit_count(f):
    """Decimal digits of 0 < f < 10^19, by a binary search over the powers of ten."""
    if f < U(100000000):
        if f < U(10000):
            if f < U(100):
                return 1 if f < U(10) else 2
            return 3 if f < U(1000) else 4
        if f < U(1000000):
            return 5 if f < U(100000) else 6
        return 7 if f < U(10000000) else 8
    if f < U(10000000000000000):
        if f < U(1000000000000):
            if f < U(10000000000):
                return 9 if f < U(1000000000) else 10
            return 11 if f < U(100000000000) else 12
        if f < U(100000000000000):
            return 13 if f < U(10000000000000) else 14
        return 15 if f < U(1000000000000000) else 16
    if f < U(100000000000000000):
        return 17
    return 18 if f < U(1000000000000000000) else 19


@numba.njit(inline="always")
def _write_short(buf, end, x):
    """0 < x < 10^8 as its digits, ending just before buf[end]."""
    i = end
    while x >= U(100):
        pair = x % U(100)
        x = x // U(100)
        i -= 2
        _put(buf, i, DIGIT_PAIRS[2 * pair])
        _put(buf, i + 1, DIGIT_PAIRS[2 * pair + 1])
    if x >= U(10):
        _put(buf, i - 2, DIGIT_PAIRS[2 * x])
        _put(buf, i - 1, DIGIT_PAIRS[2 * x + 1])
    else:
        _put(buf, i - 1, U(48) + x)


@numba.njit(inline="always")
def _write_eight(buf, at, x):
    """0 <= x < 10^8 as exactly eight digits at buf[at:at + 8], in one store."""
    a = x // U(10000)
    b = x - a * U(10000)
    a1 = a // U(100)
    b1 = b // U(100)
    low = DIGIT16[a1] | (DIGIT16[a - a1 * U(100)] << U(16))
    _put8(buf, at, low | (DIGIT16[b1] << U(32)) | (DIGIT16[b - b1 * U(100)] << U(48)))


@numba.njit(inline="always")
def _write_digits(buf, pos, f, n):
    """f's n decimal digits at buf[pos:pos + n]."""
    end = pos + n
    if n <= 8:
        _write_short(buf, end, f)
    elif n <= 16:
        high = f // U(100000000)
        _write_eight(buf, end - 8, f - high * U(100000000))
        _write_short(buf, end - 8, high)
    else:
        high = f // U(10000000000000000)
        rest = f - high * U(10000000000000000)
        middle = rest // U(100000000)
        _write_eight(buf, end - 8, rest - middle * U(100000000))
        _write_eight(buf, end - 16, middle)
        _write_short(buf, end - 16, high)


@numba.njit(inline="always")
def _last_nonzero(buf, last):
    """The position of the last digit that is not 0, looking back from buf[last]."""
    while _get(buf, last) == 48:
        last -= 1
    return last


@numba.njit(inline="always")
def _write_exponent(buf, pos, x):
    """e+x or e-x at buf[pos:]; returns the end."""
    _put(buf, pos, 101)
    _put(buf, pos + 1, 45 if x < 0 else 43)
    x = abs(x)
    pos += 2
    if x >= 100:
        _put(buf, pos, 48 + x // 100)
        x = x % 100
        _put(buf, pos + 1, DIGIT_PAIRS[2 * x])
        _put(buf, pos + 2, DIGIT_PAIRS[2 * x + 1])
        return pos + 3
    if x >= 10:
        _put(buf, pos, DIGIT_PAIRS[2 * x])
        _put(buf, pos + 1, DIGIT_PAIRS[2 * x + 1])
        return pos + 2
    _put(buf, pos, 48 + x)
    return pos + 1


@numba.njit(inline="always")
def _write_number(buf, pos, bits):
    """The float64 with these bits as orjson writes it, at buf[pos:]; returns the end."""
    biased = np.int64((bits >> U(52)) & U(0x7FF))
    t = bits & SIGNIFICAND
    if biased == 0x7FF:  # NaN and the infinities
        _put(buf, pos, 110)
        _put(buf, pos + 1, 117)
        _put(buf, pos + 2, 108)
        _put(buf, pos + 3, 108)
        return pos + 4
    if bits >> U(63):
        _put(buf, pos, 45)
        pos += 1
    if biased == 0 and t == U(0):
        _put(buf, pos, 48)
        _put(buf, pos + 1, 46)
        _put(buf, pos + 2, 48)
        return pos + 3
    if biased == 0:  # subnormal
        if t == U(1):
            f, e = U(5), -324
        elif t == U(2):
            f, e = U(1), -323
        else:
            f, e = _shortest(-1074, t)
    else:
        c = t | HIDDEN_BIT
        q = biased - 1075
        whole = c >> U(-q) if -52 <= q <= 0 else U(0)
        if -52 <= q <= 0 and (whole << U(-q)) == c:  # a whole number below 2^53: its own digits
            f, e = whole, 0
        else:
            f, e = _shortest(q, c)
    n = _digit_count(f)
    point = n + e  # f * 10^e = 0.(f's digits) * 10^point
    if 0 < point <= 16:  # 12.34, or 1200.0: the digits written one place on, the point put in after
        _write_digits(buf, pos + 1, f, n)
        last = _last_nonzero(buf, pos + n)
        for j in range(min(point, n)):
            _put(buf, pos + j, _get(buf, pos + j + 1))
        if last - pos <= point:  # a whole number
            for j in range(n, point):
                _put(buf, pos + j, 48)
            _put(buf, pos + point, 46)
            _put(buf, pos + point + 1, 48)
            return pos + point + 2
        _put(buf, pos + point, 46)
        return last + 1
    if -5 < point <= 0:  # 0.001234
        _put(buf, pos, 48)
        _put(buf, pos + 1, 46)
        pos += 2
        for _ in range(-point):
            _put(buf, pos, 48)
            pos += 1
        _write_digits(buf, pos, f, n)
        return _last_nonzero(buf, pos + n - 1) + 1
    _write_digits(buf, pos + 1, f, n)  # 1.234e-7: the first digit moved before the point
    n = _last_nonzero(buf, pos + n) - pos
    _put(buf, pos, _get(buf, pos + 1))
    if n > 1:
        _put(buf, pos + 1, 46)
        pos += n + 1
    else:
        pos += 1
    return _write_exponent(buf, pos, point - 1)


def _rows(bits, buf, first, last, nested):
    """Rows of float64 (as their bits, (R, C)) as JSON into buf: a list of rows when `nested`, else one
    flat list of their numbers; returns the length. `first` opens the list (else what is written follows
    a comma), `last` closes it, so blocks of rows written one after another make one list."""
    rows, columns = bits.shape
    pos = 0
    _put(buf, pos, 91 if first else 44)
    pos += 1
    for r in range(rows):
        if r:
            _put(buf, pos, 44)
            pos += 1
        if nested:
            _put(buf, pos, 91)
            pos += 1
        for j in range(columns):
            if j:
                _put(buf, pos, 44)
                pos += 1
            pos = _write_number(buf, pos, bits[r, j])
        if nested:
            _put(buf, pos, 93)
            pos += 1
    if last:
        _put(buf, pos, 93)
        pos += 1
    return pos


_compiled = None


def write_rows(bits: np.ndarray, buf: np.ndarray, first: bool, last: bool, nested: bool) -> int:
    """The compiled `_rows` (it runs without the GIL), compiled or loaded from the disk cache on first use."""
    return (_compiled or warm_up())(bits, buf, first, last, nested)


def warm_up():
    """Compile the writer, or load it from the kernels' cache directory (the package's own directory may
    be read-only, as in the container), so that no request pays for it."""
    global _compiled
    if _compiled is None:
        previous = numba.config.CACHE_DIR
        numba.config.CACHE_DIR = str(compiled.cache_dir())  # read when the cache is set up, just below
        try:
            function = numba.njit(
                "int64(Array(uint64, 2, 'C', readonly=True), Array(uint8, 1, 'C'), boolean, boolean, boolean)",
                cache=True,
                nogil=True,
            )(_rows)
        finally:
            numba.config.CACHE_DIR = previous
        _compiled = function
    return _compiled


def rows_json(values: np.ndarray, first: bool = True, last: bool = True) -> memoryview:
    """A float64 array of one or two dimensions as JSON (a block of it, see `_rows` for `first` and
    `last`): a list of numbers, or a list of rows."""
    values = np.ascontiguousarray(values, dtype=np.float64)
    nested = values.ndim == 2
    table = values if nested else values.reshape(1, -1)
    bits = table.view(np.uint64)
    bits.flags.writeable = False
    buf = np.empty(table.size * (MAX_NUMBER_BYTES + 1) + 2 * len(table) + 2, dtype=np.uint8)
    return memoryview(buf)[: write_rows(bits, buf, first, last, nested)]
