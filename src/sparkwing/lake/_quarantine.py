"""Settle a parsed DataFrame: cast, infer types, count, quarantine bad rows, enforce the limit.

Input: a DataFrame whose data columns are parsed values (strings for CSV), plus ``_sw_bad``
(the raw text of a record the parser could not split, else null) and ``_sw_file``.  The input
is persisted once (MEMORY_AND_DISK); a single aggregate over it materialises the cache and
yields every count and the inferred types.  Bad rows are then filtered from the cache and
written as JSON lines ``{source, file, reason, raw}`` to the quarantine folder.

>>> sql_type("integer")
'int'
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sparkwing.errors import ConfigError, SourceError

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

BAD, FILE = "_sw_bad", "_sw_file"
MALFORMED = "malformed record"
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


def q(name: str) -> str:
    """A column name quoted for Spark SQL expressions."""
    return "`" + name.replace("`", "``") + "`"


def _fails(col: str, sql: str) -> str:
    """SQL that is true when a non-null value does not cast to ``sql`` (strictly, for inference)."""
    c = q(col)
    if sql == "boolean":
        return f"lower(trim({c})) NOT IN ('true', 'false')"
    if sql == "date":
        return f"NOT (trim({c}) RLIKE '^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}$' AND try_cast({c} AS date) IS NOT NULL)"
    return f"try_cast({c} AS {sql}) IS NULL"


@dataclass
class Settled:
    df: DataFrame  # accepted rows, typed; derived from the persisted input
    cached: DataFrame  # the persisted input; unpersist when the run is done
    rows_read: int
    rows_quarantined: int
    reasons: dict[str, int] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)
    bad: DataFrame | None = None  # quarantined rows, {source, file, reason, raw}


def settle(
    df: DataFrame,
    *,
    source: str,
    declared: dict[str, str],
    infer: list[str],
    raw_as: str = "csv",
    delimiter: str = ",",
    extra_reasons: dict[str, int] | None = None,
) -> Settled:
    """Persist ``df``, count it, decide column types and split accepted from quarantined rows.

    ``declared`` maps columns to Spark SQL types (cells that do not cast quarantine their row);
    ``infer`` lists string columns whose type is inferred from the data (never quarantines).
    """
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    data = [c for c in df.columns if c not in (BAD, FILE)]
    if BAD not in df.columns:
        df = df.withColumn(BAD, F.lit(None).cast("string"))
    if FILE not in df.columns:
        df = df.withColumn(FILE, F.lit(None).cast("string"))
    cached = df.persist(StorageLevel.MEMORY_AND_DISK)

    checks = [(MALFORMED, F.col(BAD).isNotNull())]
    checks += [
        (f"cannot cast {c} to {t}", F.expr(f"{q(c)} IS NOT NULL AND try_cast({q(c)} AS {t}) IS NULL"))
        for c, t in declared.items()
    ]
    reason: Column = F.lit(None).cast("string")
    for text, cond in reversed(checks):  # the first failing check names the row's reason
        reason = F.when(cond, F.lit(text)).otherwise(reason)

    flagged = cached.withColumn("_sw_reason", reason)
    # Per-reason counts come from the same CASE as the rows' reasons, so they always add up.
    aggs = [F.count(F.lit(1)).alias("n")]
    aggs += [
        F.sum(F.when(F.col("_sw_reason") == text, 1).otherwise(0)).alias(f"r{i}")
        for i, (text, _) in enumerate(checks)
    ]
    good = f"{BAD} IS NULL"
    for i, c in enumerate(infer):
        aggs.append(F.expr(f"count(CASE WHEN {good} THEN {q(c)} END)").alias(f"nn{i}"))
        aggs += [
            F.expr(f"count_if({good} AND {q(c)} IS NOT NULL AND {_fails(c, t)})").alias(f"x{i}_{t}")
            for t in _INFER
        ]
    stats = flagged.agg(*aggs).first()
    assert stats is not None

    types = dict(declared)
    for i, c in enumerate(infer):
        types[c] = next((t for t in _INFER if stats[f"nn{i}"] and not stats[f"x{i}_{t}"]), "string")
    reasons = {t: int(stats[f"r{i}"] or 0) for i, (t, _) in enumerate(checks) if stats[f"r{i}"]}
    for k, v in (extra_reasons or {}).items():
        reasons[k] = reasons.get(k, 0) + v
    n_bad = sum(int(stats[f"r{i}"] or 0) for i in range(len(checks)))

    def typed(c: str) -> Column:
        if c in declared:
            return F.expr(f"try_cast({q(c)} AS {declared[c]})").alias(c)
        if c in infer and types[c] != "string":
            return F.expr(f"try_cast({q(c)} AS {types[c]})").alias(c)
        return F.col(q(c))

    accepted = flagged.filter(F.col("_sw_reason").isNull()).select(*[typed(c) for c in data])
    bad = None
    if n_bad:
        if raw_as == "json":
            raw = F.to_json(F.struct(*[F.col(q(c)) for c in data]))
        else:
            raw = F.to_csv(F.struct(*[F.col(q(c)) for c in data]), {"sep": delimiter})
        bad = flagged.filter(F.col("_sw_reason").isNotNull()).select(
            F.lit(source).alias("source"),
            F.col(FILE).alias("file"),
            F.col("_sw_reason").alias("reason"),
            F.coalesce(F.col(BAD), raw).alias("raw"),
        )
    return Settled(accepted, cached, int(stats["n"]), n_bad, reasons, types, bad)


def check_share(
    source: str, rows_read: int, rows_quarantined: int, limit: float, where: str | None
) -> None:
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
