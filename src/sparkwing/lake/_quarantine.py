"""Settle a parsed DataFrame: cast, infer types, count, quarantine bad rows, enforce the limit.

Input: a DataFrame of parsed values (typed, or strings for the string path), plus ``_sw_bad``
(the raw text of a record the parser rejected, else null), ``_sw_file`` and, when the parser
knows them, ``_sw_line`` (physical line number) and ``_sw_reason`` (why it rejected the record).  The input is
persisted once (MEMORY_AND_DISK); a single aggregate over it materialises the cache and yields
the counts and, for the string path, the inferred types.  Only when rows are bad: a group-by
over the bad rows counts reasons, and the caller writes them as JSON lines
``{source, file, line, reason, raw}`` to the quarantine folder.

A declared type that does not fit quarantines the row with the value in the reason
(``amount: 'abc' is not a double``, ``day: '2021-13-40' is not a valid date (M/d/yy)``); the
run record counts such reasons without the value (``amount: not a double``).

>>> sql_type("integer"), _pick(0, 2), _pick(0, 3), cast_reason_key("int")
('int', 'double', 'string', 'not an int')
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sparkwing.errors import ConfigError, SourceError

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

BAD, FILE, LINE, REASON = "_sw_bad", "_sw_file", "_sw_line", "_sw_reason"
MALFORMED = "malformed record"
DATE_DEFAULT, TIMESTAMP_DEFAULT = "yyyy-MM-dd", "yyyy-MM-dd HH:mm:ss"
_ALIASES = {
    "integer": "int", "int": "int", "long": "bigint", "bigint": "bigint", "short": "smallint",
    "smallint": "smallint", "byte": "tinyint", "tinyint": "tinyint", "float": "float",
    "double": "double", "real": "double", "numeric": "double", "number": "double",
    "string": "string", "str": "string", "text": "string", "categorical": "string",
    "enum": "string", "bool": "boolean", "boolean": "boolean", "date": "date",
    "timestamp": "timestamp", "datetime": "timestamp",
}  # fmt: skip
_DECIMAL = re.compile(r"^decimal\(\s*\d+\s*,\s*\d+\s*\)$")
# Inference order: the first type every non-null value casts to wins.
_INFER = ("int", "bigint", "double", "boolean", "date", "timestamp")


def sql_type(name: str, *, source: str = "", column: str = "") -> str:
    """The Spark SQL type for a declared column type, or :class:`ConfigError`."""
    key = name.strip().lower()
    if key in _ALIASES:
        return _ALIASES[key]
    if _DECIMAL.match(key):
        return key.replace(" ", "")
    raise ConfigError(
        f"source {source!r}: column {column!r} has unknown type {name!r}",
        hint=f"use one of {', '.join(sorted(set(_ALIASES.values())))} or decimal(p,s)",
    )


def spark_type(sql: str) -> Any:
    """The ``pyspark.sql.types`` type of a Spark SQL type name from :func:`sql_type` (or an
    inferred one), built here: ``T._parse_datatype_string`` asks the JVM, several round trips
    a column."""
    from pyspark.sql import types as T

    simple = {
        "string": T.StringType, "int": T.IntegerType, "bigint": T.LongType, "smallint": T.ShortType,
        "tinyint": T.ByteType, "double": T.DoubleType, "float": T.FloatType, "boolean": T.BooleanType,
        "date": T.DateType, "timestamp": T.TimestampType,
    }  # fmt: skip
    if sql in simple:
        return simple[sql]()
    if m := re.fullmatch(r"decimal\((\d+),(\d+)\)", sql):
        return T.DecimalType(int(m.group(1)), int(m.group(2)))
    return T._parse_datatype_string(sql)


def cast_reason_key(sql: str, fmt: str | None = None) -> str:
    """The run-record reason of a failed cast to ``sql`` (without the value)."""
    if sql in ("date", "timestamp"):
        return f"not a valid {sql} ({fmt or (DATE_DEFAULT if sql == 'date' else TIMESTAMP_DEFAULT)})"
    return f"not an {sql}" if sql[:1] in "aeiou" else f"not a {sql}"


def cast_sql(col: str, sql: str, fmt: str | None = None) -> str:
    """SQL converting string column ``col`` to ``sql``; null where the value does not fit.

    Dates and timestamps with a format use ``to_date``/``to_timestamp`` (Spark datetime
    patterns; the session's CORRECTED parser policy turns a bad value into null, never an
    error); everything else ``try_cast``.
    """
    c = q(col)
    if fmt and sql == "date":
        return f"to_date({c}, {sql_str(fmt)})"
    if fmt and sql == "timestamp":
        return f"to_timestamp({c}, {sql_str(fmt)})"
    return f"try_cast({c} AS {sql})"


def sql_str(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def q(name: str) -> str:
    """A column name quoted for Spark SQL expressions."""
    return "`" + name.replace("`", "``") + "`"


_NUMBER = {  # what each inferred type accepts; regexes are cheap where failing casts are not
    "int": r"^\\s*[+-]?[0-9]{1,9}\\s*$",
    "bigint": r"^\\s*[+-]?[0-9]{1,18}\\s*$",
    "double": r"^\\s*[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?\\s*$|^(NaN|[+-]?Infinity)$",
}
_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_TIMESTAMP = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?"
    r"(Z|[+-][0-9]{2}:?[0-9]{2})?$"
)


def _rank(col: str, formats: dict[str, str] | None = None) -> str:
    """SQL: the index in ``_INFER`` of the first type a well-formed row's value fits.

    6 means "only a string"; null for nulls and malformed rows (they do not vote).  The CASE
    stops at the first match, so a column of integers costs one regex per value; dates and
    timestamps are also cast, so that "2020-13-45" stays a string.
    """
    c = q(col)
    tests = [f"{c} RLIKE '{_NUMBER[t]}'" for t in _INFER[:3]]
    formats = formats or {}
    date, ts = formats.get("date"), formats.get("timestamp")
    tests += [
        f"lower(trim({c})) IN ('true', 'false')",
        f"to_date(trim({c}), {sql_str(date)}) IS NOT NULL"
        if date
        else f"trim({c}) RLIKE '{_DATE}' AND try_cast(trim({c}) AS date) IS NOT NULL",
        f"to_timestamp(trim({c}), {sql_str(ts)}) IS NOT NULL"
        if ts
        else f"trim({c}) RLIKE '{_TIMESTAMP}' AND try_cast(trim({c}) AS timestamp) IS NOT NULL",
    ]
    whens = " ".join(f"WHEN {t} THEN {i}" for i, t in enumerate(tests))
    return f"CASE WHEN {BAD} IS NOT NULL OR {c} IS NULL THEN NULL {whens} ELSE {len(tests)} END"


def _pick(lo: int | None, hi: int | None) -> str:
    """The inferred type from the least and most general ranks seen in a column."""
    if hi is None:
        return "string"  # no values at all
    if hi <= 2:
        return _INFER[hi]  # int ⊂ bigint ⊂ double: the widest one seen
    if lo == hi and hi < len(_INFER):
        return _INFER[hi]
    if lo is not None and lo >= 4 and hi == 5:
        return "timestamp"  # dates and timestamps mixed
    return "string"


_COMPRESSED = "spark.sql.inMemoryColumnarStorage.compressed"


@contextmanager
def uncompressed_cache(spark: Any) -> Iterator[None]:
    """Cache blocks built inside are not compressed (Spark's session setting, restored after).

    A read's parse is cached once and read once or twice, so compressing its columns costs
    more CPU than it saves: on a 100 MB CSV (1 M rows, 16 columns) building the compressed
    cache took ~9 CPU s on top of the ~5.5 s parse, the uncompressed one ~4.5 s, for ~1.5x
    the memory (32 against 47 MiB; MEMORY_AND_DISK spills what does not fit).  Windows of one
    session may overlap (reads in threads): the setting found by the first is restored when
    the last closes.
    """
    key = id(spark)
    with _WINDOWS_LOCK:
        depth, before = _WINDOWS.get(key, (0, None))
        if depth == 0:
            before = spark.conf.get(_COMPRESSED)
            spark.conf.set(_COMPRESSED, "false")
        _WINDOWS[key] = (depth + 1, before)
    try:
        yield
    finally:
        with _WINDOWS_LOCK:
            depth, before = _WINDOWS.pop(key)
            if depth > 1:
                _WINDOWS[key] = (depth - 1, before)
            else:
                spark.conf.set(_COMPRESSED, before)


_WINDOWS_LOCK = threading.Lock()
_WINDOWS: dict[int, tuple[int, str | None]] = {}  # id(session) -> (open windows, setting before)


class Persisted:
    """DataFrames persisted by the caller and released together (a read parsed in rounds)."""

    def __init__(self, frames: Sequence[DataFrame]) -> None:
        self.frames = list(frames)

    def unpersist(self) -> None:
        for frame in self.frames:
            frame.unpersist()


@dataclass
class Settled:
    df: DataFrame  # accepted rows, typed; derived from the persisted input
    cached: DataFrame | Persisted  # the persisted input; unpersist when the run is done
    rows_read: int
    rows_quarantined: int
    reasons: dict[str, int] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)
    bad: DataFrame | None = None  # quarantined rows, {source, file, line, reason, raw, _kind}
    records: list[dict[str, Any]] | None = None  # or: the quarantine records, built on the driver


def settle(
    df: DataFrame,
    *,
    source: str,
    declared: dict[str, str],
    infer: list[str],
    raw_as: str = "csv",
    delimiter: str = ",",
    bad_detail: Sequence[tuple[str, Column, Column]] = (),
    formats: dict[str, str] | None = None,
    infer_formats: dict[str, str] | None = None,
    persisted: Persisted | None = None,
    known: dict[str, str] | None = None,
    counted: tuple[int, dict[str, int]] | None = None,
) -> Settled:
    """Persist ``df``, count it, decide column types and split accepted from quarantined rows.

    ``declared`` maps columns to Spark SQL types (cells that do not cast quarantine their row);
    ``formats`` gives date/timestamp patterns of declared columns; ``infer`` lists string
    columns whose type is inferred from the data (never quarantines), ``infer_formats`` the
    source's ``date``/``timestamp`` patterns used by that inference; ``bad_detail`` are
    (kind, reason, condition) triples that explain a malformed row more precisely;
    ``persisted``: ``df`` is built from these frames, already persisted (it is not persisted
    again; they are the result's ``cached``); ``known``: types of ``infer`` columns the caller
    already decided from the same values (not ranked again); ``counted``: the rows and the
    bad rows per reason, as the parser counted them -- with no declared cast to check and every
    inferred type known, no aggregate runs over ``df`` at all.
    """
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    formats = formats or {}
    data = [c for c in df.columns if c not in (BAD, FILE, LINE, REASON)]
    if BAD not in df.columns:
        df = df.withColumn(BAD, F.lit(None).cast("string"))
    if FILE not in df.columns:
        df = df.withColumn(FILE, F.lit(None).cast("string"))
    has_reason, has_line = REASON in df.columns, LINE in df.columns
    if persisted is None:
        with uncompressed_cache(df.sparkSession):  # persist copies the session's settings
            cached = df.persist(StorageLevel.MEMORY_AND_DISK)
    else:
        cached = df

    # Small expressions on the hot path: well-formed rows only test their declared casts; the
    # finer reasons for malformed rows are computed on those rows alone, after counting.
    casts = {c: cast_sql(c, t, formats.get(c)) for c, t in declared.items()}
    failed = {c: F.expr(f"{q(c)} IS NOT NULL AND {casts[c]} IS NULL") for c in declared}
    cast_kind: Column = F.lit(None).cast("string")
    cast_reason: Column = F.lit(None).cast("string")
    for c, t in reversed(declared.items()):
        key = cast_reason_key(t, formats.get(c))
        value = F.concat(F.lit("'"), F.substring(F.col(q(c)).cast("string"), 1, 200), F.lit("'"))
        cast_kind = F.when(failed[c], F.lit(f"{c}: {key}")).otherwise(cast_kind)
        specific = F.concat(F.lit(f"{c}: "), value, F.lit(" is " + key))
        cast_reason = F.when(failed[c], specific).otherwise(cast_reason)
    malformed: Column = F.col(REASON) if has_reason else F.lit(MALFORMED)
    malformed_kind: Column = malformed
    for kind, reason, cond in reversed(bad_detail):
        malformed = F.when(cond, reason).otherwise(malformed)
        malformed_kind = F.when(cond, F.lit(kind)).otherwise(malformed_kind)

    any_failed: Column | None = None
    for cond in failed.values():
        any_failed = cond if any_failed is None else (any_failed | cond)
    aggs = [F.count(F.lit(1)).alias("n"), F.count(F.col(BAD)).alias("bad")]
    if any_failed is not None:
        aggs.append(F.count(F.when(F.col(BAD).isNull() & any_failed, F.lit(1))).alias("cast"))
    known = known or {}
    for i, c in enumerate(infer):
        if c in known:
            continue
        rank = _rank(c, infer_formats or {})
        aggs += [F.expr(f"min({rank})").alias(f"lo{i}"), F.expr(f"max({rank})").alias(f"hi{i}")]
    # Counted by the parser, nothing to cast, every type known: no pass over the rows here.
    trusted = (
        counted is not None
        and not bad_detail
        and has_reason
        and all(t == "string" and c not in formats for c, t in declared.items())
        and all(c in known for c in infer)
    )
    if trusted:
        assert counted is not None
        stats: Any = {"n": counted[0], "bad": sum(counted[1].values()), "cast": 0}
    else:
        with uncompressed_cache(cached.sparkSession):  # the conf is read at persist (a copy) or here
            stats = cached.agg(*aggs).first()
    assert stats is not None

    types = dict(declared)
    for i, c in enumerate(infer):
        types[c] = known[c] if c in known else _pick(stats[f"lo{i}"], stats[f"hi{i}"])
    n_bad = int(stats["bad"]) + (int(stats["cast"]) if declared else 0)

    def typed(c: str) -> Column:
        if c in declared:
            return F.expr(casts[c]).alias(c)
        if c in infer and types[c] != "string":  # every value matched the type's pattern
            t, value = types[c], f"trim({q(c)})"
            fmt = (infer_formats or {}).get(t)
            if fmt and t in ("date", "timestamp"):
                return F.expr(f"to_{t}({value}, {sql_str(fmt)})").alias(c)
            return F.expr(f"cast({value} AS {t})").alias(c)
        return F.col(q(c))

    good = F.col(BAD).isNull() & ~any_failed if any_failed is not None else F.col(BAD).isNull()
    accepted = cached.filter(good).select(*[typed(c) for c in data])
    bad = None
    reasons: dict[str, int] = {}
    if n_bad:
        if raw_as == "json":
            raw = F.to_json(F.struct(*[F.col(q(c)) for c in data]))
        elif raw_as == "none":  # the caller finds the raw text (by line) itself
            raw = F.lit(None).cast("string")
        else:
            raw = F.to_csv(F.struct(*[F.col(q(c)) for c in data]), {"sep": delimiter})
        is_bad = F.col(BAD).isNotNull()
        bad = cached.filter(~good).select(
            F.lit(source).alias("source"),
            F.col(FILE).alias("file"),
            (F.col(LINE) if has_line else F.lit(None).cast("long")).alias("line"),
            F.when(is_bad, malformed).otherwise(cast_reason).alias("reason"),
            F.when(is_bad, F.col(BAD)).otherwise(raw).alias("raw"),
            F.when(is_bad, malformed_kind).otherwise(cast_kind).alias("_kind"),
        )
        if trusted:
            assert counted is not None
            reasons = {k: v for k, v in counted[1].items() if v}
        else:
            reasons = {r["_kind"]: int(r["count"]) for r in bad.groupBy("_kind").count().collect()}
    held = cached if persisted is None else persisted
    return Settled(accepted, held, int(stats["n"]), n_bad, reasons, types, bad)


def check_share(source: str, rows_read: int, rows_quarantined: int, limit: float, where: str | None) -> None:
    """Raise :class:`SourceError` when the quarantined share of ``source`` exceeds ``limit``."""
    share = rows_quarantined / rows_read if rows_read else 0.0
    if share > limit:
        raise SourceError(
            f"source {source!r}: {rows_quarantined} of {rows_read} rows ({share:.1%}) quarantined, "
            f"above the limit {limit:.1%}; see {where}",
            source=source,
            hint="fix the input, or raise max_quarantine_share for this source",
        )


def records_json(records: list[dict[str, Any]]) -> bytes:
    """Quarantine records from a driver-side parser as JSON lines."""
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()
