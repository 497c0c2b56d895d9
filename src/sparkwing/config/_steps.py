"""Parameter models of the declarative prep steps and quality checks.

A step in YAML is a one-key mapping, ``- cast: {int_rate: double}``; the key picks the
model below that validates its parameters.  ``prep`` implements each step by the same name.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel, field_validator, model_validator

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
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


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
    constant: Scalar


FillRule = Literal["mean", "median", "mode"] | Constant | int | float | bool


class FillMissingParams(RootModel[dict[str, FillRule]]):
    pass


class DedupeParams(_Params):
    keys: Columns
    order_by: str | None = Field(None, description="Column deciding which duplicate is kept.")
    keep: Literal["first", "last"] = "first"


DatePart = Literal["year", "month", "day", "dayofweek", "dayofyear", "hour", "minute", "week", "quarter"]


class DatePartsParams(_Params):
    column: str
    parts: list[DatePart] = Field(default_factory=lambda: ["year", "month", "day", "dayofweek"])
    format: str | None = Field(None, description="Spark datetime pattern when the column is a string.")
    prefix: str | None = Field(None, description="Output prefix; defaults to '<column>_'.")
    drop: bool = False


class BucketizeParams(_Params):
    column: str
    splits: Annotated[list[float], Field(min_length=2)]
    output: str | None = None
    labels: list[str] | None = None

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
    column: str
    mapping: dict[str, Scalar | None]
    default: Scalar | None = Field(None, description="Value for unmapped entries; None keeps them.")
    keep_unmapped: bool = True

    @model_validator(mode="after")
    def _one_fallback(self) -> MapValuesParams:
        if self.default is not None and "keep_unmapped" in self.model_fields_set and self.keep_unmapped:
            raise ValueError("set 'default' or 'keep_unmapped: true', not both")
        return self


class JoinParams(_Params):
    with_: str = Field(alias="with", description="Source or dataset to join with.")
    on: Columns
    how: Literal["inner", "left", "right", "full", "left_semi", "left_anti"] = "left"


class PythonParams(_Params):
    function: str = Field(pattern=r"^[\w.]+:\w+$", description="module:function")
    params: dict[str, Any] = Field(default_factory=dict)


class GlrmParams(_Params):
    k: int = Field(3, ge=1, description="Number of archetype features to add.")
    columns: list[str] | None = Field(None, description="Input columns; default all numeric/categorical.")
    prefix: str = "glrm_"
    seed: int = 42
    max_iterations: int = 100
    model_name: str | None = Field(None, description="Registry name for the GLRM model.")


STEP_PARAMS: dict[str, Any] = {
    "select": ColumnList,
    "drop": ColumnList,
    "rename": StrMap,
    "cast": CastParams,
    "trim": TrimParams,
    "lower": ColumnList,
    "upper": ColumnList,
    "fill_missing": FillMissingParams,
    "filter": str,
    "derive": StrMap,
    "dedupe": DedupeParams,
    "date_parts": DatePartsParams,
    "bucketize": BucketizeParams,
    "clip": ClipParams,
    "map_values": MapValuesParams,
    "join": JoinParams,
    "python": PythonParams,
    "glrm": GlrmParams,
}


class RangeBounds(RootModel[tuple[float | None, float | None]]):
    _order = field_validator("root")(_ordered)


class RowCountParams(_Params):
    min: int | None = Field(None, ge=0)
    max: int | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _order(self) -> RowCountParams:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min is above max")
        return self


CHECK_PARAMS: dict[str, Any] = {
    "not_null": ColumnList,
    "unique": ColumnList,
    "in_range": RootModel[dict[str, RangeBounds]],
    "in_set": RootModel[dict[str, list[Scalar]]],
    "regex": StrMap,
    "row_count": RowCountParams,
    "max_null_share": RootModel[dict[str, Annotated[float, Field(ge=0, le=1)]]],
}
