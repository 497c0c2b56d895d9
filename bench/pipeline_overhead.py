"""Pipeline overhead: the loans pipeline through sparkwing vs a hand-written PySpark + Sparkling Water script.

The job (examples/loans/pipeline.yaml): read loan.csv -> clean (cast, trim, lower, median fill,
filter, derive, clip) -> check -> publish a Parquet Hive table -> H2O AutoML -> save the MOJO ->
evaluate on the holdout -> promote -> score the cleaned table with the MOJO -> publish the scores.

sparkwing side: ``run_pipeline(spec, settings, stop_engine=False)`` on the example spec with a
smaller AutoML budget (``--max-models``, ``--nfolds``, seed 42, DeepLearning excluded).  On top of
the job it does quarantine accounting, run records, table versioning, the registry (card,
genmodel jar, POJO export, aliases) and the unseen-level count before scoring.

hand-written side: what a data engineer writes for the same job: ``spark.read.csv(inferSchema)``,
the same cleaning expressions, one aggregate for the same checks, ``saveAsTable``, the same
seeded hash split (80/20, seed 42), ``pysparkling.ml.H2OAutoML`` with the same settings, the
MOJO written to disk, holdout AUC via ``model_performance``, ``H2OMOJOModel.createFromMojo`` and
``saveAsTable`` of the scores.

Both sides share ONE SparkSession and ONE H2OContext (started once via sparkwing.engine), are
warmed up once on the ingest part (untimed: first Spark jobs, codegen, Hive metastore), and
alternate round by round so machine noise hits both alike.  Printed: seconds per round, the
medians and the ratio sparkwing / hand-written time (lower is better; target <= 1.05).

    python bench/pipeline_overhead.py --rounds 2 --max-models 4 --nfolds 3
"""

from __future__ import annotations

import argparse
import contextlib
import io
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import yaml
from ingest import clean_by_hand  # same directory: bench/ is on sys.path when run as a script

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "loans" / "pipeline.yaml"
SEED = 42


def write_spec(tmp: Path, max_models: int, nfolds: int) -> tuple[Path, Path]:
    """The example spec with an absolute data path and the benchmark's AutoML budget, and a
    warm-up spec (the same ingest and publish, no model) to warm the JVM and the metastore."""
    spec = yaml.safe_load(EXAMPLE.read_text())
    spec["sources"]["loans_raw"]["uri"] = str(EXAMPLE.parent / "data" / "loan.csv")
    spec["models"]["loan_default"]["automl"].update(max_models=max_models, nfolds=nfolds, seed=SEED)
    path = tmp / "pipeline.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    warm = {k: v for k, v in spec.items() if k not in ("models", "scores")}
    warm["name"] = "loans_warmup"
    warm["tables"] = {"credit.loans_warmup": spec["tables"]["credit.loans_clean"]}
    warm_path = tmp / "warmup.yaml"
    warm_path.write_text(yaml.safe_dump(warm, sort_keys=False))
    return path, warm_path


def hand_clean(spark, csv: Path, table: str) -> None:
    """Hand-written ingest: read, clean, check, publish."""
    from pyspark.sql import functions as F

    df = clean_by_hand(spark, csv)
    df = df.cache()
    chk = df.agg(
        F.count(F.lit(1)).alias("rows"),
        F.sum(F.when(F.col("bad_loan").isNull() | F.col("loan_amnt").isNull(), 1).otherwise(0)).alias(
            "nulls"
        ),
        F.sum(F.when(~F.col("bad_loan").isin(0, 1), 1).otherwise(0)).alias("not_in_set"),
        F.sum(F.when((F.col("int_rate") < 0) | (F.col("int_rate") > 40), 1).otherwise(0)).alias(
            "out_of_range"
        ),
        F.avg(F.col("longest_credit_length").isNull().cast("double")).alias("null_share"),
    ).first()
    if chk["rows"] < 500 or chk["nulls"] or chk["not_in_set"] or chk["out_of_range"]:
        raise RuntimeError(f"checks failed: {chk}")
    spark.sql("CREATE DATABASE IF NOT EXISTS credit_hand")
    df.write.mode("overwrite").format("parquet").saveAsTable(table)
    df.unpersist()


def hand_written(spark, hc, csv: Path, work: Path, max_models: int, nfolds: int) -> dict:
    """The same job written by hand with PySpark and Sparkling Water."""
    import h2o
    from pyspark.sql import functions as F
    from pysparkling.ml import H2OAutoML, H2OMOJOModel, H2OMOJOSettings

    hand_clean(spark, csv, "credit_hand.loans_clean")

    table = spark.table("credit_hand.loans_clean")
    data = table.where(F.col("bad_loan").isNotNull())
    # Hash every column of the table (as sparkwing does, before dropping ignored ones).
    h = F.abs(F.xxhash64(*[F.col(c) for c in data.columns], F.lit(SEED))) % 1_000_000
    data = data.withColumn("_h", h).withColumn("bad_loan", F.col("bad_loan").cast("string")).drop("term")
    train = data.where(F.col("_h") < 800_000).drop("_h").cache()
    holdout = data.where(F.col("_h") >= 800_000).drop("_h").cache()
    automl = H2OAutoML(labelCol="bad_loan", maxModels=max_models, nfolds=nfolds, seed=SEED,
                       excludeAlgos=["DeepLearning"], keepBinaryModels=True)
    with contextlib.redirect_stdout(io.StringIO()):
        model = automl.fit(train)
    model.write().overwrite().save(str(work / "mojo"))
    mojo = work / "mojo" / "mojo_model"
    leader = h2o.get_model(automl.getBinaryModel().modelId)
    frame = hc.asH2OFrame(holdout)
    frame["bad_loan"] = frame["bad_loan"].asfactor()
    auc = leader.model_performance(frame).auc()
    train.unpersist()
    holdout.unpersist()

    scorer = H2OMOJOModel.createFromMojo("file://" + str(mojo.resolve()),
                                         H2OMOJOSettings(convertUnknownCategoricalLevelsToNa=True))
    scored = scorer.transform(table).select(
        *table.columns, F.col("prediction").alias("predict"),
        F.col("detailed_prediction.probabilities").getField("1").alias("p_1"))
    scored.write.mode("overwrite").format("parquet").saveAsTable("credit_hand.loan_scores")
    rows = spark.table("credit_hand.loan_scores").count()
    with contextlib.suppress(Exception):
        h2o.remove_all()  # keep the node from filling up across rounds
    return {"auc": auc, "rows": rows, "leader": leader.algo}


def with_sparkwing(spec_path: Path, settings) -> dict:
    import h2o

    from sparkwing.config import load_spec
    from sparkwing.pipeline import run_pipeline

    record = run_pipeline(load_spec(spec_path), settings, stop_engine=False)
    model = record.steps["loan_default"].details
    with contextlib.suppress(Exception):
        h2o.remove_all()
    steps = " ".join(f"{k}={v.seconds:.1f}s" for k, v in record.steps.items())
    return {"auc": model.metrics["auc"], "rows": record.steps["credit.loan_scores"].rows_out,
            "leader": model.algorithm, "steps": steps}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--max-models", type=int, default=4)
    parser.add_argument("--nfolds", type=int, default=3)
    parser.add_argument("--master", default="local[2]")
    args = parser.parse_args()

    import logging

    logging.basicConfig(level=logging.WARNING)
    from sparkwing.config import load_settings
    from sparkwing.engine import start_h2o, start_spark, stop_h2o, stop_spark

    tmp = Path(tempfile.mkdtemp(prefix="sparkwing-bench-"))
    try:
        spec_path, warm_path = write_spec(tmp, args.max_models, args.nfolds)
        settings = load_settings({"workspace": str(tmp / "ws"),
                                  "spark": {"master": args.master, "driver_memory": "4g"}})
        spark = start_spark(settings)
        hc = start_h2o(spark, settings).context
        csv = EXAMPLE.parent / "data" / "loan.csv"
        # Warm-up (untimed): the first Spark jobs, codegen and the Hive metastore's start-up
        # would otherwise land on whichever side runs first.
        from sparkwing.config import load_spec
        from sparkwing.pipeline import run_pipeline

        run_pipeline(load_spec(warm_path), settings, stop_engine=False)
        hand_clean(spark, csv, "credit_hand.loans_warmup")
        times: dict[str, list[float]] = {"sparkwing": [], "hand-written": []}
        for r in range(args.rounds):
            for side in (("sparkwing", "hand-written") if r % 2 == 0 else ("hand-written", "sparkwing")):
                spark.catalog.clearCache()
                work = tmp / f"hand-{r}"
                work.mkdir(exist_ok=True)
                t0 = time.perf_counter()
                out = (with_sparkwing(spec_path, settings) if side == "sparkwing"
                       else hand_written(spark, hc, csv, work, args.max_models, args.nfolds))
                times[side].append(time.perf_counter() - t0)
                print(f"round {r + 1} {side:<13} {times[side][-1]:7.2f} s  holdout AUC {out['auc']:.4f}  "
                      f"leader {out['leader']}  ({out['rows']:,} rows scored)", flush=True)
                if "steps" in out:
                    print(f"        sparkwing steps: {out['steps']}", flush=True)
        med = {k: statistics.median(v) for k, v in times.items()}
        print(f"\nrounds: {args.rounds}   AutoML max_models={args.max_models} nfolds={args.nfolds} "
              f"seed={SEED}   master: {args.master}")
        for side in times:
            print(f"{side:<13} median {med[side]:7.2f} s")
        print(f"time ratio sparkwing / hand-written: {med['sparkwing'] / med['hand-written']:.3f}  "
              f"(target <= 1.05)")
        stop_h2o()
        stop_spark()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
