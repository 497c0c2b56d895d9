"""Columns of request values -> the model's float matrix, fast, with the scorer's own rules.

A numeric feature whose values are all ``int``/``float``/``None`` becomes one NumPy array;
any other column is encoded through :meth:`MojoModel.encode` once per *distinct* value and the
results are spread back over the rows, so unknown levels, unparseable numbers and wrong types
follow exactly sparkwing.mojo's (= genmodel's) rules at a fraction of the per-value cost::

    >>> values, warnings = encode_columns(model, 2, {"AGE": [65, None], "RACE": ["1", "9"]})  # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from sparkwing.mojo import MojoModel, RowWarning

_NUMBERS = frozenset({int, float, type(None)})
SMALL = 8  # rows up to which the record encoder is faster than the column one


def encode_columns(
    model: MojoModel, n: int, columns: Mapping[str, Sequence[Any]]
) -> tuple[np.ndarray, list[RowWarning]]:
    """``columns`` maps feature name -> its ``n`` values (absent features stay NaN)."""
    if n <= SMALL:
        # A few rows: one pass of the scorer's own record encoder beats per-column set-up.
        numeric = {f.name for f in model.info.features if f.domain is None}
        records = [{name: (_finite(col[r]) if name in numeric else col[r]) for name, col in columns.items()}
                   for r in range(n)]
        enc = model.encode(records)
        return enc.values, enc.warnings
    return _encode_columns(model, n, columns)


def encode_records(
    model: MojoModel, rows: Sequence[Mapping[str, Any]]
) -> tuple[np.ndarray, list[RowWarning]]:
    """:func:`encode_columns` of a few request rows given as objects, without the columns.

    The same values and warnings: each row's features in feature order (so a row's warnings
    come in the same order), absent ones left NaN, integers beyond double range made infinite.
    """
    feats = [(f.name, f.domain is None) for f in model.info.features]
    records = [{name: (_finite(rec[name]) if num else rec[name]) for name, num in feats if name in rec}
               for rec in rows]
    enc = model.encode(records)
    return enc.values, enc.warnings


def _encode_columns(
    model: MojoModel, n: int, columns: Mapping[str, Sequence[Any]]
) -> tuple[np.ndarray, list[RowWarning]]:
    out = np.full((n, len(model.info.features)), np.nan)
    warnings: list[RowWarning] = []
    for j, feature in enumerate(model.info.features):
        col = columns.get(feature.name)
        if col is None:
            continue
        if feature.domain is None and set(map(type, col)) <= _NUMBERS:
            try:
                out[:, j] = np.array(col, dtype=np.float64)
                continue
            except OverflowError:  # an integer beyond double range: per value below
                pass
        out[:, j] = _distinct(model, j, feature.name, col, warnings, numeric=feature.domain is None)
    if warnings:
        warnings.sort(key=lambda w: w.row)
    return out, warnings


def _distinct(
    model: MojoModel, j: int, name: str, col: Sequence[Any], warnings: list[RowWarning], *, numeric: bool
) -> np.ndarray:
    fix = _finite if numeric else _same
    # (type, value) keys: 1, 1.0 and True hash alike but encode differently.
    try:
        index: dict[tuple[type, Any], int] = {}
        codes = [index.setdefault((type(v), v), len(index)) for v in col]
    except TypeError:  # an unhashable value (a list, an object): encode row by row
        index, codes = {}, []
    if not index:
        enc = model.encode([{name: fix(v)} for v in col])
        warnings.extend(enc.warnings)
        return enc.values[:, j]
    uniques = [v for _, v in index]
    enc = model.encode([{name: fix(v)} for v in uniques])
    mapped = enc.values[:, j]
    code_arr = np.fromiter(codes, dtype=np.int64, count=len(codes))
    if enc.warnings:
        bad = {w.row: w.message for w in enc.warnings}
        for r in np.flatnonzero(np.isin(code_arr, list(bad))).tolist():
            warnings.append(RowWarning(r, name, bad[codes[r]]))
    return mapped[code_arr]


def _finite(v: Any) -> Any:
    """Integers beyond double range become ±infinity, as Java's parseDouble reads them."""
    if type(v) is int:
        try:
            float(v)
        except OverflowError:
            return math.inf if v > 0 else -math.inf
    return v


def _same(v: Any) -> Any:
    return v
