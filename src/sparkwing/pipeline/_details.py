"""What each kind of step reports in its run record: one typed ``details`` per step kind.

``run.json`` keeps them as JSON objects with a ``kind`` (the step's kind); records written
before the details were typed have no ``kind`` inside ``details`` and still load, since the step
record supplies it.  Unknown keys of an old record are kept in ``extra``, never dropped.

>>> StepDetailsAdapter.validate_python({"kind": "tables", "version": "v1"}).version
'v1'
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator, model_validator

from sparkwing.monitor import DriftReport
from sparkwing.registry import PromotionDecision, SourceFingerprint


class _Details(BaseModel):
    model_config = ConfigDict(extra="forbid")

    extra: dict[str, Any] = Field(
        default_factory=dict, description="Keys of an older record with no field here."
    )

    @model_validator(mode="before")
    @classmethod
    def _keep_unknown(cls, data: Any) -> Any:
        """Keys this version has no field for (an older or newer record) move to ``extra``."""
        if not isinstance(data, dict):
            return data
        known = set(cls.model_fields)
        unknown = {k: v for k, v in data.items() if k not in known}
        if not unknown:
            return data
        kept = {k: v for k, v in data.items() if k in known}
        kept["extra"] = {**dict(data.get("extra") or {}), **unknown}
        return kept


class Fingerprint(SourceFingerprint):
    """A source's fingerprint in a run record (keys a newer reader added are kept, not refused)."""

    model_config = ConfigDict(extra="allow")


class SourceDetails(_Details):
    kind: Literal["sources"] = "sources"
    format: str | None = None
    uri: str | None = None
    quarantine: str | None = Field(default=None, description="Where the quarantined rows were written.")
    quarantine_reasons: dict[str, int] = Field(default_factory=dict, description="Reason -> rows.")
    max_quarantine_share: float | None = Field(
        default=None, description="The quarantined share of rows over which the source fails (the limit "
        "it was read with; older records: unknown).")
    fingerprint: Fingerprint | None = None
    extra_keys: dict[str, int] | None = Field(default=None, description="Undeclared key -> rows.")
    zero_based: dict[str, Any] | None = Field(
        default=None, description="SVMLight: the index base and how it was chosen (declared or inferred)."
    )
    notes: list[str] = Field(default_factory=list, description="Decisions the reader took (e.g. index base).")
    incremental: dict[str, Any] | None = Field(
        default=None, description="Incremental source: the files read (new, changed) and how many were "
        "already consumed; a resume reads the same files, the ledger takes them when the run succeeds.",
    )


class PrepStepStats(BaseModel):
    """Figures one prep step observed (cast failures, rows filtered out, fill values)."""

    model_config = ConfigDict(extra="allow")

    index: int
    kind: str
    notes: dict[str, Any] = Field(default_factory=dict)


class DatasetDetails(_Details):
    kind: Literal["datasets"] = "datasets"
    steps: list[PrepStepStats] = Field(default_factory=list, description="Steps with something to report.")


class FeaturesDetails(_Details):
    """A learned-features step: the model it registered (or, on a resume, reused) and its columns."""

    kind: Literal["features"] = "features"
    algorithm: str | None = None
    version: int | None = Field(default=None, description="The registered version of the feature model.")
    uri: str | None = None
    columns: list[str] = Field(default_factory=list, description="The columns it adds.")
    input_columns: list[str] = Field(default_factory=list, description="The columns it learned from.")
    reused: bool = Field(
        default=False, description="A resume projected the rows with the version registered before "
        "instead of training again.",
    )


class TableDetails(_Details):
    kind: Literal["tables"] = "tables"
    version: str | None = None
    location: str | None = None
    previous_version: str | None = None
    skipped: bool = Field(default=False, description="This run had already published the version.")


class ModelDetails(_Details):
    kind: Literal["models"] = "models"
    h2o_cloud_size: int | None = None
    h2o_nodes: list[str] = Field(default_factory=list)
    version: int | None = Field(default=None, description="The registered version.")
    uri: str | None = None
    algorithm: str | None = None
    metrics: dict[str, float] = Field(default_factory=dict, description="Holdout figures (the card has all).")
    metrics_on: Literal["holdout", "cv"] = Field(
        default="holdout", description="Where metrics were measured: cv for a model trained on every row."
    )
    leaderboard: list[dict[str, Any]] = Field(default_factory=list, description="Top rows.")
    promotion: PromotionDecision | None = None

    @field_validator("metrics", mode="before")
    @classmethod
    def _figures(cls, v: Any) -> Any:
        """Scalar figures only (older records also held the confusion matrix and row count)."""
        if not isinstance(v, dict):
            return v
        return {
            k: x for k, x in v.items()
            if k != "rows" and isinstance(x, (int, float)) and not isinstance(x, bool) and not math.isnan(x)
        }  # fmt: skip


class ScoreDetails(_Details):
    kind: Literal["scores"] = "scores"
    model: str | None = Field(default=None, description="The version scored with, NAME@VERSION.")
    scorer: str | None = Field(default=None, description="What scored the batch: mojo or h2o.")
    unseen_levels: dict[str, int] = Field(default_factory=dict, description="Column -> rows, new levels.")
    missing_features: list[str] = Field(default_factory=list)
    output: str | None = Field(default=None, description="The lake URI written (scores with an output).")
    version: str | None = Field(default=None, description="The table version published.")
    location: str | None = None
    drift: DriftReport | None = Field(default=None, description="Against the model's training profile.")


StepDetails = Annotated[
    SourceDetails | DatasetDetails | FeaturesDetails | TableDetails | ModelDetails | ScoreDetails,
    Field(discriminator="kind"),
]
StepDetailsAdapter: TypeAdapter[StepDetails] = TypeAdapter(StepDetails)
DETAILS: dict[str, type[_Details]] = {
    "sources": SourceDetails, "datasets": DatasetDetails, "features": FeaturesDetails, "tables": TableDetails,
    "models": ModelDetails, "scores": ScoreDetails,
}  # fmt: skip


def details_for(kind: str) -> _Details:
    """Empty details of a step kind."""
    return DETAILS[kind]()
