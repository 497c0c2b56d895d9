"""The exported EMR step's spark-submit line, run for real on the standalone cluster.

`export emr-steps` writes the line for YARN in cluster mode.  Here it runs against the
standalone master of the cluster tests with the least changes that a standalone master needs,
each one named: ``--master`` is the standalone URL; ``--deploy-mode cluster`` goes (a
standalone master cannot run a Python driver in cluster mode), so the driver runs on this
machine in the deploy folder, as a YARN container runs in the folder ``--files`` fills;
``spark.authenticate`` goes (YARN makes the secret; a standalone master would need one shared
with its workers); the Sparkling Water jar is the local one, where the bootstrap script would
have copied it.  Everything else -- the Spark and H2O settings, the driver script, the
``--files`` spec, sparkwing's arguments -- is the exported line as it is.  The spec has
sources, prep, checks and a table (no H2O), and the workspace is a local folder both the
driver and the executors see.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from standalone import StandaloneCluster, cluster_env, spark_home

pytestmark = [pytest.mark.cluster, pytest.mark.slow, pytest.mark.spark]

SPEC = """\
name: exported_sales
sources:
  raw: {{uri: "{data}", format: csv}}
datasets:
  clean:
    from: raw
    steps: [{{filter: "amount > 0"}}, {{derive: {{double_amount: "amount * 2"}}}}]
    checks: [{{not_null: [id]}}]
tables:
  sales.exported: {{from: clean}}
"""


def standalone_line(exported: list[str], master: str) -> list[str]:
    """The exported YARN line with the changes a standalone master needs (see the module docstring)."""
    from sparkwing.engine import sparkling_jar
    from sparkwing.schedule._submit import NODE_JAR

    line = [str(Path(spark_home()) / "bin" / "spark-submit")]
    i = 1
    while i < len(exported):
        word = exported[i]
        if word == "--master":
            line += ["--master", master]
            i += 2
        elif word == "--deploy-mode":
            i += 2
        elif word == "--conf" and exported[i + 1].startswith("spark.authenticate="):
            i += 2
        elif word == "--conf" and exported[i + 1] == f"spark.jars={NODE_JAR}":
            line += ["--conf", f"spark.jars={sparkling_jar()}"]
            i += 2
        else:
            line.append(word)
            i += 1
    return line


def test_the_exported_emr_step_runs_on_the_standalone_cluster(
        cluster: StandaloneCluster, tmp_path: Path) -> None:
    from sparkwing.config import load_settings, load_spec
    from sparkwing.schedule import Deployment
    from sparkwing.schedule._emr import export_emr

    data = tmp_path / "sales.csv"
    data.write_text("id,amount\n" + "".join(f"{i},{i % 4}\n" for i in range(400)))
    spec_path = tmp_path / "exported_sales.yaml"
    spec_path.write_text(SPEC.format(data=data))
    ws = tmp_path / "ws"
    settings = load_settings({
        "workspace": str(ws),
        "spark": {"master": "yarn", "executor_memory": "2g", "executor_cores": 1, "executor_instances": 2,
                  "shuffle_partitions": 4, "driver_memory": "1g"},
    }, settings_file=None)
    out = tmp_path / "export"
    # `deployment()` wants an s3:// workspace for a real cluster; this one shares the local disk.
    dep = Deployment(load_spec(spec_path), settings, str(out / "deploy"), spec_path.name)
    export_emr(dep, out)
    step = json.loads((out / "emr" / "steps.json").read_text())[0]
    exported = step["HadoopJarStep"]["Args"]
    assert exported[:5] == ["spark-submit", "--master", "yarn", "--deploy-mode", "cluster"]
    (ws / "spark-events").mkdir(parents=True)
    line = standalone_line(exported, cluster.master_url)
    assert len(line) == len(exported) - 4  # only --deploy-mode cluster and spark.authenticate left out
    env = {k: v for k, v in cluster_env().items() if not k.startswith("SPARKWING__")}
    log = tmp_path / "submit.log"
    with open(log, "wb") as fh:
        done = subprocess.run(line, cwd=out / "deploy", env=env, stdout=fh, stderr=subprocess.STDOUT,
                              timeout=900, start_new_session=True)
    text = log.read_text(errors="replace")
    assert done.returncode == 0, text[-3000:]

    records = [json.loads(p.read_text()) for p in (ws / "runs" / "exported_sales").glob("*/run.json")]
    assert len(records) == 1
    rec = records[0]
    assert rec["status"] == "succeeded", rec.get("error")
    raw, table = rec["steps"]["raw"], rec["steps"]["sales.exported"]
    assert (raw["rows_in"], raw["rows_out"]) == (400, 400)
    assert table["rows_out"] == 300 and table["status"] == "succeeded"
    assert all(c["passed"] for c in rec["steps"]["clean"]["checks"])
    # It ran on the standalone cluster's executors under the step's application name.
    done_apps = cluster.state().get("completedapps", [])
    apps = [a for a in done_apps if a.get("name") == "sparkwing-exported_sales"]
    assert apps and apps[-1]["id"] == rec["spark_app_id"], (apps, rec.get("spark_app_id"))
    parquet = list(Path(table["details"]["location"]).rglob("*.parquet"))
    assert parquet, table["details"]["location"]
