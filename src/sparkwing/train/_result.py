"""What a training run produces: the chosen model's artifacts and everything the card records."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class TrainResult:
    """The outcome of :func:`train_model`; ``card`` is the registry card without lineage.

    ``features`` items: ``{"name", "type" ("numeric"|"enum"|...), "spark_type", "domain"}``;
    ``metrics`` are holdout figures (``auc``, ``logloss``, ``rmse``, ...);
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

    @property
    def card(self) -> dict[str, Any]:
        """The card fields sparkwing.registry stores (the caller adds run id, spec hash, lineage)."""
        out = asdict(self)
        for key in ("mojo_path", "genmodel_jar_path", "pojo_dir"):
            out.pop(key)
        out.update(self.versions)
        return out


@dataclass
class GlrmResult:
    """A fitted GLRM prep step: its MOJO (to register) and the archetype columns it added."""

    mojo_path: Path
    genmodel_jar_path: Path | None
    columns: list[str]
    input_columns: list[str]
    k: int
    h2o_version: str
    versions: dict[str, str] = field(default_factory=dict)

    @property
    def card(self) -> dict[str, Any]:
        return {
            "task": "glrm",
            "algorithm": "glrm",
            "k": self.k,
            "features": [{"name": c} for c in self.input_columns],
            "output_columns": self.columns,
            "h2o_version": self.h2o_version,
            "pojo_reason": "H2O cannot export a POJO for GLRM",
            **self.versions,
        }
