"""``java.util.Random`` bit for bit (GLRM's random start, H2O's multinomial tie-break).

    >>> JavaRandom(42).next_double()
    0.7275636800328681
"""

from __future__ import annotations

import math

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
