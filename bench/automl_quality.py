"""Model quality on fixed splits: sparkwing's AutoML defaults vs plain H2O AutoML vs FLAML.

Datasets (all public, in ``tests/data``; origins and licences in ``tests/data/README.md``):

| task | dataset | target | rows | notes |
|---|---|---|---|---|
| loans | loan.csv | bad_loan (binary) | 999 | categoricals, missing values |
| credit-g | credit-g.arff | class (binary) | 1,000 | mostly nominal |
| diabetes | diabetes.arff | class (binary) | 768 | numeric |
| vote | vote.arff | Class (binary) | 435 | all nominal, many missing |
| iris | iris_wheader.csv | class (multiclass) | 150 | numeric |
| dpros | prostate.csv | DPROS (multiclass, 4) | 380 | ID ignored |
| psa | prostate.csv | PSA (regression) | 380 | ID ignored |

Each dataset is read once (``sparkwing.lake.read_source``) and split **once, stratified by class**
(regression: at random) with a fixed seed: 75 % train / 25 % test.  The script writes the two
parts to ``<out>/<task>/train.parquet`` and ``test.parquet``; all three systems read exactly
those files, train on ``train`` with the same wall budget (``--budget`` seconds) and are scored
on ``test`` by the script with one set of metric functions (log loss clipped at 1e-15, as H2O
and scikit-learn do; AUC by ranks; RMSE):

- **sparkwing**: ``sparkwing.train.train_model`` with only ``automl: {max_runtime_secs: B, seed: 1}``
  (its defaults: ``split: auto`` — every row trains on these sizes —, ``sort_metric`` logloss /
  deviance); the leader's MOJO scored in Spark.
- **h2o**: plain ``pysparkling.ml.H2OAutoML(maxRuntimeSecs=B, seed=1)`` with H2O's defaults
  (a classification label as string, as H2O needs); leader's MOJO scored in Spark.
- **flaml**: ``flaml.AutoML().fit(time_budget=B, seed=1)`` with FLAML's defaults, in its own
  virtualenv (created by this script: ``flaml[automl]``, pandas, pyarrow), ``n_jobs=2``.

Printed (and written as ``<out>/results-<systems>.json``): per task and system, test log loss / AUC / RMSE,
models trained (AutoML leaderboard size; FLAML trials, from its log), seconds, and the 1-minute load average
when the system finished; then, per task, sparkwing against each other system row by row on the
same test rows: the mean difference in per-row loss (log loss, or squared error for a
regression) and twice its standard error -- "within noise" when the difference is smaller (the
test part's own noise; a time budget adds run-to-run noise on top).  ``--tasks`` picks tasks;
``--systems`` picks systems (a run per system on the same ``--out`` reuses the same splits;
``--table`` prints the table of them all).

    python bench/automl_quality.py --budget 60
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
SEED = 20261201
TEST_SHARE = 0.25
EPS = 1e-15
TASKS = [  # name, file, target, kind, ignored columns
    ("loans", "loan.csv", "bad_loan", "binary", []),
    ("credit-g", "credit-g.arff", "class", "binary", []),
    ("diabetes", "diabetes.arff", "class", "binary", []),
    ("vote", "vote.arff", "Class", "binary", []),
    ("iris", "iris_wheader.csv", "class", "multiclass", []),
    ("dpros", "prostate.csv", "DPROS", "multiclass", ["ID"]),
    ("psa", "prostate.csv", "PSA", "regression", ["ID"]),
]
FLAML_VENV = Path(tempfile.gettempdir()) / "sparkwing-bench-flaml"
FLAML_RUNNER = r'''
import json, sys, time
import pandas as pd
from flaml import AutoML
folder, target, kind, budget = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
train = pd.read_parquet(f"{folder}/train.parquet")
test = pd.read_parquet(f"{folder}/test.parquet")
y = train.pop(target)
test = test.drop(columns=[target])
if kind != "regression":
    y = y.astype(str)
for frame in (train, test):  # strings as categories (FLAML's way for categoricals)
    for c in frame.columns:
        if frame[c].dtype == object:
            frame[c] = frame[c].astype("category")
automl = AutoML()
t0 = time.monotonic()
automl.fit(train, y, task="regression" if kind == "regression" else "classification",
           time_budget=budget, seed=1, n_jobs=2, verbose=0, log_file_name=f"{folder}/flaml.log")
with open(f"{folder}/flaml.log") as fh:  # one JSON line per trial (config_history keeps improvements only)
    trials = sum(1 for line in fh if '"record_id"' in line)
out = {"seconds": time.monotonic() - t0, "models": trials, "leader": automl.best_estimator}
if kind == "regression":
    out["pred"] = [float(v) for v in automl.predict(test)]
else:
    out["classes"] = [str(c) for c in automl.classes_]
    out["proba"] = automl.predict_proba(test).tolist()
json.dump(out, open(f"{folder}/flaml.json", "w"))
'''


# --- data -------------------------------------------------------------------------------------

def write_splits(spark: Any, settings: Any, out: Path, tasks: list[tuple]) -> None:
    """Read each dataset once and write its fixed train/test parquet parts (stratified)."""
    from sparkwing.config import SourceSpec
    from sparkwing.lake import SourceContext, read_source
    from sparkwing.workspace import Workspace

    ctx = SourceContext(settings, Workspace.from_settings(settings), "automl_quality", "r1", out / "_read")
    for name, file, target, kind, ignore in tasks:
        folder = out / name
        if (folder / "test.parquet").exists():
            continue
        folder.mkdir(parents=True, exist_ok=True)
        df = read_source(spark, name.replace("-", "_"), SourceSpec(uri=str(DATA / file)), ctx).df
        pdf = df.drop(*ignore).toPandas()
        pdf = pdf[pdf[target].notna()].reset_index(drop=True)
        if kind != "regression":
            pdf[target] = pdf[target].astype(str).str.replace(r"\.0$", "", regex=True)
        rng = np.random.default_rng(SEED)
        test_idx: list[int] = []
        groups = [pdf.index.to_numpy()] if kind == "regression" else [
            pdf.index[pdf[target] == c].to_numpy() for c in sorted(pdf[target].unique())]
        for idx in groups:
            idx = rng.permutation(idx)
            test_idx += idx[: round(len(idx) * TEST_SHARE)].tolist()
        is_test = pdf.index.isin(test_idx)
        pdf[~is_test].to_parquet(folder / "train.parquet", index=False)
        pdf[is_test].to_parquet(folder / "test.parquet", index=False)


# --- metrics ----------------------------------------------------------------------------------

def metrics(kind: str, y: np.ndarray, classes: list[str] | None, proba: np.ndarray | None,
            pred: np.ndarray | None) -> dict[str, Any]:
    """Test figures, and ``row_loss``: each test row's own loss (log loss, or squared error for a
    regression), kept so that two systems can be compared row by row (:func:`paired`)."""
    if kind == "regression":
        assert pred is not None
        squared = (pred - y.astype(float)) ** 2
        return {"rmse": float(np.sqrt(np.mean(squared))), "row_loss": squared.tolist()}
    assert proba is not None and classes is not None
    index = {c: i for i, c in enumerate(classes)}
    truth = np.array([index[str(v)] for v in y])
    p = np.clip(proba[np.arange(len(truth)), truth], EPS, 1.0)
    zeros = int(np.sum(proba[np.arange(len(truth)), truth] == 0))
    out: dict[str, Any] = {"logloss": float(-np.mean(np.log(p))), "zero_p_rows": zeros,
                           "row_loss": (-np.log(p)).tolist()}
    if len(classes) == 2:
        out["auc"] = auc(truth == 1, proba[:, 1])
    return out


def paired(mine: list[float], theirs: list[float]) -> tuple[float, float]:
    """Mean per-row loss difference (mine - theirs) on the same test rows, and its standard error
    (the rows' spread: how much the test part alone can move the difference)."""
    d = np.asarray(mine) - np.asarray(theirs)
    return float(d.mean()), float(d.std(ddof=1) / np.sqrt(len(d))) if len(d) > 1 else 0.0


def auc(positive: np.ndarray, score: np.ndarray) -> float:
    """Mann-Whitney AUC with average ranks for ties."""
    order = np.argsort(score, kind="mergesort")
    ranks = np.empty(len(score))
    s = score[order]
    i = 0
    while i < len(s):
        j = i
        while j + 1 < len(s) and s[j + 1] == s[i]:
            j += 1
        ranks[order[i: j + 1]] = (i + j) / 2 + 1
        i = j + 1
    n1, n0 = positive.sum(), (~positive).sum()
    return float((ranks[positive].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


# --- systems ----------------------------------------------------------------------------------

def spark_scores(spark: Any, mojo_model: Any, test_pdf: Any, target: str, kind: str,
                 classes: list[str] | None) -> tuple[np.ndarray | None, np.ndarray | None]:
    from pyspark.sql import functions as F

    test = spark.read.parquet(str(test_pdf))
    if kind != "regression":
        test = test.withColumn(target, F.col(target).cast("string"))
    test = test.withColumn("__row", F.monotonically_increasing_id())
    scored = mojo_model.transform(test).orderBy("__row")
    if kind == "regression":
        return None, np.array([r[0] for r in scored.select("prediction").collect()], dtype=float)
    assert classes is not None
    cols = [F.col("detailed_prediction.probabilities").getField(c) for c in classes]
    return np.array([list(r) for r in scored.select(*cols).collect()], dtype=float), None


def run_sparkwing(spark: Any, settings: Any, cloud: Any, folder: Path, target: str, kind: str,
                  budget: float) -> dict[str, Any]:
    from pysparkling.ml import H2OMOJOModel

    from sparkwing.config import ModelSpec
    from sparkwing.train import train_model

    train = spark.read.parquet(str(folder / "train.parquet"))
    spec = ModelSpec.model_validate({"from": "bench", "target": target,
                                     "automl": {"max_runtime_secs": budget, "seed": 1}})
    t0 = time.monotonic()
    r = train_model(spark, settings, "bench", spec, train, cloud=cloud, progress=lambda _: None)
    seconds = time.monotonic() - t0
    model = H2OMOJOModel.createFromMojo("file://" + str(r.mojo_path.resolve()))
    proba, pred = spark_scores(spark, model, folder / "test.parquet", target, kind, r.classes)
    return {"seconds": seconds, "models": len(r.leaderboard), "leader": r.model_id, "classes": r.classes,
            "proba": proba, "pred": pred, "split": r.card.selection.split.get("policy")}


def run_h2o(spark: Any, cloud: Any, folder: Path, target: str, kind: str, budget: float) -> dict[str, Any]:
    from pyspark.sql import functions as F
    from pysparkling.ml import H2OAutoML

    from sparkwing.train._train import _h2o_scratch

    train = spark.read.parquet(str(folder / "train.parquet"))
    if kind != "regression":
        train = train.withColumn(target, F.col(target).cast("string"))
    est = H2OAutoML(labelCol=target, maxRuntimeSecs=float(budget), seed=1)
    t0 = time.monotonic()
    with _h2o_scratch(cloud), contextlib.redirect_stdout(io.StringIO()):
        model = est.fit(train)
        seconds = time.monotonic() - t0
        board = est.getLeaderboard("ALL").collect()
        models, leader = len(board), (board[0]["model_id"] if board else "")
        classes = None
        if kind != "regression":
            classes = list(model.getDomainValues().get(target) or [])
        proba, pred = spark_scores(spark, model, folder / "test.parquet", target, kind, classes)
    return {"seconds": seconds, "models": models, "leader": leader, "classes": classes,
            "proba": proba, "pred": pred}


def flaml_python(venv: Path) -> Path:
    py = venv / "bin" / "python"
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    probe = subprocess.run([str(py), "-c", "import flaml, lightgbm, xgboost, pandas, pyarrow"],
                           capture_output=True, check=False)
    if probe.returncode != 0:
        subprocess.run([str(py), "-m", "pip", "install", "-q", "flaml[automl]==2.*", "pandas", "pyarrow"],
                       check=True)
    return py


def run_flaml(py: Path, folder: Path, target: str, kind: str, budget: float) -> dict[str, Any]:
    runner = folder.parent / "_flaml_runner.py"
    runner.write_text(FLAML_RUNNER)
    t0 = time.monotonic()
    proc = subprocess.run([str(py), str(runner), str(folder), target, kind, str(budget)],
                          capture_output=True, text=True, check=False, timeout=budget * 4 + 300)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    got = json.loads((folder / "flaml.json").read_text())
    got["wall"] = time.monotonic() - t0
    if kind == "regression":
        return {**got, "pred": np.array(got["pred"]), "proba": None}
    return {**got, "proba": np.array(got["proba"]), "pred": None}


# --- main -------------------------------------------------------------------------------------

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--budget", type=float, default=60.0, help="wall seconds per system and dataset")
    ap.add_argument("--tasks", default=",".join(t[0] for t in TASKS))
    ap.add_argument("--systems", default="sparkwing,h2o,flaml")
    ap.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "sparkwing-automl-quality")
    ap.add_argument("--flaml-venv", type=Path, default=FLAML_VENV)
    ap.add_argument("--table", action="store_true", help="print the table of every results-*.json in --out")
    args = ap.parse_args()
    if args.table:
        rows = [r for f in sorted(args.out.glob("results-*.json")) for r in json.loads(f.read_text())]
        done = {(r["task"], r["system"]) for r in rows if "error" not in r}
        rows = [r for r in rows if "error" not in r or (r["task"], r["system"]) not in done]
        order = {t[0]: i for i, t in enumerate(TASKS)}
        print_table(sorted(rows, key=lambda r: (order.get(r["task"], 99), r["system"])), args.budget)
        print_paired(rows)
        return
    logging.basicConfig(level=logging.WARNING)
    tasks = [t for t in TASKS if t[0] in args.tasks.split(",")]
    systems = args.systems.split(",")
    args.out.mkdir(parents=True, exist_ok=True)

    from sparkwing.config import load_settings
    from sparkwing.engine import start_h2o, start_spark, stop_h2o, stop_spark

    settings = load_settings({"workspace": str(args.out / "ws"), "spark": {"driver_memory": "3g"}})
    need_jvm = {"sparkwing", "h2o"} & set(systems) or any(
        not (args.out / t[0] / "test.parquet").exists() for t in tasks)
    spark = start_spark(settings) if need_jvm else None
    if spark is not None:
        write_splits(spark, settings, args.out, tasks)
    py = flaml_python(args.flaml_venv) if "flaml" in systems else None
    cloud = start_h2o(spark, settings) if {"sparkwing", "h2o"} & set(systems) else None
    results: list[dict[str, Any]] = []
    try:
        for name, _, target, kind, _ in tasks:
            folder = args.out / name
            import pandas as pd

            y = pd.read_parquet(folder / "test.parquet")[target].to_numpy()
            for system in systems:
                try:
                    if system == "sparkwing":
                        got = run_sparkwing(spark, settings, cloud, folder, target, kind, args.budget)
                    elif system == "h2o":
                        got = run_h2o(spark, cloud, folder, target, kind, args.budget)
                    else:
                        assert py is not None
                        got = run_flaml(py, folder, target, kind, args.budget)
                    figures = metrics(kind, y, got.get("classes"), got.get("proba"), got.get("pred"))
                    row = {"task": name, "kind": kind, "system": system, **figures,
                           "models": got["models"], "seconds": round(got["seconds"], 1),
                           "leader": got.get("leader"), "load1": round(os.getloadavg()[0], 2)}
                    if "split" in got:
                        row["split"] = got["split"]
                except Exception as exc:  # noqa: BLE001 - one failure must not hide the others
                    row = {"task": name, "kind": kind, "system": system, "error": str(exc)[:300]}
                results.append(row)
                print(json.dumps({k: v for k, v in row.items() if k != "row_loss"}), flush=True)
                (args.out / f"results-{'-'.join(systems)}.json").write_text(json.dumps(results, indent=1))
    finally:
        if cloud is not None:
            stop_h2o()
        if spark is not None:
            stop_spark()
    print_table(results, args.budget)
    print_paired(results)


def print_paired(results: list[dict[str, Any]]) -> None:
    """sparkwing against each other system, row by row on the same test part: the mean
    difference in per-row loss (log loss; squared error for a regression) and 2 standard errors.
    "within noise" when the difference is smaller than that."""
    by_task: dict[str, dict[str, dict[str, Any]]] = {}
    for r in results:
        if "row_loss" in r:
            by_task.setdefault(r["task"], {})[r["system"]] = r
    lines = []
    for task, systems in by_task.items():
        mine = systems.get("sparkwing")
        for other, theirs in systems.items():
            if mine is None or other == "sparkwing" or len(theirs["row_loss"]) != len(mine["row_loss"]):
                continue
            diff, se = paired(mine["row_loss"], theirs["row_loss"])
            verdict = ("within noise" if abs(diff) <= 2 * se else
                       "sparkwing better" if diff < 0 else "sparkwing worse")
            lines.append(f"| {task} | {other} | {diff:+.4f} | {2 * se:.4f} | {verdict} |")
    if lines:
        print("\nper-row loss, sparkwing minus other (negative: sparkwing better), same test rows")
        print("| task | vs | mean difference | 2 SE | verdict |")
        print("|---|---|---|---|---|")
        print("\n".join(lines))


def print_table(results: list[dict[str, Any]], budget: float) -> None:
    print(f"\nbudget {budget:g} s per system and dataset; test = 25 % stratified, seed {SEED}")
    print("| task | kind | system | test logloss | test AUC | test RMSE | p=0 rows | models | s | load1 |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        if "error" in r:
            print(f"| {r['task']} | {r['kind']} | {r['system']} | error: {r['error'][:80]} |||||||")
            continue
        figures = " | ".join(_cell(r, k) for k in ("logloss", "auc", "rmse", "zero_p_rows", "models",
                                                   "seconds", "load1"))
        print(f"| {r['task']} | {r['kind']} | {r['system']} | {figures} |")


def _cell(row: dict[str, Any], key: str) -> str:
    value = row.get(key)
    return f"{value:.4f}" if isinstance(value, float) and key in ("logloss", "auc", "rmse") else (
        "" if value is None else str(value))


if __name__ == "__main__":
    main()
