"""Benchmark: sparkwing.mojo (pure Python/NumPy) vs h2o-genmodel (warm JVM), same rows.

Prerequisites (once, needs Spark + H2O)::

    PYTHONPATH=src .venv/bin/python tests/fixtures/mojo/make_fixtures.py \
        --only none --no-se --bench bench/models

That trains the benchmark models on chicagoCrimes10k (GBM 50x5 and 300x10, DRF 50 trees depth 12,
GLM binomial, XGBoost 100x6, an AutoML Stacked Ensemble), writes their MOJOs and a scoring file
to bench/models/, and puts h2o-genmodel.jar plus the compiled harness
(tests/fixtures/mojo/GenmodelHarness.java) in tests/fixtures/mojo/.cache/.  Then::

    PYTHONPATH=src .venv/bin/python bench/mojo_scoring.py [--rows 100000]

How it is timed.
* Rows: the 300 scoring rows (real rows plus missing cells, unseen levels, bad numbers)
  resampled with replacement (seed 0) to ``--rows`` rows.
* genmodel: one JVM per model, one thread, ``EasyPredictModelWrapper.predictRaw`` on
  ``RowData`` maps of strings (row conversion included, as a Java service would do); scores the
  whole batch repeatedly for 2 s to warm up the JIT, then times full passes for ``--seconds`` and
  reports the best pass.
* sparkwing.mojo: ``model.predict_numpy(frame)`` on a pandas DataFrame read from the same file
  (numeric columns as floats, categoricals as strings; row encoding included), best of 3 passes
  after one warm-up pass.  Single-row latency: ``model.predict_numpy(one_dict)`` for 2,000 rows
  one at a time, p50 / p99.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "bench" / "models"
CACHE = ROOT / "tests" / "fixtures" / "mojo" / ".cache"
ORDER = ["gbm_50x5", "gbm_300x10", "drf_50", "glm", "xgboost_100x6", "se_automl"]


def resample(src: Path, n: int, dest: Path) -> Path:
    lines = src.read_text(encoding="utf-8").split("\n")
    header, body = lines[0], [ln for ln in lines[1:] if ln]
    rnd = np.random.default_rng(0)
    pick = rnd.integers(0, len(body), n)
    dest.write_text(header + "\n" + "\n".join(body[i] for i in pick) + "\n", encoding="utf-8")
    return dest


def java_rows_per_s(mojo: Path, tsv: Path, n: int, seconds: float) -> float:
    cp = f"{CACHE / 'h2o-genmodel.jar'}:{CACHE / 'classes'}"
    out = subprocess.run(
        ["java", "-cp", cp, "GenmodelHarness", "bench", str(mojo), str(tsv), str(n), str(seconds)],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    field = next(p for p in out.split() if p.startswith("rows_per_s="))
    return float(field.split("=")[1])


def python_rows_per_s(model, frame) -> float:  # type: ignore[no-untyped-def]
    model.predict_numpy(frame)  # warm-up
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        model.predict_numpy(frame)
        best = min(best, time.perf_counter() - t0)
    return len(frame) / best


def single_row_us(model, records) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    for rec in records[:200]:
        model.predict_numpy(rec)
    times = []
    for rec in records:
        t0 = time.perf_counter()
        model.predict_numpy(rec)
        times.append((time.perf_counter() - t0) * 1e6)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.99) - 1]


def main(argv: list[str] | None = None) -> int:
    import pandas as pd

    from sparkwing import mojo

    parser = argparse.ArgumentParser(description="sparkwing.mojo vs h2o-genmodel")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=5.0, help="genmodel timing window")
    parser.add_argument("--models", default=",".join(ORDER))
    args = parser.parse_args(argv)
    tsv = resample(MODELS / "chicago.tsv", args.rows, MODELS / f"rows{args.rows}.tsv")
    raw = pd.read_csv(tsv, sep="\t", dtype=str, keep_default_na=False)
    records_all = [{k: v for k, v in r.items() if v != ""} for r in raw.head(2000).to_dict("records")]
    print(f"rows={args.rows}  python={sys.version.split()[0]}  numpy={np.__version__}")
    header = (
        f"{'model':<15}{'genmodel rows/s':>17}{'sparkwing rows/s':>18}{'ratio':>8}"
        f"{'1-row p50 µs':>14}{'1-row p99 µs':>14}"
    )
    print(header)
    print("-" * len(header))
    for name in args.models.split(","):
        path = MODELS / f"{name}.zip"
        if not path.exists():
            print(f"{name:<15} (missing {path.name})")
            continue
        model = mojo.load(path)
        frame = raw.copy()
        for f in model.info.features:
            if f.type == "numeric" and f.name in frame:
                frame[f.name] = pd.to_numeric(frame[f.name].str.strip(), errors="coerce")
        java = java_rows_per_s(path, tsv, args.rows, args.seconds)
        py = python_rows_per_s(model, frame)
        p50, p99 = single_row_us(model, records_all)
        print(f"{name:<15}{java:>17,.0f}{py:>18,.0f}{py / java:>8.2f}{p50:>14.1f}{p99:>14.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
