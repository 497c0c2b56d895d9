"""Turn caller data into the model's ``double[n_features]`` rows, as EasyPredictModelWrapper does.

Features are matched by name; numbers given as strings are parsed like Java's
``Double.parseDouble``; unknown categorical levels and unparseable numbers become NaN and are
reported as :class:`RowWarning` (genmodel with ``convertUnknownCategoricalLevelsToNa`` and
``convertInvalidNumbersToNa``)::

    >>> enc = RowEncoder(["x", "c"], [None, ["a", "b"]])
    >>> enc.encode([{"x": "1.5", "c": "b"}, {"x": "?", "c": "z"}]).values.tolist()
    [[1.5, 1.0], [nan, nan]]
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sparkwing.errors import MojoError

# Java's Double.parseDouble accepts an optional sign, NaN/Infinity, decimal with exponent and an
# optional float/double suffix, after trimming every char <= ' '.
_JAVA_DOUBLE = re.compile(r"[+-]?(NaN|Infinity|(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[fFdD]?)")
_TRIM = "".join(chr(i) for i in range(33))


def parse_java_double(text: str) -> float | None:
    """``Double.parseDouble`` for decimal input; ``None`` if Java would throw."""
    s = text.strip(_TRIM)
    if not _JAVA_DOUBLE.fullmatch(s):
        return None
    if s[-1] in "fFdD" and not s.endswith("NaN") and not s.endswith("Infinity"):
        s = s[:-1]
    return float(s)


@dataclass(frozen=True)
class RowWarning:
    """A value that was replaced by NA: ``row`` index, ``column`` name, what was wrong."""

    row: int
    column: str
    message: str


@dataclass
class EncodedRows:
    """Rows in the model's feature order (NaN = missing) plus the warnings raised building them."""

    values: np.ndarray
    warnings: list[RowWarning] = field(default_factory=list)


def _is_missing(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    # pandas.NA / NaT compare weirdly; detect them by type name to avoid importing pandas.
    return type(v).__name__ in ("NAType", "NaTType")


class RowEncoder:
    """Encodes records for one model: ``names`` = the n_features column names, ``domains``."""

    def __init__(self, names: Sequence[str], domains: Sequence[Sequence[str] | None]) -> None:
        self.names = list(names)
        self.domains = list(domains)
        self.index = {n: i for i, n in enumerate(self.names)}
        self.levels: list[dict[str, int] | None] = []
        for _name, dom in zip(self.names, self.domains, strict=True):
            if dom is None:
                self.levels.append(None)
                continue
            lookup: dict[str, int] = {}
            for i, level in enumerate(dom):
                lookup.setdefault(level, i)
            self.levels.append(lookup)

    # -- one value ---------------------------------------------------------------------------
    def _value(self, j: int, v: Any, row: int, warnings: list[RowWarning]) -> float:
        if _is_missing(v):
            return math.nan
        lookup = self.levels[j]
        name = self.names[j]
        if lookup is None:
            if isinstance(v, bool):
                v = str(v)
            if isinstance(v, (int, float, np.integer, np.floating)):
                return float(v)
            if isinstance(v, str):
                parsed = parse_java_double(v)
                if parsed is None:
                    warnings.append(RowWarning(row, name, f"not a number: {v[:40]!r}"))
                    return math.nan
                return parsed
            warnings.append(RowWarning(row, name, f"unsupported type {type(v).__name__}"))
            return math.nan
        text = _level_text(v)
        idx = lookup.get(text)
        if idx is None:  # Java also tries "<column>.<level>" (one-hot style names)
            idx = lookup.get(f"{name}.{text}")
        if idx is None:
            warnings.append(RowWarning(row, name, f"unknown level {text[:40]!r}"))
            return math.nan
        return float(idx)

    # -- many records ------------------------------------------------------------------------
    def encode(self, data: Any) -> EncodedRows:
        """Encode a pandas DataFrame, a sequence of mappings, or one mapping."""
        if isinstance(data, Mapping):
            return self._encode_records([data])
        if _is_dataframe(data):
            return self._encode_frame(data)
        if isinstance(data, np.ndarray):
            raise MojoError(
                "predict() takes records or a DataFrame; use predict_numpy() for a float matrix",
                hint="a 2-D float array must already be in model.info.feature_names order",
            )
        if isinstance(data, (list, tuple)):
            for i, rec in enumerate(data):
                if not isinstance(rec, Mapping):
                    raise MojoError(
                        f"row {i} is a {type(rec).__name__}, not a mapping of column -> value",
                        hint="pass a pandas DataFrame, a list of dicts, or one dict",
                    )
            return self._encode_records(data)
        raise MojoError(
            f"cannot score a {type(data).__name__}",
            hint="pass a pandas DataFrame, a list of dicts, or one dict",
        )

    def _encode_records(self, records: Sequence[Mapping[str, Any]]) -> EncodedRows:
        out = np.full((len(records), len(self.names)), np.nan)
        warnings: list[RowWarning] = []
        index = self.index
        for r, rec in enumerate(records):
            row = out[r]
            for key, v in rec.items():
                j = index.get(key) if isinstance(key, str) else None
                if j is not None:
                    row[j] = self._value(j, v, r, warnings)
        return EncodedRows(out, warnings)

    def _encode_frame(self, frame: Any) -> EncodedRows:
        n = len(frame)
        out = np.full((n, len(self.names)), np.nan)
        warnings: list[RowWarning] = []
        for col in frame.columns:
            j = self.index.get(col) if isinstance(col, str) else None
            if j is None:
                continue
            series = frame[col]
            if isinstance(series, type(frame)):  # duplicated column names
                raise MojoError(f"input has column {col!r} more than once")
            kind = series.dtype.kind
            if self.levels[j] is None and kind in "fiu":
                out[:, j] = series.to_numpy(dtype=np.float64, na_value=np.nan)
                continue
            if kind == "b" and self.levels[j] is None:
                # Java parses "True"/"False" as invalid numbers → NA.
                for r in range(n):
                    warnings.append(RowWarning(r, col, "not a number: boolean"))
                continue
            out[:, j] = self._encode_objects(j, series.to_numpy(dtype=object), warnings)
        if warnings:
            warnings.sort(key=lambda w: w.row)
        return EncodedRows(out, warnings)

    def _encode_objects(self, j: int, values: np.ndarray, warnings: list[RowWarning]) -> np.ndarray:
        """Encode one column, converting each distinct value once."""
        import pandas as pd  # only reached with a DataFrame, so pandas is there

        # All-string columns (the usual case) go through pandas' hash table; mixed columns
        # take the loop below, because 1, 1.0 and True hash alike but encode differently.
        if pd.api.types.infer_dtype(values, skipna=True) == "string":
            codes, uniques = pd.factorize(values, use_na_sentinel=True)
            mapped = np.empty(len(uniques) + 1)
            mapped[-1] = np.nan  # code -1 = missing
            flagged: list[tuple[int, str]] = []
            for u, value in enumerate(uniques.tolist()):
                w: list[RowWarning] = []
                mapped[u] = self._value(j, value, 0, w)
                if w:
                    flagged.append((u, w[0].message))
            for u, message in flagged:
                for r in np.flatnonzero(codes == u).tolist():
                    warnings.append(RowWarning(r, self.names[j], message))
            return mapped[codes]
        res = np.empty(len(values))
        cache: dict[Any, tuple[float, list[RowWarning]]] = {}
        for r, v in enumerate(values):
            try:
                hit = cache.get(v) if not _is_missing(v) else (math.nan, [])
            except TypeError:  # unhashable
                hit = None
            if hit is None:
                w = []
                hit = (self._value(j, v, 0, w), w)
                try:
                    cache[v] = hit
                except TypeError:
                    pass
            res[r] = hit[0]
            for warn in hit[1]:
                warnings.append(RowWarning(r, warn.column, warn.message))
        return res


def _level_text(v: Any) -> str:
    """The string Sparkling Water would send for ``v`` (a level must be matched as text)."""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "True" if v else "False"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        f = float(v)
        # Integral floats come from pandas upcasting int columns with NaN; send "3", not "3.0".
        return str(int(f)) if f.is_integer() else repr(f)
    return str(v)


def _is_dataframe(data: Any) -> bool:
    return type(data).__name__ == "DataFrame" and hasattr(data, "columns") and hasattr(data, "dtypes")
