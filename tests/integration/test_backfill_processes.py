"""`sparkwing backfill --parallel 2` for real: child `sparkwing run` processes, each its own driver
JVM, on one workspace with a PostgreSQL metastore (a real server on 127.0.0.1).

Three dates, two at a time; the second date's data is missing, so its run fails while the first
finishes and the third never starts.  The data arrives, the same backfill runs again: the first
date is skipped, the second resumed under its run id, the third runs beside it.  The runs
overlap, their table publications take turns, and each run records its own ``ds``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pg_server import PASSWORD

pytestmark = [pytest.mark.spark, pytest.mark.slow, pytest.mark.postgres]

SRC = Path(__file__).resolve().parents[2] / "src"
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
ENV.pop("SPARKWING__METASTORE__PASSWORD", None)

SPEC = """\
name: daily_sales
params:
  ds: {type: date, default: today}
sources:
  raw: {uri: "data/dt=${ds}/", format: csv}
datasets:
  clean:
    from: raw
    steps: [{filter: "amount > 0"}]
    checks: [{not_null: [id]}]
tables:
  sales.daily: {from: clean}
"""


def _day(folder: Path, ds: str, rows: int) -> None:
    day = folder / "data" / f"dt={ds}"
    day.mkdir(parents=True)
    lines = ["id,amount", *(f"{i},{i % 5}" for i in range(rows))]
    (day / "part.csv").write_text("\n".join(lines) + "\n")


def _backfill(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sparkwing", "--config", str(folder / "sparkwing.yaml"), "backfill",
         "daily.yaml", "--from", "2026-11-01", "--to", "2026-11-03", "--parallel", "2"],
        cwd=folder, env=ENV, capture_output=True, text=True, timeout=600,
    )  # fmt: skip


def test_parallel_backfill_runs_child_processes_that_take_turns_to_publish(postgres, tmp_path: Path) -> None:
    folder = tmp_path
    pw = folder / "metastore.pw"
    pw.write_text(PASSWORD + "\n")
    pw.chmod(0o600)
    settings = {
        "workspace": str(folder / "ws"),
        "spark": {"master": "local[1]", "shuffle_partitions": 1, "driver_memory": "1g"},
        "metastore": {"url": postgres.url("metastore"), "password_file": str(pw)},
    }
    (folder / "sparkwing.yaml").write_text(yaml.safe_dump(settings))
    (folder / "daily.yaml").write_text(SPEC)
    _day(folder, "2026-11-01", 50)
    _day(folder, "2026-11-03", 70)

    first = _backfill(folder)
    assert first.returncode != 0, first.stdout + first.stderr
    lines = first.stdout.splitlines()
    assert any(line.startswith("[1/3] 2026-11-0") for line in lines), first.stdout
    assert any("2026-11-02 failed" in line for line in lines), first.stdout
    assert any("2026-11-01 succeeded" in line for line in lines), first.stdout  # finished after the failure
    assert "2026-11-03" not in first.stdout  # never started
    assert "failed: 2026-11-02" in first.stderr

    from sparkwing.pipeline import RunStore
    from sparkwing.workspace import Workspace

    store = RunStore(Workspace(str(folder / "ws")))
    failed = next(r for r in store.list("daily_sales") if r.params["ds"] == "2026-11-02")
    assert failed.status == "failed" and failed.steps["raw"].status == "failed"

    _day(folder, "2026-11-02", 60)  # the late data lands
    again = _backfill(folder)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "2026-11-01 skipped" in again.stdout

    records = {r.params["ds"]: r for r in store.list("daily_sales") if r.status == "succeeded"}
    assert sorted(records) == ["2026-11-01", "2026-11-02", "2026-11-03"]
    assert records["2026-11-02"].run_id == failed.run_id  # resumed, not started afresh
    assert {r.trigger.kind for r in records.values()} == {"backfill"}
    rows = {ds: r.steps["sales.daily"].rows_out for ds, r in records.items()}
    assert rows == {"2026-11-01": 40, "2026-11-02": 48, "2026-11-03": 56}  # amount > 0: 4 rows in 5
    two, three = records["2026-11-02"], records["2026-11-03"]
    assert two.started < three.finished and three.started < two.finished  # the two runs overlapped
    # ...and took turns at the publication: the second took its turn after the first had published.
    def turn(r, what: str) -> str:
        return next(e["time"] for e in r.events if e["message"] == f"{what} the publish turn")

    turns = sorted((turn(r, "took"), turn(r, "gave back")) for r in (two, three))
    assert turns[0][1] <= turns[1][0], turns
    runs_dir = folder / "ws" / "runs" / "daily_sales"
    assert not (runs_dir / "lock.json").exists() and not (runs_dir / "publish.json").exists()
    assert sorted(p.name for p in (folder / "ws" / "logs").glob("backfill-*/*.log"))  # the children's output
