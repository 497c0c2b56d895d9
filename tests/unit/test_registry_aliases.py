"""Registry aliases: atomic switch, append-only audit log, promotion rule (no JVM)."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from sparkwing.config import PromoteSpec
from sparkwing.errors import InvalidName, RegistryError
from sparkwing.registry import Metrics, ModelCard, Registry, decide_promotion
from sparkwing.workspace import Workspace


@pytest.fixture()
def reg(tmp_path: Path) -> Registry:
    r = Registry(Workspace(tmp_path / "ws"))
    (tmp_path / "m.zip").write_bytes(b"mojo")
    for _ in range(3):
        r.register("churn", mojo_path=tmp_path / "m.zip", card={"task": "binary"})
    return r


def test_alias_switch_and_audit_log(reg: Registry) -> None:
    reg.set_alias("churn", "production", 1, reason="first", actor="ci")
    reg.set_alias("churn", "staging", 2, actor="ci")
    reg.set_alias("churn", "production", 3, reason="better auc", actor="ana")
    assert reg.aliases("churn") == {"production": 3, "staging": 2}
    assert reg.get("churn@production").version == 3
    log = reg.alias_log("churn")
    assert [(e["alias"], e["version"], e["previous"]) for e in log] == [
        ("production", 1, None), ("staging", 2, None), ("production", 3, 1)
    ]
    assert log[-1]["reason"] == "better auc" and log[-1]["actor"] == "ana" and log[-1]["time"]


def test_audit_entries_are_never_overwritten(reg: Registry) -> None:
    reg.set_alias("churn", "production", 1)
    entry = f"{reg.root}/churn/aliases.log/00000001.json"
    assert reg._storage.create_exclusive(entry, b"{}") is False
    before = Path(entry).read_bytes()
    reg.set_alias("churn", "production", 2)
    assert Path(entry).read_bytes() == before


def test_aliases_json_lagging_behind_the_log_is_rolled_forward(reg: Registry) -> None:
    reg.set_alias("churn", "production", 1)
    reg.set_alias("churn", "production", 2)
    # Simulate a writer that appended to the log, then died before switching aliases.json.
    path = Path(reg.root) / "churn" / "aliases.json"
    path.write_text(json.dumps({"seq": 1, "aliases": {"production": 1}}))
    assert reg.aliases("churn") == {"production": 2}


def test_concurrent_alias_switches_lose_nothing(reg: Registry) -> None:
    def work(alias: str, version: int) -> None:
        Registry(Workspace(Path(reg.root).parent)).set_alias("churn", alias, version)

    threads = [threading.Thread(target=work, args=(f"a{i}", 1 + i % 3)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert reg.aliases("churn") == {f"a{i}": 1 + i % 3 for i in range(8)}
    assert [e["seq"] for e in reg.alias_log("churn")] == list(range(1, 9))


def test_alias_to_a_missing_version_or_bad_name_is_refused(reg: Registry) -> None:
    with pytest.raises(RegistryError, match="no version 9"):
        reg.set_alias("churn", "production", 9)
    with pytest.raises(InvalidName, match="invalid alias"):
        reg.set_alias("churn", "42", 1)
    assert reg.alias_log("churn") == []


@pytest.mark.parametrize(
    ("metric", "new", "cur", "margin", "promote"),
    [
        ("auc", 0.80, 0.78, 0.01, True),
        ("auc", 0.785, 0.78, 0.01, False),
        ("auc", 0.78, 0.78, 0.0, False),  # "beats" is strict
        ("logloss", 0.40, 0.45, 0.0, True),
        ("logloss", 0.46, 0.45, 0.0, False),
        ("rmse", 1.0, 1.2, 0.1, True),
        ("r2", 0.5, 0.6, 0.0, False),
    ],
)
def test_promotion_is_direction_aware(
    metric: str, new: float, cur: float, margin: float, promote: bool
) -> None:
    rule = PromoteSpec(alias="production", metric=metric, min_improvement=margin)
    d = decide_promotion(_card("binary", {metric: new}), _card("binary", {metric: cur}, version=4), rule)
    assert d.promote is promote
    assert (d.new_value, d.current_value, d.current_version) == (new, cur, 4)
    assert d.to_dict()["reason"].startswith(f"holdout {metric} ")  # not to be mistaken for cv


def test_promotion_without_a_current_model_and_auto_metric() -> None:
    rule = PromoteSpec()
    d = decide_promotion(_card("regression", {"rmse": 2.0}), None, rule)
    assert d.promote and d.metric == "rmse" and d.current_value is None
    assert d.reason == "no current production model; promoting (holdout rmse=2)"  # says which metrics
    d = decide_promotion(_card("binary", {}), None, rule)
    assert not d.promote and "no holdout auc" in d.reason


def _card(task: str, holdout: dict[str, float], version: int | None = None) -> ModelCard:
    return ModelCard(task=task, version=version, metrics=Metrics(holdout=holdout))  # type: ignore[arg-type]


def test_promote_verifies_checksums_before_moving_the_alias(reg: Registry) -> None:
    reg.promote("churn", 1, "production", reason="first", actor="ana")
    assert reg.aliases("churn") == {"production": 1}
    (Path(reg.root) / "churn" / "2" / "model.mojo").write_bytes(b"tampered")
    with pytest.raises(RegistryError, match=r"checksum mismatch in churn@2: model.mojo"):
        reg.promote("churn", 2, "production", actor="ana")
    assert reg.aliases("churn") == {"production": 1}  # unchanged
    with pytest.raises(RegistryError, match="versions start at 1"):
        reg.promote("churn", 0, "production")
