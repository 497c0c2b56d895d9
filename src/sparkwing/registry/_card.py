"""The model card: what a registered version is, how well it did, where it came from.

``card.json`` is the card as indented JSON (readable by people, the same locally and on S3).
It is validated whenever it is read; ``card_version`` says which shape it has.  Version 1 is the
unversioned dict that sparkwing wrote before the card was typed: it still loads (see
``_card_v1.py``), keys it has no field for end up in ``extra`` rather than being dropped.

>>> card = ModelCard(task="binary", target="bad_loan", metrics=Metrics(holdout={"auc": 0.71}))
>>> card.headline()
('auc', 0.71)
>>> ModelCard.from_json(card.to_json()).metrics.holdout["auc"]
0.71
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sparkwing import __version__
from sparkwing.errors import RegistryError
from sparkwing.registry._card_v1 import upgrade_v1
from sparkwing.registry._metrics import headline_metric
from sparkwing.registry._profile import DataProfile

CARD_VERSION: Literal[2] = 2
_EDITED = "was card.json edited by hand?"
Task = Literal["binary", "multiclass", "regression", "glrm"]


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Feature(_Part):
    """An input column as the model sees it (what scoring aligns and checks)."""

    name: str
    type: str | None = Field(default=None, description="H2O's column type: real, int, enum, ...")
    spark_type: str | None = Field(default=None, description="Training Spark type, e.g. double.")
    domain: list[str] | None = Field(default=None, description="Categorical levels seen in training.")


class ConfusionMatrix(_Part):
    """Rows are actual classes, columns predicted (counts)."""

    labels: list[str]
    matrix: list[list[int]]


class RocCurve(_Part):
    """Holdout ROC points, highest threshold first (at most ``MAX_CURVE_POINTS``)."""

    thresholds: list[float]
    fpr: list[float]
    tpr: list[float]


class PrCurve(_Part):
    """Holdout precision/recall points, highest threshold first."""

    thresholds: list[float]
    recall: list[float]
    precision: list[float]


class ReliabilityBin(_Part):
    """One bin of a reliability diagram: predictions with ``lower <= p < upper`` (the last bin
    includes 1).  An empty bin has ``count`` 0 and no means."""

    lower: float
    upper: float
    count: int = Field(ge=0)
    mean_predicted: float | None = Field(default=None, description="Mean predicted probability in the bin.")
    observed: float | None = Field(
        default=None, description="Share of the bin's rows of the positive class (binary) or predicted right."
    )


class Reliability(_Part):
    """How far the predicted probabilities can be taken at their word (a reliability diagram).

    Ten equal-width bins of [0, 1] over the rows the metrics come from (``on``): for a binary
    model the predicted probability of the positive class against how often it is that class;
    for a multiclass model the top class's probability against how often the top class is right.
    ``sum(bin.count) + missing == rows``; ``missing`` rows had no probability (NaN).
    """

    on: Literal["holdout", "cv"]
    kind: Literal["positive_class", "top_class"]
    positive_class: str | None = Field(default=None, description="The class whose p is binned (binary).")
    calibrated: bool = Field(default=False, description="Binned are the calibrated probabilities (cal_*).")
    binning: Literal["equal_width"] = "equal_width"
    rows: int = Field(ge=0, description="Rows scored.")
    missing: int = Field(default=0, ge=0, description="Rows without a probability, in no bin.")
    bins: list[ReliabilityBin] = Field(default_factory=list)
    brier: float | None = Field(default=None, description="Mean (p - y)^2 over the binned rows (binary).")
    ece: float | None = Field(
        default=None, description="Expected calibration error: sum of count/n * |mean_predicted - observed|."
    )


class Curves(_Part):
    roc: RocCurve | None = None
    pr: PrCurve | None = None
    reliability: Reliability | None = Field(
        default=None, description="Calibration bins (classification; cards before it: none)."
    )


class Metrics(_Part):
    """H2O's figures: on the holdout (never trained on) and, where it has folds, cross-validation."""

    holdout: dict[str, float] = Field(default_factory=dict)
    cv: dict[str, float] = Field(default_factory=dict)
    confusion_matrix: ConfusionMatrix | None = Field(
        default=None, description="At max-F1, on confusion_matrix_on (the holdout, else cross-validation)."
    )
    confusion_matrix_on: Literal["holdout", "cv"] | None = None

    def basis(self) -> Literal["holdout", "cv"] | None:
        """What headline figures and promotion use: the holdout if there is one, else cv."""
        return "holdout" if self.holdout else "cv" if self.cv else None

    def figure(self, metric: str) -> tuple[float, Literal["holdout", "cv"]] | None:
        """``metric`` on the holdout if the card has it there, else on cross-validation."""
        if metric in self.holdout:
            return self.holdout[metric], "holdout"
        if metric in self.cv:
            return self.cv[metric], "cv"
        return None

    @field_validator("holdout", "cv", mode="before")
    @classmethod
    def _finite(cls, v: Any) -> Any:
        """H2O reports NaN for a figure it could not compute: leave it out (JSON has no NaN)."""
        if isinstance(v, Mapping):
            return {k: x for k, x in v.items() if not (x is None or (isinstance(x, float) and math.isnan(x)))}
        return v


class VariableImportance(_Part):
    variable: str
    relative_importance: float | None = None
    scaled_importance: float | None = None
    percentage: float | None = None


class Rows(_Part):
    train: int | None = None
    holdout: int | None = None
    calibration: int | None = Field(default=None, description="Rows H2O fitted the calibration on.")


class Selection(_Part):
    """How the model was chosen: split policy, leaderboard sort metric, promotion metric, calibration."""

    split: dict[str, Any] = Field(
        default_factory=dict, description="policy (none, ratio, time, holdout_from), requested, reason, ..."
    )
    sort_metric: str | None = Field(default=None, description="AutoML's leaderboard metric (on cv).")
    promote_metric: str | None = Field(default=None, description="promote.metric, resolved for the task.")
    calibration: Literal["none", "platt", "isotonic"] = "none"
    zero_probability_rows: int | None = Field(
        default=None, description="Judged rows whose true class got p = 0 (None: not checked)."
    )


class SourceFingerprint(_Part):
    """What a source looked like when it was read (``sparkwing.lake.fingerprint_files``): the
    one description, kept in run records (a source step's details) and in model lineage."""

    uri: str | None = None
    format: str | None = None
    files: int | None = None
    size_bytes: int | None = None
    modified: str | None = None
    etag: str | None = None
    signature: str | None = None
    rows_read: int | None = None
    rows_accepted: int | None = None
    rows_quarantined: int | None = None


class SourceLineage(SourceFingerprint):
    """A source upstream of the model, as it was read: its step name, fingerprint and rows out."""

    name: str | None = None
    rows: int | None = None


class TableLineage(_Part):
    """A warehouse table upstream of the model, at the version training read."""

    name: str
    version: str | None = None
    rows: int | None = None


class Lineage(_Part):
    """Where the model came from: the run, the spec, the data."""

    run_id: str | None = None
    pipeline: str | None = None
    spec_hash: str | None = None
    sources: list[SourceLineage] = Field(default_factory=list)
    tables: list[TableLineage] = Field(default_factory=list)


class Versions(_Part):
    """Software that trained the model."""

    sparkwing: str = Field(default_factory=lambda: __version__)
    h2o: str | None = None
    sparkling_water: str | None = None
    spark: str | None = None


class Artifact(_Part):
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size: int = Field(ge=0)


class Pojo(_Part):
    available: bool = False
    reason: str | None = Field(default=None, description="Why there is no POJO.")


class Glrm(_Part):
    """A GLRM feature model: ``k`` archetype columns learned from ``features``."""

    k: int
    output_columns: list[str]


class ModelCard(_Part):
    """One registered version's card; the registry fills ``name``, ``version``, ``created`` and
    ``artifacts`` when it stores it."""

    card_version: Literal[2] = CARD_VERSION
    name: str | None = None
    version: int | None = None
    created: str | None = None
    task: Task
    target: str | None = None
    algorithm: str | None = None
    model_id: str | None = Field(default=None, description="H2O's id of the chosen model.")
    classes: list[str] | None = Field(default=None, description="Class labels, H2O's order.")
    threshold: float | None = Field(default=None, description="Default threshold turning p1 into the label.")
    features: list[Feature] = Field(default_factory=list)
    metrics: Metrics = Field(default_factory=Metrics)
    curves: Curves = Field(default_factory=Curves)
    leaderboard: list[dict[str, Any]] = Field(default_factory=list)
    variable_importance: list[VariableImportance] = Field(default_factory=list)
    params: dict[str, Any] = Field(
        default_factory=dict, description="Engine spec, split, the model's non-default H2O parameters."
    )
    rows: Rows = Field(default_factory=Rows)
    selection: Selection = Field(default_factory=Selection)
    warnings: list[str] = Field(default_factory=list, description="What training dropped or changed.")
    glrm: Glrm | None = None
    profile: DataProfile | None = Field(
        default=None, description="Training distributions drift is measured against (cards before it: none)."
    )
    lineage: Lineage = Field(default_factory=Lineage)
    versions: Versions = Field(default_factory=Versions)
    artifacts: dict[str, Artifact] = Field(default_factory=dict, description="Path -> checksum, size.")
    pojo: Pojo = Field(default_factory=Pojo)
    extra: dict[str, Any] = Field(default_factory=dict, description="Keys of an old card with no field here.")

    # --- reading ---------------------------------------------------------------------------

    @classmethod
    def load(cls, data: Mapping[str, Any], *, where: str = "card") -> ModelCard:
        """Validate a card read from JSON, upgrading older shapes; a bad card is a RegistryError."""
        if not isinstance(data, Mapping):
            raise RegistryError(f"{where} is not a JSON object", hint=_EDITED)
        version = data.get("card_version", 1)
        if version == 1:
            data = upgrade_v1(data)
        elif not isinstance(version, int) or version > CARD_VERSION:
            raise RegistryError(
                f"{where} has card_version {version!r}; this sparkwing reads up to {CARD_VERSION}",
                hint="it was written by a newer sparkwing: upgrade sparkwing to read it",
            )
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or '<card>'}: {e['msg']}" for e in exc.errors()[:5]
            )
            raise RegistryError(f"{where} is invalid: {problems}", hint=_EDITED) from None

    @classmethod
    def from_json(cls, data: bytes | str, *, where: str = "card") -> ModelCard:
        try:
            parsed = json.loads(data)
        except json.JSONDecodeError:
            raise RegistryError(f"{where} is not valid JSON", hint=_EDITED) from None
        return cls.load(parsed, where=where)

    def to_json(self) -> bytes:
        """Indented JSON, fields in the model's order (the form ``card.json`` keeps)."""
        return self.model_dump_json(indent=2).encode()

    # --- what readers ask ------------------------------------------------------------------

    def headline(self) -> tuple[str, float] | None:
        """The task's headline metric and its value (holdout, else cv), if the card has it."""
        metric = headline_metric(self.task)
        found = self.metrics.figure(metric)
        return (metric, found[0]) if found is not None else None

    def leaderboard_metrics_on(self) -> str | None:
        """What the leaderboard's figures were measured on: ``"cross-validation"`` or ``"holdout"``.

        Recorded per row (``metrics_on``) since cards say so; for older cards, a model trained
        with folds ranked on cross-validation (H2O's rule).  None when the card cannot tell.
        """
        for row in self.leaderboard[:1]:
            if isinstance(row.get("metrics_on"), str):
                return str(row["metrics_on"])
        model = self.params.get("model")
        folds = model.get("nfolds") if isinstance(model, Mapping) else None
        if self.leaderboard and (self.metrics.cv or (isinstance(folds, int) and folds > 1)):
            return "cross-validation"
        return None

    def feature_names(self) -> list[str]:
        return [f.name for f in self.features]
