"""Fingerprints and URI resolution: no Spark."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sparkwing.config import SourceSpec, load_settings
from sparkwing.errors import SourceError
from sparkwing.lake import SourceContext, fingerprint_source
from sparkwing.lake._uri import resolve_uri
from sparkwing.workspace import Workspace


def ctx(tmp_path: Path) -> SourceContext:
    settings = load_settings({"workspace": str(tmp_path / "ws")})
    return SourceContext(settings, Workspace.from_settings(settings), "p", "r1", tmp_path)


def test_resolve_uri(tmp_path):
    assert resolve_uri("a/b.csv", tmp_path) == str(tmp_path / "a" / "b.csv")
    assert resolve_uri("file:///x/y.csv", tmp_path) == "/x/y.csv"
    assert resolve_uri("s3a://b/k.csv", tmp_path) == "s3a://b/k.csv"


def test_fingerprint_changes_when_the_file_changes(tmp_path):
    f = tmp_path / "d.csv"
    f.write_text("a\n1\n")
    os.utime(f, (1_700_000_000, 1_700_000_000))
    fp = fingerprint_source(SourceSpec(uri="d.csv"), ctx(tmp_path))
    assert fp["size_bytes"] == 4 and fp["files"] == 1 and fp["modified"] == "2023-11-14T22:13:20+00:00"
    f.write_text("a\n1\n2\n")
    assert fingerprint_source(SourceSpec(uri="d.csv"), ctx(tmp_path))["signature"] != fp["signature"]


def test_fingerprint_of_a_glob_and_a_missing_file(tmp_path):
    for i in range(3):
        (tmp_path / f"p{i}.csv").write_text("a\n1\n")
    assert fingerprint_source(SourceSpec(uri="p*.csv"), ctx(tmp_path))["files"] == 3
    with pytest.raises(SourceError, match="not found: .*missing.csv"):
        fingerprint_source(SourceSpec(uri="missing.csv"), ctx(tmp_path))
