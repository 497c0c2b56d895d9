"""One set of checks over every reader, on the messy corpus (like the MOJO conformance suite).

Each entry of ``tests/data/messy/manifest.json`` is read once through
:func:`sparkwing.lake.read_source` (quarantine on, ``max_quarantine_share: 1``); the checks
then compare what came back with the generator's ground truth:

* counts reconcile and equal the manifest's (``rows_read = rows_accepted + rows_quarantined``);
* every expected quarantine record is in the quarantine files the reader wrote, with its
  physical line number, the raw text exactly as in the file, and a reason containing the
  expected text -- and no other record is there;
* the accepted rows equal the ground truth value for value (no fragment, no truncation, no
  value altered), and the columns have the expected types;
* a missing file is a :class:`SourceError` saying "not found"; an empty file is a
  :class:`SourceError` saying "empty" (a file-level outcome, never zero rows in silence).

A case a reader does not meet yet is listed in ``GAPS`` (``case`` or ``case::check``) and
runs as ``xfail(strict=True)``: the list is exactly what is left to do.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from sparkwing.config import SourceSpec
from sparkwing.errors import SourceError
from sparkwing.lake import SourceContext, read_source
from sparkwing.workspace import Workspace

pytestmark = pytest.mark.spark
MESSY = Path(__file__).resolve().parents[1] / "data" / "messy"
MANIFEST: dict[str, dict[str, Any]] = json.loads((MESSY / "manifest.json").read_text())

# What the readers do not do yet: "case" (every check) or "case::check" -> the gap.
GAPS: dict[str, str] = {}

CHECKS_ROWS = ("counts", "quarantine", "values", "schema")  # the checks of an accepted-rows case


def _params(check: str, names: list[str]) -> list[Any]:
    out = []
    for n in names:
        gap = GAPS.get(f"{n}::{check}") or GAPS.get(n)
        marks = [pytest.mark.xfail(strict=True, reason=gap)] if gap else []
        out.append(pytest.param(n, marks=marks, id=n))
    return out


ROWS = sorted(n for n, e in MANIFEST.items() if e["outcome"] == "rows")
FILE_LEVEL = sorted(n for n, e in MANIFEST.items() if e["outcome"] != "rows")


@dataclass
class Outcome:
    """What one read gave back, turned into plain Python (the cached DataFrame is released)."""

    error: BaseException | None = None
    counts: tuple[int, int, int] = (0, 0, 0)
    reasons: dict[str, int] = field(default_factory=dict)
    df_count: int = 0
    records: list[dict[str, Any]] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    dtypes: list[tuple[str, str]] = field(default_factory=list)
    fingerprint_rows: int | None = None
    extra_keys: dict[str, int] | None = None


def _jsonl(path: Path) -> list[str]:
    """Lines of a JSON-lines file, split at LF only (U+2028 inside a string is not a break)."""
    return [x for x in path.read_text(encoding="utf-8").split("\n") if x.strip()]


def _quarantine_records(uri: str | None) -> list[dict[str, Any]]:
    if uri is None:
        return []
    out = []
    for f in sorted(Path(uri).rglob("*.json")):
        out += [json.loads(x) for x in _jsonl(f)]
    return out


def _read(spark: Any, ctx: SourceContext, name: str) -> Outcome:
    from pyspark.sql import functions as F

    entry = MANIFEST[name]
    try:
        spec = SourceSpec(uri=entry["file"], **entry["options"])
        result = read_source(spark, name, spec, ctx)
    except Exception as exc:  # noqa: BLE001 - the outcome is what the checks look at
        return Outcome(error=exc)
    try:
        cols = []
        for c, t in result.df.dtypes:
            if t == "timestamp":
                cols.append(F.date_format(F.col(f"`{c}`"), "yyyy-MM-dd HH:mm:ss").alias(c))
            elif t == "date":
                cols.append(F.col(f"`{c}`").cast("string").alias(c))
            else:
                cols.append(F.col(f"`{c}`"))
        rows = [r.asDict() for r in result.df.select(*cols).collect()]
        return Outcome(
            counts=(result.rows_read, result.rows_accepted, result.rows_quarantined),
            reasons=dict(result.reasons), df_count=result.df.count(),
            records=_quarantine_records(result.quarantine_uri), rows=rows, dtypes=list(result.df.dtypes),
            fingerprint_rows=result.fingerprint.get("rows_read"),
            extra_keys=getattr(result, "extra_keys", None),
        )  # fmt: skip
    finally:
        result.release()


@pytest.fixture(scope="module")
def ctx(settings, tmp_path_factory: pytest.TempPathFactory) -> SourceContext:
    ws = tmp_path_factory.mktemp("conformance-ws")
    return SourceContext(settings, Workspace(ws), "conformance", "r1", MESSY)


@pytest.fixture(scope="module")
def outcome(spark, ctx):
    cache: dict[str, Outcome] = {}

    def get(name: str) -> Outcome:
        if name not in cache:
            cache[name] = _read(spark, ctx, name)
        return cache[name]

    return get


def _ok(out: Outcome) -> None:
    if out.error is not None:
        raise AssertionError(f"read failed: {type(out.error).__name__}: {str(out.error)[:500]}")


def _canon(row: dict[str, Any]) -> str:
    return json.dumps(row, sort_keys=True, ensure_ascii=False)


@pytest.mark.parametrize("name", _params("counts", ROWS))
def test_counts_reconcile(name: str, outcome) -> None:
    out, e = outcome(name), MANIFEST[name]
    _ok(out)
    read, accepted, quarantined = out.counts
    assert read == accepted + quarantined
    assert (read, accepted, quarantined) == (e["rows_read"], e["rows_accepted"], e["rows_quarantined"])
    assert out.df_count == accepted
    assert len(out.records) == quarantined == sum(out.reasons.values())
    assert out.fingerprint_rows == read


@pytest.mark.parametrize("name", _params("quarantine", [n for n in ROWS if MANIFEST[n]["quarantine"]]))
def test_quarantine_records_name_line_raw_and_reason(name: str, outcome) -> None:
    out, e = outcome(name), MANIFEST[name]
    _ok(out)
    expected = e["quarantine"]
    assert all(r.get("source") == name and r.get("reason") for r in out.records)
    if expected[0]["line"] is None:  # typed files have no lines: match reasons only
        left = [r["reason"].lower() for r in out.records]
        for q in expected:
            hit = next((x for x in left if q["reason_contains"].lower() in x), None)
            assert hit is not None, f"no reason containing {q['reason_contains']!r} in {left}"
            left.remove(hit)
        assert not left, f"unexpected records: {left}"
        return
    by_line = {r.get("line"): r for r in out.records}
    problems = []
    for q in expected:
        got = by_line.pop(q["line"], None)
        if got is None:
            problems.append(f"line {q['line']}: not quarantined (expected {q['reason_contains']!r})")
            continue
        if got.get("raw") != q["raw"]:
            problems.append(f"line {q['line']}: raw {got.get('raw')!r} != {q['raw']!r}")
        if q["reason_contains"].lower() not in str(got["reason"]).lower():
            problems.append(f"line {q['line']}: reason {got['reason']!r} lacks {q['reason_contains']!r}")
        if not str(got.get("file", "")).endswith(Path(e["file"]).name):
            problems.append(f"line {q['line']}: file {got.get('file')!r}")
    problems += [f"unexpected record at line {k}: {v.get('reason')!r} {str(v.get('raw'))[:80]!r}"
                 for k, v in by_line.items()]  # fmt: skip
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", _params("values", ROWS))
def test_accepted_values_equal_the_ground_truth(name: str, outcome) -> None:
    out, e = outcome(name), MANIFEST[name]
    _ok(out)
    want = Counter(_jsonl(MESSY / e["expected"]))
    want = Counter({_canon(json.loads(k)): v for k, v in want.items()})
    got = Counter(_canon(r) for r in out.rows)
    missing, extra = want - got, got - want
    assert not missing and not extra, (
        f"{sum(missing.values())} expected row(s) missing, e.g. {list(missing)[:2]}; "
        f"{sum(extra.values())} unexpected, e.g. {list(extra)[:2]}"
    )


@pytest.mark.parametrize("name", _params("schema", ROWS))
def test_columns_and_types(name: str, outcome) -> None:
    out, e = outcome(name), MANIFEST[name]
    _ok(out)
    assert dict(out.dtypes) == e["schema"]
    if not e["file"].removesuffix(".gz").endswith(".jsonl"):  # JSON keys have no order to keep
        assert [c for c, _ in out.dtypes] == list(e["schema"])


@pytest.mark.parametrize("name", _params("extra_keys", [n for n in ROWS if "extra_keys" in MANIFEST[n]]))
def test_dropped_keys_are_counted(name: str, outcome) -> None:
    out = outcome(name)
    _ok(out)
    assert out.extra_keys == MANIFEST[name]["extra_keys"]


@pytest.mark.parametrize("name", _params("file_level", FILE_LEVEL))
def test_file_level_outcome(name: str, outcome) -> None:
    out, e = outcome(name), MANIFEST[name]
    assert isinstance(out.error, SourceError), f"expected a SourceError, got {out.error!r} / {out.counts}"
    msg = str(out.error)
    assert "\n" not in msg and f"'{name}'" in msg
    assert (e.get("error") or "empty") in msg.lower()


def test_gaps_name_real_cases_and_checks() -> None:
    checks = {*CHECKS_ROWS, "extra_keys", "file_level"}
    for key in GAPS:
        case, _, check = key.partition("::")
        assert case in MANIFEST and (not check or check in checks), key
