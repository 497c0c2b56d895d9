"""Model quality: sparkwing's H2O AutoML leader vs the best tuned Spark MLlib model, same splits.

Datasets (binary targets): loans (loan.csv, ``bad_loan``), prostate (``CAPSULE``, ``ID`` ignored)
and credit-g (ARFF, ``class``).  Each is read once (sparkwing.lake.read_source) and split once
by a seeded hash (80 % train / 20 % holdout); both sides see exactly those two parts.

sparkwing side: ``sparkwing.train.train_model`` with AutoML (``--max-models``, ``--nfolds``, seed,
DeepLearning excluded) on the train part, ``holdout_df`` = the holdout part; its holdout AUC.

MLlib side: median imputation of numeric columns, string columns indexed (and one-hot encoded
for logistic regression), then GBTClassifier, RandomForestClassifier and LogisticRegression,
each tuned on the train part only with a small grid (TrainValidationSplit 80/20, seed) and
refit on the whole train part; the best of the three by validation AUC is scored on the holdout.

Printed: dataset, rows, H2O AutoML holdout AUC, best MLlib model and its holdout AUC, difference.

    python bench/mllib_baseline.py --max-models 6 --nfolds 3
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import shutil
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
SEED = 42
DATASETS = [  # name, file, target, ignored columns
    ("loans", DATA / "loan.csv", "bad_loan", []),
    ("prostate", DATA / "prostate.csv", "CAPSULE", ["ID"]),
    ("credit-g", DATA / "credit-g.arff", "class", []),
]


def load(spark, settings, tmp: Path, name: str, path: Path):
    from sparkwing.config import SourceSpec
    from sparkwing.lake import SourceContext, read_source
    from sparkwing.workspace import Workspace

    ctx = SourceContext(settings, Workspace.from_settings(settings), "mllib_bench", "r1", tmp)
    return read_source(spark, name, SourceSpec(uri=str(path)), ctx).df


def split(df, target: str, ignore: list[str]):
    """One seeded hash split; both sides get these exact parts."""
    from pyspark.sql import functions as F

    df = df.drop(*ignore).where(F.col(target).isNotNull())
    h = F.abs(F.xxhash64(*[F.col(f"`{c}`") for c in df.columns], F.lit(SEED))) % 100
    return df.where(h < 80).cache(), df.where(h >= 80).cache()


def h2o_auc(spark, settings, name: str, target: str, train, holdout, max_models: int, nfolds: int):
    from sparkwing.config import ModelSpec
    from sparkwing.train import train_model

    spec = ModelSpec.model_validate({
        "from": name, "target": target, "task": "binary",
        "automl": {"max_models": max_models, "nfolds": nfolds, "seed": SEED, "exclude": ["DeepLearning"]},
    })
    result = train_model(spark, settings, name, spec, train, holdout_df=holdout, progress=lambda _: None)
    return result.metrics["auc"], result.algorithm


def mllib_best(train, holdout, target: str):
    """Best of GBT / RF / LR (each grid-tuned on ``train``) and its holdout AUC."""
    from pyspark.ml import Pipeline
    from pyspark.ml.classification import GBTClassifier, LogisticRegression, RandomForestClassifier
    from pyspark.ml.evaluation import BinaryClassificationEvaluator
    from pyspark.ml.feature import Imputer, OneHotEncoder, StringIndexer, VectorAssembler
    from pyspark.ml.tuning import ParamGridBuilder, TrainValidationSplit
    from pyspark.sql import functions as F

    types = dict(train.dtypes)
    strings = [c for c in train.columns if c != target and types[c] == "string"]
    numbers = [c for c in train.columns if c != target and types[c] != "string"]
    train, holdout = (d.select(*[F.col(c).cast("double") if c in numbers else F.col(c) for c in d.columns])
                      for d in (train, holdout))
    label = StringIndexer(inputCol=target, outputCol="label", stringOrderType="alphabetAsc")
    train, holdout = (d.withColumn(target, F.col(target).cast("string")) for d in (train, holdout))
    imputed = [f"{c}__imp" for c in numbers]
    base = [label, Imputer(inputCols=numbers, outputCols=imputed, strategy="median")]
    indexed = [f"{c}__idx" for c in strings]
    if strings:
        base.append(StringIndexer(inputCols=strings, outputCols=indexed, handleInvalid="keep"))
    tree_vec = VectorAssembler(inputCols=imputed + indexed, outputCol="features", handleInvalid="keep")
    onehot = [f"{c}__oh" for c in strings]
    lr_stages = [OneHotEncoder(inputCols=indexed, outputCols=onehot, handleInvalid="keep")] if strings else []
    lr_vec = VectorAssembler(inputCols=imputed + onehot, outputCol="features", handleInvalid="keep")
    gbt = GBTClassifier(seed=SEED, maxIter=50, maxBins=64)
    rf = RandomForestClassifier(seed=SEED, numTrees=100, maxBins=64)
    lr = LogisticRegression(maxIter=100, standardization=True)
    candidates = {
        "GBT": (
            base + [tree_vec],
            gbt,
            ParamGridBuilder().addGrid(gbt.maxDepth, [3, 5]).addGrid(gbt.stepSize, [0.1, 0.2]).build(),
        ),
        "RandomForest": (
            base + [tree_vec],
            rf,
            ParamGridBuilder().addGrid(rf.maxDepth, [5, 10]).addGrid(rf.minInstancesPerNode, [1, 5]).build(),
        ),
        "LogisticRegression": (
            base + lr_stages + [lr_vec],
            lr,
            ParamGridBuilder()
            .addGrid(lr.regParam, [0.0, 0.01, 0.1])
            .addGrid(lr.elasticNetParam, [0.0, 0.5])
            .build(),
        ),
    }
    evaluator = BinaryClassificationEvaluator(metricName="areaUnderROC")
    best = None
    for name, (stages, est, grid) in candidates.items():
        prep = Pipeline(stages=stages).fit(train)  # fitted on the train part only
        tv = TrainValidationSplit(estimator=est, estimatorParamMaps=grid, evaluator=evaluator,
                                  trainRatio=0.8, seed=SEED, parallelism=1)
        model = tv.fit(prep.transform(train).select("label", "features").cache())
        val = max(model.validationMetrics)
        if best is None or val > best[1]:
            best = (name, val, prep, model)
    name, _, prep, model = best
    auc = evaluator.evaluate(model.transform(prep.transform(holdout)))
    return name, auc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-models", type=int, default=6)
    parser.add_argument("--nfolds", type=int, default=3)
    parser.add_argument("--master", default="local[2]")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    from sparkwing.config import load_settings
    from sparkwing.engine import start_spark, stop_h2o, stop_spark

    tmp = Path(tempfile.mkdtemp(prefix="sparkwing-bench-"))
    try:
        settings = load_settings({"workspace": str(tmp / "ws"),
                                  "spark": {"master": args.master, "driver_memory": "4g"}})
        spark = start_spark(settings)
        rows = []
        for name, path, target, ignore in DATASETS:
            train, holdout = split(load(spark, settings, tmp, name, path), target, ignore)
            n_train, n_hold = train.count(), holdout.count()
            t0 = time.perf_counter()
            with contextlib.redirect_stdout(io.StringIO()):
                auc_h2o, algo = h2o_auc(spark, settings, name.replace("-", "_"), target, train, holdout,
                                        args.max_models, args.nfolds)
            t1 = time.perf_counter()
            ml_name, auc_ml = mllib_best(train, holdout, target)
            t2 = time.perf_counter()
            rows.append((name, n_train, n_hold, auc_h2o, algo, ml_name, auc_ml))
            print(f"{name}: H2O AutoML {auc_h2o:.4f} ({algo}, {t1 - t0:.0f} s)  "
                  f"MLlib {ml_name} {auc_ml:.4f} ({t2 - t1:.0f} s)", flush=True)
            train.unpersist()
            holdout.unpersist()
        print(f"\nAutoML max_models={args.max_models} nfolds={args.nfolds} seed={SEED}; "
              f"split 80/20 by seeded hash; AUC on the holdout\n")
        print("| dataset | rows (train / holdout) | H2O AutoML AUC (leader) | best MLlib model | MLlib AUC | "
              "difference (H2O - MLlib) |")
        print("|---|---|---|---|---|---|")
        for name, n_train, n_hold, auc_h2o, algo, ml_name, auc_ml in rows:
            print(
                f"| {name} | {n_train:,} / {n_hold:,} | {auc_h2o:.4f} ({algo}) | {ml_name} | {auc_ml:.4f} | "
                f"{auc_h2o - auc_ml:+.4f} |"
            )
        stop_h2o()
        stop_spark()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
