"""Benchmark: Spark batch scoring, ``scorer: mojo`` (sparkwing.mojo in the Python workers) vs
``scorer: h2o`` (Sparkling Water's ``H2OMOJOModel`` on the JVM), same rows, same run.

    PYTHONPATH=src .venv/bin/python bench/spark_scoring.py [--rows 1000000] [--models gbm,glm]

Input: ``--rows`` realistic loan rows (default 1,000,000) written once to Parquet with the types
the loans pipeline publishes (numbers as doubles, categoricals as strings).  Each row is a row of
``tests/data/loan.csv`` (Lending Club sample, 999 rows) drawn with replacement (seed 0); every
numeric cell gets seeded noise so that nearly every value is distinct (amounts and rates as in
real data, rounded to cents), 1 % of numeric cells are missing, and categoricals keep their real
levels.  Models: the committed loan MOJOs of the parity fixtures (``gbm_bernoulli_loan``: GBM;
``glm_binomial_loan``: GLM; ``xgb_loan``: XGBoost), registered in a scratch registry.

Each (model, scorer) is warmed up on 20k rows, then ``score_batch(...).df`` is written to Spark's
``noop`` sink ``--repeat`` times (best pass reported): the timed work is reading the Parquet,
the scoring and the output columns (``score_batch``'s input-statistics pass, the same for both
scorers, is timed apart as ``stats``).  Spark runs ``local[2]``, driver memory 3g.

Ratios > 1 mean ``scorer: mojo`` is faster.  The machine is shared: the load average is printed
with the table; compare ratios, not absolute figures.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
LOANS = ROOT / "tests" / "data" / "loan.csv"
FIXTURES = ROOT / "tests" / "fixtures" / "mojo"
MODELS = {"gbm": "gbm_bernoulli_loan", "glm": "glm_binomial_loan", "xgb": "xgb_loan"}
NUMERIC = ["loan_amnt", "int_rate", "emp_length", "annual_inc", "dti", "delinq_2yrs", "revol_util",
           "total_acc", "longest_credit_length"]
CATEGORICAL = ["term", "home_ownership", "purpose", "addr_state", "verification_status"]


def make_rows(n: int, path: Path) -> None:
    """``n`` realistic loan rows (see the module docstring) as one Parquet file at ``path``."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    base = pd.read_csv(LOANS)
    rng = np.random.default_rng(0)
    pick = rng.integers(0, len(base), n)
    cols: dict[str, np.ndarray] = {}
    for c in NUMERIC:
        v = base[c].to_numpy(dtype=np.float64)[pick]
        scale = np.nanstd(base[c].to_numpy(dtype=np.float64)) * 0.05 or 1.0
        noisy = np.round(v + rng.normal(0, scale, n), 2)
        noisy[rng.random(n) < 0.01] = np.nan
        cols[c] = np.abs(noisy)
    table = {c: pa.array(cols[c], pa.float64(), from_pandas=True) for c in NUMERIC}
    for c in CATEGORICAL:
        levels = base[c].astype(object).where(base[c].notna(), None).to_numpy()
        table[c] = pa.array(levels[pick], pa.string())
    pq.write_table(pa.table(table), path, row_group_size=100_000)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--models", default="gbm,glm")
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()

    from pyspark.sql import functions as F

    from sparkwing import mojo
    from sparkwing.config import load_settings
    from sparkwing.engine import start_spark, stop_spark
    from sparkwing.registry import Feature, ModelCard, Registry
    from sparkwing.score import score_batch
    from sparkwing.workspace import Workspace

    tmp = Path(tempfile.mkdtemp(prefix="sparkwing-bench-spark-"))
    try:
        data = tmp / "loans.parquet"
        t = time.perf_counter()
        make_rows(args.rows, data)
        print(f"input: {args.rows:,} rows -> {data} ({data.stat().st_size / 1e6:.1f} MB, "
              f"{time.perf_counter() - t:.1f} s to make)", flush=True)
        spark_settings = {"master": "local[2]", "shuffle_partitions": 2, "driver_memory": "3g"}
        settings = load_settings({"workspace": str(tmp / "ws"), "spark": spark_settings})
        spark = start_spark(settings)
        reg = Registry(Workspace(tmp / "registry"))
        df = spark.read.parquet(str(data))
        warm = df.limit(20_000)
        results = []
        for key in args.models.split(","):
            name = MODELS[key]
            info = mojo.load(FIXTURES / f"{name}.zip").info
            types = dict(df.dtypes)
            features = [Feature(name=f.name, spark_type=types[f.name],
                                domain=list(f.domain) if f.domain else None) for f in info.features]
            card = ModelCard(task="binary", classes=list(info.classes or []), features=features)
            mv = reg.register(name, mojo_path=FIXTURES / f"{name}.zip", card=card)
            rates = {}
            for scorer in ("h2o", "mojo"):
                warmed = score_batch(spark, warm, mv, scorer=scorer).df
                warmed.write.format("noop").mode("overwrite").save()
                best, stats = float("inf"), float("inf")
                for _ in range(args.repeat):
                    t = time.perf_counter()
                    result = score_batch(spark, df, mv, scorer=scorer)
                    stats = min(stats, time.perf_counter() - t)
                    t = time.perf_counter()
                    result.df.write.format("noop").mode("overwrite").save()
                    best = min(best, time.perf_counter() - t)
                rates[scorer] = args.rows / best
                print(f"  {key} {scorer:4s}: score {best:6.1f} s = {rates[scorer]:9,.0f} rows/s "
                      f"(stats pass {stats:.1f} s)  load {os.getloadavg()[0]:.1f}", flush=True)
            results.append((key, rates["h2o"], rates["mojo"]))
        # A sanity check that both scored the same rows the same way (the tests check it exactly).
        check = df.limit(2_000).withColumn("_rid", F.monotonically_increasing_id())
        same = [score_batch(spark, check, mv, scorer=s).df.orderBy("_rid").select("predict").collect()
                for s in ("h2o", "mojo")]
        stop_spark()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"\nSpark batch scoring, {args.rows:,} realistic loan rows, local[2] "
          "(rows/s; ratio > 1: mojo faster)")
    print(f"{'model':6s} {'h2o':>12s} {'mojo':>12s} {'mojo/h2o':>9s}")
    for key, h, m in results:
        print(f"{key:6s} {h:12,.0f} {m:12,.0f} {m / h:8.2f}x")
    print(f"labels agree on the check rows: {same[0] == same[1]}")
    loads = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average (1/5/15 min): {loads}, {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
