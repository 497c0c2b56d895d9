"""The step and check kinds: one registry of names, summaries and parameter models.

A step in YAML is a one-key mapping, ``- cast: {int_rate: double}``; the key picks the
:class:`Kind` in :data:`STEP_KINDS` whose model validates the parameters.  Checks work the
same way with :data:`CHECK_KINDS`.  ``prep`` registers one implementation per kind (a test
holds the two sides equal), and the JSON Schema of the spec is generated from these tables.

>>> STEP_KINDS["cast"].validate({"int_rate": "DOUBLE"})
{'int_rate': 'double'}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    RootModel,
    TypeAdapter,
    field_validator,
    model_validator,
)

Scalar = str | int | float | bool
SPARK_TYPES = {
    "string", "int", "integer", "bigint", "long", "double", "float", "boolean", "bool",
    "date", "timestamp", "short", "smallint", "tinyint", "byte",
}  # fmt: skip


def _check_type(value: str) -> str:
    v = value.strip().lower()
    if v in SPARK_TYPES or v.startswith("decimal("):
        return v
    raise ValueError(f"unknown type {value!r}; use one of {sorted(SPARK_TYPES)} or decimal(p,s)")


class _Params(BaseModel):
    # defer_build: each model's validator is built on its first use, so a command (or a service)
    # that never reads a pipeline spec does not pay for building them all at import.
    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)


Columns = Annotated[list[str], Field(min_length=1)]


class ColumnList(RootModel[Columns]):
    pass


class StrMap(RootModel[dict[str, str]]):
    pass


class CastParams(RootModel[dict[str, str]]):
    @field_validator("root")
    @classmethod
    def _types(cls, v: dict[str, str]) -> dict[str, str]:
        return {col: _check_type(t) for col, t in v.items()}


class TrimParams(RootModel[Columns | Literal["all"]]):
    pass


class Constant(_Params):
    constant: Scalar = Field(description="The value that replaces nulls.")


FillRule = Literal["mean", "median", "mode"] | Constant | int | float | bool


class FillMissingParams(RootModel[dict[str, FillRule]]):
    pass


class DedupeParams(_Params):
    keys: Columns = Field(description="Columns that together identify a row.")
    order_by: str | None = Field(None, description="Column deciding which duplicate is kept.")
    keep: Literal["first", "last"] = Field(
        "first", description="Keep the row with the smallest (first) or largest (last) order_by."
    )


DatePart = Literal["year", "month", "day", "dayofweek", "dayofyear", "hour", "minute", "week", "quarter"]
DEFAULT_PARTS: tuple[DatePart, ...] = ("year", "month", "day", "dayofweek")


class DatePartsParams(_Params):
    column: str = Field(description="Date, timestamp or date-string column.")
    parts: list[DatePart] = Field(
        default_factory=lambda: list(DEFAULT_PARTS), description="Parts to extract."
    )
    format: str | None = Field(None, description="Spark datetime pattern when the column is a string.")
    prefix: str | None = Field(None, description="Output prefix; defaults to '<column>_'.")
    drop: bool = Field(False, description="Drop the source column afterwards.")


class BucketizeParams(_Params):
    column: str = Field(description="Numeric column to bucket.")
    splits: Annotated[list[float], Field(min_length=2)] = Field(
        description="Increasing bucket edges; a value outside them becomes null."
    )
    output: str | None = Field(None, description="Output column; defaults to '<column>_bucket'.")
    labels: list[str] | None = Field(None, description="One label per bucket instead of its index.")

    @model_validator(mode="after")
    def _sorted(self) -> BucketizeParams:
        if sorted(self.splits) != self.splits:
            raise ValueError("splits must be increasing")
        if self.labels is not None and len(self.labels) != len(self.splits) - 1:
            raise ValueError("labels must have one entry per bucket (len(splits) - 1)")
        return self


def _ordered(bounds: tuple[float | None, float | None]) -> tuple[float | None, float | None]:
    low, high = bounds
    if low is not None and high is not None and low > high:
        raise ValueError(f"lower bound {low} is above upper bound {high}")
    return bounds


class Bounds(RootModel[tuple[float | None, float | None]]):
    _order = field_validator("root")(_ordered)


class ClipParams(RootModel[dict[str, Bounds]]):
    pass


class MapValuesParams(_Params):
    column: str = Field(description="Column whose values are replaced.")
    mapping: dict[str, Scalar | None] = Field(description="Old value (as text) to new value.")
    default: Scalar | None = Field(None, description="Value for unmapped entries; None keeps them.")
    keep_unmapped: bool = Field(True, description="Keep values not in mapping (else they become null).")

    @model_validator(mode="after")
    def _one_fallback(self) -> MapValuesParams:
        if self.default is not None and "keep_unmapped" in self.model_fields_set and self.keep_unmapped:
            raise ValueError("set 'default' or 'keep_unmapped: true', not both")
        return self


class JoinParams(_Params):
    with_: str = Field(alias="with", description="Source or dataset to join with.")
    on: Columns = Field(description="Key columns present on both sides.")
    how: Literal["inner", "left", "right", "full", "left_semi", "left_anti"] = Field(
        "left", description="Spark join type."
    )


FUNCTION_REF = r"^[\w.]+:\w+$"


class PythonParams(_Params):
    function: str = Field(pattern=FUNCTION_REF, description="module:function, called as f(df, **params).")
    params: dict[str, Any] = Field(default_factory=dict, description="Keyword arguments for the function.")


def _python_shorthand(value: Any) -> Any:
    return {"function": value} if isinstance(value, str) else value


FunctionRef = Annotated[str, Field(pattern=FUNCTION_REF, description="module:function, called as f(df).")]
PythonStep = Annotated[
    PythonParams, BeforeValidator(_python_shorthand, json_schema_input_type=FunctionRef | PythonParams)
]


@dataclass(frozen=True)
class Kind:
    """A step or check kind: its YAML key, one line on what it does, its parameter model."""

    name: str
    params: Any
    summary: str

    @cached_property
    def adapter(self) -> TypeAdapter[Any]:
        return TypeAdapter(self.params)

    def validate(self, raw: Any) -> Any:
        """The validated parameters (a root model's value unwrapped); pydantic errors propagate."""
        params = self.adapter.validate_python(raw)
        return getattr(params, "root", params)


def _registry(*kinds: Kind) -> Mapping[str, Kind]:
    table: dict[str, Kind] = {}
    for kind in kinds:
        if kind.name in table:
            raise ValueError(f"kind {kind.name!r} declared twice")
        table[kind.name] = kind
    return MappingProxyType(table)


STEP_KINDS: Mapping[str, Kind] = _registry(
    Kind("select", ColumnList, "Keep only these columns, in this order."),
    Kind("drop", ColumnList, "Remove these columns."),
    Kind("rename", StrMap, "Rename columns: old name to new name."),
    Kind("cast", CastParams, "Cast columns to Spark types; values that become null are counted."),
    Kind("trim", TrimParams, "Strip surrounding whitespace from these string columns (or all)."),
    Kind("lower", ColumnList, "Lower-case these string columns."),
    Kind("upper", ColumnList, "Upper-case these string columns."),
    Kind("fill_missing", FillMissingParams, "Replace nulls: mean, median, mode or {constant: v}."),
    Kind("filter", str, "Keep the rows where this Spark SQL condition holds; removed rows are counted."),
    Kind("derive", StrMap, "Add or replace columns from Spark SQL expressions."),
    Kind("dedupe", DedupeParams, "Keep one row per key."),
    Kind("date_parts", DatePartsParams, "Add year, month, day ... columns from a date column."),
    Kind("bucketize", BucketizeParams, "Bin a numeric column by split points."),
    Kind("clip", ClipParams, "Clamp numeric columns to [low, high]; null means unbounded."),
    Kind("map_values", MapValuesParams, "Replace values of a column by a mapping."),
    Kind("join", JoinParams, "Join another source or dataset."),
    Kind("python", PythonStep, "Call your function f(df, **params) -> DataFrame."),
)
"""Every prep step kind; ``sparkwing.prep`` implements each one."""


class RangeBounds(RootModel[tuple[float | None, float | None]]):
    _order = field_validator("root")(_ordered)


class RowCountParams(_Params):
    min: int | None = Field(None, ge=0, description="Fewest rows allowed.")
    max: int | None = Field(None, ge=0, description="Most rows allowed.")

    @model_validator(mode="after")
    def _order(self) -> RowCountParams:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min is above max")
        return self


class InRangeParams(RootModel[dict[str, RangeBounds]]):
    pass


class InSetParams(RootModel[dict[str, list[Scalar]]]):
    pass


class MaxNullShareParams(RootModel[dict[str, Annotated[float, Field(ge=0, le=1)]]]):
    pass


CHECK_KINDS: Mapping[str, Kind] = _registry(
    Kind("not_null", ColumnList, "These columns have no nulls."),
    Kind("unique", ColumnList, "These columns together are a key (nulls compare equal)."),
    Kind("in_range", InRangeParams, "Non-null values lie in [low, high]; NaN never does."),
    Kind("in_set", InSetParams, "Non-null values are among the listed ones."),
    Kind("regex", StrMap, "Non-null values match the (Java) regular expression as a whole."),
    Kind("row_count", RowCountParams, "The row count lies in [min, max]."),
    Kind("max_null_share", MaxNullShareParams, "At most this share (0..1) of a column is null."),
)
"""Every quality check kind; ``sparkwing.prep`` implements each one."""
