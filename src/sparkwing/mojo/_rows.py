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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sparkwing.errors import MojoError

# The parsers moved to _numbers; these names stay importable from here.
from sparkwing.mojo._numbers import parse_arrow_numbers, parse_java_double, parse_numbers_python


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

    def encode_one(self, record: Mapping[str, Any]) -> np.ndarray:
        """One record as a ``(1, n_features)`` array, no warnings: the online path."""
        return np.array([self.encode_row(record)])

    def encode_row(
        self, record: Mapping[str, Any], row_index: int = 0, warnings: list[RowWarning] | None = None
    ) -> list[float]:
        """One record as a list of floats in feature order (NaN = missing).

        The common cells (a known level, a plain decimal string, an ``int``/``float`` for a
        numeric feature) are decided inline, any other goes through the full rules, which
        append a :class:`RowWarning` (for row ``row_index``) to ``warnings`` when given.
        """
        row = [math.nan] * len(self.names)
        index, levels = self.index, self.levels
        scratch: list[RowWarning] = [] if warnings is None else warnings
        for key, v in record.items():
            j = index.get(key)
            if j is None or not isinstance(key, str):
                continue
            t = type(v)
            if t is str:
                lookup = levels[j]
                if lookup is None:
                    # Only the plain decimal alphabet: there Python's float and Java agree (and
                    # reject the same strings: "1-2" and "" fall through to the exact rules).
                    if v and not v.strip("0123456789.eE+-"):
                        try:
                            row[j] = float(v)
                            continue
                        except ValueError:
                            pass
                else:
                    idx = lookup.get(v)
                    if idx is not None:
                        row[j] = float(idx)
                        continue
            elif (t is float or t is int) and levels[j] is None:
                row[j] = float(v)
                continue
            row[j] = self._value(j, v, row_index, scratch)
        return row

    # -- many records ------------------------------------------------------------------------
    def encode(self, data: Any, *, collect: bool = True) -> EncodedRows:
        """Encode a pandas DataFrame, a sequence of mappings, or one mapping.

        With ``collect=False`` no :class:`RowWarning` is built (the values are the same).
        """
        if isinstance(data, Mapping):
            return EncodedRows(self.encode_one(data)) if not collect else self._encode_records([data])
        if _is_dataframe(data):
            return self._encode_frame(data, collect)
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
        warnings: list[RowWarning] = []
        rows = [self.encode_row(rec, r, warnings) for r, rec in enumerate(records)]
        return EncodedRows(np.array(rows, dtype=np.float64).reshape(len(rows), len(self.names)), warnings)

    def _encode_frame(self, frame: Any, collect: bool = True) -> EncodedRows:
        n = len(frame)
        # Feature-major, so that each column is written contiguously (a strided column write costs
        # ~3x more); one transposing copy at the end gives the C-ordered rows the scorers take.
        columns = np.empty((len(self.names), n))
        given = np.zeros(len(self.names), dtype=bool)
        warnings: list[RowWarning] = []
        sink: list[RowWarning] | None = warnings if collect else None
        for col in frame.columns:
            j = self.index.get(col) if isinstance(col, str) else None
            if j is None:
                continue
            series = frame[col]
            if isinstance(series, type(frame)):  # duplicated column names
                raise MojoError(f"input has column {col!r} more than once")
            columns[j] = self._encode_series(j, series, sink)
            given[j] = True
        columns[~given] = np.nan
        if warnings:
            warnings.sort(key=lambda w: w.row)
        return EncodedRows(np.ascontiguousarray(columns.T), warnings)

    def _encode_series(self, j: int, series: Any, warnings: list[RowWarning] | None) -> np.ndarray:
        """One DataFrame column as feature ``j``; ``warnings=None``: build none.

        The dtype decides, with no look at the cells: numbers are taken as they are, Arrow-backed
        strings go to :func:`parse_arrow_numbers` without Python objects, pandas categoricals and
        levels held as numbers or strings are mapped once per distinct value; object columns go
        through :meth:`_encode_objects`.
        """
        import pandas as pd  # only reached with a DataFrame, so pandas is there

        dtype = series.dtype
        kind = dtype.kind
        numeric = self.levels[j] is None
        if isinstance(dtype, pd.CategoricalDtype):
            codes = series.cat.codes.to_numpy()
            return self._encode_uniques(j, codes, list(dtype.categories), warnings)
        if numeric and kind in "fiu":
            return series.to_numpy(dtype=np.float64, na_value=np.nan)
        if kind == "b" and numeric:
            # Java parses "True"/"False" as invalid numbers → NA.
            if warnings is not None:
                name = self.names[j]
                warnings.extend(RowWarning(r, name, "not a number: boolean") for r in range(len(series)))
            return np.full(len(series), np.nan)
        text = isinstance(dtype, pd.StringDtype) or (
            isinstance(dtype, pd.ArrowDtype) and _is_arrow_text(dtype.pyarrow_dtype)
        )
        if not numeric and (kind in "biuf" or text):
            codes, uniques = pd.factorize(series, use_na_sentinel=True)
            return self._encode_uniques(j, codes, list(uniques), warnings)
        if text:
            got = self._arrow_numbers(j, _arrow_array(series.array), warnings)
            if got is not None:
                return got
        return self._encode_objects(j, series.to_numpy(dtype=object), warnings)

    def _arrow_numbers(self, j: int, arr: Any, warnings: list[RowWarning] | None) -> np.ndarray | None:
        """Numeric feature ``j`` from a pyarrow array of strings or numbers; None: another type."""
        import pyarrow as pa

        if arr is None:
            return None
        t = arr.type
        if pa.types.is_null(t):
            return np.full(len(arr), np.nan)
        if pa.types.is_integer(t) or pa.types.is_floating(t):  # numbers given as numbers
            return np.asarray(arr.to_numpy(zero_copy_only=False), dtype=np.float64)
        if not _is_arrow_text(t):
            return None
        if not pa.types.is_string(t):
            try:
                arr = arr.cast(pa.string())
            except pa.ArrowException:  # over 2 GiB of text
                return None
        fast = parse_arrow_numbers(arr)
        if fast is None:
            return None
        res, rejected = fast
        if warnings is not None and rejected.any():
            rows = np.flatnonzero(rejected)
            texts = arr.take(pa.array(rows)).to_pylist()
            name = self.names[j]
            for r, text in zip(rows.tolist(), texts, strict=True):
                warnings.append(RowWarning(r, name, f"not a number: {text[:40]!r}"))
        return res

    def _encode_uniques(
        self, j: int, codes: np.ndarray, uniques: list[Any], warnings: list[RowWarning] | None
    ) -> np.ndarray:
        """Feature ``j`` for rows given as ``codes`` into distinct ``uniques`` (-1 = missing):
        each distinct value is encoded once, as a record's cell would be."""
        mapped = np.empty(len(uniques) + 1)
        mapped[-1] = np.nan  # code -1 = missing
        messages: dict[int, str] = {}
        for u, value in enumerate(uniques):
            w: list[RowWarning] = []
            mapped[u] = self._value(j, value, 0, w)
            if w:
                messages[u] = w[0].message
        if warnings is not None and messages:
            flagged = np.zeros(len(mapped), dtype=bool)
            flagged[list(messages)] = True
            rows = np.flatnonzero(flagged[codes])
            name = self.names[j]
            for r, u in zip(rows.tolist(), codes[rows].tolist(), strict=True):
                warnings.append(RowWarning(r, name, messages[u]))
        return mapped[codes]

    def _encode_objects(self, j: int, values: np.ndarray, warnings: list[RowWarning] | None) -> np.ndarray:
        """Encode one column of Python objects; ``warnings=None``: build none."""
        import pandas as pd  # only reached with a DataFrame, so pandas is there

        if self.levels[j] is None:
            # pyarrow's own type inference is the type check: strings (or missing) only, numbers
            # only, or anything else (mixed, bytes, bools) for the per-value path below.
            got = self._arrow_numbers(j, _arrow_objects(values), warnings)
            if got is not None:
                return got
        else:
            codes, uniques = pd.factorize(values, use_na_sentinel=True)
            levels = uniques.tolist()
            # All-string levels (the usual case) once each; a column with other objects takes the
            # loop below, because 1, 1.0 and True hash alike but encode differently.
            if all(isinstance(u, str) for u in levels):
                return self._encode_uniques(j, codes, levels, warnings)
        name = self.names[j]
        kind = pd.api.types.infer_dtype(values, skipna=True)
        if kind == "empty":
            return np.full(len(values), np.nan)
        if kind == "string" and self.levels[j] is None:  # strings pyarrow refused (lone surrogates)
            missing = pd.isna(values)
            present = np.flatnonzero(~missing) if missing.any() else None
            strs = values.tolist() if present is None else values[present].tolist()
            parsed, rejected = parse_numbers_python(strs)
            if present is None:
                res = parsed
            else:
                res = np.full(len(values), np.nan)
                res[present] = parsed
            if warnings is not None and rejected.any():
                for i in np.flatnonzero(rejected).tolist():
                    r = i if present is None else int(present[i])
                    warnings.append(RowWarning(r, name, f"not a number: {strs[i][:40]!r}"))
            return res
        res = np.empty(len(values))
        cache: dict[Any, tuple[float, list[RowWarning]]] = {}
        for r, v in enumerate(values):
            key = (type(v), v)  # the type too: True == 1 == 1.0 but they encode differently
            try:
                hit = cache.get(key) if not _is_missing(v) else (math.nan, [])
            except TypeError:  # unhashable
                hit = None
            if hit is None:
                w: list[RowWarning] = []
                hit = (self._value(j, v, 0, w), w)
                try:
                    cache[key] = hit
                except TypeError:
                    pass
            res[r] = hit[0]
            if warnings is not None:
                for warn in hit[1]:
                    warnings.append(RowWarning(r, warn.column, warn.message))
        return res


def _arrow_objects(values: np.ndarray) -> Any:
    """An object array as a pyarrow array of pyarrow's inferred type; None if it has none."""
    try:
        import pyarrow as pa
    except ImportError:  # pragma: no cover - pyarrow is a dependency; the Python path stays exact
        return None
    try:
        return pa.array(values, from_pandas=True)
    except (pa.ArrowException, TypeError, ValueError, UnicodeError, OverflowError):
        return None


def _arrow_array(values: Any) -> Any:
    """A pandas Arrow-backed (or string) extension array as one pyarrow array, no copy if Arrow."""
    import pyarrow as pa

    try:
        arr = pa.array(values)
    except (pa.ArrowException, TypeError, ValueError):
        return None
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def _is_arrow_text(t: Any) -> bool:
    import pyarrow as pa

    return bool(pa.types.is_string(t) or pa.types.is_large_string(t))


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
