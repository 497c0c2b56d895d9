"""GLRM's one-row solver compiled with numba: every row in turn, machine code instead of NumPy.

:func:`project_rows` is ``GlrmScorer._project`` (the reference, in ``_glrm.py``) written over
arrays: the same IEEE operations in the same order for each row, so the results are the
reference's bits.  It is compiled without ``fastmath``, so LLVM may neither reorder float
operations nor contract a multiply and an add into an FMA (a test reads the machine code).

This module imports numba, a heavy import (LLVM): ``_glrm.py`` imports it only when a GLRM model
first scores, and keeps its NumPy lockstep when numba is not installed.  The compiled code is
cached on disk (``cache=True``: in ``__pycache__`` next to this file, else numba's user-wide
cache directory or ``NUMBA_CACHE_DIR``), so only the first process pays the compile.

    >>> project_rows(a, x0, y_t, levels, norm_sub, norm_mul, alphas, 100, out)   # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable

import numba
import numpy as np

# IEEE arithmetic in source order (no fastmath flags); the GIL released (serve's threads).
_jit = numba.njit(nogil=True, fastmath=False, error_model="numpy")
SIGNATURE = (
    "void(float64[:, ::1], float64[:, ::1], float64[:, ::1], int64[::1], float64[::1], float64[::1],"
    " float64[::1], int64, float64[:, ::1])"
)


@_jit
def _target(value: float) -> int:
    """``int(value)`` (truncation) for a present level below the domain size; -1 when no level
    can match (``value <= -1``: Python's ``int`` is negative there, or raises on -inf)."""
    if value > -1.0:
        return int(value)
    return -1


@_jit
def _objective(
    x: np.ndarray, row: np.ndarray, y_t: np.ndarray, levels: np.ndarray, norm_sub: np.ndarray,
    norm_mul: np.ndarray,
) -> float:
    k = x.shape[0]
    n_cat = levels.shape[0]
    f = 0.0
    idx = 0
    for j in range(n_cat):
        v = row[j]
        if v != v:
            continue  # genmodel does not advance the offset past a missing categorical
        lv = levels[j]
        target = _target(v)
        s = 0.0
        ua = 0.0
        for level in range(lv):
            yp = y_t[idx + level]
            u = 0.0
            for t in range(k):
                u += x[t] * yp[t]
            h = 1 + u
            if 0.0 > h:  # Python's max(1 + u, 0.0): a NaN stays
                h = 0.0
            s += h
            if level == target:
                ua = u
        m1 = 1 - ua
        if 0.0 > m1:
            m1 = 0.0
        m2 = 1 + ua
        if 0.0 > m2:
            m2 = 0.0
        f += s + m1 - m2
        idx += lv
    for j in range(norm_sub.shape[0]):
        v = row[n_cat + j]
        if v != v:
            continue
        yp = y_t[idx + j]
        u = 0.0
        for t in range(k):
            u += x[t] * yp[t]
        d = u - (v - norm_sub[j]) * norm_mul[j]
        f += d * d
    return f


@_jit
def _gradient(
    x: np.ndarray, row: np.ndarray, y_t: np.ndarray, levels: np.ndarray, norm_sub: np.ndarray,
    norm_mul: np.ndarray, g: np.ndarray,
) -> None:
    k = x.shape[0]
    n_cat = levels.shape[0]
    for t in range(k):
        g[t] = 0.0
    idx = 0
    for j in range(n_cat):
        v = row[j]
        if v != v:
            continue
        lv = levels[j]
        target = _target(v)
        for level in range(lv):
            yp = y_t[idx + level]
            u = 0.0
            for t in range(k):
                u += x[t] * yp[t]
            if level == target:
                grad = -1.0 if 1 - u > 0 else 0.0
            else:
                grad = 1.0 if 1 + u > 0 else 0.0
            if grad != 0.0:
                for t in range(k):
                    g[t] += grad * yp[t]
        idx += lv
    for j in range(norm_sub.shape[0]):
        v = row[n_cat + j]
        if v != v:
            continue
        yp = y_t[idx + j]
        u = 0.0
        for t in range(k):
            u += x[t] * yp[t]
        grad = 2 * (u - (v - norm_sub[j]) * norm_mul[j])
        for t in range(k):
            g[t] += grad * yp[t]


@_jit
def _objectives(
    cands: np.ndarray, row: np.ndarray, y_t: np.ndarray, levels: np.ndarray, norm_sub: np.ndarray,
    norm_mul: np.ndarray, f: np.ndarray, u: np.ndarray, s: np.ndarray, ua: np.ndarray,
) -> None:
    """:func:`_objective` of every candidate (column) of ``cands`` ``(k, n)`` into ``f``: the
    candidates are the innermost loop, so each one gets the same operations in the same order
    (and LLVM may run them side by side in SIMD lanes, which reorders nothing)."""
    k, n = cands.shape
    n_cat = levels.shape[0]
    for c in range(n):
        f[c] = 0.0
    idx = 0
    for j in range(n_cat):
        v = row[j]
        if v != v:
            continue
        lv = levels[j]
        target = _target(v)
        for c in range(n):
            s[c] = 0.0
            ua[c] = 0.0
        for level in range(lv):
            yp = y_t[idx + level]
            for c in range(n):
                u[c] = 0.0
            for t in range(k):
                w = yp[t]
                for c in range(n):
                    u[c] += cands[t, c] * w
            for c in range(n):
                h = 1 + u[c]
                if 0.0 > h:
                    h = 0.0
                s[c] += h
            if level == target:
                for c in range(n):
                    ua[c] = u[c]
        for c in range(n):
            m1 = 1 - ua[c]
            if 0.0 > m1:
                m1 = 0.0
            m2 = 1 + ua[c]
            if 0.0 > m2:
                m2 = 0.0
            f[c] += s[c] + m1 - m2
        idx += lv
    for j in range(norm_sub.shape[0]):
        v = row[n_cat + j]
        if v != v:
            continue
        yp = y_t[idx + j]
        for c in range(n):
            u[c] = 0.0
        for t in range(k):
            w = yp[t]
            for c in range(n):
                u[c] += cands[t, c] * w
        vn = (v - norm_sub[j]) * norm_mul[j]
        for c in range(n):
            d = u[c] - vn
            f[c] += d * d


def _project_rows(
    a: np.ndarray, x0: np.ndarray, y_t: np.ndarray, levels: np.ndarray, norm_sub: np.ndarray,
    norm_mul: np.ndarray, alphas: np.ndarray, iters: int, out: np.ndarray,
) -> None:
    """Project every row of ``a`` (permuted columns, out-of-domain levels already NaN) from its
    start ``x0``; ``y_t`` is the archetype matrix transposed (position, k).  Writes ``out``.

    The reference tries its line-search steps one by one and stops at an objective of 0; here
    all of them are evaluated first (an objective is a pure function: an extra one changes
    nothing), then taken in the reference's order with the reference's tests."""
    k = x0.shape[1]
    n = alphas.shape[0]
    x = np.empty(k)
    g = np.empty(k)
    cands = np.empty((k, n))
    c_obj, u, s, ua = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    for r in range(a.shape[0]):
        row = a[r]
        for t in range(k):
            x[t] = x0[r, t]
        obj = _objective(x, row, y_t, levels, norm_sub, norm_mul)
        for _ in range(iters):
            if obj == 0:
                break
            _gradient(x, row, y_t, levels, norm_sub, norm_mul, g)
            for i in range(n):
                alpha = alphas[i]
                if obj > 10:
                    alpha /= obj
                for t in range(k):
                    cands[t, i] = x[t] - alpha * g[t]
            _objectives(cands, row, y_t, levels, norm_sub, norm_mul, c_obj, u, s, ua)
            best = np.inf
            pick = -1
            for i in range(n):
                if c_obj[i] < best:
                    pick, best = i, c_obj[i]
                    if best == 0:
                        break
            if best < obj:  # false when no candidate was kept (best is inf, or NaN objectives)
                improvement = 1 - best / obj
                for t in range(k):
                    x[t] = cands[t, pick]
                obj = best
                if improvement < 1e-10:
                    break
            else:
                break
        for t in range(k):
            out[r, t] = x[t]


def compile_solver(cache: bool) -> Callable[..., None]:
    """A compile of :func:`_project_rows` for :data:`SIGNATURE`; ``cache``: through numba's disk cache."""
    return numba.njit(SIGNATURE, cache=cache, nogil=True, fastmath=False, error_model="numpy")(_project_rows)


def _solver() -> Callable[..., None]:
    try:
        return compile_solver(cache=True)
    except RuntimeError:  # no writable cache location: compile for this process only
        return compile_solver(cache=False)


project_rows = _solver()
