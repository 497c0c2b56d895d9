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
from itertools import chain
from operator import itemgetter
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


def complete_columns(
    rows: Sequence[Mapping[str, Any]], features: Sequence[str]
) -> dict[str, list[Any]] | None:
    """The rows as one list per feature when every row has exactly the features (no key missing,
    none unknown: the usual batch), built without a Python loop per cell; else ``None``."""
    if len(features) < 2 or set(map(len, rows)) != {len(features)}:
        return None
    try:
        cells = list(map(itemgetter(*features), rows))
    except KeyError:  # a row has as many keys, but not these
        return None
    return dict(zip(features, map(list, zip(*cells, strict=True)), strict=True))


def encode_complete(
    model: MojoModel, rows: Sequence[Mapping[str, Any]], *, keep_columns: bool = False
) -> tuple[np.ndarray, list[RowWarning], dict[str, list[Any]] | None] | None:
    """:func:`encode_columns` of a batch whose rows have exactly the features (the usual batch),
    or ``None`` for any other batch (then :func:`complete_columns` and :func:`encode_columns`).

    The numeric features of every row are taken in one pass and, when they are all JSON numbers
    or null, become the float matrix in one NumPy conversion (the same values as
    :func:`encode_columns`'s conversion per column); the categorical columns are encoded as there.
    ``keep_columns``: the per-feature columns are also returned (for the drift counts).
    """
    info = model.info
    features = info.feature_names
    numeric = [j for j, f in enumerate(info.features) if f.domain is None]
    if len(rows) <= SMALL or len(numeric) < 2 or set(map(len, rows)) != {len(features)}:
        return None
    try:
        cells = list(map(itemgetter(*(features[j] for j in numeric)), rows))
        categorical = {f.name: list(map(itemgetter(f.name), rows)) for f in info.features if f.domain}
    except KeyError:  # a row has as many keys, but not these
        return None
    n = len(rows)
    block: np.ndarray | None = None
    if set(map(type, chain.from_iterable(cells))) <= _NUMBERS:
        try:
            flat = chain.from_iterable(cells)  # None -> NaN, as np.array does it per column
            block = np.fromiter(flat, dtype=np.float64, count=n * len(numeric)).reshape(n, len(numeric))
        except OverflowError:  # an integer beyond double range: per value, as encode_columns does
            block = None
    columns: dict[str, list[Any]] | None = None
    if block is None or keep_columns:
        numbers = dict(zip((features[j] for j in numeric), map(list, zip(*cells, strict=True)), strict=True))
        columns = {f: (numbers[f] if f in numbers else categorical[f]) for f in features}
    if block is None:
        assert columns is not None
        return (*_encode_columns(model, n, columns), columns)
    out = np.full((n, len(features)), np.nan)
    out[:, numeric] = block
    warnings: list[RowWarning] = []
    for j, feature in enumerate(info.features):
        if feature.domain is not None:
            col = categorical[feature.name]
            out[:, j] = _distinct(model, j, feature.name, col, warnings, numeric=False,
                                  strings=set(map(type, col)) == {str})
    if warnings:
        warnings.sort(key=lambda w: w.row)
    return out, warnings, columns


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
        types = set(map(type, col))
        if feature.domain is None and types <= _NUMBERS:
            try:
                out[:, j] = np.array(col, dtype=np.float64)
                continue
            except OverflowError:  # an integer beyond double range: per value below
                pass
        out[:, j] = _distinct(model, j, feature.name, col, warnings, numeric=feature.domain is None,
                              strings=types == {str})
    if warnings:
        warnings.sort(key=lambda w: w.row)
    return out, warnings


def _distinct(
    model: MojoModel, j: int, name: str, col: Sequence[Any], warnings: list[RowWarning], *, numeric: bool,
    strings: bool = False,
) -> np.ndarray:
    fix = _finite if numeric else _same
    if strings and len(col) > 1:  # only str values (the usual categorical column): no loop in Python
        uniques = list(dict.fromkeys(col))
        enc = model.encode([{name: v} for v in uniques])
        mapped = enc.values[:, j]
        if not enc.warnings:
            value_of = dict(zip(uniques, mapped.tolist(), strict=True))
            return np.array(itemgetter(*col)(value_of), dtype=np.float64)
        at = {v: i for i, v in enumerate(uniques)}
        codes: Sequence[int] = itemgetter(*col)(at)
        code_arr = np.array(codes, dtype=np.int64)
    else:
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
        code_arr = np.fromiter(codes, dtype=np.int64, count=len(codes))
        enc = model.encode([{name: fix(v)} for v in uniques])
        mapped = enc.values[:, j]
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
