"""What a training run produces: the chosen model's artifacts and everything the card records."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sparkwing.registry import (
    ConfusionMatrix,
    Curves,
    DataProfile,
    Feature,
    Glrm,
    Metrics,
    ModelCard,
    Pojo,
    Rows,
    Selection,
    VariableImportance,
    Versions,
)


@dataclass
class TrainResult:
    """The outcome of :func:`train_model`; ``card`` is the registry card without lineage.

    ``features`` items: ``{"name", "type" ("numeric"|"enum"|...), "spark_type", "domain"}``;
    ``metrics`` are the figures the model is judged on (``auc``, ``logloss``, ``rmse``, ...):
    the holdout's, or with no holdout (``metrics_on == "cv"``) the cross-validation ones;
    ``cv_metrics`` the chosen model's cross-validation figures (empty without folds);
    ``warnings`` lists what was dropped or changed on the way (never silently).
    """

    task: str
    target: str
    classes: list[str] | None
    threshold: float | None
    features: list[dict[str, Any]]
    metrics: dict[str, Any]
    leaderboard: list[dict[str, Any]]
    variable_importance: list[dict[str, Any]]
    mojo_path: Path
    genmodel_jar_path: Path | None
    pojo_dir: Path | None
    pojo_reason: str | None
    algorithm: str
    model_id: str
    h2o_version: str
    params: dict[str, Any]
    rows: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)
    cv_metrics: dict[str, Any] = field(default_factory=dict)
    curves: dict[str, Any] = field(default_factory=dict)
    split: dict[str, Any] = field(default_factory=dict)
    sort_metric: str | None = None
    promote_metric: str | None = None
    calibration: str = "none"
    zero_probability_rows: int | None = None
    metrics_on: str = "holdout"
    profile: DataProfile | None = None  # the drift reference (training features, holdout predictions)

    @property
    def card(self) -> ModelCard:
        """The card sparkwing.registry stores (the caller adds the lineage; the registry the rest)."""
        holdout = self.metrics if self.metrics_on == "holdout" else {}
        cm, cm_on = holdout.get("confusion_matrix"), "holdout"
        if not cm:
            cm, cm_on = self.cv_metrics.get("confusion_matrix"), "cv"
        return ModelCard(
            task=self.task,  # type: ignore[arg-type]
            target=self.target,
            algorithm=self.algorithm,
            model_id=self.model_id,
            classes=self.classes,
            threshold=self.threshold,
            features=[Feature.model_validate(f) for f in self.features],
            metrics=Metrics(
                holdout={k: v for k, v in holdout.items() if _figure(v) and k != "rows"},
                cv={k: v for k, v in self.cv_metrics.items() if _figure(v) and k != "rows"},
                confusion_matrix=ConfusionMatrix.model_validate(cm) if cm else None,
                confusion_matrix_on=cm_on if cm else None,  # type: ignore[arg-type]
            ),
            curves=Curves.model_validate(self.curves),
            leaderboard=self.leaderboard,
            variable_importance=[VariableImportance.model_validate(v) for v in self.variable_importance],
            params=self.params,
            rows=Rows.model_validate(self.rows),
            selection=Selection(split=self.split, sort_metric=self.sort_metric,
                                promote_metric=self.promote_metric,
                                calibration=self.calibration,  # type: ignore[arg-type]
                                zero_probability_rows=self.zero_probability_rows),
            warnings=self.warnings,
            versions=_versions(self.versions, self.h2o_version),
            pojo=Pojo(available=self.pojo_dir is not None, reason=self.pojo_reason),
            profile=self.profile,
        )


@dataclass
class GlrmResult:
    """A fitted GLRM (learned features): its MOJO (to register) and the archetype columns it added."""

    mojo_path: Path
    genmodel_jar_path: Path | None
    columns: list[str]
    input_columns: list[str]
    k: int
    h2o_version: str
    versions: dict[str, str] = field(default_factory=dict)

    @property
    def card(self) -> ModelCard:
        return ModelCard(
            task="glrm",
            algorithm="glrm",
            features=[Feature(name=c) for c in self.input_columns],
            glrm=Glrm(k=self.k, output_columns=self.columns),
            versions=_versions(self.versions, self.h2o_version),
            pojo=Pojo(available=False, reason="H2O cannot export a POJO for GLRM"),
        )


def _figure(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _versions(found: dict[str, str], h2o_version: str) -> Versions:
    """``{"sparkwing_version": ..., "h2o_version": ...}`` as the card's ``Versions``."""
    names = {k.removesuffix("_version"): v for k, v in found.items()}
    names.setdefault("h2o", h2o_version)
    return Versions.model_validate(names)
