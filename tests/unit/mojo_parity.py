"""Shared helpers of the MOJO parity tests: load a fixture, score it, compare with genmodel."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mojo"


def manifest() -> dict[str, dict[str, str]]:
    path = FIXTURES / "manifest.json"
    return json.loads(path.read_text()) if path.exists() else {}


def read_tsv(path: Path) -> list[dict[str, str]]:
    lines = path.read_text(encoding="utf-8").split("\n")
    header = lines[0].split("\t")
    rows = []
    for line in lines[1:]:
        if not line:
            continue
        cells = line.split("\t")
        rows.append({h: c for h, c in zip(header, cells, strict=False) if c != ""})
    return rows


def read_expected(path: Path) -> tuple[list[list[float] | None], list[list[float] | None]]:
    """genmodel's rows: raw values and calibrated probabilities (None = genmodel raised)."""
    raw: list[list[float] | None] = []
    cal: list[list[float] | None] = []
    for line in path.read_text().split("\n"):
        if not line:
            continue
        if line.startswith("ERROR:"):
            raw.append(None)
            cal.append(None)
            continue
        cells = line.split(",")
        raw.append([float(c) for c in cells if not c.startswith("cal:")])
        cal.append([float(c[4:]) for c in cells if c.startswith("cal:")])
    return raw, cal


@dataclass
class Parity:
    name: str
    rows: int
    max_abs_diff: float
    label_mismatches: int
    error_rows: int


def check(name: str) -> Parity:
    from sparkwing import mojo

    entry = manifest()[name]
    model = mojo.load(FIXTURES / entry["mojo"])
    rows = read_tsv(FIXTURES / entry["input"])
    raw, cal = read_expected(FIXTURES / f"{name}.expected.csv")
    assert len(rows) == len(raw), f"{name}: {len(rows)} input rows, {len(raw)} expected"
    got = model.predict_numpy(rows)
    classifier = model.info.classes is not None
    worst, mismatches, errors = 0.0, 0, 0
    for r, exp in enumerate(raw):
        if exp is None:
            # genmodel raised for this row (e.g. GLM without imputation, missing categorical).
            errors += 1
            assert np.all(np.isnan(got[r])), f"{name} row {r}: genmodel raised, we scored {got[r]}"
            continue
        values = exp + (cal[r] or [])
        width = len(values)
        mine = got[r, :width]
        if classifier or model.info.category == "AnomalyDetection":
            if not (mine[0] == exp[0] or (np.isnan(mine[0]) and np.isnan(exp[0]))):
                mismatches += 1
        if model.info.category in ("Regression", "Clustering"):
            values, mine = values[:1], mine[:1]  # genmodel pads with an unused 0
        e = np.asarray(values, dtype=np.float64)
        both_nan = np.isnan(e) & np.isnan(mine)
        assert not np.any(np.isnan(e) ^ np.isnan(mine)), f"{name} row {r}: NaN mismatch {mine} vs {e}"
        d = np.abs(np.where(both_nan, 0, e - mine))
        worst = max(worst, float(d.max()) if d.size else 0.0)
    return Parity(name, len(rows), worst, mismatches, errors)
