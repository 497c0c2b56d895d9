"""Model quality: sparkwing's H2O AutoML leader vs the best tuned Spark MLlib model, repeated CV.

Datasets (binary targets): loans (loan.csv, ``bad_loan``), prostate (``CAPSULE``, ``ID`` ignored)
and credit-g (ARFF, ``class``).  Each is read once (sparkwing.lake.read_source) and cut into
``--folds`` stratified folds, ``--repeats`` times (fold of a row: its rank, within its class, in
the order of a seeded hash of the row, modulo the fold count; the seed changes per repeat).
Every (repeat, fold) is one paired comparison: both sides train on the other folds and are
scored on that fold.  One 80/20 holdout of 76-222 rows was noise (±0.03 AUC); averaging over
``folds x repeats`` test folds, which together cover every row ``repeats`` times, is not.

sparkwing side: ``sparkwing.train.train_model`` with AutoML (``--max-models``, ``--nfolds``, seed,
DeepLearning excluded) on the training folds, ``holdout_df`` = the test fold; its AUC there.

MLlib side: median imputation of numeric columns, string columns indexed (and one-hot encoded
for logistic regression), then GBTClassifier, RandomForestClassifier and LogisticRegression,
each tuned on the training folds only with a small grid (TrainValidationSplit 80/20, seed) and
refit on them; the best of the three by validation AUC is scored on the test fold.

Printed per dataset: mean AUC of each side, the mean paired difference and its standard error
corrected for the overlap of CV training sets (Nadeau & Bengio 2003: variance x (1/n + 1/(k-1))),
and a verdict: a side wins only when the difference is more than twice that standard error.

    python bench/mllib_baseline.py --max-models 6 --nfolds 3 --folds 5 --repeats 2
    python bench/mllib_baseline.py --datasets loans --first-repeat 1 --repeats 2   # repeat 1 only
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


def folds(df, target: str, ignore: list[str], k: int, repeat: int):
    """The rows with a ``__fold`` column (0..k-1): stratified, seeded by ``SEED + repeat``."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    df = df.drop(*ignore).where(F.col(target).isNotNull())
    h = F.xxhash64(*[F.col(f"`{c}`") for c in df.columns], F.lit(SEED + repeat))
    rank = F.row_number().over(Window.partitionBy(F.col(target)).orderBy(h))
    return df.withColumn("__fold", (rank - 1) % k)


def paired_verdict(diffs: list[float], k: int) -> tuple[float, float, str]:
    """Mean paired difference, its corrected standard error and the verdict (> 2 SE wins)."""
    import statistics

    n = len(diffs)
    mean = statistics.fmean(diffs)
    var = statistics.variance(diffs) if n > 1 else float("nan")
    se = (var * (1 / n + 1 / (k - 1))) ** 0.5
    if not se == se:  # one split: no verdict
        return mean, se, "one split: no verdict"
    verdict = "AutoML better" if mean > 2 * se else "MLlib better" if mean < -2 * se else "within noise"
    return mean, se, verdict


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
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--first-repeat", type=int, default=0,
                        help="start at this repeat (folds of repeat r are the same in every run)")
    parser.add_argument("--datasets", default=",".join(d[0] for d in DATASETS))
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
            if name not in args.datasets.split(","):
                continue
            data = load(spark, settings, tmp, name, path)
            pairs = []
            for repeat in range(args.first_repeat, args.repeats):
                cut = folds(data, target, ignore, args.folds, repeat).cache()
                for fold in range(args.folds):
                    train = cut.where(f"__fold != {fold}").drop("__fold").cache()
                    holdout = cut.where(f"__fold = {fold}").drop("__fold").cache()
                    t0 = time.perf_counter()
                    with contextlib.redirect_stdout(io.StringIO()):
                        auc_h2o, algo = h2o_auc(spark, settings, name.replace("-", "_"), target, train,
                                                holdout, args.max_models, args.nfolds)
                    t1 = time.perf_counter()
                    ml_name, auc_ml = mllib_best(train, holdout, target)
                    t2 = time.perf_counter()
                    pairs.append((auc_h2o, auc_ml))
                    print(f"{name} repeat {repeat} fold {fold}: H2O AutoML {auc_h2o:.4f} ({algo}, "
                          f"{t1 - t0:.0f} s)  MLlib {ml_name} {auc_ml:.4f} ({t2 - t1:.0f} s)", flush=True)
                    train.unpersist()
                    holdout.unpersist()
                cut.unpersist()
            mean, se, verdict = paired_verdict([a - b for a, b in pairs], args.folds)
            rows.append((name, data.count(), len(pairs), sum(a for a, _ in pairs) / len(pairs),
                         sum(b for _, b in pairs) / len(pairs), mean, se, verdict))
        print(f"\nAutoML max_models={args.max_models} nfolds={args.nfolds} seed={SEED}; "
              f"repeats {args.first_repeat}..{args.repeats - 1} of {args.folds}-fold stratified CV; "
              "mean test-fold AUC\n")
        print("| dataset | rows | splits | H2O AutoML AUC | best MLlib AUC | difference (H2O - MLlib) "
              "| corrected SE | verdict |")
        print("|---|---|---|---|---|---|---|---|")
        for name, n, k, auc_h2o, auc_ml, mean, se, verdict in rows:
            print(f"| {name} | {n:,} | {k} | {auc_h2o:.4f} | {auc_ml:.4f} | {mean:+.4f} | {se:.4f} "
                  f"| {verdict} |")
        stop_h2o()
        stop_spark()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
