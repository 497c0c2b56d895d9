"""CSV/TSV: the reading contract, the executor-side record reader, the header.

The contract (RFC 4180, strict but fair):

* A record is one physical line, or several when a quoted field holds line breaks.  LF,
  CR LF and bare CR all end a line, mixed in one file too; inside a quoted field they are
  kept exactly as written.  The header is read by the same rules.  A UTF-8 BOM is dropped.
  Blank (or whitespace-only) lines are not records.  A quote inside an unquoted field is a
  literal character (as Spark reads it); quoted values (``"42"``) are values like any other.
* ``N fields, expected M``: a record with the wrong number of fields.
* ``unterminated quote``: a record spanning several lines that is not a valid record: its
  quoted field is never closed, or its closing quote is followed by text, or it has the wrong
  number of fields, or it runs over ``max_record_lines`` (10,000) lines.  Only the record's
  **first physical line** is quarantined; reading resynchronises at the next line, so the
  rows after a stray quote are read as they are (never swallowed).
* ``text after a closing quote``: ``"ab"c`` within one line.
* ``repeated header``: a record equal to the header, anywhere after the first line.
* ``not valid <encoding> text``: a record with bytes the encoding cannot decode.
* Declared types and date/timestamp formats are checked by Spark afterwards
  (:mod:`sparkwing.lake._quarantine`): ``amount: 'abc' is not a double``,
  ``day: '2021-13-40' is not a valid date (yyyy-MM-dd)``.

Every quarantined record carries its physical line number and its raw text, exactly as in the
file (without the final line break).

>>> header_names(b'"a","b",b\\r1,2,3\\r', delimiter=",", quote='"', encoding="utf-8")
['a', 'b', 'b_2']
"""

from __future__ import annotations

import csv
import io
import json
import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from itertools import accumulate
from typing import TYPE_CHECKING, Any

from sparkwing.config import SourceSpec
from sparkwing.errors import SourceError
from sparkwing.lake._csv_infer import Inferred, Inferrer, declared_fits, line_pattern, merge
from sparkwing.lake._csv_multiline import CellKinds, prove_split, prove_splits
from sparkwing.lake._lines import (
    BATCH_RECORDS,
    FILE,
    LINE,
    REASON,
    RESYNC,
    SPLIT_BYTES,
    Block,
    LineFormat,
    LineReader,
    Probe,
    Split,
    fold_guessed,
    parse_aligned,
    parse_splits,
    plan_splits,
    scan_splits,
    stops_of,
)
from sparkwing.lake._quarantine import (
    BAD,
    MALFORMED,
    Persisted,
    Settled,
    cast_reason_key,
    cast_sql,
    q,
    settle,
    spark_type,
    sql_str,
    uncompressed_cache,
)
from sparkwing.lake._uri import SourceFile, read_head

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

_SPLIT = "_sw_split"  # corrupt column of the re-split of a bad line


def delimiter_for(spec: SourceSpec, fmt: str) -> str:
    return spec.delimiter or ("\t" if fmt == "tsv" else ",")


def header_fields(
    head: bytes, *, delimiter: str, quote: str, escape: str = '"', encoding: str, where: str = ""
) -> list[str]:
    """The fields of the first record of a file (from its first MiB), read like every record."""
    if b"\x00" in head[:8192]:
        raise SourceError(f"{where}: looks like a binary file, not text", hint="check the format")
    try:
        "".encode(encoding)
    except LookupError:
        raise SourceError(f"{where}: unknown encoding {encoding!r}") from None
    fmt = CsvFormat(
        names=(), delimiter=delimiter, quote_char=quote, escape=escape, encoding=encoding, raw_only=True
    )
    fmt.batch_records = 1  # the first record is the whole answer: not a block of the head's
    reader = LineReader(io.BytesIO(head), 0, 1, where)
    for block in fmt.parse_records(reader, -1):
        for _line, raw, reason in block.bad:
            if reason:  # raw_only marks good records with an empty reason
                problem = "is not " + encoding + " text" if "text" in reason else f"has an {reason}"
                raise SourceError(f"{where}: the first line {problem}")
            fields = next(csv.reader([raw], **fmt.dialect()), [])
            return fields
    if len(head) >= (1 << 20):
        raise SourceError(f"{where}: no complete line in the first MiB; not a text file?")
    raise SourceError(f"{where}: empty file", hint="a CSV source needs a header line (or header: false)")


def header_names(
    head: bytes, *, delimiter: str, quote: str, escape: str = '"', encoding: str, where: str = ""
) -> list[str]:
    """Column names from the header line; blanks become ``_c<i>``, repeats get ``_2``, ``_3``."""
    fields = header_fields(
        head, delimiter=delimiter, quote=quote, escape=escape, encoding=encoding, where=where
    )
    names: list[str] = []
    for i, raw in enumerate(fields):
        name = raw.strip() or f"_c{i}"
        base, k = name, 2
        while name in names:
            name, k = f"{base}_{k}", k + 1
        names.append(name)
    if not names:
        raise SourceError(f"{where}: empty header line", hint="set header: false if there is none")
    return names


@dataclass(frozen=True)
class CsvPlan:
    """What both CSV paths need to know about a source."""

    name: str
    spec: SourceSpec
    delimiter: str
    fields: list[str]  # the header's fields (or the first record's, without a header)
    names: list[str]  # the column names of the file, in order
    declared: dict[str, str]  # declared column -> Spark SQL type
    formats: dict[str, str]  # declared date/timestamp column -> pattern

    @property
    def output(self) -> list[str]:
        """The columns of the result: the declared ones (projection), else all."""
        return list(self.declared) if self.declared else self.names

    @property
    def infer_formats(self) -> dict[str, str]:
        out = {"date": self.spec.date_format, "timestamp": self.spec.timestamp_format}
        return {k: v for k, v in out.items() if v}

    def record_format(self, **kw: Any) -> CsvFormat:
        s = self.spec
        return CsvFormat(
            names=tuple(self.names),
            delimiter=self.delimiter,
            quote_char=s.quote,
            escape=s.escape,
            nulls=frozenset(s.null_values),
            header=tuple(self.fields) if s.header else None,
            encoding=s.encoding,
            **kw,
        )


def plan_csv(name: str, spec: SourceSpec, fmt: str, head: bytes, where: str) -> CsvPlan:
    """Read the header (first record of the first file) and check the declared columns."""
    from sparkwing.lake._quarantine import sql_type

    delimiter = delimiter_for(spec, fmt)
    if spec.encoding.lower().replace("-", "").replace("_", "").startswith(("utf16", "utf32")):
        raise SourceError(
            f"source {name!r}: encoding {spec.encoding} is not supported for {fmt}",
            source=name,
            hint="convert the file to UTF-8",
        )
    try:  # file-level problems of the first record (empty, binary, undecodable) name the source
        opts = {"delimiter": delimiter, "quote": spec.quote, "escape": spec.escape, "encoding": spec.encoding}
        fields = header_fields(head, **opts, where=where)
        header = header_names(head, **opts, where=where) if spec.header else []
    except SourceError as exc:
        if exc.source is not None:
            raise
        raise SourceError(f"source {name!r}: {exc.message}", source=name, hint=exc.hint) from None
    declared = {c: sql_type(t, source=name, column=c) for c, t in spec.column_types.items()}
    if spec.header:
        names = header
    elif declared:  # no header: the declared columns name the fields, in order
        names = list(declared)
    else:
        names = [f"_c{i}" for i in range(len(fields))]
    missing = [c for c in declared if c not in names]
    if missing:
        raise SourceError(
            f"source {name!r}: declared column(s) {', '.join(missing)} not in the data "
            f"(found: {', '.join(names)[:300]})",
            source=name,
            hint="fix 'columns' or the header",
        )
    formats = {c: f for c, f in spec.column_formats.items() if c in declared}
    return CsvPlan(name, spec, delimiter, fields, names, declared, formats)


def header_line(head: bytes, spec: SourceSpec) -> bytes | None:
    """The header's bytes when it is one physical line (Spark skips exactly one), else None."""
    body = head[3:] if head.startswith(b"\xef\xbb\xbf") else head
    end = min((i for i in (body.find(b"\n"), body.find(b"\r")) if i >= 0), default=len(body))
    line = body[:end]
    if spec.quote and line.count(spec.quote.encode()) % 2:
        return None
    return line


def read_csv_spark(
    spark: SparkSession,
    plan: CsvPlan,
    paths: list[str],
    file_uri: str | None,
    types: dict[int, str] | None = None,
    failfast: bool = False,
    multiline: bool = False,
) -> tuple[DataFrame, list[tuple[str, Column, Column]]]:
    """The fast path: Spark's own CSV parser (PERMISSIVE), for files pass 1 found line-exact.

    Undeclared column types come from Spark's ``inferSchema`` pass (the same pass a
    hand-written job pays) or, when given, from ``types`` (column index -> SQL type, pass 1's
    inference by the same rules: :mod:`sparkwing.lake._csv_infer`), unless several null
    markers are set (Spark honours one): then
    every column is read as a string and typed by :func:`settle`.  A declared value that does
    not parse makes the row corrupt; the (kind, reason, condition) triples re-split such a
    line to name the column and value that failed.  ``multiline`` (with ``failfast``): a file
    pass 1b proved clean (:mod:`sparkwing.lake._csv_multiline`), read by Spark's ``multiLine``
    parser with a quoted empty cell read as null, as the record reader reads it.
    """
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    spec = plan.spec
    markers = [v for v in spec.null_values if v != ""]
    typed = len(markers) <= 1
    opts = {
        "header": str(spec.header).lower(),
        "sep": plan.delimiter,
        "quote": spec.quote,
        "escape": spec.escape,
        "encoding": spec.encoding,
        "nullValue": markers[0] if markers and typed else "",
        "mode": "PERMISSIVE",
        "columnNameOfCorruptRecord": BAD,
    }
    dates = {plan.formats[c] for c, t in plan.declared.items() if t == "date" and c in plan.formats}
    stamps = {plan.formats[c] for c, t in plan.declared.items() if t == "timestamp" and c in plan.formats}
    if dates or spec.date_format:
        opts["dateFormat"] = next(iter(dates)) if dates else spec.date_format  # type: ignore[assignment]
    if stamps or spec.timestamp_format:
        opts["timestampFormat"] = next(iter(stamps)) if stamps else spec.timestamp_format  # type: ignore[assignment]
    inferred: list[T.DataType] = []
    if typed and types is not None:
        inferred = [spark_type(types.get(i, "string")) for i in range(len(plan.names))]
    elif typed and any(n not in plan.declared for n in plan.names):
        infer_opts = {k: v for k, v in opts.items() if k not in ("mode", "columnNameOfCorruptRecord")}
        schema = spark.read.options(**infer_opts, inferSchema="true").csv(paths).schema
        inferred = [f.dataType for f in schema.fields]
    fields = []
    for i, n in enumerate(plan.names):
        if n in plan.declared:
            dtype = spark_type(plan.declared[n])
        elif typed and i < len(inferred):
            dtype = inferred[i]
        else:
            dtype = T.StringType()
        fields.append(T.StructField(n, dtype))
    if failfast:  # a proven-clean file: a malformed row (the file changed since) fails the job
        plain = {k: v for k, v in opts.items() if k not in ("columnNameOfCorruptRecord", "mode")}
        if multiline:
            plain |= {"multiLine": "true", "emptyValue": opts["nullValue"]}
        clean = spark.read.schema(T.StructType(fields)).options(**plain, mode="FAILFAST").csv(paths)
        return clean, []
    schema = T.StructType(fields + [T.StructField(BAD, T.StringType())])
    df = spark.read.schema(schema).options(**opts).csv(paths)
    file = F.lit(file_uri) if file_uri else F.input_file_name()
    nulls = [] if typed else markers
    # Every column, not only the declared ones: Spark's column pruning would skip the
    # field-count check of the columns left out.  The caller projects after settling.
    cols = [
        (F.when(F.col(q(n)).isin(nulls), F.lit(None)).otherwise(F.col(q(n))) if nulls else F.col(q(n))).alias(
            n
        )
        for n in plan.names
    ]
    df = df.select(*cols, F.col(BAD), file.alias(FILE))
    # SQL, so that try_cast can reach into the re-split struct (pyspark 3.5 has no Column.try_cast).
    split_opts = {k: v for k, v in opts.items() if k not in ("header", "columnNameOfCorruptRecord", "mode")}
    split_opts["columnNameOfCorruptRecord"] = _SPLIT
    ddl = ", ".join(f"{q(n)} STRING" for n in plan.names) + f", {_SPLIT} STRING"
    options = ", ".join(f"{sql_str(k)}, {sql_str(v)}" for k, v in split_opts.items())
    split = f"from_csv({BAD}, {sql_str(ddl)}, map({options}))"
    detail = []
    for f in fields:
        if f.name not in plan.declared or isinstance(f.dataType, T.StringType):
            continue
        sql = f.dataType.simpleString()
        fmt = plan.formats.get(f.name) or (opts.get("dateFormat") if sql == "date" else None)
        if sql == "timestamp":
            fmt = plan.formats.get(f.name) or opts.get("timestampFormat")
        value = f"{split}.{q(f.name)}"
        conv = cast_sql("_sw_v", sql, fmt).replace(q("_sw_v"), value)
        null = opts["nullValue"]
        cond = (
            f"{split}.{_SPLIT} IS NULL AND {value} IS NOT NULL AND {value} != {sql_str(null)} "
            f"AND {conv} IS NULL"
        )
        key = f"{f.name}: {cast_reason_key(sql, fmt)}"
        reason = F.concat(
            F.lit(f"{f.name}: '"),
            F.substring(F.expr(value), 1, 200),
            F.lit("' is " + cast_reason_key(sql, fmt)),
        )
        detail.append((key, reason, F.expr(cond)))
    return df, detail


class _Locate(LineFormat):
    """Physical lines whose text is one of ``wanted`` (a clean file: one record per line)."""

    def __init__(self, wanted: frozenset[str], header: bool, encoding: str) -> None:
        self.columns, self.wanted, self.skip_first, self.encoding = (), wanted, 1 if header else 0, encoding

    def parse_block(self, records: list[tuple[int, str]]) -> Block:
        return Block([], [], [(n, t, "") for n, t in records if t in self.wanted])


def locate_lines(
    spark: SparkSession, plan: CsvPlan, splits: list[Split], s3: Any, raws: set[str]
) -> list[tuple[str, int, str]]:
    """(file, line, raw) of every data line whose text is in ``raws`` (executor job)."""
    fmt = _Locate(frozenset(raws), plan.spec.header, plan.spec.encoding)
    df = parse_splits(spark, fmt, splits, s3)
    return [(r[FILE], int(r[LINE]), r[BAD]) for r in df.select(FILE, LINE, BAD).collect()]


def raw_records(
    spark: SparkSession, plan: CsvPlan, splits: list[Split], s3: Any, wanted: set[tuple[str, int]]
) -> dict[tuple[str, int], str]:
    """The raw text of the records starting at the wanted (file, line)s (executor job)."""
    files = {f for f, _ in wanted}
    fmt = plan.record_format(raw_only=True, wanted=frozenset(wanted))
    df = parse_splits(spark, fmt, [s for s in splits if s.uri in files], s3)
    rows = df.select(FILE, LINE, BAD, REASON).collect()
    return {(r[FILE], int(r[LINE])): r[BAD] for r in rows if r[REASON] != RESYNC}


def structural_reason(raw: str, plan: CsvPlan) -> str | None:
    """Why Spark rejected a line by its shape (field count), as the record reader says it."""
    fmt = plan.record_format()
    try:
        fields = next(csv.reader([raw], **fmt.dialect()), [])
    except csv.Error:
        return "malformed record"
    if len(fields) != len(plan.names):
        return f"{len(fields)} fields, expected {len(plan.names)}"
    return None


# -- the executor-side CSV reader (RFC 4180 records over physical lines) --------------------

MAX_RECORD_LINES = 10_000  # a quoted field may span at most this many physical lines
# Up to this many quarantined rows are gathered on the driver (sorted, one small file); more
# are written by Spark from the executors, so the driver's memory does not grow with them.
QUARANTINE_ON_DRIVER = 10_000
KINDS = "_sw_kinds"  # reason of the marker row with a split's cell classes (CsvFormat.kinds)
ARROW_CHUNK_BYTES = 2 << 20  # bytes per chunk on the vectorised path
# A chunk Arrow cannot read, and whose bad record the checks of ``_arrow_read`` cannot place,
# is read again in chunks of the next size, the smallest failing one by Python's csv module.
ARROW_CHUNK_SIZES = (ARROW_CHUNK_BYTES, 128 << 10, 8 << 10)
# A chunk that ends inside a quoted field takes up to this many more lines to close it; a
# quote still open after them (a stray quote, most likely) is the record reader's to read.
ODD_QUOTE_LINES = 64


class _Overlong(Exception):
    pass


@dataclass
class CsvFormat(LineFormat):
    """CSV/TSV records for :mod:`sparkwing.lake._lines`; every column a string (nulls applied).

    See the module docstring for the rules.  ``names`` are the output columns; a record must
    have exactly ``len(names)`` fields.  ``header`` (the header's fields) makes the first record
    of every file skipped and a record equal to it ``repeated header``.
    """

    names: Sequence[str] = ()
    delimiter: str = ","
    quote_char: str = '"'
    escape: str = '"'
    nulls: frozenset[str] = frozenset({""})
    header: tuple[str, ...] | None = None
    encoding: str = "utf-8"
    max_record_lines: int = MAX_RECORD_LINES
    raw_only: bool = False  # emit every record's raw text (as a "bad" row with an empty reason)
    wanted: frozenset[tuple[str, int]] | None = None  # raw_only: just these (file, line)s
    # Also classify the accepted cells of these columns (:class:`CellKinds`): each split ends
    # with a marker row (reason ``KINDS``, at the split's first line) holding, as JSON, the
    # classes seen, the number of good records and the bad ones per reason.
    kinds: CellKinds | None = None

    def __post_init__(self) -> None:
        self.columns = () if self.raw_only else tuple(self.names)
        self.types = None
        # Quote parity aligns splits only when a quote inside a field is doubled (RFC 4180).
        self.quote = self.quote_char or None
        self.splittable = not self.quote_char or self.escape == self.quote_char

    def dialect(self) -> dict[str, Any]:
        d: dict[str, Any] = {"delimiter": self.delimiter, "strict": True}
        if self.quote_char:
            d["quotechar"] = self.quote_char
            if self.escape and self.escape != self.quote_char:
                d |= {"escapechar": self.escape, "doublequote": False}
        else:
            d["quoting"] = csv.QUOTE_NONE
        return d

    def parse_block(self, records: list[tuple[int, str]]) -> Block:  # pragma: no cover - unused
        raise NotImplementedError("CSV walks lines itself (parse_records)")

    def parse_records(self, lines: LineReader, end: int) -> Iterator[Block]:
        first = lines.line
        if self._arrow_ok():
            blocks = self._mixed_records(lines, end, 0, True)
        else:
            blocks = self._python_records(lines, end)
        if self.kinds is None or self.raw_only:
            yield from blocks
            return
        import pyarrow as pa

        flags = [0] * len(self.kinds.columns)
        good, bad = 0, Counter[str]()
        for block in blocks:
            if block.lines:
                cols = [c if isinstance(c, pa.Array) else pa.array(c, pa.string()) for c in block.columns]
                self.kinds.feed(flags, cols)
                block.columns = cols
            good += len(block.lines)
            bad.update(reason for _, _, reason in block.bad)
            yield block
        summary = json.dumps([flags, good, bad])
        yield Block([[] for _ in self.columns], [], [(first, summary, KINDS)])

    def _mixed_records(self, lines: LineReader, end: int, level: int, final: bool) -> Iterator[Block]:
        """The records starting before ``end``: Arrow chunks of ``ARROW_CHUNK_SIZES[level]``
        bytes (the record reader reading the bad records in them, :meth:`_arrow_records`); a
        chunk whose bad record cannot be placed is read again in smaller chunks, and at the
        smallest size by the record reader, after which Arrow goes on.

        Every hand-over is at a record boundary of the reader that read up to it, and each
        reader starts there as at the start of a split, so the records are those one record
        reader gives; only the few bytes around a bad record go through Python's ``csv``.
        ``final``: ``end`` is the split's own end (where ``lines.stop`` must be right).
        """
        size = ARROW_CHUNK_SIZES[level]
        while True:
            if (yield from self._arrow_records(lines, end, size)):
                return
            start = lines.offset  # the chunk Arrow could not read
            soft = start + size if end < 0 else min(end, start + size)
            last = final and soft == end  # the sub-read ends the split (and sets lines.stop)
            if level + 1 < len(ARROW_CHUNK_SIZES):
                yield from self._mixed_records(lines, soft, level + 1, last)
            else:
                yield from self._python_records(lines, soft, resume=not last)
            if last:
                return
            if 0 <= end <= lines.offset:
                lines.mark_stop(lines.offset, lines.line)
                return

    # -- the vectorised path: Arrow's CSV parser on chunks proven to read exactly as below --

    def _arrow_ok(self) -> bool:
        utf8 = self.encoding.lower().replace("-", "").replace("_", "") == "utf8"
        return (
            utf8 and not self.raw_only and len(self.names) > 1 and len(self.quote_char) == 1
            and self.escape == self.quote_char and len(self.delimiter.encode()) == 1
            and self.delimiter not in (self.quote_char, "\r", "\n")
        )  # fmt: skip

    def _arrow_records(self, lines: LineReader, end: int, chunk: int) -> Generator[Block, None, bool]:
        """Chunks of whole lines read by Arrow; True when the split is done, False when a chunk
        does not qualify (then ``lines`` is back at that chunk's start for the caller).

        A record Arrow cannot read exactly is read by the record reader alone, from its first
        line (a hand-over at a record boundary, as at the start of a split), and Arrow goes on
        after it: a bad record costs that record, not its chunk.
        """
        qb = self.quote_char.encode()
        while True:
            start, number = lines.offset, lines.line
            batch: list[bytes] = []
            size = quotes = spill = 0
            while size < chunk or (quotes % 2 and spill < ODD_QUOTE_LINES):
                if len(batch) > BATCH_RECORDS:
                    break
                if quotes % 2:  # a record open at the chunk's end: a few more lines may close it
                    raw = lines.next()
                    got = [] if raw is None else [raw]
                    spill += 1
                else:
                    _, got = lines.take(end, BATCH_RECORDS + 1 - len(batch), chunk - size)
                if not got:
                    break
                piece = got[0] if len(got) == 1 else b"".join(got)
                batch += got
                size += len(piece)
                quotes += piece.count(qb)
            if not batch:
                lines.mark_stop(lines.offset, lines.line)
                return True
            data = b"".join(batch)
            read = self._arrow_read(data, start, number, lines.uri)
            if read is None:
                lines.push_back(batch, start, number)
                return False
            block, cut = read
            if block.lines or block.bad:
                yield block
            if cut < len(data):  # the record there is the record reader's
                ends = list(accumulate(map(len, batch)))
                k = bisect_left(ends, cut) + 1 if cut else 0
                if k and ends[k - 1] != cut:  # (not at a line start: not expected)
                    raise AssertionError(f"{lines.uri}: record at byte {start + cut} not at a line start")
                lines.push_back(batch[k:], start + cut, number + k)
                yield from self._python_records(lines, start + cut + 1, resume=True)

    def _arrow_chunk(self, data: bytes, first_line: int, at_start: bool) -> Block | None:
        """The chunk's records, or None unless Arrow reads all of them exactly as the record
        reader would, and the record reader would reject none (see :meth:`_arrow_read`)."""
        read = self._arrow_read(data, 0 if at_start else 1, first_line, None)
        return read[0] if read is not None and read[1] == len(data) and not read[0].bad else None

    def _arrow_read(
        self, data: bytes, offset: int, first_line: int, uri: str | None
    ) -> tuple[Block, int] | None:
        """The chunk's first records, read as the record reader would, and where the rest
        starts (``len(data)``: nothing is left; else a record for the record reader alone).

        Arrow reads a record exactly as the record reader does when every quote opens at a
        field start and closes before a delimiter, quote or line break (quote parity is then
        the RFC 4180 parse); no NUL byte; the record no longer than the csv module's field
        limit nor ``max_record_lines``; valid UTF-8; the right width; not the header again.
        The chunk is read up to the first record where one of the first five fails.  A
        one-line record of the wrong width or equal to the header is judged by the record
        reader on its own and left out of Arrow's input (a line, read alone from its start,
        is read as in sequence).  Line numbers come from the line breaks before each record.

        ``offset``: where ``data`` starts in its file.  ``uri`` None: strict (the multi-line
        proof): any such record makes the result None.
        """
        import numpy as np

        at_start = offset == 0
        bom = 3 if at_start and data.startswith(b"\xef\xbb\xbf") else 0
        body = data[bom:] if bom else data
        n = len(body)
        if not n:
            return Block([[] for _ in self.columns], []), len(data)
        arr = np.frombuffer(body, np.uint8)
        q, d = ord(self.quote_char), self.delimiter.encode()[0]
        allowed = (q, d, 10, 13)
        fault = n  # the first byte that makes its record the record reader's
        nul = body.find(b"\x00")
        if nul >= 0:
            fault = nul
        qpos = np.flatnonzero(arr == q)
        if len(qpos):
            opening, closing = qpos[0::2], qpos[1::2]
            m = len(closing)
            bad_open = (opening[:m] > 0) & ~np.isin(arr[np.maximum(opening[:m] - 1, 0)], allowed)
            bad_close = (closing < n - 1) & ~np.isin(arr[np.minimum(closing + 1, n - 1)], allowed)
            wrong = np.flatnonzero(bad_open | bad_close)
            if len(wrong):
                fault = min(fault, int(opening[wrong[0]]))
            if len(opening) > m:  # a quote still open at the chunk's end
                fault = min(fault, int(opening[-1]))
        cr = np.flatnonzero(arr == 13)
        cr = cr[(cr == n - 1) | (arr[np.minimum(cr + 1, n - 1)] != 10)]
        breaks = np.sort(np.concatenate([np.flatnonzero(arr == 10), cr]))  # last byte of each break
        outside = np.flatnonzero(np.searchsorted(qpos, breaks) % 2 == 0)  # record-ending breaks
        ends = breaks[outside]
        starts = np.concatenate([[0], ends + 1])
        first = np.concatenate([[0], outside + 1])  # breaks before each record's start
        stop = np.concatenate([ends, [n]])
        keep = (starts < n) & ~np.isin(arr[np.minimum(starts, n - 1)], (10, 13))  # (empty lines)
        starts, first, stop = starts[keep], first[keep], stop[keep]
        inner = np.searchsorted(breaks, stop) - np.searchsorted(breaks, starts)  # breaks inside
        long = np.flatnonzero((stop - starts > 131_072) | (inner >= self.max_record_lines))
        if len(long):
            fault = min(fault, int(starts[long[0]]))
        header_first = at_start and self.header is not None  # record 0 is the header

        def upto(limit: int) -> int:
            """The records before the one holding byte ``limit``."""
            return max(int(np.searchsorted(starts, limit, "right")) - 1, 0) if limit < n else len(starts)

        count = upto(fault)
        alone: list[int] = []  # one-line records the record reader judges on its own
        head = body[: starts[count]] if count < len(starts) else body
        # (Arrow decodes a left-out record's text for the handler: on bad bytes it fails loudly.)
        skipped: list[tuple[int | None, str]] | None = None if uri is None or not _utf8(head) else []
        table = self._arrow_table(head, skipped)
        if table is not None and skipped:  # Arrow left out records of the wrong width
            found = self._skipped_records(body, skipped, starts, stop, count)
            if found is None or (at_start and found[0] == 0) or (inner[found] > 0).any():
                table = None  # (the first record, or a multi-line one: placed the long way below)
            elif table.num_rows == count - len(found):
                alone = found.tolist()
        if table is None or table.num_rows != count - len(alone):
            if uri is None:
                return None
            try:  # bad text, or a record of the wrong width
                body[: starts[count] if count < len(starts) else n].decode("utf-8")
            except UnicodeDecodeError as exc:
                count = upto(exc.start)
            outer = (arr == d).nonzero()[0]
            outer = outer[(np.searchsorted(qpos, outer) % 2 == 0) & (outer >= starts[0])]  # outside quotes
            width = np.bincount(np.searchsorted(starts, outer, "right") - 1, minlength=len(starts))
            off = np.flatnonzero(width[:count] != len(self.names) - 1)
            if len(off) and off[0] == 0 and at_start:
                count = 0  # (the first record of the file is never judged alone)
            multi = off[(inner[off] > 0) & (off < count)]
            if len(multi):
                count = int(multi[0])
            alone = [int(i) for i in off if i < count]
            if header_first and count == 0:
                return None  # the header's own record: the caller's record reader reads it
            pieces, at = [], 0
            for i in alone:
                pieces.append(body[at : starts[i]])
                at = int(stop[i]) + 1
            pieces.append(body[at : starts[count] if count < len(starts) else n])
            table = self._arrow_table(b"".join(pieces))
            if table is None or table.num_rows != count - len(alone):
                return None
        elif header_first and count == 0:
            return None
        rows = np.delete(np.arange(count), alone) if alone else np.arange(count)
        if header_first:
            table, rows = table.slice(1), rows[1:]
        repeated = self._header_rows(table)
        if len(repeated):
            if uri is None:
                return None
            alone = sorted(alone + rows[repeated].tolist())
            table = table.filter(np.isin(np.arange(table.num_rows), repeated, invert=True))
            rows = np.delete(rows, repeated)
        bad: list[tuple[int, str, str]] = []
        if alone:
            if uri is None:
                return None
            for i in alone:
                lo, hi = int(starts[i]), min(int(stop[i]) + 1, n)
                alone_lines = LineReader(
                    io.BytesIO(body[lo:hi]), offset + bom + lo, first_line + int(first[i]), uri
                )
                judged = list(self._python_records(alone_lines, -1))
                if any(b.lines for b in judged):
                    return None  # (the record reader accepts it: not expected)
                bad += [x for b in judged for x in b.bad]
        cut = len(data) if count == len(starts) else (bom + int(starts[count]) if starts[count] else 0)
        return Block(self._nulled(table), (first[rows] + first_line).tolist(), bad), cut

    @staticmethod
    def _skipped_records(
        body: bytes, skipped: list[tuple[int | None, str]], starts: Any, stop: Any, count: int
    ) -> Any:
        """The indices (numpy) of the records Arrow's parse left out for their width, from its
        row numbers (1-based over the non-empty records, as ``starts``); None unless each
        record there has exactly the text Arrow reported."""
        import numpy as np

        found = np.fromiter((-1 if k is None else k - 1 for k, _ in skipped), np.int64, len(skipped))
        if (found < 0).any() or (found >= count).any() or (np.diff(found) <= 0).any():
            return None
        for i, (_, text) in zip(found.tolist(), skipped, strict=True):
            rec = body[int(starts[i]) : int(stop[i]) + 1]
            rec = rec[:-1] if rec.endswith(b"\n") else rec
            rec = rec[:-1] if rec.endswith(b"\r") else rec
            if rec != text.encode():
                return None
        return found

    def _arrow_table(self, data: bytes, skipped: list[tuple[int | None, str]] | None = None) -> Any:
        """Arrow's parse of whole records as strings, or None where it refuses them.

        ``skipped``: a record of the wrong width is left out and its (row number, text) put
        there, instead of failing the parse (the caller places and judges those records)."""
        import pyarrow as pa
        import pyarrow.csv as pcsv

        def leave_out(row: Any) -> str:
            assert skipped is not None
            skipped.append((row.number, row.text))
            return "skip"

        if not data:  # (Arrow refuses an empty file)
            return pa.table([pa.array([], pa.string()) for _ in self.names], names=list(self.names))
        nulled = self._arrow_nulls
        if data.startswith(b"\xef\xbb\xbf"):  # Arrow drops a BOM at its input's start: keep it text
            data = b"\n" + data
        try:
            return pcsv.read_csv(
                pa.py_buffer(data),
                read_options=pcsv.ReadOptions(column_names=list(self.names), use_threads=False,
                                              block_size=max(len(data) + 1, 1 << 20)),
                parse_options=pcsv.ParseOptions(delimiter=self.delimiter, quote_char=self.quote_char,
                                                double_quote=True, newlines_in_values=True,
                                                ignore_empty_lines=True,
                                                invalid_row_handler=None if skipped is None else leave_out),
                convert_options=pcsv.ConvertOptions(column_types=dict.fromkeys(self.names, pa.string()),
                                                    null_values=sorted(self.nulls) if nulled else [],
                                                    strings_can_be_null=nulled,
                                                    quoted_strings_can_be_null=True, check_utf8=True),
            )  # fmt: skip
        except (pa.ArrowInvalid, pa.ArrowException):
            return None

    def _header_rows(self, table: Any) -> Any:
        """Indices of the rows equal to the header."""
        import numpy as np
        import pyarrow.compute as pc

        if self.header is None or not table.num_rows:
            return np.zeros(0, np.int64)
        def hits(same: Any) -> Any:  # (a null cell is no header name: see _arrow_nulls)
            return pc.fill_null(same, False).to_numpy(zero_copy_only=False)

        first = np.flatnonzero(hits(pc.equal(table.column(0), self.header[0])))
        if not len(first):  # (the usual chunk: one comparison, not one per column)
            return first
        rows = table.take(first)
        same = pc.equal(rows.column(0), self.header[0])
        for i, h in enumerate(self.header[1:], 1):
            same = pc.and_(same, pc.equal(rows.column(i), h))
        return first[hits(same)]

    @property
    def _arrow_nulls(self) -> bool:
        """Arrow's parse makes the null markers' cells null itself (every marker, quoted or
        not, as the record reader does), unless a header name is a marker: a repeated header
        is found by its values (:meth:`_header_rows`)."""
        return bool(self.nulls) and not (self.header is not None and self.nulls.intersection(self.header))

    def _nulled(self, table: Any) -> list[Any]:
        import pyarrow as pa
        import pyarrow.compute as pc

        cols = [table.column(i).combine_chunks() for i in range(table.num_columns)]
        if self.nulls and not self._arrow_nulls:
            marks = pa.array(sorted(self.nulls), pa.string())
            cols = [pc.if_else(pc.is_in(c, value_set=marks), pa.scalar(None, pa.string()), c) for c in cols]
        return cols

    def _python_records(self, lines: LineReader, end: int, resume: bool = False) -> Iterator[Block]:
        """The record reader, up to ``end``; ``resume``: ``end`` is not the split's, so lines
        read ahead (after a resynchronisation) go back to ``lines`` for the next reader."""
        enc, width, nulls = self.encoding, len(self.names), self.nulls
        pending: list[tuple[int, int, str]] = []  # pushed-back lines (offset, number, text), last first
        cur: list[str] = []  # the lines of the record being read
        state: dict[str, Any] = {"line": 0, "offset": 0, "badtext": False, "bom": 0}
        limit = self.max_record_lines

        def feed() -> Iterator[str]:
            while True:
                if pending:
                    offset, number, text = pending[-1]
                    if not cur and 0 <= end <= offset:
                        return
                    pending.pop()
                    try:  # a line read again after a resynchronisation keeps its bad bytes
                        text.encode(enc)
                    except UnicodeEncodeError:
                        state["badtext"] = True
                else:
                    offset, number = lines.offset, lines.line
                    if not cur and 0 <= end <= offset:
                        return
                    raw = lines.next()
                    if raw is None:
                        return
                    try:
                        text = raw.decode(enc)
                    except UnicodeDecodeError:
                        text = raw.decode(enc, "surrogateescape")
                        state["badtext"] = True
                    if offset == 0 and text.startswith("\ufeff"):
                        text = text[1:]
                        state["bom"] = len(raw) - len(text.encode(enc, "surrogateescape"))
                if not cur:
                    state["line"], state["offset"] = number, offset
                elif len(cur) >= limit:
                    pending.append((offset, number, text))
                    raise _Overlong
                cur.append(text)
                yield text

        reader = csv.reader(feed(), **self.dialect())
        skip_header = self.header is not None and lines.offset == 0
        good: list[list[str]] = []
        good_lines: list[int] = []
        bad: list[tuple[int, str, str]] = []

        def resync(reason: str) -> None:
            """Quarantine the record's first line; read its other lines again as new records."""
            first_line, first_offset = state["line"], state["offset"]
            rest = cur[1:]
            for k in range(len(rest) - 1, -1, -1):
                pending.append((-1, 0, rest[k]))
            start = first_offset + state["bom"] if first_offset == 0 else first_offset
            _renumber(pending, len(rest), first_line, start, cur[0], enc)
            bad.append((first_line, _text(_strip(cur[0])), reason))
            cur.clear()
            state["badtext"] = False

        while True:
            try:
                fields = next(reader)
            except StopIteration:
                break
            except (csv.Error, _Overlong) as exc:
                if len(cur) > 1:  # resynchronise at the record's second line
                    resync("unterminated quote")
                else:
                    bad.append((state["line"], _text(_strip("".join(cur))), _quote_reason(exc)))
                    cur.clear()
                    state["badtext"] = False
                reader = csv.reader(feed(), **self.dialect())
                continue
            if width and len(cur) > 1 and len(fields) != width:
                # A multi-line record of the wrong shape is an unterminated quote that closed
                # by chance later on: keep the lines after its first one.
                resync("unterminated quote")
                reader = csv.reader(feed(), **self.dialect())
                continue
            number = state["line"]
            if not fields or (len(cur) == 1 and not cur[0].strip()):  # blank lines are not records
                cur.clear()
                continue
            if skip_header:
                skip_header = False
                cur.clear()
                continue
            if state["badtext"]:
                bad.append((number, _text(_strip("".join(cur))), f"not valid {enc} text"))
            elif self.raw_only:
                if self.wanted is None or (lines.uri, number) in self.wanted:
                    bad.append((number, _text(_strip("".join(cur))), ""))
            elif len(fields) != width:
                bad.append((number, _text(_strip("".join(cur))), f"{len(fields)} fields, expected {width}"))
            elif self.header is not None and tuple(fields) == self.header:
                bad.append((number, _text(_strip("".join(cur))), "repeated header"))
            else:
                good.append(fields)
                good_lines.append(number)
            state["badtext"] = False
            cur.clear()
            if len(good) + len(bad) >= self.batch_records:
                yield self._csv_block(good, good_lines, bad, nulls)
                good, good_lines, bad = [], [], []
        lines.mark_stop(*(pending[-1][:2] if pending else (lines.offset, lines.line)))
        if resume and pending:
            raws = [text.encode(enc, "surrogateescape") for _, _, text in reversed(pending)]
            lines.push_back(raws, pending[-1][0], pending[-1][1])
        if good or bad:
            yield self._csv_block(good, good_lines, bad, nulls)

    def _csv_block(
        self,
        good: list[list[str]],
        good_lines: list[int],
        bad: list[tuple[int, str, str]],
        nulls: frozenset[str],
    ) -> Block:
        if self.raw_only or not good:
            return Block([[] for _ in self.columns], [], bad)
        columns = [[None if v in nulls else v for v in col] for col in zip(*good, strict=True)]
        return Block(columns, good_lines, bad)


def _utf8(data: bytes) -> bool:
    """``data`` is valid UTF-8 (an ASCII check first: no decode for most files)."""
    if data.isascii():
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _renumber(
    pending: list[tuple[int, int, str]], n: int, line: int, offset: int, head: str, enc: str
) -> None:
    """Give the ``n`` lines just pushed back (the end of ``pending``) their offsets and numbers."""
    pos = offset + len(head.encode(enc, "surrogateescape"))
    number = line + 1
    for k in range(len(pending) - 1, len(pending) - 1 - n, -1):
        _, _, text = pending[k]
        pending[k] = (pos, number, text)
        pos += len(text.encode(enc, "surrogateescape"))
        number += 1


def _strip(text: str) -> str:
    if text.endswith("\n"):
        return text[:-2] if text.endswith("\r\n") else text[:-1]
    return text[:-1] if text.endswith("\r") else text


def _text(text: str) -> str:
    """Raw text for a quarantine record (undecodable bytes shown as \\x escapes)."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _quote_reason(exc: BaseException) -> str:
    msg = str(exc)
    if isinstance(exc, _Overlong) or "unexpected end of data" in msg:
        return "unterminated quote"
    if "expected after" in msg:
        return "text after a closing quote"
    return f"malformed record ({msg})"


@dataclass
class _ProbeState:
    # Inside a quoted field now / a line break seen inside quotes, for a split that starts
    # outside (index 0) or inside (index 1) a quoted field.
    odd: list[bool] = field(default_factory=lambda: [False, True])
    quoted_break: list[bool] = field(default_factory=lambda: [False, False])
    bad_text: bool = False
    header_again: bool = False
    tail: bytes = b""  # the last bytes of the previous block (a header may straddle)
    decoder: Any = None
    mid: bool = False  # the next block is the first of a split that starts mid-file
    # A closing quote followed by text (``"a"b``), for either start state; ``open_close``: the
    # block ended on a closing quote, so the next block's first byte is checked.
    text_after: list[bool] = field(default_factory=lambda: [False, False])
    open_close: list[bool] = field(default_factory=lambda: [False, False])
    first_ok: bool | None = None  # the split's first byte may follow a closing quote
    infer: Any = None  # the pass-1 type inference (:class:`InferState`), when asked for


@dataclass
class CsvProbe(Probe):
    """Pass 1 for CSV: may Spark's line-based parser read this split exactly?

    Not when a line break lies inside quotes (multi-line records or an odd quote), when a
    closing quote is followed by text (``"a"b``: Spark would accept it), when the header line
    appears again, or when the bytes are not valid text in the encoding; then the file is read
    by :class:`CsvFormat` instead.
    """

    quote: str = '"'
    header: bytes = b""  # the header line's bytes (without its break); b"" when none
    encoding: str = "utf-8"
    delimiter: str = ","
    infer: Inferrer | None = None  # also infer the column types (Spark's rules) on the way
    # Also make pass 1b's proof (:mod:`sparkwing.lake._csv_multiline`) of a split with a line
    # break inside quotes whichever quote state it starts in: the record format and the columns.
    prove: CsvFormat | None = None
    kinds: CellKinds | None = None

    def finish(self, split: Any, s3: Any, start: int, result: dict[str, Any]) -> dict[str, Any]:
        """The proof of the split from ``start`` (its first record if it began outside quotes),
        made here, while its bytes are in the page cache and in the same executor job, when the
        file cannot be Spark's line-exact read anyway: the split holds a line break inside
        quotes for both quote states it may start in (one, for the file's first split)."""
        if self.prove is None or self.kinds is None or start < 0:
            return result
        multi = not result["no_quoted_break"][0] and (split.start == 0 or not result["no_quoted_break"][1])
        if not (multi and result["text"] and result["no_text_after_quote"][0]):
            return result
        return result | {"proof": prove_split(self.prove, split, s3, self.kinds, start)}

    def begin(self, split: Any) -> _ProbeState:
        import codecs

        state = _ProbeState()
        try:
            state.decoder = codecs.getincrementaldecoder(self.encoding)()
        except LookupError:
            state.bad_text = True
        state.tail = b"" if split.start == 0 else b"\n"  # the split starts a line or is skipped
        state.mid = split.start > 0
        if self.infer is not None:
            state.infer = self.infer.begin(state.mid)
        return state

    def feed(self, state: _ProbeState, data: bytes, first: bool) -> _ProbeState:
        if not data:
            return state
        mid, state.mid = state.mid, False
        matched = False  # every whole line after data's first line break matched the line pattern
        if state.infer is not None:
            assert self.infer is not None
            matched = self.infer.feed(state.infer, data, mid)
        if b"\x00" in data:
            state.bad_text = True
        if state.decoder is not None and not state.bad_text:
            chunk = data
            if mid and self.encoding.lower().replace("-", "").replace("_", "") == "utf8":
                chunk = chunk[:4].lstrip(bytes(range(0x80, 0xC0))) + chunk[4:]  # a split may cut a character
            try:
                state.decoder.decode(chunk)
            except UnicodeDecodeError:
                state.bad_text = True
        if self.header:
            n = len(self.header) + 1
            # An occurrence either lies in ``data`` or starts in the tail (the previous
            # window's last n bytes), so within tail + data[:n]: no copy of the block.
            for w in (state.tail + data[:n], data):
                if w.find(b"\n" + self.header) >= 0 or w.find(b"\r" + self.header) >= 0:
                    state.header_again = True
                    break
            state.tail = data[-n:] if len(data) >= n else (state.tail + data)[-n:]
        else:
            state.tail = data[-1:]
        q = ord(self.quote) if self.quote else -1
        if q < 0:
            return state
        if matched:  # (the inferrer's lines hold no CR but in a CR LF: :meth:`Inferrer.lines`)
            a, b = data.find(b"\n") + 1, data.rfind(b"\n") + 1
            if 0 < a < b:  # the quotes of the lines between are known: only the edges are read
                self._quotes(state, data[:a], q)
                self._matched_lines(state, data, a, b)
                self._quotes(state, data[b:], q)
                return state
        self._quotes(state, data, q)
        return state

    def _matched_lines(self, state: _ProbeState, data: bytes, a: int, b: int) -> None:
        """``data[a:b]``: whole lines (LF or CR LF breaks) that matched the line pattern
        (:func:`line_pattern`), after a line break.  Each holds an even number of quotes, each
        one opening a field, or closing it before a delimiter or the break, or doubled inside
        it.  So for the start state outside a quoted field here nothing changes; for the
        other (inside), every break is inside quotes, and a quote "closes" with text after it
        where any quote is followed by another byte than a quote, the delimiter or a break
        (the first content byte of a quoted field, or the one after a doubled quote)."""
        inside = 0 if state.odd[0] else 1  # (the two states differ by one quote: one is inside)
        state.quoted_break[inside] = True
        if not state.text_after[inside]:
            state.text_after[inside] = self._text_after.search(data, a, b) is not None
        state.open_close[0] = state.open_close[1] = False

    @cached_property
    def _text_after(self) -> re.Pattern[bytes]:
        q, d = (re.escape(c.encode(self.encoding, "ignore")) for c in (self.quote, self.delimiter))
        return re.compile(q + b"[^" + q + d + b"\r\n]")

    def _quotes(self, state: _ProbeState, data: bytes, q: int) -> None:
        """Quote parity, breaks inside quotes and text after closing quotes, over ``data``."""
        import numpy as np

        if not data:
            return
        arr = np.frombuffer(data, np.uint8)
        quotes = np.flatnonzero(arr == q)
        self._closing(state, arr, quotes, q)
        has_cr = b"\r" in data  # (``in`` is a memchr; ``count`` walks every byte)
        has_break = has_cr or b"\n" in data
        pending = [k for k in (0, 1) if not state.quoted_break[k]]
        if len(quotes) and has_break and pending:
            breaks = np.flatnonzero((arr == 10) | (arr == 13)) if has_cr else np.flatnonzero(arr == 10)
            # Quotes before each break, odd or not (for a split that starts outside quotes):
            # starting inside flips it, so one search serves both states.
            odd_before = (np.searchsorted(quotes, breaks) & 1).astype(bool)
            for k in pending:
                inside = ~odd_before if state.odd[k] else odd_before
                state.quoted_break[k] = bool(inside.any())
        elif not len(quotes):
            for k in (0, 1):
                state.quoted_break[k] = state.quoted_break[k] or (state.odd[k] and has_break)
        for k in (0, 1):
            state.odd[k] = (len(quotes) + (1 if state.odd[k] else 0)) % 2 == 1

    def _closing(self, state: _ProbeState, arr: Any, quotes: Any, q: int) -> None:
        """Flag a closing quote (by parity) followed by anything but a quote, delimiter or break."""
        sep = self.delimiter.encode(self.encoding, "ignore")
        d = sep[0] if len(sep) == 1 else -1  # a multi-byte delimiter: any text after a quote flags

        def bad(b: Any) -> Any:
            return ~((b == q) | (b == d) | (b == 10) | (b == 13))

        if state.first_ok is None:
            state.first_ok = not bool(bad(arr[:1]).any())
        for k in (0, 1):
            if state.open_close[k]:
                state.open_close[k] = False
                state.text_after[k] = state.text_after[k] or bool(bad(arr[:1]).any())
        pending = [k for k in (0, 1) if not state.text_after[k]]
        if not len(quotes) or not pending:
            return
        # The byte after every quote, judged once; a state's closing quotes are every second
        # one (the 2nd, 4th, ... starting outside a quoted field, the 1st, 3rd, ... inside).
        last_in = quotes[-1] + 1 < len(arr)
        follow = bad(arr[quotes[:-1] + 1 if not last_in else quotes + 1])
        for k in pending:
            first = 0 if state.odd[k] else 1  # index of the state's first closing quote
            state.text_after[k] = bool(follow[first::2].any())
            # The last quote is a closing one for this state and ends the block.
            state.open_close[k] = not last_in and (len(quotes) - 1 - first) % 2 == 0

    def end(self, state: _ProbeState) -> dict[str, Any]:
        infer = None
        if state.infer is not None:
            assert self.infer is not None
            infer = self.infer.end(state.infer)
        return {
            "infer": infer,
            "text": not (state.bad_text or state.header_again),
            "no_quoted_break": [not b for b in state.quoted_break],
            "no_text_after_quote": [not a for a in state.text_after],
            # A split ending on a closing quote: the next split's first byte decides.
            "ends_on_close": list(state.open_close),
            "first_ok": state.first_ok is not False,
            "ends_inside": list(state.odd),
        }


def spark_can_parse(splits: Sequence[Split]) -> bool:
    """True when pass 1 found every split line-exact for Spark's line-based CSV parser."""
    after_close = False  # the previous split of the file ended on a closing quote
    for s in splits:
        parts = s.probe if isinstance(s.probe, list) else [s.probe]  # a folded file: its splits
        k = 1 if s.in_quote else 0
        after_close = after_close and s.start > 0
        for p in parts:
            if not isinstance(p, dict) or not p["text"] or not p["no_quoted_break"][k]:
                return False
            if not p["no_text_after_quote"][k] or (after_close and not p["first_ok"]):
                return False
            after_close = p["ends_on_close"][k]
            k = 1 if p["ends_inside"][k] else 0
        if s.end < 0 and k:
            return False
    return True


# -- the read: pass 1, then Spark's parser or the record reader -----------------------------


def read_csv(
    spark: SparkSession,
    name: str,
    spec: SourceSpec,
    fmt: str,
    files: list[SourceFile],
    s3: Any,
    spark_paths: Callable[[], list[str]],
) -> Settled:
    """Read CSV/TSV files: counts, typed accepted rows and the quarantine records.

    Pass 1 (executors) counts lines and checks each file; when every file is line-exact for
    Spark's parser (no line break inside quotes, no odd quote, no repeated header, valid
    text, at most one null marker) Spark parses it (the fast path) and the few rejected lines
    are then found by their text to get their line numbers.  Otherwise :class:`CsvFormat`
    parses the splits on the executors.  The result's ``records`` hold the quarantine.
    """
    head = read_head(files[0], s3)
    plan = plan_csv(name, spec, fmt, head, files[0].uri)
    rec = plan.record_format()
    splits = plan_splits(files, SPLIT_BYTES if rec.splittable else 1 << 62)
    hdr = header_line(head, spec) if spec.header else b""
    markers = [v for v in spec.null_values if v != ""]
    inferrer = pass1_inferrer(spark, plan, markers) if hdr is not None else None
    probe = CsvProbe(spec.quote, hdr or b"", spec.encoding, plan.delimiter, inferrer)
    if _may_prove(plan, rec, markers, []):  # pass 1 also proves the multi-line splits
        probe = replace(probe, prove=rec, kinds=_kinds(plan))
    checked = scan_splits(spark, splits, s3, rec.quote if rec.splittable else None, probe)
    # The record reader checks where each split begins; the other readers trust it, so for
    # them a file with a split placed against the quote parity is one split.
    splits = fold_guessed(checked)
    dates = {f for c, f in plan.formats.items() if plan.declared[c] == "date"}
    stamps = {f for c, f in plan.formats.items() if plan.declared[c] == "timestamp"}
    bom = head.startswith("\ufeff".encode(spec.encoding, "ignore") or b"\xef\xbb\xbf")
    fast = (
        not (bom and not spec.header)  # Spark would keep the BOM in the first value
        and rec.splittable
        and hdr is not None
        and len(markers) <= 1
        and len(dates) <= 1
        and len(stamps) <= 1
        and spark_can_parse(splits)
    )
    if fast:
        found = pass1_types(inferrer, splits, hdr) if inferrer is not None else None
        file_uri = files[0].uri if len(files) == 1 else None
        if found is not None and _proven_clean(plan, found):
            return _read_clean(spark, plan, spark_paths(), file_uri, found)
        types = None if found is None else dict(zip(found[0].inferred, found[1].types, strict=True))
        settled = _read_fast(spark, plan, splits, s3, spark_paths(), file_uri, types)
        if settled is not None:
            return settled
    elif _may_prove(plan, rec, markers, splits):
        settled = _read_multiline(spark, plan, rec, splits, s3, spark_paths, files)
        if settled is not None:
            return settled
    return _read_records(spark, plan, rec, checked, s3)


def _may_prove(plan: CsvPlan, rec: CsvFormat, markers: list[str], splits: Sequence[Split]) -> bool:
    """Pass 1b may prove this file clean for Spark's ``multiLine`` parser (see
    :mod:`sparkwing.lake._csv_multiline`): options it reads the same way, and pass 1 saw valid
    text, no repeated header and no text after a closing quote."""
    spec = plan.spec
    if not (
        rec.splittable
        and rec._arrow_ok()
        and "" in spec.null_values
        and len(markers) <= 1
        and not (spec.date_format or spec.timestamp_format or plan.formats)
        and all(t == "string" for t in plan.declared.values())
        and len(plan.names) < 20_480  # Spark's parser fails on more columns (maxColumns)
    ):
        return False
    for s in splits:
        parts = s.probe if isinstance(s.probe, list) else [s.probe]
        k = 1 if s.in_quote else 0
        for p in parts:
            if not isinstance(p, dict) or not p["text"] or not p["no_text_after_quote"][k]:
                return False
            k = 1 if p["ends_inside"][k] else 0
    return True


def _read_multiline(
    spark: SparkSession,
    plan: CsvPlan,
    rec: CsvFormat,
    splits: list[Split],
    s3: Any,
    spark_paths: Callable[[], list[str]],
    files: list[SourceFile],
) -> Settled | None:
    """A multi-line file pass 1b proved clean: Spark's ``multiLine`` parse, lazy, pass 1b's types.

    The same result as :func:`_read_records` (every record accepted, the record reader's
    types and values) without its cache, count and type aggregate; ``FAILFAST`` as in
    :func:`_read_clean`.  None when the proof fails (then the record reader reads the file).
    """
    infer = [c for c in plan.output if c not in plan.declared]
    proof = prove_splits(spark, rec, splits, s3, _kinds(plan))
    if proof is None:
        return None
    rows, found = proof
    inferred = dict(zip(infer, found, strict=True))
    types = {i: inferred.get(n, "string") for i, n in enumerate(plan.names)}
    file_uri = files[0].uri if len(files) == 1 else None
    df, _detail = read_csv_spark(spark, plan, spark_paths(), file_uri, types, failfast=True, multiline=True)
    df = df.select(*[q(c) for c in plan.output])
    return Settled(df, df, rows, 0, {}, dict(plan.declared) | inferred, None, [])


def _kinds(plan: CsvPlan) -> CellKinds:
    """The cells pass 1b classifies: the inferred columns of the output."""
    return CellKinds(tuple(plan.names.index(c) for c in plan.output if c not in plan.declared))


def pass1_inferrer(spark: SparkSession, plan: CsvPlan, markers: list[str]) -> Inferrer | None:
    """The pass-1 type inference for the fast path, when it can give Spark's exact answer; it
    also classifies the cells of the declared number and boolean columns (:func:`_proven_clean`).

    Not with a date or timestamp pattern (they make more text parse as a date), several null
    markers (no inference at all), another escape than the quote, a non-UTF-8 encoding, a
    multi-character delimiter, the ``LEGACY`` time parser or negative decimal scales
    (:mod:`sparkwing.lake._csv_infer` assumes neither); then Spark's ``inferSchema`` runs.
    """
    spec = plan.spec
    undeclared = tuple(i for i, n in enumerate(plan.names) if n not in plan.declared)
    checked = tuple(i for i, n in enumerate(plan.names) if declared_fits(plan.declared.get(n, ""), 0))
    conf = spark.conf
    if (
        not (undeclared or checked)
        or len(markers) > 1
        or spec.date_format
        or spec.timestamp_format
        or any(plan.declared[c] in ("date", "timestamp") for c in plan.formats)
        or spec.escape != spec.quote
        or len(spec.quote) != 1
        or len(plan.delimiter) != 1
        or spec.encoding.lower().replace("-", "").replace("_", "") != "utf8"
        or str(conf.get("spark.sql.legacy.timeParserPolicy", "EXCEPTION")).upper() == "LEGACY"
        or str(conf.get("spark.sql.legacy.allowNegativeScaleOfDecimal", "false")).lower() == "true"
    ):
        return None
    null = markers[0] if markers else ""
    columns = undeclared + checked
    line = line_pattern([plan.declared.get(n) for n in plan.names], columns, plan.delimiter, spec.quote, null)
    return Inferrer(
        len(plan.names), columns, plan.delimiter, spec.quote, null, spec.header, len(checked),
        *(line or (None, ())),
    )  # fmt: skip


def pass1_types(
    inferrer: Inferrer, splits: Sequence[Split], header: bytes | None
) -> tuple[Inferrer, Inferred] | None:
    """Pass 1's inference from the splits' summaries; None when Spark must infer."""
    per_file: dict[str, list[Any]] = {}
    for s in splits:
        parts = s.probe if isinstance(s.probe, list) else [s.probe]
        per_file.setdefault(s.uri, []).extend(p.get("infer") if isinstance(p, dict) else None for p in parts)
    found = merge(inferrer, list(per_file.values()), header)
    return None if found is None else (inferrer, found)


def _proven_clean(plan: CsvPlan, found: tuple[Inferrer, Inferred]) -> bool:
    """Pass 1 proved that Spark's parse of these files can reject no row.

    It parsed every line (Arrow, the same tokens as Spark's parser on a line-exact file:
    :class:`CsvProbe`) with exactly the header's field count, every cell of an inferred
    column is of that column's type, and every cell of a declared number or boolean column is
    one Spark's parser reads as that type (:func:`declared_fits`).  Not when another type is
    declared (a date, a decimal: its cells are checked by Spark's parse), when a quoted empty
    cell sits in a non-string column with a null marker set (Spark reads it as ``""``, which
    does not cast), or with one column (a whitespace-only line is no record for Spark, a
    value for Arrow).
    """
    inferrer, inferred = found
    if len(plan.names) < 2:
        return False
    checked = dict(zip(inferrer.declared, inferred.checked, strict=True))
    for name, sql in plan.declared.items():
        k = plan.names.index(name)
        if sql != "string" and not (k in checked and declared_fits(sql, checked[k])):
            return False
    return not any(e and t != "string" for t, e in zip(inferred.types, inferred.quoted_empty, strict=True))


def _read_clean(
    spark: SparkSession,
    plan: CsvPlan,
    paths: list[str],
    file_uri: str | None,
    found: tuple[Inferrer, Inferred],
) -> Settled:
    """A file pass 1 proved clean: Spark's parse with pass 1's types, neither cached nor counted.

    The counts are pass 1's (no row is quarantined), so no Spark job runs here: the frame is
    parsed once, by the step that uses it (as a hand-written ``spark.read.csv`` would be).
    Spark's column pruning cannot hide a malformed row: there is none.  The read is
    ``FAILFAST``, so a file changed after pass 1 fails the step that reads it (for the columns
    it reads) rather than passing a bad row as nulls.
    """
    inferrer, inferred = found
    types = dict(zip(inferrer.inferred, inferred.types, strict=True))
    df, _detail = read_csv_spark(spark, plan, paths, file_uri, types, failfast=True)
    df = df.select(*[q(c) for c in plan.output])
    return Settled(df, df, inferred.rows, 0, {}, {}, None, [])


def _read_fast(
    spark: SparkSession,
    plan: CsvPlan,
    splits: list[Split],
    s3: Any,
    paths: list[str],
    file_uri: str | None,
    types: dict[int, str] | None = None,
) -> Settled | None:
    df, detail = read_csv_spark(spark, plan, paths, file_uri, types)
    settled = settle(df, source=plan.name, declared={}, infer=[], delimiter=plan.delimiter, bad_detail=detail)
    settled.df = settled.df.select(*[q(c) for c in plan.output])
    if not settled.rows_quarantined:
        settled.records = []
        return settled
    assert settled.bad is not None
    if settled.rows_quarantined > QUARANTINE_ON_DRIVER:  # the record reader writes them from the executors
        settled.cached.unpersist()
        return None
    groups = settled.bad.groupBy("raw", "reason", "_kind").count().collect()
    reason_of = {g["raw"]: (g["reason"], g["_kind"]) for g in groups}
    located = locate_lines(spark, plan, splits, s3, set(reason_of))
    if len(located) != settled.rows_quarantined:  # cannot pair lines exactly: read the records
        settled.cached.unpersist()
        return None
    records, reasons = [], Counter[str]()
    for file, line, raw in sorted(located):
        reason, kind = reason_of[raw]
        if kind == MALFORMED:
            reason = kind = structural_reason(raw, plan) or MALFORMED
        if kind == MALFORMED:  # Spark's parser refused a cell that Spark's cast takes (a
            settled.cached.unpersist()  # boolean '1', an int ' 12'): the record reader reads
            return None  # the file, so the outcome is the one every other path gives
        records.append({"source": plan.name, "file": file, "line": line, "reason": reason, "raw": raw})
        reasons[kind] += 1
    settled.bad, settled.records, settled.reasons = None, records, dict(reasons)
    return settled


def _read_records(
    spark: SparkSession, plan: CsvPlan, rec: CsvFormat, splits: list[Split], s3: Any
) -> Settled:
    declared = plan.declared
    infer = [c for c in plan.output if c not in declared]
    if not plan.infer_formats:  # (a date pattern makes more text a date)
        # The executors classify the cells as they parse (vectorised) and count the records;
        # the driver ORs the classes: settle ranks (SQL regexes over every value) only the
        # columns left undecided, and with nothing to rank or cast runs no aggregate.
        rec = replace(rec, kinds=CellKinds(tuple(plan.names.index(c) for c in infer)))
    df, persisted, splits, known, counted = _parse_aligned(spark, plan, rec, splits, s3)
    settled = settle(
        df,
        source=plan.name,
        declared=declared,
        infer=infer,
        formats=plan.formats,
        infer_formats=plan.infer_formats,
        raw_as="none",
        persisted=persisted,
        known=known,
        counted=counted,
    )
    records: list[dict[str, Any]] = []
    if settled.bad is not None and settled.rows_quarantined > QUARANTINE_ON_DRIVER:
        settled.bad = _bad_with_raw(spark, plan, splits, s3, settled.bad)
        return settled
    if settled.bad is not None:
        rows = settled.bad.select("file", "line", "reason", "raw").collect()
        wanted = {(r["file"], int(r["line"])) for r in rows if r["raw"] is None}
        raws = raw_records(spark, plan, splits, s3, wanted) if wanted else {}
        for r in sorted(rows, key=lambda r: (r["file"], r["line"])):
            raw = r["raw"] if r["raw"] is not None else raws.get((r["file"], int(r["line"])), "")
            records.append(
                {
                    "source": plan.name,
                    "file": r["file"],
                    "line": int(r["line"]),
                    "reason": r["reason"],
                    "raw": raw,
                }
            )
    settled.bad, settled.records = None, records
    return settled


def _parse_aligned(
    spark: SparkSession, plan: CsvPlan, rec: CsvFormat, splits: list[Split], s3: Any
) -> tuple[DataFrame, Persisted, list[Split], dict[str, str], tuple[int, dict[str, int]] | None]:
    """The record reader's rows of every split, persisted, the plan they were read by, the
    types of the inferred columns its cell classes decide (``rec.kinds``; the others are
    ranked by :func:`~sparkwing.lake._quarantine.settle`) and the rows and bad rows per reason
    the splits counted (None without ``rec.kinds``).

    A split whose records did not end where the next split's first record was placed (a
    stray quote upsets the quote parity that placed it) leaves a marker row; the plan is
    then repaired and only the new splits are parsed, usually a few records each
    (:func:`~sparkwing.lake._lines.parse_aligned`).
    """
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    cols = [*[q(c) for c in plan.output], LINE, BAD, REASON, FILE]
    not_marker = F.col(REASON).isNull() | ~F.col(REASON).isin(RESYNC, KINDS)
    rounds: list[tuple[DataFrame, list[Column]]] = []  # (persisted parse, filters of its rows)
    summaries: list[tuple[str, int, Any]] = []  # (file, line, [classes, good, bad]) per split parsed

    def parse(todo: list[Split]) -> dict[int, tuple[int, int]]:
        with uncompressed_cache(spark):  # persist copies the setting; the first action builds
            cached = parse_splits(spark, rec, todo, s3).select(*cols).persist(StorageLevel.MEMORY_AND_DISK)
            marks = cached.filter(F.col(REASON).isin(RESYNC, KINDS)).select(FILE, LINE, BAD, REASON).collect()
        rounds.append((cached, [not_marker]))
        summaries.extend((m[FILE], m[LINE], json.loads(m[BAD])) for m in marks if m[REASON] == KINDS)
        return stops_of((m[LINE], m[BAD]) for m in marks if m[REASON] == RESYNC)

    def drop(uri: str, lo: int, hi: int) -> None:
        rows = (F.col(FILE) == uri) & (F.col(LINE) >= lo)
        cond = ~(rows & (F.col(LINE) < hi)) if hi >= 0 else ~rows
        for _, filters in rounds:
            filters.append(cond)
        summaries[:] = [m for m in summaries if not (m[0] == uri and m[1] >= lo and (hi < 0 or m[1] < hi))]

    splits, clean = parse_aligned(splits, parse, drop)
    if not clean:
        for frame, _ in rounds:
            frame.unpersist()
        rounds.clear()
        summaries.clear()
        parse(splits)
    parts = []
    for frame, filters in rounds:
        cond = filters[0]
        for f in filters[1:]:
            cond = cond & f
        parts.append(frame.filter(cond))
    df = parts[0]
    for part in parts[1:]:
        df = df.union(part)
    known: dict[str, str] = {}
    counted = None
    if rec.kinds is not None:
        for k, c in enumerate(plan.names[i] for i in rec.kinds.columns):
            flags = 0
            for _, _, (found, _, _) in summaries:
                flags |= found[k]
            if (t := CellKinds.type_of(flags)) is not None:
                known[c] = t
        reasons = Counter[str]()
        for _, _, (_, _, bad) in summaries:
            reasons.update(bad)
        counted = (sum(good for _, _, (_, good, _) in summaries) + reasons.total(), dict(reasons))
    return df, Persisted([frame for frame, _ in rounds]), splits, known, counted


def _bad_with_raw(
    spark: SparkSession, plan: CsvPlan, splits: list[Split], s3: Any, bad: DataFrame
) -> DataFrame:
    """The quarantine rows with the raw text of cast failures joined in on the executors.

    A row quarantined for a cast carries no raw text (the parse keeps strings only): the
    records starting at those lines are read again (``raw_only``) and joined by (file, line),
    so no bad row passes through the driver.
    """
    from pyspark.sql import functions as F

    raws = (
        parse_splits(spark, plan.record_format(raw_only=True), splits, s3)
        .filter(F.col(REASON) != RESYNC)
        .select(F.col(FILE).alias("file"), F.col(LINE).alias("line"), F.col(BAD).alias("_raw"))
    )
    cols = ["source", "file", "line", "reason", "raw", "_kind"]
    missing = bad.filter(F.col("raw").isNull()).join(raws, ["file", "line"], "left")
    filled = missing.select(*[F.coalesce("_raw", F.lit("")).alias("raw") if c == "raw" else c for c in cols])
    return bad.filter(F.col("raw").isNotNull()).select(*cols).unionByName(filled)
