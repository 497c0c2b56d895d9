"""Row steps: filter, dedupe and join.  Rows they remove are counted, never lost silently."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sparkwing.errors import ConfigError
from sparkwing.prep._columns import count_where
from sparkwing.prep._context import StepContext, col, resolve_name, unknown_column

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame
    from pyspark.sql.types import DataType

RANK = "__sparkwing_rank"


def _rows_notes(values: dict[str, Any], notes: dict[str, Any]) -> None:
    """Copy observed ``rows_in``/``rows_out`` into the notes; both known → ``rows_removed``."""
    for key in ("rows_in", "rows_out"):
        if key in values:
            notes[key] = int(values[key])
    if "rows_in" in notes and "rows_out" in notes:
        notes["rows_removed"] = notes["rows_in"] - notes["rows_out"]


def filter_rows(df: DataFrame, params: str, ctx: StepContext) -> DataFrame:
    """Keep the rows where the SQL predicate is true (false *and null* remove the row).

    ``notes`` gets ``rows_in``, ``rows_out`` and ``rows_removed``, observed as the data
    flows into the filter (one observation, no extra job; a non-deterministic predicate
    such as ``rand() < 0.5`` is evaluated separately for the count).
    """
    from pyspark.sql import functions as F

    predicate = F.expr(params)
    metrics = {"rows_in": F.count(F.lit(1)), "rows_out": count_where(predicate)}
    observed = ctx.observe(df, metrics, _rows_notes, ["rows_in", "rows_out", "rows_removed"])
    return observed.filter(predicate)


def _orderable(dtype: DataType) -> bool:
    from pyspark.sql.types import ArrayType, MapType, StructType

    if isinstance(dtype, MapType):
        return False
    if isinstance(dtype, ArrayType):
        return _orderable(dtype.elementType)
    if isinstance(dtype, StructType):
        return all(_orderable(f.dataType) for f in dtype.fields)
    return True


def dedupe(df: DataFrame, params: Any, ctx: StepContext) -> DataFrame:
    """Keep one row per key.

    With ``order_by`` the row with the smallest (``keep: first``) or largest (``last``)
    value wins, nulls never preferred; ties, and every case without ``order_by``, are
    broken by the remaining columns in ascending order, so the same input always keeps
    the same row whatever the partitioning.
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    keys = ctx.names(df, params.keys)
    order: list[Column] = []
    if params.order_by is not None:
        by = col(ctx.name(df, params.order_by))
        order.append(by.asc_nulls_last() if params.keep == "first" else by.desc_nulls_last())
    rest = [f.name for f in df.schema.fields if f.name not in keys and _orderable(f.dataType)]
    order += [col(c).asc_nulls_first() for c in rest] or [col(k) for k in keys]
    window = Window.partitionBy(*[col(k) for k in keys]).orderBy(*order)
    ranked = df.withColumn(RANK, F.row_number().over(window))
    ranked = ctx.observe(
        ranked,
        {"rows_in": F.count(F.lit(1)), "rows_out": count_where(col(RANK) == 1)},
        _rows_notes,
        ["rows_in", "rows_out", "rows_removed"],
    )
    return ranked.filter(col(RANK) == 1).drop(RANK)


def join(df: DataFrame, params: Any, ctx: StepContext) -> DataFrame:
    """Join with another named DataFrame from ``inputs`` on equal key columns.

    Null keys never match (SQL equality).  A non-key column of the other side whose name
    is already taken is renamed ``<column>_<other>``, listed in ``notes["renamed"]``.
    """
    other_name = params.with_
    if other_name not in ctx.inputs:
        raise unknown_column(ctx.where, other_name, sorted(ctx.inputs), what="input")
    other = ctx.inputs[other_name]
    keys = ctx.names(df, params.on)
    other_where = f"{ctx.where} (in {other_name!r})"
    other_keys = [resolve_name(other, k, other_where, ctx.case_sensitive) for k in keys]
    other = other.withColumnsRenamed({o: k for o, k in zip(other_keys, keys, strict=True) if o != k})
    fold = (lambda s: s) if ctx.case_sensitive else str.lower
    taken = {fold(c) for c in df.columns}
    renamed: dict[str, str] = {}
    if params.how not in ("left_semi", "left_anti"):
        for c in other.columns:
            if c in keys or fold(c) not in taken:
                continue
            new = f"{c}_{other_name}"
            if fold(new) in taken or new in other.columns:
                msg = f"{ctx.where}: column {c!r} exists on both sides and {new!r} is taken too"
                raise ConfigError(msg, hint="rename it first")
            renamed[c] = new
    if renamed:
        other = other.withColumnsRenamed(renamed)
        ctx.notes["renamed"] = renamed
    return df.join(other, on=keys, how=params.how)
