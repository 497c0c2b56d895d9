"""A reader with its own SparkSession on the shared PostgreSQL metastore, for the metastore test.

    python -m _metastore_child seed-and-read <folder>

Publishes version 1 of ``shared.alpha`` (``SEED_ROWS`` rows of kind ``v1``), then reads
``SELECT kind, count(*)`` in a loop until ``<folder>/reader.stop`` appears (at most 10 min).
The settings come from ``<folder>/sparkwing.yaml``.  Each result is one stdout line ``SW <json>``.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

TABLE = "shared.alpha"
SEED_ROWS = 1_500


def _say(**data: object) -> None:
    print("SW " + json.dumps(data), flush=True)


def seed_and_read(folder: str) -> None:
    from pyspark.sql import functions as F

    from sparkwing.config import TableSpec, load_settings
    from sparkwing.engine import start_spark
    from sparkwing.warehouse import publish_table
    from sparkwing.workspace import Workspace

    here = Path(folder)
    settings = load_settings(settings_file=here / "sparkwing.yaml")
    spark = start_spark(settings)
    seed = spark.range(0, SEED_ROWS, numPartitions=2).withColumn("kind", F.lit("v1"))
    publish_table(spark, seed, TABLE, TableSpec(**{"from": "seed"}),
                  workspace=Workspace.from_settings(settings), version="1", run_id="seed", keep_versions=3)
    _say(step="seeded")
    deadline = time.monotonic() + 600
    while not (here / "reader.stop").exists() and time.monotonic() < deadline:
        rows = spark.sql(f"SELECT kind, count(*) AS n FROM {TABLE} GROUP BY kind").collect()
        _say(step="read", rows={r.kind: r.n for r in rows})
        time.sleep(0.5)  # the other three JVMs of the test share the cores
    _say(step="done")
    spark.stop()


if __name__ == "__main__":
    {"seed-and-read": seed_and_read}[sys.argv[1]](sys.argv[2])
