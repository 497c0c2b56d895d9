"""Scoring inputs made from tests/data/loan.csv, shared by the unit and integration tests."""

from __future__ import annotations

import csv
from pathlib import Path


def messy_loans(src: Path, out_dir: Path, *, rows: int | None = None) -> Path:
    """``src`` (loan.csv) without ``dti``, with an ``id`` column, an unseen ``home_ownership``
    (rows 0-4) and an unparseable ``int_rate`` (rows 7, 8); the first ``rows`` rows, or all."""
    with src.open(newline="") as fh:
        records = list(csv.DictReader(fh))[:rows]
    for i, row in enumerate(records):
        row.pop("dti")
        row["id"] = f"L{i}"
        if i < 5:
            row["home_ownership"] = "CASTLE"
        if i in (7, 8):
            row["int_rate"] = "ten"
    out = out_dir / "messy.csv"
    with out.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(records[0]))
        w.writeheader()
        w.writerows(records)
    return out
