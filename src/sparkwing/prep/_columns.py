"""Column-wise steps: select, drop, rename, cast, trim, lower/upper, derive, clip, map_values.

Each function is pure: ``(df, params, ctx) -> df``; nothing here runs a Spark job.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sparkwing.errors import ConfigError
from sparkwing.prep._context import StepContext, col, quote

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame
    from pyspark.sql.types import DataType

# Spark SQL spells these differently from the names the spec accepts.
TYPE_ALIASES = {"bool": "boolean", "integer": "int", "long": "bigint", "short": "smallint", "byte": "tinyint"}


def count_where(condition: Column) -> Column:
    """How many rows satisfy ``condition`` (0 on an empty DataFrame, nulls count as false)."""
    from pyspark.sql import functions as F

    return F.count(F.when(condition, F.lit(1)))


def type_error(ctx: StepContext, column: str, dtype: DataType, wanted: str) -> ConfigError:
    msg = f"{ctx.where}: column {column!r} is {dtype.simpleString()}, needs {wanted}"
    return ConfigError(msg, hint="cast it first with a cast step")


def is_numeric(dtype: DataType) -> bool:
    from pyspark.sql.types import NumericType

    return isinstance(dtype, NumericType)


def is_string(dtype: DataType) -> bool:
    from pyspark.sql.types import StringType

    return isinstance(dtype, StringType)


def select(df: DataFrame, params: list[str], ctx: StepContext) -> DataFrame:
    return df.select(*[col(c) for c in ctx.names(df, params)])


def drop(df: DataFrame, params: list[str], ctx: StepContext) -> DataFrame:
    return df.drop(*ctx.names(df, params))


def rename(df: DataFrame, params: dict[str, str], ctx: StepContext) -> DataFrame:
    mapping = {ctx.name(df, old): new for old, new in params.items()}
    kept = [c for c in df.columns if c not in mapping]
    final = kept + list(mapping.values())
    fold = (lambda s: s) if ctx.case_sensitive else str.lower
    seen: set[str] = set()
    for name in final:
        if fold(name) in seen:
            msg = f"{ctx.where}: renaming would create a second column {name!r}"
            raise ConfigError(msg, hint="drop or rename that column first")
        seen.add(fold(name))
    return df.withColumnsRenamed(mapping)


def cast_expr(column: str, spark_type: str) -> Column:
    """``try_cast``: a value that does not convert becomes null, whatever spark.sql.ansi.enabled says."""
    from pyspark.sql import functions as F

    return F.expr(f"try_cast({quote(column)} AS {TYPE_ALIASES.get(spark_type, spark_type)})")


def cast(df: DataFrame, params: dict[str, str], ctx: StepContext) -> DataFrame:
    """Cast columns; a non-null value that becomes null is a *cast failure*, counted per column.

    The count is observed on the data as it flows through the first action (no extra job)
    and lands in ``notes["cast_failures"]`` once :func:`resolve_stats` runs.
    """
    targets = {ctx.name(df, c): t for c, t in params.items()}
    failures = {c: count_where(col(c).isNotNull() & cast_expr(c, t).isNull()) for c, t in targets.items()}
    metrics = {f"f{i}": m for i, m in enumerate(failures.values())}

    def fill(values: dict[str, Any], notes: dict[str, Any]) -> None:
        notes["cast_failures"] = {c: int(values[f"f{i}"]) for i, c in enumerate(failures)}

    observed = ctx.observe(df, metrics, fill, ["cast_failures"])
    return observed.withColumns({c: cast_expr(c, t) for c, t in targets.items()})


def _string_columns(df: DataFrame, params: list[str] | str, ctx: StepContext) -> list[str]:
    fields = {f.name: f.dataType for f in df.schema.fields}
    if params == "all":
        return [name for name, dtype in fields.items() if is_string(dtype)]
    names = ctx.names(df, params)
    for name in names:
        if not is_string(fields[name]):
            raise type_error(ctx, name, fields[name], "a string column")
    return names


def trim(df: DataFrame, params: list[str] | str, ctx: StepContext) -> DataFrame:
    """Strip leading and trailing spaces (Spark's ``trim``: the space character only)."""
    from pyspark.sql import functions as F

    names = _string_columns(df, params, ctx)
    return df.withColumns({c: F.trim(col(c)) for c in names}) if names else df


def lower(df: DataFrame, params: list[str], ctx: StepContext) -> DataFrame:
    from pyspark.sql import functions as F

    return df.withColumns({c: F.lower(col(c)) for c in _string_columns(df, params, ctx)})


def upper(df: DataFrame, params: list[str], ctx: StepContext) -> DataFrame:
    from pyspark.sql import functions as F

    return df.withColumns({c: F.upper(col(c)) for c in _string_columns(df, params, ctx)})


def derive(df: DataFrame, params: dict[str, str], ctx: StepContext) -> DataFrame:  # noqa: ARG001
    """New columns from SQL expressions, in order: a later one may use an earlier one."""
    from pyspark.sql import functions as F

    for name, expression in params.items():
        df = df.withColumn(name, F.expr(expression))
    return df


def clip(df: DataFrame, params: dict[str, Any], ctx: StepContext) -> DataFrame:
    """Limit numeric columns to [low, high]; nulls and NaN stay as they are; the type is kept."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import DoubleType, FloatType

    fields = {f.name: f.dataType for f in df.schema.fields}
    out: dict[str, Column] = {}
    clipped: dict[str, Column] = {}
    for given, bounds in params.items():
        low, high = getattr(bounds, "root", bounds)
        name = ctx.name(df, given)
        dtype = fields[name]
        if not is_numeric(dtype):
            raise type_error(ctx, name, dtype, "a numeric column")
        c = col(name)
        real = ~F.isnan(c) if isinstance(dtype, (DoubleType, FloatType)) else F.lit(True)
        below = (c < low) if low is not None else F.lit(False)
        above = (c > high) & real if high is not None else F.lit(False)
        expr = F.when(below, F.lit(low)).when(above, F.lit(high)).otherwise(c)
        out[name] = expr.cast(dtype)
        clipped[name] = count_where(below | above)
    names = list(clipped)

    def fill(values: dict[str, Any], notes: dict[str, Any]) -> None:
        notes["clipped"] = {c: int(values[f"c{i}"]) for i, c in enumerate(names)}

    df = ctx.observe(df, {f"c{i}": m for i, m in enumerate(clipped.values())}, fill, ["clipped"])
    return df.withColumns(out)


def map_values(df: DataFrame, params: Any, ctx: StepContext) -> DataFrame:
    """Replace values by a mapping (keys compared as strings); nulls stay null.

    Unmapped values become ``default`` if it is set, else stay as they are
    (``keep_unmapped: true``, the default) or become null (``keep_unmapped: false``).
    """
    from pyspark.sql import functions as F

    name = ctx.name(df, params.column)
    source = col(name)
    key = source.cast("string")
    if params.default is not None:
        fallback = F.lit(params.default)
    elif params.keep_unmapped:
        fallback = source
    else:
        fallback = F.lit(None)
    if not params.mapping:
        return df.withColumn(name, F.when(source.isNull(), source).otherwise(fallback))
    expr = F.when(source.isNull(), F.lit(None))
    for k, v in params.mapping.items():
        expr = expr.when(key == F.lit(k), F.lit(v))
    return df.withColumn(name, expr.otherwise(fallback))
