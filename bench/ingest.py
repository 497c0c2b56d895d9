"""Ingest benchmark: sparkwing vs a hand-written PySpark script doing the same job.

The job: read a CSV of N rows (loan.csv resampled with replacement, numpy seed 7, plus a little
noise so rows differ), apply the cleaning steps of examples/loans (cast, trim, lower, fill
missing with medians, filter, derive, clip), and publish the result as a Parquet Hive table.

What each side does (both on ONE SparkSession in one process, same JVM and settings):

* hand-written: ``spark.read.csv(header, inferSchema)`` (Spark's inference pass reads the whole
  file), the cleaning as plain DataFrame expressions, one ``percentile_approx`` aggregate for
  the medians (re-parses the CSV), ``saveAsTable`` as Parquet (parses the CSV a third time) and
  a ``count()`` of the new table.  No malformed-row accounting, no run record, no versioning.
* sparkwing: ``run_pipeline`` on the equivalent spec: the same inference pass, one typed
  PERMISSIVE parse into a MEMORY_AND_DISK cache with one aggregate (rows read, malformed rows:
  counts reconcile, bad rows would be quarantined), the median aggregate over the cache, one
  write from the cache with Observations (row count, cast failures, nulls filled, values
  clipped), plus the run record, the pipeline lock and table versioning (a versioned
  directory, a view switch, the version history).

Both sides are warmed up once (JIT, file cache, metastore) before timing, then alternate
sparkwing / hand-written for ``--rounds`` rounds so machine noise hits both alike.  Each
side's time covers reading the CSV through the table being queryable.  Printed: rows/s per
round, the median of each side and the ratio (sparkwing / hand-written throughput, higher is
better; target >= 0.9).

    python bench/ingest.py --rows 1000000 --rounds 3
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
LOAN = ROOT / "examples" / "loans" / "data" / "loan.csv"

SPEC = """\
name: ingest_bench
sources:
  loans_raw: {{uri: "{csv}", format: csv}}
datasets:
  loans_clean:
    from: loans_raw
    steps:
      - cast: {{int_rate: double, annual_inc: double, revol_util: double, dti: double,
               emp_length: int, bad_loan: int}}
      - trim: [term, home_ownership, purpose, addr_state, verification_status]
      - lower: [home_ownership, verification_status]
      - fill_missing: {{emp_length: median, revol_util: median, annual_inc: median}}
      - filter: "annual_inc > 0"
      - derive:
          loan_to_income: "loan_amnt / annual_inc"
          term_months: "cast(regexp_extract(term, '([0-9]+)', 1) as int)"
      - clip: {{revol_util: [0, 150]}}
tables:
  bench.loans_sparkwing: {{from: loans_clean, format: parquet}}
"""


def make_input(rows: int, out: Path) -> Path:
    """Resample loan.csv to ``rows`` rows (seeded) and write it as CSV."""
    base = pd.read_csv(LOAN)
    rng = np.random.default_rng(7)
    df = base.iloc[rng.integers(0, len(base), rows)].reset_index(drop=True)
    df["loan_amnt"] = df["loan_amnt"] + rng.integers(0, 100, rows)
    path = out / f"loans_{rows}.csv"
    df.to_csv(path, index=False)
    return path


def clean_by_hand(spark, csv: Path):
    """The loans cleaning steps written by hand in PySpark (shared with pipeline_overhead.py)."""
    from pyspark.sql import functions as F

    df = spark.read.csv(str(csv), header=True, inferSchema=True)
    for col, typ in {"int_rate": "double", "annual_inc": "double", "revol_util": "double",
                     "dti": "double", "emp_length": "int", "bad_loan": "int"}.items():
        df = df.withColumn(col, F.col(col).cast(typ))
    for col in ["term", "home_ownership", "purpose", "addr_state", "verification_status"]:
        df = df.withColumn(col, F.trim(F.col(col)))
    for col in ["home_ownership", "verification_status"]:
        df = df.withColumn(col, F.lower(F.col(col)))
    fill = ["emp_length", "revol_util", "annual_inc"]
    medians = df.select(*[F.percentile_approx(c, 0.5).alias(c) for c in fill]).first()
    df = df.fillna({c: medians[c] for c in fill})
    df = df.filter("annual_inc > 0")
    df = df.withColumn("loan_to_income", F.expr("loan_amnt / annual_inc"))
    df = df.withColumn("term_months", F.expr(r"cast(regexp_extract(term, '([0-9]+)', 1) as int)"))
    return df.withColumn("revol_util", F.least(F.greatest(F.col("revol_util"), F.lit(0.0)), F.lit(150.0)))


def hand_written(spark, csv: Path) -> int:
    """What a data engineer would write by hand for the same cleaning job."""
    df = clean_by_hand(spark, csv)
    spark.sql("CREATE DATABASE IF NOT EXISTS bench")
    df.write.mode("overwrite").format("parquet").saveAsTable("bench.loans_hand")
    return spark.table("bench.loans_hand").count()


def with_sparkwing(spec_path: Path, settings) -> int:
    from sparkwing.config import load_spec
    from sparkwing.pipeline import run_pipeline

    record = run_pipeline(load_spec(spec_path), settings, stop_engine=False)
    return int(record.steps["bench.loans_sparkwing"].rows_out or 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--master", default="local[2]")
    args = parser.parse_args()

    from sparkwing.config import load_settings
    from sparkwing.engine import start_spark, stop_spark

    tmp = Path(tempfile.mkdtemp(prefix="sparkwing-bench-"))
    try:
        csv = make_input(args.rows, tmp)
        spec_path = tmp / "pipeline.yaml"
        spec_path.write_text(SPEC.format(csv=csv))
        settings = load_settings({"workspace": str(tmp / "ws"),
                                  "spark": {"master": args.master, "driver_memory": "4g"}})
        spark = start_spark(settings)
        hand_written(spark, csv)  # warm-up of both sides: JIT, file cache, metastore
        with_sparkwing(spec_path, settings)
        times: dict[str, list[float]] = {"sparkwing": [], "hand-written": []}
        rows = {}
        for r in range(args.rounds):
            for side in (("sparkwing", "hand-written") if r % 2 == 0 else ("hand-written", "sparkwing")):
                spark.catalog.clearCache()
                t0 = time.perf_counter()
                rows[side] = (
                    with_sparkwing(spec_path, settings) if side == "sparkwing" else hand_written(spark, csv)
                )
                times[side].append(time.perf_counter() - t0)
                print(f"round {r + 1} {side:<13} {times[side][-1]:7.2f} s  "
                      f"{args.rows / times[side][-1]:12,.0f} rows/s  ({rows[side]:,} rows out)")
        med = {k: statistics.median(v) for k, v in times.items()}
        ratio = med["hand-written"] / med["sparkwing"]
        print(f"\ninput rows: {args.rows:,}   rounds: {args.rounds}   master: {args.master}")
        for side in times:
            print(f"{side:<13} median {med[side]:7.2f} s  {args.rows / med[side]:12,.0f} rows/s")
        print(f"throughput ratio sparkwing / hand-written: {ratio:.3f}  (target >= 0.9)")
        if rows["sparkwing"] != rows["hand-written"]:
            print(f"WARNING: row counts differ: {rows}")
        stop_spark()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
