"""The messy lake corpus (tests/data/messy) is what its generator makes, and its manifest is true.

No JVM: these checks hold the ground truth itself to account (line numbers exist, raw texts are
the file's own bytes, counts add up, every fault class is covered for every format), so that a
failure of the conformance suite (tests/integration/test_lake_conformance.py) is the reader's.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import re
from pathlib import Path
from typing import Any

import pytest

MESSY = Path(__file__).resolve().parents[1] / "data" / "messy"
_spec = importlib.util.spec_from_file_location("make_corpus", MESSY / "make_corpus.py")
assert _spec and _spec.loader
corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(corpus)

MANIFEST: dict[str, dict[str, Any]] = json.loads((MESSY / "manifest.json").read_text())
ROWS = sorted(n for n, e in MANIFEST.items() if e["outcome"] == "rows")


def _typed(name: str) -> bool:
    return MANIFEST[name]["file"].endswith((".parquet", ".orc"))


TEXT = [n for n in ROWS if not _typed(n)]


def physical_lines(path: Path) -> list[str]:
    """The file's text split after each LF, CR LF or bare CR (terminators kept)."""
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    text = data.decode("utf-8").removeprefix("\ufeff")
    return re.findall(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$", text)


def jsonl_lines(path: Path) -> list[str]:
    """JSON lines split at LF only (str.splitlines also breaks at U+2028, which JSON keeps raw)."""
    return [x for x in path.read_text(encoding="utf-8").split("\n") if x.strip()]


def format_of(name: str) -> str:
    file = MANIFEST[name]["file"].removesuffix(".gz")
    return {"csv": "csv", "tsv": "tsv", "jsonl": "json", "svm": "svmlight", "arff": "arff",
            "parquet": "parquet", "orc": "orc"}[file.rsplit(".", 1)[1]]  # fmt: skip


def test_committed_files_equal_a_fresh_generation() -> None:
    assert corpus.differences() == [], "run: python tests/data/messy/make_corpus.py"


def test_corpus_is_small() -> None:
    total = sum(p.stat().st_size for p in MESSY.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    assert total < 1_000_000


@pytest.mark.parametrize("name", ROWS)
def test_counts_add_up(name: str) -> None:
    e = MANIFEST[name]
    assert e["rows_read"] == e["rows_accepted"] + e["rows_quarantined"]
    assert len(e["quarantine"]) == e["rows_quarantined"]
    expected = jsonl_lines(MESSY / e["expected"])
    assert len(expected) == e["rows_accepted"]
    rows = [json.loads(x) for x in expected]
    assert all(list(r) == list(e["schema"]) for r in rows), "ground-truth rows carry every column, in order"
    assert e["options"]["max_quarantine_share"] == 1.0


@pytest.mark.parametrize("name", TEXT)
def test_quarantined_lines_exist_with_their_raw_text(name: str) -> None:
    e = MANIFEST[name]
    lines = physical_lines(MESSY / e["file"])
    seen = set()
    for q in e["quarantine"]:
        first = q["line"]
        assert first not in seen and 1 <= first <= len(lines)
        seen.add(first)
        span = len(re.findall(r"\r\n|\r|\n", q["raw"])) + 1
        text = "".join(lines[first - 1 : first - 1 + span])
        assert re.sub(r"(\r\n|\r|\n)$", "", text) == q["raw"], f"line {first}"
        assert q["reason_contains"]


@pytest.mark.parametrize("name", TEXT)
def test_rows_are_lines_of_the_file(name: str) -> None:
    """rows_read counts records: no more records than physical lines, at least one line each."""
    e = MANIFEST[name]
    lines = physical_lines(MESSY / e["file"])
    assert e["rows_read"] <= len(lines)


def test_every_fault_class_is_covered_for_every_format() -> None:
    c = corpus
    need = {
        "csv": {c.UNTERMINATED, c.FIELDS, c.HEADER, c.NOT_INT, c.BAD_DATE},
        "tsv": {c.FIELDS, c.NOT_INT, c.BAD_TIMESTAMP},
        "json": {c.TRAILING, c.NOT_JSON, c.NOT_OBJECT, c.NOT_INT, c.BAD_DATE},
        "svmlight": {c.ZERO_INDEX, c.NOT_INCREASING, c.REPEATED, c.BEYOND, c.LABEL, c.VALUE},
        "arff": {c.NOMINAL, c.ARITY, c.UNTERMINATED, c.NOT_INTEGER, c.NOT_A_DATE, c.NOT_NUMBER},
        "parquet": {c.NOT_INT},
        "orc": {c.NOT_INT},
    }
    have: dict[str, set[str]] = {}
    for name in ROWS:
        for q in MANIFEST[name]["quarantine"]:
            have.setdefault(format_of(name), set()).update(
                k for k in need.get(format_of(name), ()) if k in q["reason_contains"]
            )
    assert {f: need[f] - have.get(f, set()) for f in need} == dict.fromkeys(need, set())
    outcomes = {(format_of(n), e["outcome"]) for n, e in MANIFEST.items()}
    for fmt in ("csv", "tsv", "json", "svmlight", "arff"):
        assert (fmt, "empty") in outcomes
    assert ("csv", "source_error") in outcomes and ("parquet", "source_error") in outcomes
    gz = {format_of(n) for n in MANIFEST if MANIFEST[n]["file"].endswith(".gz")}
    assert {"csv", "tsv", "json", "svmlight", "arff"} <= gz
    raw = {
        n: (MESSY / MANIFEST[n]["file"]).read_bytes() for n in TEXT if not MANIFEST[n]["file"].endswith(".gz")
    }
    assert any(b"\r\n" in r for r in raw.values()) and any(re.search(rb"\r(?!\n)", r) for r in raw.values())
    assert any(r.startswith(b"\xef\xbb\xbf") for r in raw.values())


def test_missing_files_are_missing() -> None:
    for e in MANIFEST.values():
        if e["outcome"] == "source_error" and e["error"] == "not found":
            assert not (MESSY / e["file"]).exists()
        elif e["outcome"] == "empty":
            data = (MESSY / e["file"]).read_bytes()
            assert (gzip.decompress(data) if e["file"].endswith(".gz") else data) == b""
