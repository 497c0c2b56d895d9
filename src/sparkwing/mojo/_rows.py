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
# optional float/double suffix, after trimming every char <= ' '.  Digits are ASCII only (Python's
# ``\\d`` and ``float`` also take other scripts' digits, Java does not).
_JAVA_DOUBLE = re.compile(r"[+-]?(NaN|Infinity|([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?[fFdD]?)")
# The plain decimal form: here Python's ``float`` and Java agree exactly (both round correctly).
_PLAIN = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
_TRIM = "".join(chr(i) for i in range(33))
# Bytes a plain decimal cell may contain (plus the newline that joins cells in parse_numbers).
_PLAIN_BYTE = np.zeros(256, dtype=bool)
_PLAIN_BYTE[list(b"0123456789+-.eE\n")] = True
_NUMBER_BYTE = _PLAIN_BYTE.copy()
_NUMBER_BYTE[10] = False


def parse_java_double(text: str) -> float | None:
    """``Double.parseDouble`` for decimal input; ``None`` if Java would throw."""
    if _PLAIN.fullmatch(text):
        return float(text)
    s = text.strip(_TRIM)
    if not _JAVA_DOUBLE.fullmatch(s):
        return None
    if s[-1] in "fFdD" and not s.endswith("NaN") and not s.endswith("Infinity"):
        s = s[:-1]
    return float(s)


def parse_numbers(strs: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """:func:`parse_java_double` over many strings at once: ``(values, rejected)``.

    ``values`` is NaN where Java would throw and ``rejected`` marks those cells.  Cells made only
    of ``0-9 + - . e E`` are checked in one vectorised pass and parsed in C (pyarrow's cast, or
    ``float`` without pyarrow): on that alphabet Python, Arrow and Java accept the same strings and
    round alike; any other cell (whitespace, suffixes, ``NaN``, text) takes the exact per-value path.

        >>> parse_numbers(["1.5", " 2 ", "x"])[0].tolist()
        [1.5, 2.0, nan]
    """
    arr = _arrow_strings(np.array(strs, dtype=object)) if strs else None
    if arr is not None:
        got = parse_arrow_numbers(arr)
        if got is not None:
            return got
    return _parse_numbers_python(strs)


def _arrow_strings(values: np.ndarray) -> Any:
    """``values`` (str or missing objects) as a pyarrow string array; None without pyarrow."""
    try:
        import pyarrow as pa
    except ImportError:  # pragma: no cover - pyarrow is a dependency; the Python path stays exact
        return None
    try:
        return pa.array(values, type=pa.string(), from_pandas=True)
    except (pa.ArrowException, TypeError, ValueError, UnicodeError):  # lone surrogates, odd objects
        return None


def _plain_bytes(data: np.ndarray) -> np.ndarray:
    """``_NUMBER_BYTE[data]`` with byte comparisons (a table gather is ~8x slower)."""
    d = data - np.uint8(43)  # "+" ... "9" are 43..57; "," (44) and "/" (47) are not allowed
    ok = (d <= 14) & (d != 1) & (d != 4)
    ok |= (data | np.uint8(32)) == 101  # "E" (69) and "e" (101)
    return ok


def parse_arrow_numbers(arr: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """:func:`parse_numbers` on a pyarrow string array (null = missing, not rejected).

    ``None`` when a cell on the plain alphabet breaks the grammar (``"1-2"``): the caller then
    takes the Python path, which decides those cells one by one.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(arr)
    if n == 0:
        return np.zeros(0), np.zeros(0, dtype=bool)
    if arr.offset:
        arr = pa.concat_arrays([arr])  # offset 0, so the buffers below start at row 0
    _validity, offsets_buf, data_buf = arr.buffers()
    offsets = np.frombuffer(offsets_buf, dtype=np.int32, count=n + 1)
    data = np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.zeros(0, np.uint8)
    bad = np.flatnonzero(~_plain_bytes(data[offsets[0] : offsets[-1]])) + offsets[0]
    odd = np.zeros(n, dtype=bool)
    if len(bad):  # cells holding a byte off the plain alphabet
        odd[np.searchsorted(offsets, bad, side="right") - 1] = True
    missing = arr.is_null().to_numpy(zero_copy_only=False) if arr.null_count else None
    empty = offsets[1:] == offsets[:-1]
    odd |= empty if missing is None else empty & ~missing
    plain = arr
    if odd.any():
        plain = pc.if_else(pa.array(odd), pa.scalar(None, pa.string()), arr)
    try:
        values = np.array(pc.cast(plain, pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)
    except pa.ArrowInvalid:
        return None
    rejected = np.zeros(n, dtype=bool)
    if odd.any():  # each distinct odd cell once, the exact way
        where = np.flatnonzero(odd)
        codes = arr.filter(pa.array(odd)).dictionary_encode()
        exact = [parse_java_double(text) for text in codes.dictionary.to_pylist()]
        got = np.array([math.nan if v is None else v for v in exact], dtype=np.float64)
        idx = codes.indices.to_numpy()
        values[where] = got[idx]
        rejected[where] = np.array([v is None for v in exact], dtype=bool)[idx]
    return values, rejected


def _parse_numbers_python(strs: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """:func:`parse_numbers` without pyarrow (the same results, cell by cell with ``float``)."""
    n = len(strs)
    values = np.full(n, np.nan)
    rejected = np.zeros(n, dtype=bool)
    if n == 0:
        return values, rejected
    blob = np.frombuffer("\n".join(strs).encode("utf-8", "surrogatepass"), dtype=np.uint8)
    newlines = np.flatnonzero(blob == 10)
    if len(newlines) != n - 1:  # a cell holds a newline itself: every cell the exact way
        slow = np.arange(n)
    else:
        starts = np.concatenate(([0], newlines + 1))
        ends = np.concatenate((newlines, [len(blob)]))
        odd = np.searchsorted(newlines, np.flatnonzero(~_PLAIN_BYTE[blob]))
        slow = np.union1d(odd, np.flatnonzero(starts == ends))
    if len(slow) < n:
        cells = strs
        if len(slow):
            cells = strs.copy()
            for i in slow.tolist():
                cells[i] = "nan"  # overwritten below
        try:
            values = np.fromiter(map(float, cells), dtype=np.float64, count=n)
        except ValueError:  # right alphabet, wrong grammar ("1-2", "1e"): the exact way
            slow = np.arange(n)
    cache: dict[str, float | None] = {}
    for i in slow.tolist():
        text = strs[i]
        if text in cache:
            got = cache[text]
        else:
            got = cache[text] = parse_java_double(text)
        if got is None:
            rejected[i] = True
            values[i] = math.nan
        else:
            values[i] = got
    return values, rejected


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
                if collect:
                    warnings.extend(RowWarning(r, col, "not a number: boolean") for r in range(n))
                continue
            sink: list[RowWarning] | None = warnings if collect else None
            out[:, j] = self._encode_objects(j, series.to_numpy(dtype=object), sink)
        if warnings:
            warnings.sort(key=lambda w: w.row)
        return EncodedRows(out, warnings)

    def _encode_objects(self, j: int, values: np.ndarray, warnings: list[RowWarning] | None) -> np.ndarray:
        """Encode one column; ``warnings=None``: build none."""
        import pandas as pd  # only reached with a DataFrame, so pandas is there

        name = self.names[j]
        # All-string columns (the usual case) are vectorised; mixed columns take the loop
        # below, because 1, 1.0 and True hash alike but encode differently.
        kind = pd.api.types.infer_dtype(values, skipna=True)
        if kind == "empty":
            return np.full(len(values), np.nan)
        if kind == "string" and self.levels[j] is None:
            arr = _arrow_strings(values)
            fast = parse_arrow_numbers(arr) if arr is not None else None
            if fast is not None:
                res, rejected = fast
                if warnings is not None and rejected.any():
                    for r in np.flatnonzero(rejected).tolist():
                        warnings.append(RowWarning(r, name, f"not a number: {values[r][:40]!r}"))
                return res
            missing = pd.isna(values)
            present = np.flatnonzero(~missing) if missing.any() else None
            strs = values.tolist() if present is None else values[present].tolist()
            parsed, rejected = _parse_numbers_python(strs)
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
        if kind == "string":
            codes, uniques = pd.factorize(values, use_na_sentinel=True)
            mapped = np.empty(len(uniques) + 1)
            mapped[-1] = np.nan  # code -1 = missing
            flagged: list[tuple[int, str]] = []
            for u, value in enumerate(uniques.tolist()):
                w: list[RowWarning] = []
                mapped[u] = self._value(j, value, 0, w)
                if w:
                    flagged.append((u, w[0].message))
            if warnings is not None:
                for u, message in flagged:
                    for r in np.flatnonzero(codes == u).tolist():
                        warnings.append(RowWarning(r, name, message))
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
            if warnings is not None:
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
