"""JSON lines, SVMLight and ARFF read on the executors, through the byte-range splits of ``_lines``.

The driver never holds rows: it reads at most a bounded head of each ARFF file (the header)
and small per-split summaries.  Passes over the data, each a Spark job over the splits:

* ``_lines`` pass 1 (line breaks per split; skipped when every file is a single split);
* JSON without ``columns``: the kinds of every key (:class:`~sparkwing.lake._json.KeyKinds`),
  from which the driver infers the schema -- the same extra pass Spark's own JSON reader pays
  (in the same job as pass 1).  When it proves every record clean (:attr:`KeyKinds.clean`)
  the parse pass is neither cached nor counted: it runs once, in the step that uses the data,
  and it is Spark's own JSON reader when the pass also proves that reader reads every value
  alike (:attr:`KeyKinds.plain`, :func:`~sparkwing.lake._json.spark_alike`);
* JSON with ``columns``: the check pass (:class:`~sparkwing.lake._json.JsonCheck`: records,
  whether any would be quarantined, the extra keys), in the same job as pass 1; a clean file
  is then read as a clean undeclared one;
* SVMLight (unless ``zero_based: true`` with ``n_features``): the survey, the largest index,
  how many rows hold index 0 and whether every line is plain
  (:class:`~sparkwing.lake._svmlight.SvmlightStats`).  A plain one-based file is then read by
  Spark's own libsvm reader, neither cached nor counted (:meth:`SvmlightStats.clean_for`);
* the parse pass: typed Arrow batches (good rows, and bad ones with line, raw text, reason)
  into a MEMORY_AND_DISK cache; one aggregate over it counts rows, bad rows and extra keys.
  SVMLight caches one sparse ML vector a row and expands it into ``f1..fn`` after the cache
  (``layout: vector`` keeps it, as ``features``).

>>> reason_kind("amount: 2.5 is not an int")
'amount: not an int'
"""

from __future__ import annotations

import codecs
import pickle
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from sparkwing.config import S3Settings, SourceSpec
from sparkwing.errors import SourceError
from sparkwing.lake import _json_shape
from sparkwing.lake._arff import ArffHeader, ArffReader, parse_arff_header
from sparkwing.lake._json import (
    OTHER_KEYS,
    JsonCheck,
    JsonColumn,
    JsonOptions,
    JsonReader,
    KeyKinds,
    arrow_type,
    infer_types,
    merge_extra_keys,
    spark_alike,
)
from sparkwing.lake._lines import (
    LINE,
    REASON,
    SPLIT_BYTES,
    Block,
    LineFormat,
    LineReader,
    RawBlock,
    Split,
    parse_splits,
    plan_splits,
    scan_and_parse,
    scan_splits,
)
from sparkwing.lake._quarantine import BAD, FILE, Settled, uncompressed_cache
from sparkwing.lake._svmlight import (
    MAX_INFERRED_WIDTH,
    SvmlightReader,
    SvmlightStats,
    ZeroBased,
    decide_zero_based,
    feature_names,
    inferred_width,
    vector_arrow_type,
)
from sparkwing.lake._uri import SourceFile, read_head

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame, SparkSession

EXTRA = "_sw_extra"  # JSON: the undeclared-key counts of a block, on its first row
MAX_REASONS = 100  # distinct reasons kept in the run record; the rest are summed
OTHER_REASONS = "(other reasons)"
FEATURES = "_sw_features"  # SVMLight: the sparse vector column of the parse pass
VECTOR = "features"  # SVMLight, layout: vector: the result's vector column (Spark's name)
SVM_BATCH_LINES, SVM_BATCH_BYTES = 16_384, 2 << 20  # SVMLight: lines per vectorised parse
ARFF_HEAD_BYTES = 16 << 20  # an ARFF header must end within the first 16 MiB of its file
_DECIMAL = re.compile(r"^decimal\((\d+),(\d+)\)$")
# A record's reason names the value (``id: 2.5 is not an int``, ``x: 'zz' is not a number``,
# ``feature index repeated (got 2)``); the run record counts its kind, without the value
# (``id: not an int``), as the CSV reader does.  One pattern, used by Spark SQL and Python.
_VALUE_REASON = (
    r"^(.+?): (?:'.*'|\".*\"|an object|an array|\S+) (?:is )?"
    r"((?:not an? |out of range for |does not fit |not in the nominal domain).*)$"
)
_GOT_DETAIL = r" \(got .*\)$"


def reason_kind(reason: str) -> str:
    """The run-record kind of a quarantine reason: the reason without the value it names.

    >>> reason_kind("id: 2.5 is not an int"), reason_kind("feature index repeated (got 2)")
    ('id: not an int', 'feature index repeated')
    """
    kind = re.sub(_VALUE_REASON, r"\1: \2", reason)
    return re.sub(_GOT_DETAIL, "", kind)


@dataclass
class FormatNotes:
    """What a read decided or saw beyond counts; the pipeline stores it in the step details."""

    extra_keys: dict[str, int] = field(default_factory=dict)
    zero_based: ZeroBased | None = None


# --- the formats as _lines sees them ---------------------------------------------------------


class _Lazy(LineFormat):
    """A format whose executor-side helpers are built on first use, not pickled."""

    _cache: Any = None

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_cache"}


class JsonLines(_Lazy):
    """``failfast``: the inference pass proved every record clean (:attr:`KeyKinds.clean`), so
    a bad record means the file changed since: the task fails rather than drop or quarantine it."""

    def __init__(self, reader: JsonReader, encoding: str, failfast: bool = False) -> None:
        self.reader, self.encoding, self.failfast = reader, encoding, failfast
        # The extra keys ride along as a column of notes, unless a first pass counted them.
        self.notes = reader.declared and not failfast
        self.internal = not failfast  # fail-fast: no row is quarantined, the data columns only
        self.columns = [c.name for c in reader.columns] + ([EXTRA] if self.notes else [])
        self.types = [arrow_type(c.sql) for c in reader.columns] + ([_string()] if self.notes else [])

    def parse_block(self, records: list[tuple[int, str]]) -> Block:
        if self._cache is None:
            self._cache = self.reader.converters()
        block = self.reader.parse(records, self._cache)
        columns = list(block.columns.values())
        if self.notes:
            note = orjson.dumps(block.extra_keys).decode() if block.extra_keys else None
            columns.append([note] + [None] * (len(block.lines) - 1) if block.lines else [])
        return Block(columns, block.lines, block.bad)

    def parse_records(self, lines: LineReader, end: int) -> Iterator[Block]:
        for block in super().parse_records(lines, end):
            if self.failfast and block.bad:
                line, _, reason = min(block.bad)
                raise SourceError(
                    f"{lines.uri}: line {line} changed since the read's first pass ({reason}); read it again"
                )
            yield block


class _Summary(_Lazy):
    """A pass that returns one pickled summary per split instead of rows."""

    columns = ("summary",)

    def __init__(self, encoding: str) -> None:
        import pyarrow as pa

        self.encoding = encoding
        self.types = [pa.binary()]

    def summarise(self, records: list[tuple[int, str]]) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def merge(self, a: Any, b: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def undecodable(self, n: int) -> Any:
        """A summary part for ``n`` undecodable lines (None: the summary does not count them)."""
        return None

    def parse_block(self, records: list[tuple[int, str]]) -> Block:
        return Block([[pickle.dumps(self.summarise(records))]], [records[0][0] if records else 0])

    def parse_records(self, lines: LineReader, end: int) -> Iterator[Block]:
        total = None
        for block in super().parse_records(lines, end):
            parts = [pickle.loads(blob) for blob in block.columns[0]]
            if block.bad:  # undecodable lines, which the summary did not see
                parts.append(self.undecodable(len(block.bad)))
            for part in parts:
                if part is not None:
                    total = part if total is None else self.merge(total, part)
        if total is not None:
            yield Block([[pickle.dumps(total)]], [0])


class _JsonSummary(_Summary):
    """A JSON first pass: one summary per block, of raw lines when the text is UTF-8
    (:meth:`~sparkwing.lake._lines.LineFormat.raw_blocks`: the lines of a shape are never
    decoded, :mod:`sparkwing.lake._json_shape`)."""

    def __init__(self, reader: JsonReader, encoding: str) -> None:
        super().__init__(encoding)
        self.reader = reader

    def summarise_raw(self, block: RawBlock) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def block_parts(self, lines: LineReader, end: int) -> Iterator[list[Any]]:
        """The summaries of each block, the part of its undecodable lines last."""
        if codecs.lookup(self.encoding).name != "utf-8":
            for block in LineFormat.parse_records(self, lines, end):
                parts = [pickle.loads(blob) for blob in block.columns[0]]
                yield parts + ([self.undecodable(len(block.bad))] if block.bad else [])
            return
        for raw in self.raw_blocks(lines, end):
            parts = [self.summarise_raw(raw)] if raw.pieces else []
            yield parts + ([self.undecodable(len(raw.bad))] if raw.bad else [])


class _JsonKinds(_JsonSummary):
    def summarise(self, records: list[tuple[int, str]]) -> KeyKinds:
        return _json_shape.kinds(self.reader, records)

    def summarise_raw(self, block: RawBlock) -> KeyKinds:
        return _json_shape.kinds_raw(self.reader, block)

    def merge(self, a: KeyKinds, b: KeyKinds) -> KeyKinds:
        return a.merge(b)

    def undecodable(self, n: int) -> KeyKinds:
        return KeyKinds(rows=n, rejected=n)

    def parse_records(self, lines: LineReader, end: int) -> Iterator[Block]:
        total = None
        for parts in self.block_parts(lines, end):
            for part in parts:
                total = part if total is None else total.merge(part)
        if total is not None:
            yield Block([[pickle.dumps(total)]], [0])


class _JsonCheck(_JsonSummary):
    """The check pass of declared columns (:meth:`JsonReader.check`); a split stops at its
    first block that is not clean (the file then takes the counted read)."""

    def _converters(self) -> list[Any]:
        if self._cache is None:
            self._cache = self.reader.converters()
        return self._cache

    def summarise(self, records: list[tuple[int, str]]) -> JsonCheck:
        return _json_shape.check(self.reader, records, self._converters())

    def summarise_raw(self, block: RawBlock) -> JsonCheck:
        return _json_shape.check_raw(self.reader, block, self._converters())

    def merge(self, a: JsonCheck, b: JsonCheck) -> JsonCheck:
        return a.merge(b)

    def undecodable(self, n: int) -> JsonCheck:
        return JsonCheck(rows=n, rejected=n)

    def parse_records(self, lines: LineReader, end: int) -> Iterator[Block]:
        total = JsonCheck()
        for parts in self.block_parts(lines, end):
            for part in parts:
                total.merge(part)
            if not total.clean:
                break
        yield Block([[pickle.dumps(total)]], [0])


class _SvmlightStats(_Summary):
    def summarise(self, records: list[tuple[int, str]]) -> SvmlightStats:
        return SvmlightReader().stats(records)

    def parse_records(self, lines: LineReader, end: int) -> Iterator[Block]:
        """Physical lines many at a time (:meth:`SvmlightReader.stats_raw`), one summary."""
        reader, total = SvmlightReader(), SvmlightStats(plain=True)
        while True:
            first, pieces = lines.take(end, SVM_BATCH_LINES, SVM_BATCH_BYTES)
            if not pieces:
                break
            total.merge(reader.stats_raw(first, pieces, self.encoding))
        yield Block([[pickle.dumps(total)]], [0])

    def merge(self, a: SvmlightStats, b: SvmlightStats) -> SvmlightStats:
        return a.merge(b)


class SvmlightLines(LineFormat):
    """The parse pass ships (and the cache holds) ``label`` and one sparse ML vector per row.

    ~22 stored features a row instead of ``width`` dense doubles: the Arrow batches, the JVM's
    conversion of them and the cache are several times smaller.  :func:`read_svmlight` expands
    the vector into the ``f1..fn`` columns of the accepted rows (``vector_to_array``), so the
    result is the same dense table.
    """

    def __init__(self, reader: SvmlightReader, label: str, encoding: str) -> None:
        import pyarrow as pa
        from pyspark.ml.linalg import VectorUDT

        self.reader, self.encoding = reader, encoding
        self.columns = [label, FEATURES]
        self.types = [pa.float64(), vector_arrow_type()]
        self.spark_types = [None, VectorUDT()]

    def parse_block(self, records: list[tuple[int, str]]) -> Block:
        block = self.reader.parse(records)
        return Block([block.labels, block.vectors(self.reader.width)], block.lines, block.bad)

    def parse_records(self, lines: LineReader, end: int) -> Iterator[Block]:
        """Physical lines many at a time, undecoded: :meth:`SvmlightReader.parse_raw` decodes
        only the lines its vectorised path leaves to the exact parser."""
        while True:
            first, pieces = lines.take(end, SVM_BATCH_LINES, SVM_BATCH_BYTES)
            if not pieces:
                return
            block = self.reader.parse_raw(first, pieces, self.encoding)
            yield Block([block.labels, block.vectors(self.reader.width)], block.lines, block.bad)

    def bad_fill(self, column: int, typ: Any, n: int) -> Any:
        """Bad rows carry an empty vector, never a null one (``vector_to_array`` rejects null)."""
        if column == 0:
            return super().bad_fill(column, typ, n)
        import numpy as np

        from sparkwing.lake._svmlight import SvmlightBlock

        none = SvmlightBlock(np.zeros(n), np.zeros(n + 1, np.int64), np.zeros(0, np.int64), np.zeros(0))
        return none.vectors(self.reader.width)


class ArffLines(_Lazy):
    def __init__(self, reader: ArffReader, encoding: str) -> None:
        self.reader, self.encoding = reader, encoding
        self.columns = [a.name for a in reader.header.attributes]
        self.types = [arrow_type(a.spark_type) for a in reader.header.attributes]

    def parse_records(self, lines: LineReader, end: int) -> Iterator[Block]:
        if lines.offset == 0:  # a file's first split: its header ends at the @data line
            while (raw := lines.next()) is not None and not _is_data_keyword(raw):
                pass
        yield from super().parse_records(lines, end)

    def parse_block(self, records: list[tuple[int, str]]) -> Block:
        block = self.reader.parse(records, 0)
        return Block(block.columns, block.lines, block.bad)


def _is_data_keyword(raw: bytes) -> bool:
    """The line :func:`parse_arff_header` ends at (the driver has checked the header)."""
    text = raw.strip().removeprefix(b"\xef\xbb\xbf").strip()
    return text[:5].lower() == b"@data" and (len(text) == 5 or text[5:6].isspace() or text[5:6] == b"%")


def _string() -> pa.DataType:
    import pyarrow as pa

    return pa.string()


# --- reading ---------------------------------------------------------------------------------


def _splits(spark: SparkSession, files: list[SourceFile], s3: S3Settings, split_bytes: int) -> list[Split]:
    return scan_splits(spark, plan_splits(files, split_bytes), s3, None)


def _summary(spark: SparkSession, fmt: _Summary, splits: list[Split], s3: S3Settings) -> Any:
    total = None
    for row in parse_splits(spark, fmt, splits, s3).select("summary").collect():
        part = pickle.loads(row[0])
        total = part if total is None else fmt.merge(total, part)
    return total


def _empty(name: str, files: list[SourceFile]) -> SourceError:
    where = files[0].uri if len(files) == 1 else f"{len(files)} files"
    return SourceError(
        f"source {name!r}: {where} is empty (no records)", source=name,
        hint="a source must hold at least one record; check the upstream export",
    )  # fmt: skip


def _settled(
    df: DataFrame, name: str, files: list[SourceFile], extra: str | None = None
) -> tuple[Settled, list[str]]:
    """:func:`settle_lines`, with a source of no records as a file-level error."""
    settled, notes = settle_lines(df, source=name, extra=extra)
    if settled.rows_read == 0:
        settled.cached.unpersist()
        raise _empty(name, files)
    return settled, notes


def _zone(spark: SparkSession) -> str:
    return str(spark.conf.get("spark.sql.session.timeZone", "UTC"))


def read_json(
    spark: SparkSession, name: str, spec: SourceSpec, files: list[SourceFile], s3: S3Settings,
    declared: dict[str, tuple[str, str | None]], split_bytes: int = SPLIT_BYTES,
    spark_paths: Callable[[], list[str]] | None = None,
) -> tuple[Settled, FormatNotes]:  # fmt: skip
    """JSON lines; ``declared`` maps columns to (Spark SQL type, date/timestamp pattern).

    A file the first pass proves clean is read lazily, neither cached nor counted: by Spark's
    own JSON reader when ``spark_paths`` (paths Spark can open) is given and the pass also
    proves that reader reads every value alike (:func:`~sparkwing.lake._json.spark_alike`),
    otherwise by sparkwing's parse, fail-fast.  Any other file: the parse pass into the cache.
    """
    options = JsonOptions(
        allow_single_quotes=spec.allow_single_quotes,
        allow_nan=spec.allow_nan,
        exact_decimals=any(_DECIMAL.match(t) for t, _ in declared.values()),
    )
    if all(f.size == 0 for f in files):
        raise _empty(name, files)
    zone = _zone(spark)
    if declared:
        cols = tuple(JsonColumn(c, t, p) for c, (t, p) in declared.items())
        reader = JsonReader(cols, options, zone, declared=True)
        # The check pass rides on pass 1 too: a clean file is then read lazily, as below.
        check_pass = _JsonCheck(reader, spec.encoding)
        splits, parts = scan_and_parse(spark, check_pass, plan_splits(files, split_bytes), s3)
        check = JsonCheck()
        for blocks in parts:
            for block in blocks:
                check.merge(pickle.loads(block.columns[0][0]))
        if check.clean:
            alike = check.plain and spark_alike(((c.name, c.sql) for c in cols), check.kinds)
            if alike and (paths := _spark_json_paths(spec, spark_paths)):
                settled = _read_spark_json(spark, name, files, reader, paths, check.rows)
            else:
                clean = JsonLines(reader, spec.encoding, failfast=True)
                settled = _read_clean(spark, name, files, clean, splits, s3, check.rows)
            return settled, FormatNotes(extra_keys=merge_extra_keys(check.extra))
    else:
        # The inference pass rides on pass 1 (one job, one read of each split).
        survey = _JsonKinds(JsonReader((), options, zone, declared=False), spec.encoding)
        splits, parts = scan_and_parse(spark, survey, plan_splits(files, split_bytes), s3)
        kinds: KeyKinds | None = None
        for blocks in parts:
            for block in blocks:
                part = pickle.loads(block.columns[0][0])
                kinds = part if kinds is None else kinds.merge(part)
        types = infer_types(kinds or KeyKinds())
        _check_keys(name, kinds or KeyKinds())
        reader = JsonReader(tuple(JsonColumn(k, t) for k, t in types.items()), options, zone, declared=False)
        if kinds is not None and kinds.clean:
            alike = kinds.plain and spark_alike(types.items(), kinds.kinds)
            if alike and (paths := _spark_json_paths(spec, spark_paths)):
                return _read_spark_json(spark, name, files, reader, paths, kinds.rows), FormatNotes()
            clean = JsonLines(reader, spec.encoding, failfast=True)
            return _read_clean(spark, name, files, clean, splits, s3, kinds.rows), FormatNotes()
    fmt = JsonLines(reader, spec.encoding)
    df = parse_splits(spark, fmt, splits, s3)
    settled, extras = _settled(df, name, files, EXTRA if reader.declared else None)
    return settled, FormatNotes(extra_keys=merge_extra_keys(orjson.loads(e) for e in extras))


def _read_clean(
    spark: SparkSession, name: str, files: list[SourceFile], fmt: JsonLines, splits: list[Split],
    s3: S3Settings, rows: int,
) -> Settled:  # fmt: skip
    """Records a first pass proved clean: the parse pass, neither cached nor counted.

    The counts are the first pass's (the inference pass, or the check pass of declared
    columns: each parsed every line as the parse pass will, and no record is quarantined), so
    no Spark job runs here: the frame is parsed once, by the step that uses it, as Spark's own
    reader would be.  The parse is ``failfast``: a file changed since fails the step that
    reads it rather than losing a row.
    """
    if rows == 0:
        raise _empty(name, files)
    df = parse_splits(spark, fmt, splits, s3)
    accepted = df.select(*[_q(c) for c in fmt.columns])
    types = {f.name: f.dataType.simpleString() for f in accepted.schema.fields}
    return Settled(accepted, accepted, rows, 0, {}, types, None)


def _spark_json_paths(spec: SourceSpec, spark_paths: Callable[[], list[str]] | None) -> list[str] | None:
    """Paths for Spark's JSON reader, or None where it would not see the lines the first pass
    saw: no paths given, or an encoding other than UTF-8 (Spark's line reader splits bytes).
    (A file named as compressed by another codec than gzip never gets here: ``read_source``
    refuses it, as Hadoop would decompress it where the passes read it as text.)"""
    import codecs

    if spark_paths is None or codecs.lookup(spec.encoding).name != "utf-8":
        return None
    return spark_paths()


def _read_spark_json(
    spark: SparkSession, name: str, files: list[SourceFile], reader: JsonReader, paths: list[str], rows: int,
) -> Settled:  # fmt: skip
    """Lines a first pass proved clean and plain, read by Spark's own JSON reader with the
    columns as its schema: lazy, neither cached nor counted (the pass counted the records).
    ``FAILFAST``: a file changed since fails the step that reads it rather than lose a row."""
    from pyspark.sql import types as T

    if rows == 0:
        raise _empty(name, files)
    # The types spark_alike allows, built here (parsing a DDL type asks the JVM, per column).
    spark_type = {
        "tinyint": T.ByteType, "smallint": T.ShortType, "int": T.IntegerType, "bigint": T.LongType,
        "double": T.DoubleType, "boolean": T.BooleanType, "string": T.StringType,
    }  # fmt: skip
    schema = T.StructType([T.StructField(c.name, spark_type[c.sql]()) for c in reader.columns])
    options = {"mode": "FAILFAST", "allowNonNumericNumbers": "false", "allowSingleQuotes": "false"}
    df = spark.read.schema(schema).options(**options).json(paths)
    types = {f.name: f.dataType.simpleString() for f in df.schema.fields}
    return Settled(df, df, rows, 0, {}, types, None)


def _check_keys(name: str, kinds: KeyKinds) -> None:
    if kinds.too_many:
        raise SourceError(
            f"source {name!r}: more than {len(kinds.kinds)} distinct JSON keys; not a table",
            source=name, hint="declare 'columns' (other keys are dropped and counted)",
        )  # fmt: skip
    seen: dict[str, str] = {}
    for key in kinds.kinds:
        if key.startswith("_sw_"):
            raise SourceError(
                f"source {name!r}: JSON key {key!r} uses the reserved prefix _sw_",
                source=name,
                hint="declare 'columns' without it (the key is then dropped and counted)",
            )
        low = key.lower()
        if low in seen:
            raise SourceError(
                f"source {name!r}: JSON keys {seen[low]!r} and {key!r} differ only in case "
                "(Spark column names are case-insensitive)",
                source=name, hint="declare 'columns' with the one to keep",
            )  # fmt: skip
        seen[low] = key


def read_svmlight(
    spark: SparkSession, name: str, spec: SourceSpec, files: list[SourceFile], s3: S3Settings,
    split_bytes: int = SPLIT_BYTES, spark_paths: Callable[[], list[str]] | None = None,
) -> tuple[Settled, FormatNotes]:  # fmt: skip
    """SVMLight/LibSVM as ``label, f1..fn`` (absent features are 0.0), or with ``layout:
    vector`` as ``label, features`` (one Spark ML sparse vector a row, as Spark's reader).

    ``spark_paths`` (paths Spark can open) allows the clean path: when the survey pass proves
    every line plain (:meth:`SvmlightStats.clean_for`), Spark's own libsvm reader parses the
    files lazily, neither cached nor counted (the survey counted the records).  Otherwise the
    parse pass runs on the executors into the cache, with the quarantine.
    """
    if all(f.size == 0 for f in files):
        raise _empty(name, files)
    splits = _splits(spark, files, s3, split_bytes)
    option = spec.zero_based
    how_set = "zero_based" in spec.model_fields_set
    vector = spec.layout == "vector"
    survey = spark_paths is not None and option is not True  # Spark's reader is one-based only
    stats: SvmlightStats | None = None
    if spec.n_features is not None and option != "auto":
        decision = ZeroBased(bool(option), "declared" if how_set else "default", None, None)
        width = spec.n_features
        if survey:
            stats = _summary(spark, _SvmlightStats(spec.encoding), splits, s3)
    else:
        stats = _summary(spark, _SvmlightStats(spec.encoding), splits, s3) or SvmlightStats()
        decision = decide_zero_based(option if (how_set or option == "auto") else None, stats)
        width, line = inferred_width(stats, decision.zero_based)
        if spec.n_features is not None:
            width = spec.n_features
        elif width > MAX_INFERRED_WIDTH:
            raise SourceError(
                f"source {name!r}: the largest feature index ({width}, line {line}) would make "
                f"{width} columns, more than {MAX_INFERRED_WIDTH}",
                source=name, hint="set n_features to the real width (rows past it are quarantined)",
            )  # fmt: skip
    prefix = spec.feature_prefix
    names = [VECTOR] if vector else feature_names(width, zero_based=decision.zero_based, prefix=prefix)
    if spec.label_column in names or spec.label_column == FEATURES:
        what = "the vector column" if vector else "a feature name"
        raise SourceError(f"source {name!r}: label column {spec.label_column!r} clashes with {what}")
    if stats is not None and spark_paths is not None and width >= 1 and stats.clean_for(
        decision.zero_based, width
    ):
        if stats.records == 0:
            raise _empty(name, files)
        df = spark.read.format("libsvm").option("numFeatures", str(width)).load(spark_paths())
        df = df.select(_col("label").alias(spec.label_column), _col("features").alias(FEATURES))
        df = _output(df, spec.label_column, names, width, vector)
        types = {f.name: f.dataType.simpleString() for f in df.schema.fields}
        return Settled(df, df, stats.records, 0, {}, types, None), FormatNotes(zero_based=decision)
    fmt = SvmlightLines(SvmlightReader(decision.zero_based, width), spec.label_column, spec.encoding)
    settled, _ = _settled(parse_splits(spark, fmt, splits, s3), name, files)
    settled.df = _output(settled.df, spec.label_column, names, width, vector)
    settled.types = {f.name: f.dataType.simpleString() for f in settled.df.schema.fields}
    return settled, FormatNotes(zero_based=decision)


def _col(name: str) -> Any:
    from pyspark.sql import functions as F

    return F.col(_q(name))


def _output(df: DataFrame, label: str, names: list[str], width: int, vector: bool) -> DataFrame:
    """The result columns from ``label, _sw_features``: the vector as ``features`` (with the
    ML attribute metadata Spark's libsvm reader gives it), or dense ``f1..fn``."""
    if not vector:
        return _dense(df, label, names)
    meta = {"ml_attr": {"num_attrs": width}, "numFeatures": width}
    return df.select(_col(label), _col(FEATURES).alias(VECTOR, metadata=meta))


def _dense(df: DataFrame, label: str, names: list[str]) -> DataFrame:
    """``label, f1..fn`` from ``label, _sw_features``: one ``vector_to_array`` a row (Spark
    evaluates the shared expression once per row), then its items."""
    from pyspark.ml.functions import vector_to_array
    from pyspark.sql import functions as F

    values = vector_to_array(F.col(FEATURES))
    return df.select(F.col(_q(label)), *[values[k].alias(n) for k, n in enumerate(names)])


def arff_header(file: SourceFile, s3: S3Settings, encoding: str) -> ArffHeader:
    """The header of one ARFF file from a bounded read of its head."""
    head = read_head(file, s3, ARFF_HEAD_BYTES)
    if not head.strip():
        raise SourceError(f"{file.uri} is empty (no ARFF header)")
    if b"\x00" in head[:8192]:
        raise SourceError(f"{file.uri}: looks like a binary file, not ARFF")
    try:
        text = head.decode(encoding, errors="replace")
    except LookupError:
        raise SourceError(f"{file.uri}: unknown encoding {encoding!r}") from None
    lines = re.split(r"\r\n|\r|\n", text)
    if len(head) >= ARFF_HEAD_BYTES:
        lines = lines[:-1]  # the last piece may be cut
    try:
        return parse_arff_header(lines)
    except SourceError as exc:
        if "no @data" in exc.message and len(head) >= ARFF_HEAD_BYTES:
            raise SourceError(
                f"{file.uri}: no @data line in the first {ARFF_HEAD_BYTES >> 20} MiB",
                hint="is this an ARFF file?",
            ) from None
        raise SourceError(f"{file.uri}: {exc.message}", hint=exc.hint) from None


def read_arff(
    spark: SparkSession, name: str, spec: SourceSpec, files: list[SourceFile], s3: S3Settings,
    split_bytes: int = SPLIT_BYTES,
) -> tuple[Settled, FormatNotes]:  # fmt: skip
    """ARFF files (one header each; all must declare the same attributes)."""
    if all(f.size == 0 for f in files):
        raise _empty(name, files)
    header: ArffHeader | None = None
    for file in files:
        try:
            this = arff_header(file, s3, spec.encoding)
        except SourceError as exc:
            raise SourceError(f"source {name!r}: {exc.message}", source=name, hint=exc.hint) from None
        if header is not None and this.attributes != header.attributes:
            raise SourceError(f"source {name!r}: {file.uri} declares other attributes than {files[0].uri}",
                              source=name)  # fmt: skip
        header = header or this
    assert header is not None
    splits = _splits(spark, files, s3, max(split_bytes, 2 * ARFF_HEAD_BYTES))
    fmt = ArffLines(ArffReader(header, _zone(spark)), spec.encoding)
    settled, _ = _settled(parse_splits(spark, fmt, splits, s3), name, files)
    df = settled.df
    for a in header.attributes:
        if a.kind == "nominal":  # keep the domain: H2O and model cards use the level order
            df = df.withMetadata(a.name, {"sparkwing": {"nominal": list(a.domain)}})
    settled.df = df
    return settled, FormatNotes()


# --- settling a parsed DataFrame --------------------------------------------------------------


def settle_lines(df: DataFrame, *, source: str, extra: str | None = None) -> tuple[Settled, list[str]]:
    """Persist a parse-pass DataFrame, count it once, split accepted from quarantined rows.

    Rows with a ``_sw_reason`` are quarantined as ``{source, file, line, reason, raw, _kind}``
    (the caller drops ``_kind``).  The reasons count kinds (:func:`reason_kind`): the
    :data:`MAX_REASONS` most frequent, the rest under ``(other reasons)``.  ``extra`` names a
    column of per-block notes, returned as a list.
    """
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    internal = {LINE, BAD, REASON, FILE} | ({extra} if extra else set())
    data = [c for c in df.columns if c not in internal]
    with uncompressed_cache(df.sparkSession):  # persist copies the session's settings
        cached = df.persist(StorageLevel.MEMORY_AND_DISK)
    aggs = [F.count(F.lit(1)).alias("n"), F.count(F.col(REASON)).alias("bad")]
    if extra:
        aggs.append(F.count(F.col(extra)).alias("extra"))
    with uncompressed_cache(cached.sparkSession):  # the conf is read at persist (a copy) or here
        stats = cached.agg(*aggs).first()
    assert stats is not None
    n, n_bad = int(stats["n"]), int(stats["bad"])
    notes: list[str] = []
    if extra and stats["extra"]:
        notes = [r[0] for r in cached.filter(F.col(extra).isNotNull()).select(extra).collect()]
    accepted = cached.filter(F.col(REASON).isNull()).select(*[F.col(_q(c)) for c in data])
    bad = None
    reasons: dict[str, int] = {}
    if n_bad:
        kind = F.regexp_replace(F.regexp_replace(F.col(REASON), _VALUE_REASON, "$1: $2"), _GOT_DETAIL, "")
        bad = cached.filter(F.col(REASON).isNotNull()).select(
            F.lit(source).alias("source"), F.col(FILE).alias("file"), F.col(LINE).alias("line"),
            F.col(REASON).alias("reason"), F.col(BAD).alias("raw"), kind.alias("_kind"),
        )  # fmt: skip
        top = bad.groupBy("_kind").count().orderBy(F.desc("count"), "_kind").limit(MAX_REASONS).collect()
        reasons = {r["_kind"]: int(r["count"]) for r in top}
        rest = n_bad - sum(reasons.values())
        if rest:
            reasons[OTHER_REASONS] = rest
    types = {f.name: f.dataType.simpleString() for f in accepted.schema.fields}
    return Settled(accepted, cached, n, n_bad, reasons, types, bad), notes


def _q(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


__all__ = ["EXTRA", "OTHER_KEYS", "FormatNotes", "read_arff", "read_json", "read_svmlight", "settle_lines"]
