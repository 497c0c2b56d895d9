"""The model registry: immutable versions (MOJO, genmodel jar, POJO, card) and audited aliases.

Plain files through the workspace's storage, so it works the same locally and on S3; never
imports pyspark.  ``ModelCard`` is the typed ``card.json``; ``headline_metric`` says which
figure stands for a model of each task.
"""

from sparkwing.registry._card import (
    CARD_VERSION,
    Artifact,
    ConfusionMatrix,
    Curves,
    Feature,
    Glrm,
    Lineage,
    Metrics,
    ModelCard,
    Pojo,
    PrCurve,
    Reliability,
    ReliabilityBin,
    RocCurve,
    Rows,
    Selection,
    SourceFingerprint,
    SourceLineage,
    TableLineage,
    VariableImportance,
    Versions,
)
from sparkwing.registry._metrics import HEADLINE_METRIC, headline_metric, higher_is_better
from sparkwing.registry._profile import BINS, TOP_K, DataProfile, FeatureProfile
from sparkwing.registry._promote import PromotionDecision, decide_promotion
from sparkwing.registry._registry import Registry
from sparkwing.registry._version import CARD, GENMODEL_JAR, MOJO, POJO_DIR, ModelVersion

__all__ = [
    "BINS",
    "CARD",
    "CARD_VERSION",
    "GENMODEL_JAR",
    "HEADLINE_METRIC",
    "MOJO",
    "POJO_DIR",
    "Artifact",
    "ConfusionMatrix",
    "Curves",
    "DataProfile",
    "Feature",
    "FeatureProfile",
    "Glrm",
    "Lineage",
    "Metrics",
    "ModelCard",
    "ModelVersion",
    "Pojo",
    "PrCurve",
    "PromotionDecision",
    "Registry",
    "Reliability",
    "ReliabilityBin",
    "RocCurve",
    "TOP_K",
    "Rows",
    "Selection",
    "SourceFingerprint",
    "SourceLineage",
    "TableLineage",
    "VariableImportance",
    "Versions",
    "decide_promotion",
    "headline_metric",
    "higher_is_better",
]
