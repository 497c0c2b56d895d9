"""The JSON bodies of the API (pydantic: they validate requests and document the OpenAPI)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class PredictRequest(BaseModel):
    """Rows to score: ``{"rows": [{...}]}`` or ``{"columns": [...], "data": [[...]]}``."""

    model_config = ConfigDict(extra="forbid")

    rows: list[dict[str, Any]] | None = Field(None, description="One object per row: feature name -> value.")
    columns: list[str] | None = Field(None, description="Column names of `data`.")
    data: list[list[Any]] | None = Field(None, description="Rows as arrays, in the order of `columns`.")
    strict: bool = Field(
        False, description="Refuse rows that lack a feature (422) instead of scoring it as NA."
    )

    @model_validator(mode="after")
    def _one_shape(self) -> PredictRequest:
        if (self.rows is None) == (self.columns is None and self.data is None):
            raise ValueError("give either `rows`, or `columns` and `data`")
        if self.rows is None and (self.columns is None or self.data is None):
            raise ValueError("`columns` and `data` go together")
        if self.columns is not None and len(set(self.columns)) != len(self.columns):
            raise ValueError("`columns` has a name more than once")
        if self.data is not None and self.columns is not None:
            width = len(self.columns)
            for i, row in enumerate(self.data):
                if len(row) != width:
                    raise ValueError(f"data[{i}] has {len(row)} values for {width} columns")
        return self

    def count(self) -> int:
        return len(self.rows) if self.rows is not None else len(self.data or [])


class RowWarningOut(BaseModel):
    row: int
    column: str
    kind: str = Field(description="missing_feature, unknown_level, unparseable or wrong_type")
    message: str


class PredictResponse(BaseModel):
    model: str
    version: int
    alias: str | None
    predictions: list[dict[str, Any]]
    warnings: list[RowWarningOut]
    warnings_total: int = Field(description="All warnings, also those past the listed ones.")
    unknown_columns: list[str] = Field(description="Input columns that are not features (ignored).")
    missing_features: list[str] = Field(description="Features absent from at least one row (scored as NA).")


class ErrorOut(BaseModel):
    code: str = Field(description="Stable machine-readable error code.")
    message: str
    hint: str | None = None
    details: Any = None


class ModelStatus(BaseModel):
    name: str
    alias: str | None
    pinned_version: int | None
    version: int | None
    state: str = Field(description="ready, loading or failed")
    error: str | None
    failed_version: int | None
    loaded_at: str | None
    checked_at: str | None
