"""``java.util.Random`` bit for bit (GLRM's random start, H2O's multinomial tie-break).

    >>> JavaRandom(42).next_double()
    0.7275636800328681
"""

from __future__ import annotations

import math

import numpy as np

_MULT = 0x5DEECE66D
_MASK = (1 << 48) - 1


class JavaRandom:
    """A 48-bit linear congruential generator identical to the JDK's."""

    def __init__(self, seed: int) -> None:
        self._seed = (seed ^ _MULT) & _MASK
        self._next_gaussian: float | None = None

    def _next(self, bits: int) -> int:
        self._seed = (self._seed * _MULT + 0xB) & _MASK
        value = self._seed >> (48 - bits)
        # Java returns it as a signed 32-bit int.
        return value - (1 << 32) if value >= (1 << 31) else value

    def next_double(self) -> float:
        return ((self._next(26) << 27) + self._next(27)) * (1.0 / (1 << 53))

    def next_int(self, bound: int) -> int:
        if bound <= 0:
            raise ValueError("bound must be positive")
        if bound & (bound - 1) == 0:
            return (bound * self._next(31)) >> 31
        while True:
            bits = self._next(31)
            val = bits % bound
            if bits - val + (bound - 1) < (1 << 31):
                return val

    def next_gaussian(self) -> float:
        if self._next_gaussian is not None:
            g, self._next_gaussian = self._next_gaussian, None
            return g
        while True:
            v1 = 2 * self.next_double() - 1
            v2 = 2 * self.next_double() - 1
            s = v1 * v1 + v2 * v2
            if 0 < s < 1:
                break
        mul = math.sqrt(-2 * math.log(s) / s)  # StrictMath.log/sqrt: correctly rounded here
        self._next_gaussian = v2 * mul
        return v1 * mul


def to_long(value: int) -> int:
    """Wrap a Python int to Java's signed 64-bit ``long``."""
    value &= (1 << 64) - 1
    return value - (1 << 64) if value >= (1 << 63) else value


def gaussians(seeds: list[int], count: int) -> np.ndarray:
    """``[[JavaRandom(s).next_gaussian() for _ in range(count)] for s in seeds]``, with NumPy.

    Every row runs its own generator; rows whose polar-method draw is rejected draw again while
    the others wait, so each row sees exactly its own JDK sequence.
    """
    n = len(seeds)
    out = np.empty((n, count))
    if n == 0 or count == 0:
        return out
    state = np.array([(s ^ _MULT) & _MASK for s in seeds], dtype=np.uint64)
    mult, inc, mask = np.uint64(_MULT), np.uint64(0xB), np.uint64(_MASK)

    def advance(rows: np.ndarray, bits: int) -> np.ndarray:
        # uint64 products wrap modulo 2**64, which keeps the low 48 bits exact.
        state[rows] = (state[rows] * mult + inc) & mask
        return state[rows] >> np.uint64(48 - bits)

    def next_double(rows: np.ndarray) -> np.ndarray:
        hi = advance(rows, 26)
        lo = advance(rows, 27)
        return ((hi << np.uint64(27)) + lo).astype(np.float64) * (1.0 / (1 << 53))

    for pair in range((count + 1) // 2):
        v1, v2, s = np.empty(n), np.empty(n), np.empty(n)
        todo = np.arange(n)
        while len(todo):
            a = 2 * next_double(todo) - 1
            b = 2 * next_double(todo) - 1
            ss = a * a + b * b
            ok = (ss > 0) & (ss < 1)
            v1[todo[ok]], v2[todo[ok]], s[todo[ok]] = a[ok], b[ok], ss[ok]
            todo = todo[~ok]
        logs = np.array([math.log(v) for v in s.tolist()])  # the libm log, as next_gaussian
        mul = np.sqrt(-2 * logs / s)  # sqrt is correctly rounded everywhere
        out[:, 2 * pair] = v1 * mul
        if 2 * pair + 1 < count:
            out[:, 2 * pair + 1] = v2 * mul
    return out
