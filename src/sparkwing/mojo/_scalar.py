"""NumPy's float64 functions on one Python float, for the one-row scoring paths.

NumPy may compute ``exp`` with SIMD code whose last bit differs from the C library's (which
``math.exp`` calls) on some CPUs.  The one-row paths must give the batch path's numbers to the
bit, so they call NumPy's own loop on a scalar (~0.5 µs, still far cheaper than building arrays)::

    >>> exp(0.0), exp(1000.0)
    (1.0, inf)
"""

from __future__ import annotations

import numpy as np

_np_exp = np.exp


def exp(x: float) -> float:
    """``np.exp(x)`` as a float, without the overflow RuntimeWarning (the batch path ignores it)."""
    if x < 709.0:  # far from overflow (and not NaN): the common case, no errstate needed
        return float(_np_exp(x))
    with np.errstate(over="ignore", invalid="ignore"):
        return float(_np_exp(x))


def exp_capped(x: float, cap: float) -> float:
    """``np.minimum(cap, np.exp(x))`` (NaN stays NaN, as ``np.minimum`` propagates it)."""
    e = exp(x)
    return cap if e > cap else e
