"""Registry: immutable versions, exclusive version allocation, checksums (plain files, no JVM)."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from sparkwing.errors import InvalidName, RegistryError
from sparkwing.registry import ModelVersion, Pojo, Registry
from sparkwing.workspace import Workspace


def _artifacts(tmp: Path, payload: bytes = b"PK mojo bytes") -> dict[str, Path]:
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "m.zip").write_bytes(payload)
    (tmp / "g.jar").write_bytes(b"jar bytes")
    pojo = tmp / "pojo"
    pojo.mkdir(exist_ok=True)
    (pojo / "GBM_1.java").write_text("class GBM_1 {}")
    return {"mojo": tmp / "m.zip", "jar": tmp / "g.jar", "pojo": pojo}


CARD = {"task": "binary", "target": "bad_loan", "classes": ["0", "1"], "metrics": {"auc": 0.7}}


def _register(reg: Registry, tmp: Path, name: str = "loan_default", **card: object) -> ModelVersion:
    a = _artifacts(tmp)
    return reg.register(
        name, mojo_path=a["mojo"], genmodel_jar_path=a["jar"], pojo_dir=a["pojo"], card={**CARD, **card}
    )


def test_register_writes_artifacts_card_and_checksums(tmp_path: Path) -> None:
    reg = Registry(Workspace(tmp_path / "ws"))
    mv = _register(reg, tmp_path / "a")
    assert (mv.name, mv.version) == ("loan_default", 1)
    folder = tmp_path / "ws" / "models" / "loan_default" / "1"
    assert {p.name for p in folder.iterdir()} >= {"model.mojo", "h2o-genmodel.jar", "pojo", "card.json"}
    card = json.loads((folder / "card.json").read_text())
    assert card["target"] == "bad_loan" and card["version"] == 1
    assert set(card["artifacts"]) == {"model.mojo", "h2o-genmodel.jar", "pojo/GBM_1.java"}
    assert len(card["artifacts"]["model.mojo"]["sha256"]) == 64
    assert card["pojo"]["available"] is True
    assert mv.local_mojo().read_bytes() == b"PK mojo bytes"
    assert mv.artifact("h2o-genmodel.jar").endswith("/1/h2o-genmodel.jar")


def test_versions_count_up_and_refs_resolve(tmp_path: Path) -> None:
    reg = Registry(Workspace(tmp_path / "ws"))
    for i in range(3):
        _register(reg, tmp_path / f"a{i}", run_id=f"r{i}")
    assert [v.version for v in reg.versions("loan_default")] == [1, 2, 3]
    assert reg.models() == ["loan_default"]
    assert reg.get("loan_default").version == 3
    assert reg.get("loan_default@latest").version == 3
    assert reg.get("loan_default@2").card.lineage.run_id == "r1"


def test_a_version_is_immutable(tmp_path: Path) -> None:
    reg = Registry(Workspace(tmp_path / "ws"))
    mv = _register(reg, tmp_path / "a")
    storage = reg._storage
    # Every artifact and the card were created exclusively: a second write is refused.
    assert storage.create_exclusive(f"{mv.uri}/card.json", b"{}") is False
    assert storage.create_exclusive(f"{mv.uri}/model.mojo", b"x") is False
    # A new registration never reuses the number.
    assert _register(reg, tmp_path / "b").version == 2
    assert reg.get("loan_default@1").card.artifacts == mv.card.artifacts


def test_concurrent_writers_get_distinct_versions(tmp_path: Path) -> None:
    reg = Registry(Workspace(tmp_path / "ws"))
    got: list[int] = []
    lock = threading.Lock()

    def work(i: int) -> None:
        mv = _register(Registry(Workspace(tmp_path / "ws")), tmp_path / f"t{i}")
        with lock:
            got.append(mv.version)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got) == [1, 2, 3, 4, 5, 6]
    assert len(reg.versions("loan_default")) == 6


def test_a_half_written_version_is_invisible_and_skipped(tmp_path: Path) -> None:
    reg = Registry(Workspace(tmp_path / "ws"))
    _register(reg, tmp_path / "a")
    # A writer that died after claiming version 2, before its card.
    reg._storage.create_exclusive(f"{reg.root}/loan_default/2/_claim.json", b"{}")
    assert [v.version for v in reg.versions("loan_default")] == [1]
    assert reg.get("loan_default").version == 1
    assert _register(reg, tmp_path / "b").version == 3


def test_changed_artifact_is_a_checksum_error_naming_the_file(tmp_path: Path) -> None:
    reg = Registry(Workspace(tmp_path / "ws"))
    mv = _register(reg, tmp_path / "a")
    (Path(mv.uri) / "h2o-genmodel.jar").write_bytes(b"tampered")
    with pytest.raises(RegistryError, match=r"checksum mismatch in loan_default@1: h2o-genmodel.jar"):
        reg.get("loan_default@1")


def test_corrupted_mojo_is_a_clear_error(tmp_path: Path) -> None:
    reg = Registry(Workspace(tmp_path / "ws"))
    mv = _register(reg, tmp_path / "a")
    mojo = Path(mv.uri) / "model.mojo"
    mojo.write_bytes(mojo.read_bytes()[:5])  # truncated
    with pytest.raises(RegistryError) as err:
        reg.get("loan_default")
    assert "model.mojo" in str(err.value) and err.value.hint
    mojo.unlink()
    with pytest.raises(RegistryError, match="artifact model.mojo is missing"):
        reg.get("loan_default@1")


def test_unknown_model_version_and_alias_are_clear_errors(tmp_path: Path) -> None:
    reg = Registry(Workspace(tmp_path / "ws"))
    with pytest.raises(RegistryError, match="no model named 'nope'"):
        reg.get("nope")
    _register(reg, tmp_path / "a")
    with pytest.raises(RegistryError, match=r"has no version 7 \(versions: 1\)"):
        reg.get("loan_default@7")
    with pytest.raises(RegistryError, match="has no alias 'production'"):
        reg.get("loan_default@production")
    with pytest.raises(InvalidName, match="invalid model name"):
        reg.get("../etc@1")


def test_export_copies_verified_artifacts(tmp_path: Path) -> None:
    reg = Registry(Workspace(tmp_path / "ws"))
    _register(reg, tmp_path / "a")
    out = reg.export("loan_default@1", tmp_path / "out")
    assert {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()} == {
        "model.mojo", "h2o-genmodel.jar", "pojo/GBM_1.java", "card.json"
    }


def test_register_without_pojo_records_why(tmp_path: Path) -> None:
    reg = Registry(Workspace(tmp_path / "ws"))
    a = _artifacts(tmp_path / "a")
    mv = reg.register("ens", mojo_path=a["mojo"], card={**CARD, "pojo_reason": "StackedEnsemble has no POJO"})
    assert mv.card.pojo == Pojo(available=False, reason="StackedEnsemble has no POJO")
    assert "h2o-genmodel.jar" not in mv.artifacts
    with pytest.raises(RegistryError, match="no artifact 'h2o-genmodel.jar'"):
        mv.artifact("h2o-genmodel.jar")
