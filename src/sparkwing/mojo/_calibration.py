"""Platt and isotonic calibration of binomial probabilities (mojo-format §3.8).

    >>> Platt(1.0, 0.0).calibrate(np.array([[0.0, 1.0, 0.0]])).round(3).tolist()
    [[0.269, 0.731]]
"""

from __future__ import annotations

import struct

import numpy as np

from sparkwing.errors import MojoError
from sparkwing.mojo._container import MojoReader


class Platt:
    def __init__(self, b0: float, b1: float) -> None:
        self.b0, self.b1 = b0, b1

    def calibrate(self, preds: np.ndarray) -> np.ndarray:
        # The Platt GLM was trained on P(class 0), i.e. preds[:, 1].
        with np.errstate(over="ignore"):
            p1 = 1.0 / (1.0 + np.exp(-(preds[:, 1] * self.b0 + self.b1)))
        return np.column_stack([1.0 - p1, p1])


class Isotonic:
    def __init__(self, min_x: float, max_x: float, xs: np.ndarray, ys: np.ndarray) -> None:
        if len(xs) != len(ys) or len(xs) == 0 or np.any(np.diff(xs) < 0):
            raise MojoError("isotonic calibration knots are malformed", hint="corrupt MOJO")
        self.min_x, self.max_x, self.xs, self.ys = min_x, max_x, xs, ys
        self._xs_list = xs.tolist()

    def calibrate(self, preds: np.ndarray) -> np.ndarray:
        x = np.minimum(np.maximum(preds[:, 2], self.min_x), self.max_x)
        x = np.where(np.isnan(preds[:, 2]), np.nan, x)
        xs, ys = self.xs, self.ys
        hi = np.clip(np.searchsorted(xs, x, side="left"), 0, len(xs) - 1)
        exact = xs[hi] == x
        lo = np.clip(hi - 1, 0, len(xs) - 1)
        x_lo, x_hi, y_lo, y_hi = xs[lo], xs[hi], ys[lo], ys[hi]
        with np.errstate(invalid="ignore", divide="ignore"):
            interp = y_lo + (x - x_lo) / (x_hi - x_lo) * (y_hi - y_lo)
        p1 = np.where(exact, ys[hi], interp)
        # Knots can repeat; Java's Arrays.binarySearch decides which one an exact hit uses.
        for r in np.flatnonzero(exact).tolist():
            p1[r] = ys[_java_binary_search(self._xs_list, float(x[r]))]
        p1 = np.where(np.isnan(x), np.nan, p1)
        return np.column_stack([1.0 - p1, p1])


def _java_binary_search(xs: list[float], key: float) -> int:
    lo, hi = 0, len(xs) - 1
    while lo <= hi:
        mid = (lo + hi) >> 1
        if xs[mid] < key:
            lo = mid + 1
        elif xs[mid] > key:
            hi = mid - 1
        else:
            return mid
    return lo  # not reached for exact hits


def _doubles_be(reader: MojoReader, name: str) -> np.ndarray:
    data = reader.read(name)
    if len(data) < 4:
        raise MojoError(f"MOJO entry {name} is truncated")
    (n,) = struct.unpack_from(">i", data)
    if n < 0 or 4 + 8 * n != len(data):
        raise MojoError(f"MOJO entry {name} declares {n} values but has {len(data)} bytes")
    return np.frombuffer(data, dtype=">f8", count=n, offset=4).astype(np.float64)


def read_calibration(reader: MojoReader) -> Platt | Isotonic | None:
    ini = reader.ini
    method = ini.get_str("calib_method", None)
    if method is None:
        return None
    if method == "platt":
        beta = ini.get_floats("calib_glm_beta")
        if len(beta) != 2:
            raise MojoError("calib_glm_beta must have 2 values")
        return Platt(beta[0], beta[1])
    if method == "isotonic":
        return Isotonic(
            ini.get_float("calib_min_x"),
            ini.get_float("calib_max_x"),
            _doubles_be(reader, "calib/thresholds_x"),
            _doubles_be(reader, "calib/thresholds_y"),
        )
    raise MojoError(f"unsupported calibration method {method!r}", hint="supported: platt, isotonic")
