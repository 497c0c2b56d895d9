"""Split policy, default sort metric, calibration and the p = 0 rule, as the spec, card and
promotion see them (no JVM; the H2O side is tests/integration/test_train_quality.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pydantic import ValidationError

from sparkwing.cli._cards import show_card
from sparkwing.cli._console import leaderboard_table
from sparkwing.config import ModelSpec, PipelineSpec, PromoteSpec
from sparkwing.registry import Metrics, ModelCard, Registry, Selection, decide_promotion
from sparkwing.train._train import default_sort_metric


def _spec(**kw: Any) -> ModelSpec:
    return ModelSpec.model_validate({"from": "t", "target": "y", **kw})


AUTOML = {"automl": {"max_models": 2}}


def test_split_is_auto_by_default_and_none_auto_or_a_mapping() -> None:
    assert _spec(**AUTOML).split.policy == "auto" and _spec(**AUTOML).split.holdout is None
    assert _spec(split="none", **AUTOML).split.holdout is False
    s = _spec(split={"ratio": 0.7, "seed": 3, "stratify": True}, **AUTOML).split
    assert (s.policy, s.ratio, s.seed, s.stratify) == ("ratio", 0.7, 3, True)
    assert _spec(split={"time_column": "t", "cutoff": "2024"}, **AUTOML).split.policy == "time"


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"split": "all", **AUTOML}, "split is none, auto or a mapping"),
        ({"split": {"time_column": "t", "cutoff": "1", "stratify": True}, **AUTOML}, "cannot be stratified"),
        ({"split": "none", "holdout_from": "h", **AUTOML}, "split: none trains on every row"),
        ({"split": "none", "automl": {"max_models": 2, "nfolds": 0}}, "automl.nfolds must be >= 2"),
        ({"calibrate": "platt", **AUTOML}, "AutoML cannot calibrate"),
        ({"calibrate": "isotonic", "algorithm": {"name": "glm"}}, "calibrate works for gbm, drf, xgboost"),
        ({"calibrate": "sigmoid", "algorithm": {"name": "gbm"}}, "calibrate"),
    ],
)
def test_bad_split_or_calibration_is_refused(kw: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as err:
        _spec(**kw)
    assert message in str(err.value)


def test_the_json_schema_takes_the_split_forms() -> None:
    schema = PipelineSpec.model_json_schema(by_alias=True)
    validator = jsonschema.Draft202012Validator(schema)

    def ok(split: Any) -> bool:
        doc = {"name": "p", "models": {"m": {"from": "t", "target": "y", "split": split, **AUTOML}}}
        return validator.is_valid(doc)

    assert ok("none") and ok("auto") and ok({"ratio": 0.8, "seed": 1, "stratify": True})
    assert not ok("all") and not ok({"ratio": 0.8, "colour": 1})


def test_sort_metric_defaults_to_logloss_or_deviance_unless_set() -> None:
    assert default_sort_metric(None, "binary") == "logloss"
    assert default_sort_metric("AUTO", "multiclass") == "logloss"
    assert default_sort_metric(None, "regression") == "deviance"
    assert default_sort_metric("AUC", "binary") == "auc"


def _card(holdout: dict[str, float] | None = None, cv: dict[str, float] | None = None,
          zeros: int | None = None, version: int | None = None) -> ModelCard:
    return ModelCard(task="binary", version=version, metrics=Metrics(holdout=holdout or {}, cv=cv or {}),
                     selection=Selection(zero_probability_rows=zeros))


def test_promotion_without_a_holdout_compares_cv_figures() -> None:
    rule = PromoteSpec(metric="logloss")
    d = decide_promotion(_card(cv={"logloss": 0.30}), _card(cv={"logloss": 0.35}, version=2), rule)
    assert d.promote and d.metrics_on == "cv" and d.reason.startswith("cv logloss 0.3 vs 0.35")
    d = decide_promotion(_card(holdout={"logloss": 0.3}, cv={"logloss": 0.2}),
                         _card(holdout={"logloss": 0.25}, version=2), rule)
    assert not d.promote and d.metrics_on == "holdout"  # holdout against holdout when both have it
    assert _card(cv={"auc": 0.8}).headline() == ("auc", 0.8)


def test_a_model_giving_p_zero_to_a_true_class_is_never_promoted() -> None:
    d = decide_promotion(_card(holdout={"auc": 0.99}, zeros=3), _card(holdout={"auc": 0.6}, version=1),
                         PromoteSpec())
    assert not d.promote and "probability 0 to the true class of 3" in d.reason


def test_leaderboard_table_keeps_holdout_columns_beside_cv() -> None:
    board = [{"rank": 1, "model_id": "GBM_1", "algo": "GBM", "auc": 0.8, "logloss": 0.4, "aucpr": 0.5,
              "rmse": 0.3, "mse": 0.09, "mean_per_class_error": 0.2, "holdout_auc": 0.78,
              "holdout_logloss": 0.42, "training_time_ms": 10, "metrics_on": "cross-validation"}]
    names = [c.header for c in leaderboard_table(board, "lb", top=5).columns]
    assert names[-3:] == ["holdout_auc", "holdout_logloss", "training_time_ms"] and "auc" in names


def test_models_show_prints_split_sort_metric_and_calibration(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    from sparkwing.workspace import Workspace

    card = ModelCard(task="multiclass", target="y", metrics=Metrics(cv={"logloss": 0.21}),
                     selection=Selection(split={"requested": "auto", "policy": "none",
                                                "reason": "auto: holdout when >= 10,000 rows; 380 rows"},
                                         sort_metric="logloss", promote_metric="logloss",
                                         zero_probability_rows=0))
    folder = tmp_path / "ws" / "models" / "m" / "1"
    folder.mkdir(parents=True)
    (folder / "card.json").write_bytes(card.to_json())
    [mv] = Registry(Workspace(tmp_path / "ws")).versions("m")
    show_card(mv)
    out = capsys.readouterr().out
    assert "split: none (asked: auto) - auto: holdout when >= 10,000 rows; 380 rows" in out
    assert "sort metric: logloss (cv)    promote metric: logloss (cv)" in out
    assert "calibration: none" in out and "cv logloss: 0.21" in out


def test_a_card_without_a_holdout_says_cv_in_the_ui_and_the_models_list(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from typer.testing import CliRunner

    from sparkwing.cli import app as cli_app
    from sparkwing.registry import Curves, RocCurve
    from sparkwing.ui import _pages

    roc = RocCurve(thresholds=[0.9, 0.1], fpr=[0.1, 0.6], tpr=[0.5, 0.9])
    card = ModelCard(task="binary", target="y", metrics=Metrics(cv={"auc": 0.8123}), curves=Curves(roc=roc))
    assert _pages.curves_on(card) == "cv" and "ROC curve (cv AUC 0.8123)" in str(_pages.roc(card))
    held = card.model_copy(update={"metrics": Metrics(holdout={"auc": 0.7}, cv={"auc": 0.8})})
    assert _pages.curves_on(held) == "holdout" and "ROC curve (holdout AUC 0.7000)" in str(_pages.roc(held))
    folder = tmp_path / "ws" / "models" / "m" / "1"
    folder.mkdir(parents=True)
    (folder / "card.json").write_bytes(card.to_json())
    result = CliRunner().invoke(cli_app, ["-w", str(tmp_path / "ws"), "models"])
    assert result.exit_code == 0 and "auc=0.8123 (cv)" in result.output
