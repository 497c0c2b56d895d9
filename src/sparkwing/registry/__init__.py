"""The model registry: immutable versions (MOJO, genmodel jar, POJO, card) and audited aliases.

Plain files through the workspace's storage, so it works the same locally and on S3; never
imports pyspark.
"""

from sparkwing.registry._promote import PromotionDecision, decide_promotion
from sparkwing.registry._registry import Registry
from sparkwing.registry._version import CARD, GENMODEL_JAR, MOJO, POJO_DIR, ModelVersion

__all__ = [
    "CARD",
    "GENMODEL_JAR",
    "MOJO",
    "POJO_DIR",
    "ModelVersion",
    "PromotionDecision",
    "Registry",
    "decide_promotion",
]
