"""Numbers given as strings, parsed like Java's ``Double.parseDouble`` (what genmodel does).

One cell: :func:`parse_java_double`.  Many cells: :func:`parse_numbers` (a list) and
:func:`parse_arrow_numbers` (a pyarrow string array, what a DataFrame column becomes), which
decide the common cells in C and only the odd ones in Python.  Cost of a 100k-cell column of
distinct decimals (~6 % bad cells): the byte check ~1.9 ms, pyarrow's cast ~1.5 ms, the odd cells
~0.6 ms, nothing per cell in Python (turning Python strings into Arrow first costs ~2.7 ms)::

    >>> parse_numbers(["1.5", " 2 ", "x"])[0].tolist()
    [1.5, 2.0, nan]
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

# Java's Double.parseDouble accepts an optional sign, NaN/Infinity, decimal with exponent and an
# optional float/double suffix, after trimming every char <= ' '.  Digits are ASCII only (Python's
# ``\\d`` and ``float`` also take other scripts' digits, Java does not).
_JAVA_DOUBLE = re.compile(r"[+-]?(NaN|Infinity|([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?[fFdD]?)")
# ... or a hexadecimal significand with a binary exponent, which Java requires ("0x1.8p1" is 3.0).
_JAVA_HEX = re.compile(r"[+-]?0[xX]([0-9a-fA-F]+\.?|[0-9a-fA-F]*\.[0-9a-fA-F]+)[pP][+-]?[0-9]+[fFdD]?")
# The plain decimal form: here Python's ``float`` and Java agree exactly (both round correctly).
_PLAIN = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
# The same grammar for pyarrow's RE2 (whose ``$`` is the end of the text, never before a newline).
_PLAIN_RE2 = f"^{_PLAIN.pattern}$"
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
        return _java_hex(s) if _JAVA_HEX.fullmatch(s) else None
    if s[-1] in "fFdD" and not s.endswith("NaN") and not s.endswith("Infinity"):
        s = s[:-1]
    return float(s)


def _java_hex(s: str) -> float:
    """A hexadecimal literal (grammar already checked): correctly rounded by both languages;
    past the largest double Java gives an infinity where Python raises."""
    body = s[:-1] if s[-1] in "fFdD" else s
    try:
        return float.fromhex(body)
    except OverflowError:
        return -math.inf if body[0] == "-" else math.inf


def parse_numbers(strs: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """:func:`parse_java_double` over many strings at once: ``(values, rejected)``.

    ``values`` is NaN where Java would throw and ``rejected`` marks those cells.  Cells made only
    of ``0-9 + - . e E`` are checked in one vectorised pass and parsed in C (pyarrow's cast, or
    ``float`` without pyarrow): on that alphabet Python, Arrow and Java accept the same strings and
    round alike; any other cell (whitespace, suffixes, ``NaN``, text) takes the exact per-value path.

        >>> parse_numbers(["1.5", " 2 ", "x"])[0].tolist()
        [1.5, 2.0, nan]
    """
    arr = arrow_strings(np.array(strs, dtype=object)) if strs else None
    if arr is not None:
        got = parse_arrow_numbers(arr)
        if got is not None:
            return got
    return parse_numbers_python(strs)


def arrow_strings(values: np.ndarray) -> Any:
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


def _odd_cells(arr: Any) -> np.ndarray:
    """Cells of a pyarrow string array (offset 0) the cast must not see: a byte off the plain
    alphabet, or empty (which Java rejects).  Missing cells are not odd."""
    n = len(arr)
    _validity, offsets_buf, data_buf = arr.buffers()
    offsets = np.frombuffer(offsets_buf, dtype=np.int32, count=n + 1)
    odd = offsets[1:] == offsets[:-1]
    if arr.null_count:
        odd &= ~arr.is_null().to_numpy(zero_copy_only=False)
    lo, hi = int(offsets[0]), int(offsets[-1])
    if hi > lo:
        bad = ~_plain_bytes(np.frombuffer(data_buf, dtype=np.uint8)[lo:hi])
        # A cell whose first byte is bad; then the first bad byte of each run names the others
        # (a run may cross into the next cell: the cells' bytes are not separated).
        odd |= bad[np.minimum(offsets[:-1] - lo, hi - lo - 1)] & (offsets[1:] > offsets[:-1])
        bad[1:] &= ~bad[:-1]
        first = np.flatnonzero(bad)
        if len(first):
            odd[np.searchsorted(offsets, first + lo, side="right") - 1] = True
    return odd


def _cast_plain(arr: Any, odd: np.ndarray) -> np.ndarray | None:
    """pyarrow's cast of the cells not ``odd`` (the odd ones NaN); None if a cell breaks it."""
    import pyarrow as pa
    import pyarrow.compute as pc

    plain = pc.if_else(pa.array(odd), pa.scalar(None, pa.string()), arr) if odd.any() else arr
    try:
        values = pc.cast(plain, pa.float64()).to_numpy(zero_copy_only=False)
    except pa.ArrowInvalid:
        return None
    return values if values.flags.writeable else values.copy()


def parse_arrow_numbers(arr: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """:func:`parse_numbers` on a pyarrow string array (null = missing, not rejected).

    A byte check sets aside the cells off the plain alphabet; pyarrow's cast parses the others
    (on that alphabet it accepts exactly Java's grammar and rounds correctly, as Java does).  When
    a plain-alphabet cell breaks the grammar (``"1-2"``, ``"1e"``) the cast fails as a whole: an
    RE2 match of the grammar then names those cells and they join the odd ones.  The odd cells
    are decided by :func:`parse_java_double`, once per distinct value.  ``None`` only if the
    cast still fails (the caller then takes the Python path).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(arr)
    if n == 0:
        return np.zeros(0), np.zeros(0, dtype=bool)
    if arr.offset:
        arr = pa.concat_arrays([arr])  # offset 0, so the buffers start at row 0
    odd = _odd_cells(arr)
    values = _cast_plain(arr, odd)
    if values is None:
        grammar = pc.fill_null(pc.match_substring_regex(arr, _PLAIN_RE2), True)
        odd |= ~grammar.to_numpy(zero_copy_only=False)
        values = _cast_plain(arr, odd)
        if values is None:
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


def parse_numbers_python(strs: list[str]) -> tuple[np.ndarray, np.ndarray]:
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
