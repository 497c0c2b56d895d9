"""A shared PostgreSQL metastore (a real server on 127.0.0.1): many processes at once.

One scenario, four JVMs on one workspace (with Derby the second would fail with XSDB6):

- a reader process publishes ``shared.alpha`` v1, then reads it in a loop;
- two pipelines (``alpha``, ``beta``) run in parallel; each holds, mid-run and with its
  metastore client open, at a gate step;
- meanwhile ``sparkwing sql`` answers (and sees v1);
- then the gate opens and both publish at once, while the reader keeps reading: every read
  sees v1 or v2 whole (full row count), never a mix, never an error, never v1 after v2.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from pg_server import PASSWORD

pytestmark = [pytest.mark.spark, pytest.mark.slow, pytest.mark.postgres]

HERE = Path(__file__).resolve().parent
SRC = HERE.parent.parent / "src"
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), str(HERE), os.environ.get("PYTHONPATH", "")])}
ENV.pop("SPARKWING__METASTORE__PASSWORD", None)
SEED_ROWS, ALPHA_ROWS, BETA_ROWS = 1_500, 2_000, 700  # SEED_ROWS: as in _metastore_child

GATE = '''\
import time
from pathlib import Path


def hold(df, folder, name):
    """Open the metastore client, say so, and wait (bounded) until the test opens the gate."""
    df.sparkSession.sql("SHOW DATABASES").collect()
    Path(folder, name + ".holding").write_text("")
    deadline = time.monotonic() + 300
    while not Path(folder, "go").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    return df
'''

SPEC = """\
name: {name}
sources:
  raw: {{uri: {name}.csv, format: csv}}
datasets:
  held:
    from: raw
    steps:
      - python: {{function: "gate:hold", params: {{folder: "{folder}", name: {name}}}}}
tables:
  shared.{name}: {{from: held}}
"""


def _write_inputs(folder: Path, url: str) -> None:
    pw = folder / "metastore.pw"
    pw.write_text(PASSWORD + "\n")
    pw.chmod(0o600)
    settings = {
        "workspace": str(folder / "ws"),
        "spark": {"master": "local[1]", "shuffle_partitions": 1, "driver_memory": "1g"},
        "metastore": {"url": url, "password_file": str(pw)},
    }
    (folder / "sparkwing.yaml").write_text(yaml.safe_dump(settings))
    (folder / "gate.py").write_text(GATE)
    for name, rows in (("alpha", ALPHA_ROWS), ("beta", BETA_ROWS)):
        lines = ["id,kind", *(f"{i},v2" for i in range(rows))]
        (folder / f"{name}.csv").write_text("\n".join(lines) + "\n")
        (folder / f"{name}.yaml").write_text(SPEC.format(name=name, folder=folder))


def _sparkwing(folder: Path, *args: str, log: str) -> subprocess.Popen[bytes]:
    with open(folder / f"{log}.log", "wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "sparkwing", "--config", str(folder / "sparkwing.yaml"), *args],
            cwd=folder, env=ENV, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip


def _messages(log: Path) -> list[dict]:
    lines = log.read_text().splitlines() if log.exists() else []
    return [json.loads(line[3:]) for line in lines if line.startswith("SW ")]


def _wait(what, procs: dict[str, subprocess.Popen[bytes]], folder: Path, timeout: float, label: str) -> None:
    deadline = time.monotonic() + timeout
    while not what():
        for name, proc in procs.items():
            if proc.poll() is not None and proc.returncode != 0:
                raise AssertionError(f"{name} exited {proc.returncode}: {_tail(folder, name)}")
        assert time.monotonic() < deadline, f"timed out waiting for {label}"
        time.sleep(0.25)


def _tail(folder: Path, name: str) -> str:
    path = folder / f"{name}.log"
    return path.read_text(errors="replace")[-3000:] if path.exists() else "(no output)"


def test_many_processes_share_one_postgres_metastore(postgres, tmp_path: Path):
    folder = tmp_path
    _write_inputs(folder, postgres.url("metastore"))
    procs: dict[str, subprocess.Popen[bytes]] = {}
    try:
        with open(folder / "reader.log", "wb") as out:
            procs["reader"] = subprocess.Popen(
                [sys.executable, "-m", "_metastore_child", "seed-and-read", str(folder)],
                cwd=folder, env=ENV, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        reads = lambda: [m["rows"] for m in _messages(folder / "reader.log") if m["step"] == "read"]  # noqa: E731
        _wait(lambda: reads(), procs, folder, 300, "the reader's first read")

        for name in ("alpha", "beta"):
            procs[name] = _sparkwing(folder, "run", f"{name}.yaml", log=name)
        _wait(lambda: all((folder / f"{n}.holding").exists() for n in ("alpha", "beta")), procs, folder, 300,
              "both runs at their gate")

        # Both runs are mid-run with their metastore clients open: sparkwing sql still answers.
        sql = subprocess.run(
            [sys.executable, "-m", "sparkwing", "--config", str(folder / "sparkwing.yaml"), "sql",
             "SELECT kind, count(*) AS n FROM shared.alpha GROUP BY kind"],
            cwd=folder, env=ENV, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert sql.returncode == 0, sql.stdout[-2000:] + sql.stderr[-2000:]
        assert "v1" in sql.stdout and str(SEED_ROWS) in sql.stdout
        assert procs["alpha"].poll() is None and procs["beta"].poll() is None

        (folder / "go").write_text("")  # both publish now, at the same time, while the reader reads
        for name in ("alpha", "beta"):
            assert procs[name].wait(timeout=300) == 0, _tail(folder, name)
        _wait(lambda: {"v2": ALPHA_ROWS} in reads(), procs, folder, 120, "the reader to see v2")
        (folder / "reader.stop").write_text("")
        assert procs["reader"].wait(timeout=120) == 0, _tail(folder, "reader")
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, 9)
                proc.wait()

    seen = reads()
    assert all(r in ({"v1": SEED_ROWS}, {"v2": ALPHA_ROWS}) for r in seen), seen
    first_v2 = seen.index({"v2": ALPHA_ROWS})
    assert {"v1": SEED_ROWS} not in seen[first_v2:], "a reader went back to the old version"
    print(f"reader: {first_v2} reads of v1, then {len(seen) - first_v2} of v2")

    from sparkwing.pipeline import RunStore
    from sparkwing.workspace import Workspace

    store = RunStore(Workspace(folder / "ws"))
    alpha, beta = (store.list(name, limit=1)[0] for name in ("alpha", "beta"))
    assert alpha.status == beta.status == "succeeded"
    assert alpha.steps["shared.alpha"].rows_out == ALPHA_ROWS
    assert beta.steps["shared.beta"].rows_out == BETA_ROWS
    assert alpha.started < beta.finished and beta.started < alpha.finished  # the runs overlapped
    tables = postgres.psql('SELECT "TBL_NAME" FROM "TBLS" ORDER BY 1', "metastore").split()
    assert {"alpha", "beta", "alpha__v1"} <= set(tables), tables
    for path in folder.rglob("*"):
        if path.is_file() and path.name != "metastore.pw" and path.stat().st_size < 50_000_000:
            assert PASSWORD.encode() not in path.read_bytes(), f"the password leaked into {path}"
