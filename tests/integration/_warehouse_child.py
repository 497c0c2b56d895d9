"""A separate Python process with its own SparkSession, for the warehouse kill test.

Embedded Derby lets one JVM open a metastore, and a SIGKILL needs a process of its own, so
the test drives this script instead of the shared session.  Usage::

    python -m _warehouse_child publish-twice <workspace>   # v1, then a slow v2 (to be killed)
    python -m _warehouse_child check-and-resume <workspace>  # report, then publish v2 again

Each result is one stdout line ``SW <json>``.
"""

from __future__ import annotations

import json
import sys
import time

TABLE = "killtest.events"
V2_ROWS = 1_000


def _session(workspace: str):  # noqa: ANN202
    from sparkwing.config import load_settings
    from sparkwing.engine import start_spark

    spark = {"master": "local[2]", "shuffle_partitions": 2, "driver_memory": "1g"}
    settings = load_settings({"workspace": workspace, "spark": spark})
    return start_spark(settings)


def _say(**data: object) -> None:
    print("SW " + json.dumps(data), flush=True)


def _publish(spark, workspace: str, df, version: str):  # noqa: ANN001, ANN202
    from sparkwing.config import TableSpec
    from sparkwing.warehouse import publish_table
    from sparkwing.workspace import Workspace

    return publish_table(
        spark, df, TABLE, TableSpec(**{"from": "events"}), workspace=Workspace(workspace),
        version=version, run_id=f"run-{version}", keep_versions=3,
    )  # fmt: skip


def _v2(spark, slow: bool):  # noqa: ANN001, ANN202
    from pyspark.sql import functions as F

    df = spark.range(0, V2_ROWS, numPartitions=10)
    if slow:
        # A sleep per row keeps the write running long enough (~10 s on 2 cores) to be killed.
        pause = F.udf(lambda x: (time.sleep(0.02), x)[1], "long")
        df = df.withColumn("id", pause("id"))
    return df.withColumn("kind", F.lit("v2"))


def publish_twice(workspace: str) -> None:
    spark = _session(workspace)
    from pyspark.sql import functions as F

    v1 = spark.range(0, 5).withColumn("kind", F.lit("v1"))
    _say(step="v1", rows=_publish(spark, workspace, v1, "1").rows)
    _say(step="v2-start")
    _say(step="v2", rows=_publish(spark, workspace, _v2(spark, slow=True), "2").rows)


def check_and_resume(workspace: str) -> None:
    spark = _session(workspace)
    from sparkwing.warehouse import table_info
    from sparkwing.workspace import Workspace

    ws = Workspace(workspace)
    seen = spark.sql(f"SELECT kind, count(*) AS n FROM {TABLE} GROUP BY kind").collect()
    _say(step="check", version=table_info(spark, TABLE, ws).version, rows={r.kind: r.n for r in seen})
    result = _publish(spark, workspace, _v2(spark, slow=False), "2")
    seen = spark.sql(f"SELECT kind, count(*) AS n FROM {TABLE} GROUP BY kind").collect()
    info = table_info(spark, TABLE, ws)
    _say(step="resumed", skipped=result.skipped, result_rows=result.rows, version=info.version,
         versions=info.versions, rows={r.kind: r.n for r in seen})  # fmt: skip


if __name__ == "__main__":
    {"publish-twice": publish_twice, "check-and-resume": check_and_resume}[sys.argv[1]](sys.argv[2])
