"""A worker lost while H2O trains: the run fails with a clear message, nothing is registered,
and ``--resume`` trains again on a replacement worker, reusing the published table."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from clusterkit import finish, records, start_driver, step_status, wait_for

pytestmark = [pytest.mark.cluster, pytest.mark.slow]


def test_worker_lost_during_training_fails_clearly_and_resume_retrains(cluster, spec_dir: Path, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    log = tmp_path / "driver.log"
    spec = str(spec_dir / "pipeline.yaml")
    proc = start_driver(cluster, ws, "run", spec, log=log)
    # H2O is up (a 2-node cloud) and AutoML has started.
    wait_for(lambda: "training AutoML" in log.read_text(), 900, "AutoML to start", proc, log)
    assert "cloud of 2 node(s)" in log.read_text()
    time.sleep(3)
    victim = cluster.worker_daemons[-1]
    cluster.kill_worker(victim)  # the worker and its executor (with its H2O node) are gone
    rc = finish(proc)
    text = log.read_text()
    assert rc != 0, text[-3000:]
    rec = records(ws)[-1]
    assert rec["status"] == "failed"
    assert rec["steps"]["loan_default"]["status"] == "failed"
    assert "H2O cloud lost a node" in rec["error"], rec["error"]
    assert "H2O cloud lost a node" in text
    table = rec["steps"]["credit.loans_clean"]
    assert table["status"] == "succeeded"
    assert not any((ws / "models").glob("loan_default/*/model.mojo")), "a half-registered model"
    assert not list((ws / "models").glob("**/*.mojo")), list((ws / "models").glob("**/*"))

    cluster.add_worker()  # a replacement machine
    cluster.wait_workers(2)
    resume = start_driver(cluster, ws, "run", spec, "--resume", rec["run_id"], log=log)
    assert finish(resume) == 0, log.read_text()[-3000:]
    rec = records(ws)[-1]
    assert rec["status"] == "succeeded" and rec["attempts"] == 2
    steps = rec["steps"]
    # The published table was reused: not run again, same version.
    assert steps["credit.loans_clean"]["attempt"] == 1
    assert steps["credit.loans_clean"]["details"]["version"] == table["details"]["version"]
    assert steps["loan_default"]["attempt"] == 2
    assert steps["loan_default"]["details"]["h2o_cloud_size"] == 2
    assert steps["credit.loan_scores"]["rows_out"] == 999
    assert len(list((ws / "models").glob("**/*.mojo"))) >= 1
