"""The loans spec on a standalone cluster, launched through spark-submit, with an executor lost.

One executor JVM is killed while the scores step runs.  Spark retries its tasks on the
surviving executor (and the worker starts a new one), or the run fails cleanly and
``--resume`` finishes it; either way the published tables hold exactly the rows a local
run publishes, and the model was trained on an H2O cloud of two nodes.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from clusterkit import driver_env, finish, records, start_driver, step_status, wait_for

pytestmark = [pytest.mark.cluster, pytest.mark.slow, pytest.mark.spark]


def _submit(cluster, spec: Path, workspace: Path, log: Path) -> subprocess.Popen[bytes]:
    from sparkwing.config import load_settings
    from sparkwing.engine import submit_command
    from standalone import spark_home

    env = driver_env(cluster)
    settings = load_settings({
        "workspace": str(workspace),
        "spark": {"master": cluster.master_url, "executor_memory": "2g", "executor_cores": 1,
                  "executor_instances": 2, "shuffle_partitions": 4, "driver_memory": "1g"},
    })
    line = submit_command(settings, str(spec))
    line[0] = str(Path(spark_home()) / "bin" / "spark-submit")
    # The submitted driver reads no SPARKWING__ settings: spark-submit's line carries them.
    env = {k: v for k, v in env.items() if not k.startswith("SPARKWING__")}
    fh = open(log, "ab")  # noqa: SIM115
    proc = subprocess.Popen(line, stdout=fh, stderr=subprocess.STDOUT, env=env, cwd=workspace.parent,
                            start_new_session=True)
    fh.close()
    return proc


def _published(spark, record: dict, table: str):
    return spark.read.parquet(record["steps"][table]["details"]["location"])


def test_loans_spec_on_cluster_via_spark_submit_survives_executor_loss(
    cluster, spec_dir: Path, tmp_path: Path, spark, settings
) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    log = tmp_path / "driver.log"
    t0 = time.monotonic()
    proc = _submit(cluster, spec_dir / "pipeline.yaml", ws, log)
    wait_for(lambda: step_status(ws, "credit.loan_scores") == "running", 900, "the scores step", proc, log)
    victims = cluster.executor_pids()
    assert len(victims) == 2, victims
    os.kill(victims[0], signal.SIGKILL)  # one executor JVM, as if its container were lost
    rc = finish(proc)
    outcome = "completed after retries" if rc == 0 else "failed"
    if rc != 0:
        rec = records(ws)[-1]
        assert rec["status"] == "failed", rec
        assert rec["steps"]["loan_default"]["status"] == "succeeded"
        resume = start_driver(cluster, ws, "run", str(spec_dir / "pipeline.yaml"), "--resume", rec["run_id"], log=log)
        assert finish(resume) == 0, log.read_text()[-3000:]
        outcome += ", --resume completed it"
    seconds = time.monotonic() - t0
    text = log.read_text()
    assert "(spark-submit)" in text  # start_spark reused spark-submit's JVM and master
    rec = records(ws)[-1]
    assert rec["status"] == "succeeded", rec.get("error")
    steps = rec["steps"]
    raw = steps["loans_raw"]
    assert (raw["rows_in"], raw["rows_out"], raw["rows_quarantined"]) == (1002, 999, 3)
    assert all(c["passed"] for c in steps["loans_clean"]["checks"]), steps["loans_clean"]["checks"]
    assert steps["credit.loans_clean"]["rows_out"] == 999
    model = steps["loan_default"]["details"]
    assert model["h2o_cloud_size"] == 2, model  # one H2O node per executor
    assert 0.55 < model["metrics"]["auc"] <= 1.0
    assert steps["credit.loan_scores"]["rows_out"] == 999
    # Published contents equal what the shared local session computes from the same spec.
    local = _local_reference(spark, settings, spec_dir, tmp_path)
    clean = _published(spark, rec, "credit.loans_clean")
    assert clean.count() == local.count() == 999
    assert clean.exceptAll(local.select(*clean.columns)).count() == 0
    assert local.select(*clean.columns).exceptAll(clean).count() == 0
    scores = _published(spark, rec, "credit.loan_scores")
    assert scores.count() == 999  # no duplicate rows from retried tasks
    assert scores.filter("p_1 is null").count() == 0
    print(f"\ncluster run via spark-submit: {outcome} in {seconds:.0f}s")


def _local_reference(spark, settings, spec_dir: Path, tmp_path: Path):
    """Source, prep and checks of the same spec on the suite's local session (no model, no scores)."""
    import yaml

    from sparkwing.config import load_spec
    from sparkwing.pipeline import run_pipeline

    ref = tmp_path / "ref"
    shutil.copytree(spec_dir, ref)
    doc = yaml.safe_load((ref / "pipeline.yaml").read_text())
    doc["name"] = "loans_cluster_ref"
    doc["tables"] = {"cluster_ref.loans_clean": doc["tables"]["credit.loans_clean"]}
    doc.pop("models"), doc.pop("scores")
    (ref / "pipeline.yaml").write_text(yaml.safe_dump(doc))
    record = run_pipeline(load_spec(ref / "pipeline.yaml"), settings, stop_engine=False)
    raw = record.steps["loans_raw"]
    assert (raw.rows_in, raw.rows_out, raw.rows_quarantined) == (1002, 999, 3)
    return spark.table("cluster_ref.loans_clean")
