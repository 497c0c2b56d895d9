"""The public names of train, registry and score are pinned: nothing leaks, nothing is forgotten."""

from __future__ import annotations

import sparkwing.registry
import sparkwing.score
import sparkwing.train


def test_public_names() -> None:
    assert set(sparkwing.registry.__all__) == {
        "CARD", "GENMODEL_JAR", "MOJO", "POJO_DIR", "ModelVersion", "PromotionDecision", "Registry",
        "decide_promotion",
        # the typed card.json and its parts
        "CARD_VERSION", "ModelCard", "Artifact", "ConfusionMatrix", "Curves", "Feature", "Glrm", "Lineage",
        "Metrics", "Pojo", "PrCurve", "RocCurve", "Rows", "SourceLineage", "TableLineage",
        "VariableImportance", "Versions",
        # the headline metric: one vocabulary for the CLI, promotion and the service
        "HEADLINE_METRIC", "headline_metric", "higher_is_better",
    }
    assert set(sparkwing.train.__all__) == {"GlrmResult", "TrainResult", "fit_glrm", "train_model"}
    assert set(sparkwing.score.__all__) == {
        "ScoreResult", "output_columns", "predict_file", "prob_column", "score_batch"
    }
    for mod in (sparkwing.registry, sparkwing.train, sparkwing.score):
        for name in mod.__all__:
            assert getattr(mod, name) is not None
