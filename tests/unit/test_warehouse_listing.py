"""``sparkwing tables`` and ``tables show`` read the history files: right answers, no JVM."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sparkwing.cli import EXIT_CODES, app
from sparkwing.errors import WarehouseError
from sparkwing.warehouse import VersionRecord, list_published, published_table
from sparkwing.warehouse._model import TableName
from sparkwing.warehouse._versions import History, save_history
from sparkwing.workspace import Workspace


def _record(version: str, rows: int, **kw: object) -> VersionRecord:
    return VersionRecord(version=version, published=f"2026-12-0{version[-1]}T10:00:00Z", rows=rows,
                         run_id=f"run-{version}", format="parquet", partition_by=list(kw.get("by", [])),
                         location=f"/ws/warehouse/credit.db/t/v={version}",
                         schema=[{"name": "id", "type": "int"}, {"name": "amount", "type": "double"}])


@pytest.fixture()
def ws(tmp_path: Path) -> Workspace:
    w = Workspace(tmp_path / "ws")
    loans = History("credit.loans", current="r1",  # rolled back from r2
                    records=[_record("r1", 999, by=["term"]), _record("r2", 1000, by=["term"])])
    save_history(w, TableName("credit", "loans"), loans)
    save_history(w, TableName("credit", "scores"), History("credit.scores", "r3", [_record("r3", 7)]))
    save_history(w, TableName("other", "never"), History("other.never"))  # history, nothing current
    (tmp_path / "ws" / "warehouse" / "credit.db" / "not_ours").mkdir(parents=True)
    (tmp_path / "ws" / "warehouse" / "metastore_stuff").mkdir()
    return w


def test_list_published_reads_the_current_version_of_each_table(ws: Workspace) -> None:
    tables = list_published(ws)
    assert [(t.name, t.version, t.rows, t.versions) for t in tables] == [
        ("credit.loans", "r1", 999, ["r1", "r2"]), ("credit.scores", "r3", 7, ["r3"])]
    assert tables[0].partition_by == ["term"] and tables[0].updated == "2026-12-01T10:00:00Z"
    info, records = published_table(ws, "Credit.Loans")
    assert info.version == "r1" and [r.rows for r in records] == [999, 1000]
    with pytest.raises(WarehouseError, match="table credit.nope does not exist"):
        published_table(ws, "credit.nope")


def test_cli_tables_and_show(ws: Workspace) -> None:
    runner = CliRunner()
    listed = runner.invoke(app, ["-w", ws.root, "tables"])
    assert listed.exit_code == 0, listed.output
    assert "credit.loans" in listed.output and "credit.scores" in listed.output
    assert "other.never" not in listed.output and "not_ours" not in listed.output
    shown = runner.invoke(app, ["-w", ws.root, "tables", "show", "credit.loans"])
    assert shown.exit_code == 0, shown.output
    assert "credit.loans version r1: 999 rows, parquet, partitioned by term" in shown.output
    assert "columns: id:int, amount:double" in shown.output and "run-r2" in shown.output
    missing = runner.invoke(app, ["-w", ws.root, "tables", "show", "credit.nope"])
    assert missing.exit_code == EXIT_CODES[WarehouseError] and missing.output.count("error:") == 1


def test_tables_starts_no_jvm(ws: Workspace) -> None:
    code = (
        "import sys\nfrom sparkwing.cli import main\n"
        f"try:\n    main(['-w', {ws.root!r}, 'tables'])\n"
        "except SystemExit as e:\n    assert not e.code, e.code\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'pyspark', 'py4j', 'pysparkling'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]" and "credit.loans" in out.stdout
