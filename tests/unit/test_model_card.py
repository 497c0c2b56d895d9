"""The typed model card: validated on load, versioned, and today's (version 1) cards still read."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest

from sparkwing.errors import RegistryError
from sparkwing.registry import (
    CARD_VERSION,
    Feature,
    Metrics,
    ModelCard,
    Registry,
    decide_promotion,
    headline_metric,
)
from sparkwing.workspace import Workspace

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cards"
V1_LOANS = FIXTURES / "v1_loans_automl.json"  # written by `sparkwing run examples/loans/pipeline.yaml`


def test_a_version_1_card_from_a_real_training_run_loads() -> None:
    raw = json.loads(V1_LOANS.read_text())
    assert "card_version" not in raw  # the shape sparkwing wrote before the card was typed
    card = ModelCard.from_json(V1_LOANS.read_bytes(), where="v1 card")
    assert card.card_version == CARD_VERSION
    assert (card.name, card.version, card.task, card.target) == ("loan_default", 1, "binary", "bad_loan")
    assert card.classes == ["0", "1"] and card.threshold == raw["threshold"]
    # holdout figures are numbers only; the confusion matrix and the row count have their own places
    assert card.metrics.holdout["auc"] == raw["metrics"]["auc"]
    assert "confusion_matrix" not in card.metrics.holdout and "rows" not in card.metrics.holdout
    assert card.metrics.confusion_matrix is not None
    assert card.metrics.confusion_matrix.matrix == raw["metrics"]["confusion_matrix"]["matrix"]
    assert card.rows.holdout == raw["rows"]["holdout"] == raw["metrics"]["rows"]
    # versions were both flat and nested; lineage was spread over four keys
    assert card.versions.h2o == raw["h2o_version"] and card.versions.sparkwing == raw["sparkwing_version"]
    assert card.versions.sparkling_water == raw["sparkling_water_version"]
    assert card.lineage.run_id == raw["run_id"] and card.lineage.spec_hash == raw["spec_hash"]
    assert card.lineage.tables[0].version == raw["training_data"]["tables"][0]["version"]
    assert card.lineage.sources[0].signature == raw["training_data"]["sources"][0]["signature"]
    assert card.pojo.available is True
    assert set(card.artifacts) == set(raw["artifacts"])
    assert card.artifacts["model.mojo"].sha256 == raw["artifacts"]["model.mojo"]["sha256"]
    assert [f.name for f in card.features] == [f["name"] for f in raw["features"]]
    assert card.leaderboard == raw["leaderboard"] and card.params == raw["params"]
    assert card.extra == {}  # every key of the real card found its field
    assert card.headline() == ("auc", raw["metrics"]["auc"])


def test_card_round_trips_as_readable_json() -> None:
    card = ModelCard.from_json(V1_LOANS.read_bytes())
    text = card.to_json().decode()
    assert text.startswith('{\n  "card_version": 2,\n  "name": "loan_default"')  # indented, in field order
    again = ModelCard.from_json(text)
    assert again == card
    assert again.to_json() == card.to_json()


def test_unknown_keys_of_an_old_card_are_kept_not_dropped() -> None:
    card = ModelCard.load({"task": "binary", "owner": "risk team", "metrics": {"auc": 0.7}})
    assert card.extra == {"owner": "risk team"}
    assert card.metrics.holdout == {"auc": 0.7}


def test_an_old_glrm_card_loads() -> None:
    card = ModelCard.load({
        "task": "glrm", "algorithm": "glrm", "k": 2, "features": [{"name": "a"}, {"name": "b"}],
        "output_columns": ["glrm_1", "glrm_2"], "h2o_version": "3.46.0.6", "sparkwing_version": "0.1.0",
        "pojo_reason": "H2O cannot export a POJO for GLRM", "run_id": "r1", "spec_hash": "abc",
    })
    assert card.glrm is not None and (card.glrm.k, card.glrm.output_columns) == (2, ["glrm_1", "glrm_2"])
    assert card.pojo.reason == "H2O cannot export a POJO for GLRM" and card.lineage.run_id == "r1"
    assert card.headline() is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"card_version": 2, "task": "binary", "metrics": {"holdout": {"auc": "hi"}}}, "metrics.holdout.auc"),
        ({"card_version": 2, "task": "clustering"}, "task"),
        ({"card_version": 2, "task": "binary", "surprise": 1}, "surprise"),
        ({"card_version": 2, "task": "binary", "artifacts": {"model.mojo": {"sha256": "x", "size": 1}}},
         "artifacts.model.mojo.sha256"),
        ({"metrics": {"auc": 0.7}}, "task"),
    ],
)
def test_a_bad_card_is_a_one_line_registry_error(data: dict[str, object], message: str) -> None:
    with pytest.raises(RegistryError, match="card.json of m@1 is invalid") as info:
        ModelCard.load(data, where="card.json of m@1")
    assert message in info.value.message and "\n" not in info.value.message


def test_a_card_from_a_newer_sparkwing_is_refused_clearly() -> None:
    with pytest.raises(RegistryError, match="card_version 99") as info:
        ModelCard.load({"card_version": 99, "task": "binary"})
    assert "upgrade sparkwing" in (info.value.hint or "")
    with pytest.raises(RegistryError, match="not valid JSON"):
        ModelCard.from_json(b"{not json")
    with pytest.raises(RegistryError, match="not a JSON object"):
        ModelCard.from_json(b"[1, 2]")


def test_nan_figures_are_left_out_not_written_as_null() -> None:
    card = ModelCard(task="regression", metrics=Metrics(holdout={"rmse": 1.5, "r2": math.nan}))
    assert card.metrics.holdout == {"rmse": 1.5}
    assert ModelCard.from_json(card.to_json()) == card


def test_registry_stores_and_reads_typed_cards(tmp_path: Path) -> None:
    (tmp_path / "m.zip").write_bytes(b"PK mojo")
    reg = Registry(Workspace(tmp_path / "ws"))
    card = ModelCard(task="multiclass", target="species", classes=["a", "b", "c"],
                     features=[Feature(name="x", type="real", spark_type="double")],
                     metrics=Metrics(holdout={"logloss": 0.3, "rmse": 0.2}, cv={"logloss": 0.35}))
    mv = reg.register("iris", mojo_path=tmp_path / "m.zip", card=card)
    assert (mv.card.name, mv.card.version) == ("iris", 1) and mv.card.created
    assert mv.card.artifacts["model.mojo"].size == len(b"PK mojo")
    assert mv.card.pojo.available is False
    stored = json.loads((tmp_path / "ws" / "models" / "iris" / "1" / "card.json").read_text())
    assert stored["card_version"] == CARD_VERSION and stored["metrics"]["cv"] == {"logloss": 0.35}
    back = reg.get("iris@1").card
    assert back == mv.card
    # the CLI's list and promotion agree on the headline metric: logloss for multiclass
    assert back.headline() == ("logloss", 0.3) and headline_metric("multiclass") == "logloss"


def test_an_old_card_on_disk_is_read_by_the_registry(tmp_path: Path) -> None:
    folder = tmp_path / "ws" / "models" / "loan_default" / "1"
    folder.mkdir(parents=True)
    shutil.copy(V1_LOANS, folder / "card.json")
    reg = Registry(Workspace(tmp_path / "ws"))
    (mv,) = reg.versions("loan_default")
    assert mv.card.task == "binary" and mv.card.lineage.pipeline == "loans"
    assert reg.models() == ["loan_default"]
    # a promotion compares a typed old card with a typed new one
    from sparkwing.config import PromoteSpec

    better = ModelCard(task="binary", metrics=Metrics(holdout={"auc": 0.9}))
    decision = decide_promotion(better, mv.card, PromoteSpec())
    assert decision.promote and decision.metric == "auc" and decision.current_version == 1


def test_a_corrupt_card_on_disk_names_the_version(tmp_path: Path) -> None:
    folder = tmp_path / "ws" / "models" / "m" / "1"
    folder.mkdir(parents=True)
    (folder / "card.json").write_text('{"card_version": 2, "task": "binary", "threshold": "x"}')
    with pytest.raises(RegistryError, match=r"card.json of m@1 is invalid: threshold"):
        Registry(Workspace(tmp_path / "ws")).get("m@1")
