"""CSV column types inferred in pass 1, by Spark 3.5's own rules, or not at all.

Spark's ``inferSchema`` (``CSVInferSchema``) tries each non-null cell as int, long, decimal,
double, date/timestamp and boolean in that order, falls back to string, and merges the
per-row types of a column.  This module classifies every cell into one of a few classes for
which the outcome of that chain is certain without running it:

* ``INT`` / ``LONG``: ``[+-]?[0-9]{1,18}`` (``Integer.parseInt`` / ``Long.parseLong``),
* ``DOUBLE``: ``[+-]?[0-9]*\\.[0-9]+`` (a positive ``BigDecimal`` scale, so not a decimal;
  ``Double.parseDouble`` reads it), or a plain number with an exponent whose ``BigDecimal``
  scale is not 0 (``1e-05``, ``2.5E3``; a scale of 0, ``1.5e1``, would be a decimal),
* ``BOOL``: ``true`` / ``false`` in any case,
* ``STRING``: text that no number, date, timestamp or boolean parser of Spark accepts: its
  first character (after spaces) is a letter or punctuation that none of them can start
  with (not ``I``nf, ``N``aN, a time-only ``T1``, a sign or a dot), or a run of digits
  followed by a character that ends every parse (``36 months``, ``10+ years``, ``01/02``),
* ``UNKNOWN``: everything else (`` 12``, ``0x10``, ``1.0d``, ``NaN``, ``2015-01-01``, 19+
  digit integers, ``1.``, non-ASCII digits, ...).

A column with a ``STRING`` cell is a string column whatever else it holds (string absorbs
every type in Spark's merge).  Otherwise a column with an ``UNKNOWN`` cell, or with booleans
and numbers together (Spark's merge of those depends on the order tasks finish), cannot be
decided here and the caller runs Spark's ``inferSchema`` instead.  Only used when no date or
timestamp pattern is set, the time-parser policy is not ``LEGACY`` and negative decimal
scales are not allowed (they change the classes above).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

STR, UNK, BOOL, INT, LONG, DBL, QEMPTY = 1, 2, 4, 8, 16, 32, 64

_INT = r"^[+-]?[0-9]{1,18}$"
_DBL = r"^[+-]?[0-9]*\.[0-9]+$"
_EXP = r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)[eE][+-]?[0-9]{1,9}$"
_BOOL = r"^(?i:true|false)$"
_PUNCT = r"""!"#$%&'()*,/;<=>?@\[\\\]^_`{|}~"""
_STR = (
    r"^(?:[\x00-\x20]*(?:[A-HJ-MO-SU-Za-z" + _PUNCT + r"]"
    r"|I(?:$|[^n]|n$|n[^f])|N(?:$|[^a]|a$|a[^N])|T[A-Za-z])"
    r"|[0-9]+(?:[A-CG-WYZa-cg-wyz+" + _PUNCT + r"]|[ \t]+[^\x00-\x20]))"
)

MAX_PIECE = 1 << 20  # a line piece kept for the driver longer than this: no inference


_INT_E = r"^(?:[+-]?[0-9]{1,18}%s)?$"
_NUM_E = r"^(?:[+-]?(?:[0-9]{1,18}|[0-9]*\.[0-9]+)%s)?$"


def _or_null(pattern: str, null_value: str) -> str:
    return pattern % ("|" + re.escape(null_value) if null_value else "")


def classify(arr: pa.Array, null_value: str, seen: int = 0) -> int:
    """The class flags of the non-null cells of one string column (see the module doc).

    ``seen``: the column's flags so far (a column already ``DOUBLE`` skips the integer test).
    The common cases cost one regular-expression pass: integers (and empty cells), or
    numbers with a fraction (and integers, and empty cells).  Null cells of ``arr`` are
    unquoted empty cells (Spark reads them as ``null_value``); a ``""`` cell is a quoted empty
    one, flagged ``QEMPTY`` when a ``null_value`` is set (Spark's parse then reads it as an
    empty string, which no number or boolean column accepts).
    """
    import pyarrow.compute as pc

    flags = QEMPTY if null_value and pc.any(pc.equal(arr, "")).as_py() else 0
    if not seen & DBL:
        width = pc.max(pc.binary_length(arr)).as_py() or 0
        # Every non-null cell 1-18 ASCII digits (and one at least): the pattern below matches
        # every cell and, without a null marker, the column has a value (a tenth of the cost).
        digits = width <= 18 and pc.all(pc.ascii_is_decimal(arr)).as_py() is True
        if digits or pc.all(pc.match_substring_regex(arr, _or_null(_INT_E, null_value))).as_py():
            if (not digits or null_value) and not _any_value(arr, null_value):
                return flags
            return flags | (INT if width <= 9 else _int_flags(arr, null_value))  # 9 digits: an int
    if (
        seen & (INT | LONG | DBL)
        and pc.all(pc.match_substring_regex(arr, _or_null(_NUM_E, null_value))).as_py()
    ):
        return flags | DBL  # a fraction is there (the integer test failed) or was seen before
    return flags | _classify(arr, null_value)


def _any_value(arr: pa.Array, null_value: str) -> bool:
    import pyarrow.compute as pc

    keep = pc.not_equal(arr, "")
    if null_value:
        keep = pc.and_(keep, pc.not_equal(arr, null_value))
    return bool(pc.any(keep).as_py())


def _int_flags(arr: pa.Array, null_value: str = "") -> int:
    import pyarrow.compute as pc

    keep = pc.not_equal(arr, "")
    if null_value:
        keep = pc.and_(keep, pc.not_equal(arr, null_value))
    ints = pc.cast(pc.utf8_ltrim(pc.filter(arr, keep), "+"), "int64")
    lo, hi = pc.min_max(ints).values()
    return INT if -(1 << 31) <= lo.as_py() and hi.as_py() < (1 << 31) else LONG


def _classify(arr: pa.Array, null_value: str) -> int:
    import pyarrow.compute as pc

    keep = pc.not_equal(arr, "")
    if null_value:
        keep = pc.and_(keep, pc.not_equal(arr, null_value))
    arr = pc.filter(arr, keep)
    if not len(arr):
        return 0
    flags = 0
    m = pc.match_substring_regex(arr, _INT)
    if pc.any(m).as_py():
        flags |= _int_flags(pc.filter(arr, m))
        if pc.all(m).as_py():
            return flags
        arr = pc.filter(arr, pc.invert(m))
    for pattern, flag in ((_DBL, DBL), (_BOOL, BOOL), (_STR, STR)):
        m = pc.match_substring_regex(arr, pattern)
        if not pc.any(m).as_py():
            continue
        flags |= flag
        if flag == STR or pc.all(m).as_py():
            return flags
        arr = pc.filter(arr, pc.invert(m))
    m = pc.match_substring_regex(arr, _EXP)
    for v in pc.filter(arr, m).to_pylist():
        flags |= DBL if _scale(v) != 0 else UNK
    return flags | (UNK if not pc.all(m).as_py() else 0)


def _scale(text: str) -> int:
    """``java.math.BigDecimal(text).scale()`` for a plain number with an exponent."""
    try:
        exp = Decimal(text).as_tuple().exponent
    except InvalidOperation:  # pragma: no cover - the pattern admits valid numbers only
        return 0
    return -exp if isinstance(exp, int) else 0


def spark_type(flags: int) -> str | None:
    """The type Spark's ``inferSchema`` gives a column with these cell classes; None: unsure."""
    flags &= ~QEMPTY  # quoted empty cells are skipped by the inference
    if flags & STR or not flags:
        return "string"
    if flags & UNK or (flags & BOOL and flags & (INT | LONG | DBL)):
        return None
    if flags & BOOL:
        return "boolean"
    if flags & DBL:
        return "double"
    return "bigint" if flags & LONG else "int"


@dataclass
class InferState:
    """One split's pass-1 inference: flags per inferred column, and the pieces of its edge lines."""

    flags: list[int]
    ok: bool = True
    head: bytes | None = None  # a mid-file split: the bytes before its first line break
    carry: bytes = b""  # the bytes after the last line break seen so far
    first_line: bytes | None = None  # the file's first line (the header), when skipped
    need_header: bool = False
    rows: int = 0  # records classified (Spark's rows: every line has the header's field count)
    # The line pattern (:func:`line_pattern`) is still tried: off once most of a block's lines
    # miss it (then it would only add its cost to Arrow's parse).
    by_pattern: bool = True


@dataclass(frozen=True)
class Inferrer:
    """Classifies the undeclared columns of whole lines (Arrow's CSV parser, strings only), and
    the declared columns whose cells pass 1 checks (:func:`declared_fits`)."""

    ncols: int
    columns: tuple[int, ...]  # indices of the columns to classify: inferred ones, then checked ones
    delimiter: str
    quote: str
    null_value: str
    header: bool
    checked: int = 0  # the last ``checked`` of ``columns`` are declared: classified, not inferred
    # A pattern a line of surely fitting declared cells matches (:func:`line_pattern`), and
    # the classes such a line adds to each column of ``columns``.
    line: str | None = None
    line_flags: tuple[int, ...] = ()

    @property
    def inferred(self) -> tuple[int, ...]:
        """The indices of the columns whose types are inferred."""
        return self.columns[: len(self.columns) - self.checked]

    @property
    def declared(self) -> tuple[int, ...]:
        """The indices of the checked (declared) columns."""
        return self.columns[len(self.inferred) :]

    def begin(self, mid: bool) -> InferState:
        return InferState(
            [0] * len(self.columns), head=None if not mid else b"", need_header=self.header and not mid
        )

    def feed(self, st: InferState, data: bytes, mid_first: bool) -> bool:
        """Classify the whole lines ``data`` completes; True when each of them (and so each
        whole line of ``data`` after its first line break) matched :attr:`line`."""
        if not st.ok or not data:
            return False
        buf = st.carry + data
        st.carry = b""
        if mid_first:  # the split's first piece ends at its first line break
            cut = _first_break(buf)
            if cut < 0:  # a line longer than a block: not worth it
                st.ok = False
                return False
            st.head, buf = buf[:cut], buf[cut + 1 :]
        if st.need_header:
            cut = _first_break(buf)
            if cut < 0:
                st.carry = buf
                st.ok = len(buf) <= MAX_PIECE
                return False
            st.first_line, buf = buf[:cut], buf[cut + 1 :]
            st.need_header = False
        end = max(buf.rfind(b"\n"), buf.rfind(b"\r"))
        if end < 0:
            st.carry = buf
            st.ok = len(buf) <= MAX_PIECE
            return False
        st.carry = buf[end + 1 :]
        return self.lines(st, buf[: end + 1])

    def lines(self, st: InferState, body: bytes) -> bool:
        """Classify complete lines (``body`` ends with a line break or the file); True when
        every line matched :attr:`line` (none was parsed)."""
        if not st.ok or (body[:1] in (b"\r", b"\n", b"") and not body.strip(b"\r\n")):
            return False  # (the strip copies the body: only when it starts with a break)
        if self.line is not None and st.by_pattern and body.count(b"\r") == body.count(b"\r\n"):
            rest = self._by_pattern(st, body)
            if rest is None:
                return True
            body = rest
        infer = len(self.inferred)
        # A string column stays one; a checked column with a cell that may not fit is decided.
        todo = [k for k, f in enumerate(st.flags) if not f & STR and not (k >= infer and f & UNK)]
        if not todo:  # still parsed: the count of records, and every line's field count
            todo = [0]
        table = self.parse(body, [self.columns[k] for k in todo])
        if table is None:
            st.ok = False
            return False
        st.rows += table.num_rows
        for k, col in zip(todo, table.columns, strict=True):
            if not st.flags[k] & STR:
                for chunk in col.chunks:
                    st.flags[k] |= classify(chunk, self.null_value, st.flags[k])
                if st.flags[k] & UNK and not st.flags[k] & STR and k < infer:
                    st.ok = False  # undecidable unless a later string cell: let Spark infer
                    return False
        return False

    def _by_pattern(self, st: InferState, body: bytes) -> bytes | None:
        """Count and class the lines of ``body`` (LF or CR LF breaks) that match :attr:`line`;
        the other lines (joined, for Arrow's parse), or None when there are none.

        A matching line is one record of exactly ``ncols`` fields (no quote left open, no line
        break inside quotes), each declared cell of a class that fits its type, so it is
        what Arrow's parse and :func:`classify` would find, without either.
        """
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        arr = np.frombuffer(body, np.uint8)
        ends = np.flatnonzero(arr == 10) + 1
        if not len(ends) or ends[-1] != len(body):
            ends = np.append(ends, len(body))
        offsets = np.concatenate([[0], ends]).astype(np.int32 if len(body) < 2**31 else np.int64)
        kind = pa.binary() if offsets.dtype == np.int32 else pa.large_binary()
        lines = pa.Array.from_buffers(kind, len(ends), [None, pa.py_buffer(offsets), pa.py_buffer(body)])
        try:
            hit = pc.match_substring_regex(lines, self.line).to_numpy(zero_copy_only=False)
        except pa.ArrowException:  # RE2 refuses the pattern (too large): parse as before
            st.by_pattern = False
            return body
        matched = int(np.count_nonzero(hit))
        if matched:
            st.rows += matched
            st.flags = [f | g for f, g in zip(st.flags, self.line_flags, strict=True)]
        first = arr[offsets[:-1]] if len(body) else arr[:0]  # (no line is empty: each has a byte)
        hit |= (first == 10) | (first == 13)  # a blank line (no bare CR here): no record, no parse
        if hit.all():
            return None
        st.by_pattern = matched * 2 >= len(lines)
        return b"".join(pc.filter(lines, pa.array(~hit)).to_pylist())

    def parse(self, body: bytes, columns: list[int]) -> Any:
        import pyarrow as pa
        from pyarrow import csv

        names = [f"c{i}" for i in range(self.ncols)]
        try:
            return csv.read_csv(
                pa.py_buffer(body),
                read_options=csv.ReadOptions(column_names=names, use_threads=False, block_size=1 << 26),
                parse_options=csv.ParseOptions(
                    delimiter=self.delimiter,
                    quote_char=self.quote or False,
                    double_quote=True,
                    escape_char=False,
                    newlines_in_values=False,
                    ignore_empty_lines=True,
                ),
                convert_options=csv.ConvertOptions(
                    column_types={n: pa.string() for n in names},
                    include_columns=[names[i] for i in columns],
                    null_values=[""],  # an unquoted empty cell is null, a quoted one ""
                    strings_can_be_null=bool(self.null_value),
                    quoted_strings_can_be_null=False,
                ),
            )
        except (pa.ArrowInvalid, ValueError):
            return None

    def end(self, st: InferState) -> dict[str, Any]:
        return {
            "ok": st.ok and not st.need_header,
            "flags": st.flags,
            "head": st.head,
            "tail": st.carry,
            "first_line": st.first_line,
            "rows": st.rows,
        }


MAX_PATTERN_COLUMNS = 4096  # a wider file is parsed (its pattern would be large, and slow)

# The cells of a declared column that surely fit its type (:func:`declared_fits`), unquoted:
# the classes of :func:`classify` they fall in, as a pattern; and those classes.
_CELL = {
    "int": (r"[+-]?[0-9]{1,9}", INT),
    "bigint": (r"[+-]?[0-9]{1,18}", INT | LONG),
    "double": (r"[+-]?(?:[0-9]{1,18}|[0-9]*\.[0-9]+)", INT | LONG | DBL),
    "float": (r"[+-]?(?:[0-9]{1,18}|[0-9]*\.[0-9]+)", INT | LONG | DBL),
    "boolean": (r"(?i:true|false)", BOOL),
}


def line_pattern(
    types: list[str | None], columns: tuple[int, ...], delimiter: str, quote: str, null_value: str
) -> tuple[str, tuple[int, ...]] | None:
    """The pattern of a line whose every cell is what pass 1 would accept (:class:`Inferrer`)
    without a parse, and the classes it adds to each of ``columns``; None when there is none.

    ``types``: per field, the declared type (``string`` or one of :data:`_CELL`), None when
    inferred (then no pattern: the inference needs the cells).  A string cell is unquoted
    without a quote or a line break, or quoted with its quotes doubled and no line break
    inside; a declared cell is unquoted, empty, the null marker or one of :data:`_CELL`.
    A line with anything else (a quoted number, a quoted empty cell, ``1e5``, a CR but in its
    CR LF) is parsed as before.
    """
    special = {delimiter, quote, "\r", "\n"}
    if not 2 <= len(types) <= MAX_PATTERN_COLUMNS or len(delimiter) != 1 or len(quote) != 1:
        return None
    if any(c in special for c in null_value):
        return None
    if any(t != "string" and t not in _CELL for t in types) or not (delimiter + quote + null_value).isascii():
        return None  # (RE2 reads the lines as bytes: ASCII is the same either way)
    d, q = _lit(delimiter), _lit(quote)
    text = rf"(?:{q}(?:[^{q}\r\n]|{q}{q})*{q}|[^{q}{d}\r\n]*)"
    marker = "|" + "".join(map(_lit, null_value)) if null_value else ""
    cells = [text if t == "string" else f"(?:{_CELL[t][0]}{marker})?" for t in types]  # type: ignore[index]
    flags = tuple(_CELL[t][1] if t in _CELL else 0 for t in (types[i] for i in columns))  # type: ignore[index]
    return "^" + d.join(cells) + r"(?:\r?\n)?$", flags


def _lit(c: str) -> str:
    """An ASCII character as an RE2 literal, in or out of a character class."""
    return f"\\x{{{ord(c):02x}}}"


def _first_break(buf: bytes) -> int:
    cuts = [i for i in (buf.find(b"\n"), buf.find(b"\r")) if i >= 0]
    return min(cuts) if cuts else -1


@dataclass(frozen=True)
class Inferred:
    """Pass 1's answer: the Spark type of each inferred column, and what else it proved."""

    types: list[str]  # of the inferred columns
    rows: int  # the records of all files (header lines not counted)
    quoted_empty: list[bool]  # a column held a quoted empty cell (``""``) with a null marker set
    checked: list[int] = field(default_factory=list)  # the cell classes of each checked column


def merge(inferrer: Inferrer, per_file: list[list[dict[str, Any]]], header: bytes | None) -> Inferred | None:
    """The Spark types of the inferred columns from every split's summary, or None (unsure).

    ``per_file``: each file's split summaries in order.  The line cut by a split boundary is
    the previous split's tail plus the next one's head, classified here.  With a header,
    every file must start with the same header line (Spark drops the lines equal to the
    first line it reads, from whichever file that is).
    """
    flags = [0] * len(inferrer.columns)
    rows = 0
    edges = bytearray()
    for parts in per_file:
        for k, p in enumerate(parts):
            if not isinstance(p, dict) or not p["ok"]:
                return None
            if k == 0 and inferrer.header and p["first_line"] != header:
                return None
            if k > 0:
                if p["head"] is None:
                    return None
                edges += p["head"] + b"\n"
            flags = [a | b for a, b in zip(flags, p["flags"], strict=True)]
            rows += p["rows"]
            edges += p["tail"] + (b"\n" if k == len(parts) - 1 else b"")
    st = InferState(flags)
    inferrer.lines(st, bytes(edges))
    if not st.ok:
        return None
    infer = len(inferrer.inferred)
    types = [spark_type(f) for f in st.flags[:infer]]
    if any(t is None for t in types):
        return None
    quoted_empty = [bool(f & QEMPTY) for f in st.flags[:infer]]
    return Inferred(types, rows + st.rows, quoted_empty, st.flags[infer:])  # type: ignore[arg-type]


# The cell classes Spark's CSV parser reads as each declared type, every one of them: ``toInt``,
# ``toLong``, ``toDouble`` (``toFloat``) and ``toBoolean`` of the cell (nullValue: null).
_FITS = {
    "int": INT, "bigint": INT | LONG, "double": INT | LONG | DBL, "float": INT | LONG | DBL, "boolean": BOOL,
}  # fmt: skip


def declared_fits(sql: str, flags: int) -> bool:
    """Spark's CSV parser reads every cell of these classes as a ``sql`` value (no corrupt row).

    Types without an entry here (dates, timestamps, decimals, short integers) are not checked.
    A quoted empty cell (with a null marker set) is read as ``""``: not a number or a boolean.
    """
    allowed = _FITS.get(sql)
    return allowed is not None and not flags & ~allowed
