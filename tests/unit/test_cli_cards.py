"""``sparkwing models show`` prints the leaderboard, labelled metrics and the lineage (no JVM)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sparkwing.cli._cards import show_card
from sparkwing.registry import Registry
from sparkwing.workspace import Workspace

V1_LOANS = Path(__file__).resolve().parents[1] / "fixtures" / "cards" / "v1_loans_automl.json"


def test_models_show_labels_cv_and_holdout_and_shows_lineage(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "ws" / "models" / "loan_default" / "1"
    folder.mkdir(parents=True)
    shutil.copy(V1_LOANS, folder / "card.json")
    [mv] = Registry(Workspace(tmp_path / "ws")).versions("loan_default")
    show_card(mv)
    out = capsys.readouterr().out
    assert "metrics (holdout: 181 rows never trained on):" in out and "holdout auc: 0.619574" in out
    assert "leaderboard (8 models) · metrics on cv" in out and "0.698" in out  # CV AUC, labelled
    assert "GLM_1_AutoML_1_20261201_100723" in out
    assert "lineage: run 20261201T100456Z-cf3b of pipeline loans" in out
    assert "table credit.loans_clean version 20261201T100456Z-cf3b (999 rows)" in out
    assert "source loans_raw" in out and "999 rows read" in out
