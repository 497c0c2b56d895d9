"""Feature steps: date_parts and bucketize."""

from __future__ import annotations

from itertools import pairwise
from typing import TYPE_CHECKING, Any

from sparkwing.prep._columns import cast_expr, count_where, is_numeric, is_string, type_error
from sparkwing.prep._context import StepContext, col

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame


def _part_functions() -> dict[str, Any]:
    from pyspark.sql import functions as F

    return {
        "year": F.year, "month": F.month, "day": F.dayofmonth,
        "dayofweek": F.dayofweek,  # 1 = Sunday ... 7 = Saturday (Spark's convention)
        "dayofyear": F.dayofyear, "hour": F.hour, "minute": F.minute,
        "week": F.weekofyear,  # ISO 8601 week number
        "quarter": F.quarter,
    }  # fmt: skip


def date_parts(df: DataFrame, params: Any, ctx: StepContext) -> DataFrame:
    """Add ``<prefix><part>`` integer columns from a date, timestamp or string column.

    A string is parsed with ``format`` (a Spark datetime pattern) or as an ISO timestamp;
    a non-null string that does not parse yields null parts and is counted in
    ``notes["parse_failures"]``.
    """
    from pyspark.sql import functions as F
    from pyspark.sql.types import DateType, TimestampNTZType, TimestampType

    name = ctx.name(df, params.column)
    dtype = df.schema[name].dataType
    source = col(name)
    if isinstance(dtype, (DateType, TimestampType, TimestampNTZType)):
        moment: Column = source
    elif is_string(dtype):
        if params.format:
            moment = F.try_to_timestamp(source, F.lit(params.format))
        else:
            moment = cast_expr(name, "timestamp")

        def fill(values: dict[str, Any], notes: dict[str, Any]) -> None:
            notes["parse_failures"] = int(values["p"])

        failed = count_where(source.isNotNull() & moment.isNull())
        df = ctx.observe(df, {"p": failed}, fill, ["parse_failures"])
    else:
        raise type_error(ctx, name, dtype, "a date, timestamp or string column")
    prefix = params.prefix if params.prefix is not None else f"{name}_"
    functions = _part_functions()
    out = df.withColumns({f"{prefix}{part}": functions[part](moment) for part in params.parts})
    return out.drop(name) if params.drop else out


def bucketize(df: DataFrame, params: Any, ctx: StepContext) -> DataFrame:
    """Bucket a numeric column by ``splits``: [s0, s1), [s1, s2), ..., [s(n-1), sn] (last closed).

    The output is the bucket index (0-based) or its label; values outside the splits and
    NaN become null and are counted in ``notes["out_of_range"]``.
    """
    from pyspark.sql import functions as F

    name = ctx.name(df, params.column)
    dtype = df.schema[name].dataType
    if not is_numeric(dtype):
        raise type_error(ctx, name, dtype, "a numeric column")
    source = col(name)
    splits = params.splits
    labels = params.labels or list(range(len(splits) - 1))
    expr = F.when(F.isnan(source), F.lit(None))
    last = len(splits) - 2
    for i, (low, high) in enumerate(pairwise(splits)):
        upper_ok = source <= high if i == last else source < high
        expr = expr.when((source >= low) & upper_ok, F.lit(labels[i]))
    bucket = expr.otherwise(F.lit(None))
    output = params.output or f"{name}_bucket"

    def fill(values: dict[str, Any], notes: dict[str, Any]) -> None:
        notes["out_of_range"] = int(values["o"])

    df = ctx.observe(df, {"o": count_where(source.isNotNull() & bucket.isNull())}, fill, ["out_of_range"])
    return df.withColumn(output, bucket)
