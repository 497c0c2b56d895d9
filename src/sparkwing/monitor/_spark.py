"""Profiles and bucket counts of Spark DataFrames (pyspark is imported inside the functions, so
the rest of ``sparkwing.monitor`` serves without a JVM).

Passes over the data: :func:`profile_dataframe` makes two -- one aggregation (row count, non-null
counts, the quantiles that become bin edges; it is also the training set's row count) and one
grouped count of every column's bucket or level, of which only the top-K per column come back to
the driver.  :func:`count_dataframe` makes one aggregation, whatever the number of columns.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Literal

from sparkwing.monitor._drift import ColumnCounts, ProfileCounts
from sparkwing.registry import BINS, TOP_K, DataProfile, FeatureProfile

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

Kind = Literal["numeric", "categorical"]
_NUMERIC = ("double", "float", "int", "bigint", "smallint", "tinyint", "decimal", "date", "timestamp")
ACCURACY = 10_000  # percentile_approx: relative error about 1/ACCURACY


def kind_of(spark_type: str) -> Kind | None:
    """How a Spark column type is profiled: numbers (and times) binned, strings/booleans by level."""
    if spark_type in ("string", "boolean"):
        return "categorical"
    if spark_type.startswith(_NUMERIC):
        return "numeric"
    return None  # arrays, maps, binary: not profiled


def _value(name: str, kind: Kind) -> Column:
    from pyspark.sql import functions as F

    col = F.col(f"`{name}`")
    if kind == "categorical":
        return col.cast("string")
    num = col.cast("double")
    return F.when(~F.isnan(num), num)  # NaN counts as null, as it scores


def _bucket(value: Column, fp: FeatureProfile) -> Column:
    """The bucket index (numeric) or the level (categorical) of ``value``, as text."""
    from pyspark.sql import functions as F

    if fp.kind == "categorical":
        return value
    expr = None
    for i, edge in enumerate(fp.edges):
        label = F.lit(str(i))
        expr = F.when(value <= edge, label) if expr is None else expr.when(value <= edge, label)
    last = F.lit(str(len(fp.edges)))
    return F.when(value.isNotNull(), last) if expr is None else expr.when(value.isNotNull(), last)


def profile_dataframe(df: DataFrame, columns: Mapping[str, Kind], *, bins: int = BINS,
                      top_k: int = TOP_K) -> DataProfile:
    """The profile of ``columns`` (name -> kind) of ``df``; ``rows`` is ``df``'s row count."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    names = list(columns)
    probs = [i / bins for i in range(1, bins)]
    aggs = [F.count(F.lit(1)).alias("__rows")]
    for i, name in enumerate(names):
        value = _value(name, columns[name])
        aggs.append(F.count(value).alias(f"n{i}"))
        if columns[name] == "numeric":
            aggs.append(F.percentile_approx(value, probs, ACCURACY).alias(f"q{i}"))
    first = df.agg(*aggs).first()
    assert first is not None  # a global aggregation always has one row
    rows = int(first["__rows"])
    drafts: list[FeatureProfile] = []
    for i, name in enumerate(names):
        edges = sorted({float(x) for x in (first[f"q{i}"] or [])}) if columns[name] == "numeric" else []
        drafts.append(FeatureProfile(name=name, kind=columns[name], edges=edges))
    if not names or rows == 0:
        return DataProfile(rows=rows, features=drafts, top_k=top_k)
    pairs = F.explode(F.array(*[
        F.struct(F.lit(i).alias("c"), _bucket(_value(fp.name, fp.kind), fp).alias("v"))
        for i, fp in enumerate(drafts)
    ]))
    flat = df.select(pairs.alias("p")).select("p.c", "p.v").where(F.col("v").isNotNull())
    grouped = flat.groupBy("c", "v").count()
    rank = F.row_number().over(Window.partitionBy("c").orderBy(F.desc("count"), F.asc("v")))
    top: dict[int, list[tuple[str, int]]] = {}
    for r in grouped.withColumn("r", rank).where(F.col("r") <= max(top_k, bins)).collect():
        top.setdefault(int(r["c"]), []).append((str(r["v"]), int(r["count"])))
    features = []
    for i, fp in enumerate(drafts):
        present = int(first[f"n{i}"])
        found = sorted(top.get(i, []), key=lambda kv: (-kv[1], kv[0]))
        if fp.kind == "numeric":
            counts = dict(found)
            buckets = [counts.get(str(b), 0) for b in range(len(fp.edges) + 1)]
            levels: list[str] = []
        else:
            found = found[:top_k]
            levels = [level for level, _ in found]
            buckets = [n for _, n in found] + [present - sum(n for _, n in found)]
        shares = [round(b / present, 6) for b in buckets] if present else []
        features.append(fp.model_copy(update={
            "levels": levels, "shares": shares, "null_share": round((rows - present) / rows, 6),
        }))
    return DataProfile(rows=rows, features=features, top_k=top_k)


def count_dataframe(df: DataFrame, profile: DataProfile, *, prediction: str | None = None,
                    domains: Mapping[str, Collection[str]] | None = None) -> ProfileCounts:
    """Counts of ``df``'s rows in the profile's buckets, one aggregation; ``prediction`` names the
    column the profile's prediction summary is compared with.  A feature ``df`` lacks is all null."""
    from pyspark.sql import functions as F

    domains = domains or {}
    plan: list[tuple[str, FeatureProfile, bool]] = [(fp.name, fp, False) for fp in profile.features
                                                    if fp.name in df.columns]
    if prediction is not None and profile.prediction is not None and prediction in df.columns:
        plan.append((prediction, profile.prediction, True))
    aggs = [F.count(F.lit(1)).alias("__rows")]
    for i, (column, fp, _) in enumerate(plan):
        value = _value(column, fp.kind)
        bucket = _bucket(value, fp)
        aggs.append(F.count(F.when(value.isNull(), 1)).alias(f"n{i}"))
        if fp.kind == "numeric":
            for b in range(len(fp.edges) + 1):
                aggs.append(F.count(F.when(bucket == str(b), 1)).alias(f"b{i}_{b}"))
        else:
            for b, level in enumerate(fp.levels):
                aggs.append(F.count(F.when(value == level, 1)).alias(f"b{i}_{b}"))
            other = value.isNotNull() & ~value.isin(fp.levels) if fp.levels else value.isNotNull()
            aggs.append(F.count(F.when(other, 1)).alias(f"b{i}_{len(fp.levels)}"))
            domain = domains.get(column)
            if domain is not None:
                unseen = value.isNotNull() & ~value.isin(list(domain))
                aggs.append(F.count(F.when(unseen, 1)).alias(f"u{i}"))
    row = df.agg(*aggs).first()
    assert row is not None
    rows = int(row["__rows"])
    out = ProfileCounts(rows=rows)
    for i, (column, fp, is_prediction) in enumerate(plan):
        buckets = [int(row[f"b{i}_{b}"]) for b in range(len(fp.buckets()))]
        counts = ColumnCounts(buckets, nulls=int(row[f"n{i}"]),
                              unseen=int(row[f"u{i}"]) if f"u{i}" in row.asDict() else 0)
        if is_prediction:
            out.prediction = counts
        else:
            out.columns[column] = counts
    for fp in profile.features:
        out.columns.setdefault(fp.name, ColumnCounts([0] * len(fp.buckets()), nulls=rows))
    return out
