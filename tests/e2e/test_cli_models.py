"""``sparkwing models`` reads typed cards (old and new) and speaks the one reference grammar (no JVM).

The commands run through the real entry point in this process (``cli_here``)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from sparkwing.cli import EXIT_CODES
from sparkwing.errors import RegistryError
from sparkwing.registry import Metrics, ModelCard, Registry
from sparkwing.workspace import Workspace

V1_LOANS = Path(__file__).resolve().parents[1] / "fixtures" / "cards" / "v1_loans_automl.json"


def _workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    (tmp_path / "m.zip").write_bytes(b"PK not really a mojo")
    reg = Registry(Workspace(ws))
    card = ModelCard(task="multiclass", target="species", classes=["a", "b"],
                     metrics=Metrics(holdout={"logloss": 0.25, "rmse": 0.125}))
    reg.register("iris", mojo_path=tmp_path / "m.zip", card=card)
    reg.set_alias("iris", "production", 1, reason="test")
    old = ws / "models" / "loan_default" / "1"  # a card written before cards were typed
    old.mkdir(parents=True)
    shutil.copy(V1_LOANS, old / "card.json")
    return ws


def test_models_list_shows_the_headline_metric_of_each_task(cli_here, tmp_path) -> None:
    ws = _workspace(tmp_path)
    result = cli_here("models", workspace=ws)
    assert result.returncode == 0, result.stderr
    iris = next(line for line in result.stdout.splitlines() if "iris" in line)
    assert "logloss=0.2500" in iris and "rmse" not in iris  # the same metric promotion uses
    loans = next(line for line in result.stdout.splitlines() if "loan_default" in line)
    assert "auc=0.6196" in loans


def test_models_show_prints_the_typed_card(cli_here, tmp_path) -> None:
    ws = _workspace(tmp_path)
    result = cli_here("models", "show", "iris@production", "--json", workspace=ws)
    assert result.returncode == 0, result.stderr
    card = json.loads(result.stdout)
    assert card["card_version"] == 2 and card["name"] == "iris"
    assert card["metrics"]["holdout"]["logloss"] == 0.25
    result = cli_here("models", "show", "iris", workspace=ws)
    assert result.returncode == 0 and "holdout logloss: 0.25" in result.stdout


def test_a_bad_reference_is_one_line_with_the_registry_exit_code(cli_here, tmp_path) -> None:
    ws = _workspace(tmp_path)
    result = cli_here("models", "show", "iris@-prod", workspace=ws)
    assert result.returncode == EXIT_CODES[RegistryError]
    assert "invalid model reference 'iris@-prod'" in result.stderr and "Traceback" not in result.stderr
    result = cli_here("models", "promote", "iris", "0", "production", workspace=ws)
    assert result.returncode == EXIT_CODES[RegistryError] and "versions start at 1" in result.stderr
