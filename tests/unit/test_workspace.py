"""The Workspace value: layout arithmetic, S3 settings, storage made on first use; no JVM."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

import sparkwing.workspace as workspace_pkg
from sparkwing.config import S3Settings, load_settings
from sparkwing.workspace import Workspace, is_remote


def test_public_api() -> None:
    assert sorted(workspace_pkg.__all__) == ["Storage", "Workspace", "is_remote", "s3_client", "split_s3"]


def test_local_root_is_absolute_and_the_layout_follows(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    ws = Workspace("./home")
    root = str((tmp_path / "home").resolve())
    assert ws.root == root and ws.local
    assert Workspace(tmp_path / "home") == ws == Workspace(f"file://{root}")
    assert ws.quarantine("loans", "r1", "raw") == f"{root}/quarantine/loans/r1/raw"
    assert ws.staging("loans", "r1") == f"{root}/staging/loans/r1"
    assert ws.warehouse == f"{root}/warehouse" and ws.metastore == f"{root}/metastore"
    assert ws.table_version("credit", "loans", "2") == f"{root}/warehouse/credit.db/loans/v=2"
    assert ws.models("churn") == f"{root}/models/churn" and ws.runs("loans", "r1") == f"{root}/runs/loans/r1"
    assert not (tmp_path / "home").exists()  # building the value does no I/O


def test_s3_root_keeps_its_settings_and_hides_keys() -> None:
    s3 = S3Settings(endpoint_url="http://127.0.0.1:9", access_key_id="AKIA", secret_access_key="hush")
    ws = Workspace("s3://bucket/prefix/", s3=s3)
    assert ws.root == "s3://bucket/prefix" and not ws.local and ws.s3 is s3
    assert ws.runs("loans") == "s3://bucket/prefix/runs/loans"
    assert "hush" not in repr(ws) and "AKIA" not in repr(ws) and "127.0.0.1:9" in repr(ws)
    assert Workspace("s3://bucket/prefix").s3 == S3Settings()  # default: the AWS chain


def test_from_settings_carries_the_s3_settings(tmp_path: Path) -> None:
    settings = load_settings({"workspace": "s3://b/ws", "s3": {"endpoint_url": "http://127.0.0.1:9"}})
    ws = Workspace.from_settings(settings)
    assert ws == Workspace("s3://b/ws", s3=settings.s3) and ws.s3.endpoint_url == "http://127.0.0.1:9"
    local = Workspace.from_settings(load_settings({"workspace": str(tmp_path)}))
    assert local.root == str(tmp_path.resolve())


def test_immutable_and_hashable() -> None:
    ws = Workspace("s3://b/ws", s3=S3Settings(region="eu-west-1"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        ws.root = "elsewhere"  # type: ignore[misc]
    with pytest.raises(Exception, match="frozen"):
        ws.s3.region = "us-east-1"  # type: ignore[misc]
    assert len({ws, Workspace("s3://b/ws", s3=S3Settings(region="eu-west-1"))}) == 1


def test_storage_is_made_once_and_shared(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)
    assert ws.storage is ws.storage
    ws.storage.write_atomic(ws.join("serve", "x.json"), b"{}")
    assert (tmp_path / "serve" / "x.json").read_bytes() == b"{}"
    assert ws.storage.list(ws.join("serve")) == ["x.json"]


def test_is_remote() -> None:
    assert is_remote("s3://b/k") and is_remote("s3a://b/k") and is_remote("s3n://b/k")
    assert not is_remote("/data/x") and not is_remote("file:///data/x")
