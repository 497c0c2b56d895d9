"""fill_missing: replace nulls by a statistic of the column or by a constant.

All statistics of one step come from ONE aggregate job: ``mean`` is ``avg``; ``median`` is
``percentile_approx(col, 0.5, 10000)`` (an actual value of the column whose rank is within
n/10000 of the middle; exact for small data); ``mode`` is Spark's ``mode`` (the most
frequent non-null value, ties broken arbitrarily).  Integral columns get the rounded mean.
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import TYPE_CHECKING, Any

from sparkwing.errors import ConfigError
from sparkwing.prep._columns import count_where, is_numeric, type_error
from sparkwing.prep._context import StepContext, col

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame
    from pyspark.sql.types import DataType

MEDIAN_ACCURACY = 10_000  # Spark's default: rank error at most n/10000
STATISTICS = ("mean", "median", "mode")


def _jsonable(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def _statistic(kind: str, name: str) -> Column:
    from pyspark.sql import functions as F

    if kind == "mean":
        return F.avg(col(name))
    if kind == "median":
        return F.percentile_approx(col(name), 0.5, MEDIAN_ACCURACY)
    return F.mode(col(name))


def _constant(ctx: StepContext, name: str, dtype: DataType, value: Any) -> Any:
    from pyspark.sql.types import BooleanType

    numeric_value = isinstance(value, (int, float)) and not isinstance(value, bool)
    ok = (
        (is_numeric(dtype) and numeric_value)
        or (isinstance(dtype, BooleanType) and isinstance(value, bool))
        or not (is_numeric(dtype) or isinstance(dtype, BooleanType))
    )
    if not ok:
        msg = f"{ctx.where}: constant {value!r} does not fit column {name!r} ({dtype.simpleString()})"
        raise ConfigError(msg, hint="use a value of the column's type")
    return value


def fill_missing(df: DataFrame, params: dict[str, Any], ctx: StepContext) -> DataFrame:
    """Fill nulls; ``notes`` gets ``fill_values`` now and ``filled`` (nulls replaced) lazily."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import DecimalType, FractionalType, IntegralType

    fields = {f.name: f.dataType for f in df.schema.fields}
    values: dict[str, Any] = {}
    stats: dict[str, str] = {}
    for given, rule in params.items():
        name = ctx.name(df, given)
        if isinstance(rule, str) and rule in STATISTICS:
            if rule != "mode" and not is_numeric(fields[name]):
                raise type_error(ctx, name, fields[name], f"a numeric column for {rule}")
            stats[name] = rule
        else:
            values[name] = _constant(ctx, name, fields[name], getattr(rule, "constant", rule))
    if stats:
        # The one Spark job this step needs: every statistic in a single aggregate.
        row = df.agg(*[_statistic(k, c).alias(f"s{i}") for i, (c, k) in enumerate(stats.items())]).first()
        for i, (name, kind) in enumerate(stats.items()):
            value = row[f"s{i}"] if row is not None else None
            dtype = fields[name]
            if kind == "mean" and value is not None and isinstance(dtype, IntegralType):
                value = round(value)
            elif kind == "mean" and value is not None and isinstance(dtype, FractionalType):
                value = float(value) if not isinstance(dtype, DecimalType) else value
            values[name] = value
    unfilled = sorted(c for c, v in values.items() if v is None)
    fills = {c: v for c, v in values.items() if v is not None}
    ctx.notes["fill_values"] = {c: _jsonable(v) for c, v in values.items()}
    if unfilled:
        ctx.notes["unfilled"] = unfilled  # the column has no non-null value to take a statistic from
    if not fills:
        return df
    names = list(fills)

    def fill(observed: dict[str, Any], notes: dict[str, Any]) -> None:
        notes["filled"] = {c: int(observed[f"n{i}"]) for i, c in enumerate(names)}

    nulls = {f"n{i}": count_where(col(c).isNull()) for i, c in enumerate(names)}
    df = ctx.observe(df, nulls, fill, ["filled"])
    return df.withColumns({c: F.coalesce(col(c), F.lit(v).cast(fields[c])) for c, v in fills.items()})
