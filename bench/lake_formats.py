"""Lake formats benchmark: sparkwing's readers vs plain ``spark.read``, and the driver's memory.

Inputs (generated into a temp dir outside the repo, removed at the end; seeded numpy, seed 9):

* ``csv``: loan.csv resampled with replacement, every numeric column perturbed and a running
  ``id`` first, so no two rows are equal;
* ``csv_messy``: the ``csv`` rows with a fault on about 1 row in 2,000 (seeded, spread over
  the file): a missing or an extra field, ``total_acc`` (an int) holding ``3.5`` or ``n/a``, a
  stray unterminated quote (the last field's closing quote dropped), the header line repeated;
* ``csv_typed``: the ``csv`` file read with ``columns`` declared (the real types); plain Spark
  is given the same schema (``.schema(...)``) instead of ``inferSchema``;
* ``csv_multiline``: chicagoCrimes10k.csv resampled the same way, with a free-text ``notes``
  field that holds a quoted line break on every other row (RFC 4180);
* ``json``: the loans rows as JSON lines;
* ``json_columns``: the same JSON lines read with their columns declared (:data:`LOAN_TYPES`);
* ``svmlight``: agaricus.txt.train lines with each feature value replaced by a random real
  (the real index sets, 22 features a row, one-based, 126 features); ``svmlight_vector``: the
  same file read with ``layout: vector`` (``label, features``, as Spark's reader gives);
* ``arff``: credit-g.arff rows resampled, numbers perturbed, nominal values kept (quoted).

Each format at two sizes (default ~250 MB and ~1 GB; ``--scale 0.01`` for a quick run).

What each side does (one SparkSession, ``--master local[2]``, both sides warmed up once on a
small file of the same format, then timed alternately, sparkwing first on the first size; each
timed file is read once beforehand so that neither side pays for the disk):

* sparkwing: ``read_source`` (quarantine on, ``max_quarantine_share: 1``; types inferred as
  the reader does; ``n_features: 126`` for SVMLight) then ``result.df.write.parquet``;
* plain Spark: ``spark.read.csv(header, inferSchema)`` (``multiLine`` for the quoted-newline
  file), ``spark.read.json``, ``spark.read.format("libsvm")`` (``numFeatures`` 126), then
  ``df.write.parquet``.  ARFF has no Spark reader: sparkwing's time only.

For ``svmlight`` (dense ``label, f1..f126``) a third side, like for like: Spark's libsvm reader
with its vector expanded to the same 126 columns (``vector_to_array``), its time and ratios
printed on the line below the format's.

So both sides end with every row parsed and written once as Parquet (a count alone lets Spark
skip the parse of unused columns).  Plain Spark does no quarantine, no line numbers and no
counting; sparkwing's side includes all of that.  Printed per format and size: seconds for each
side, the throughput ratio plain-time / sparkwing-time (higher is better; target >= 0.8), MB/s,
the CPU seconds of each side (this process, the JVM and its Python workers, sampled every
0.1 s by ``procs.TreeCpu`` so that a worker that exits unwaited still counts: the figure a
loaded machine disturbs least) and the peak RSS during the sparkwing read of the Python
driver and of the local-mode JVM (sampled from ``/proc/<pid>/status`` every 50 ms; the JVM's heap is capped by
``--driver-memory``, the Python driver has no cap: it must stay flat as the file grows).

    python bench/lake_formats.py --scale 0.01            # a minute: proves it works
    python bench/lake_formats.py                         # ~250 MB and ~1 GB per format
    python bench/lake_formats.py --formats csv,json --sizes 100,400
    python bench/lake_formats.py --inputs /tmp/lake-inputs   # generate once, reuse next time
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from procs import TreeCpu  # noqa: E402  (CPU of this process tree: driver, JVM, Python workers)

DATA = ROOT / "tests" / "data"
FORMATS = ("csv", "csv_messy", "csv_typed", "csv_multiline", "json", "json_columns", "svmlight",
           "svmlight_vector", "arff")
EXT = {"csv": "csv", "csv_messy": "csv", "csv_typed": "csv", "csv_multiline": "csv", "json": "jsonl",
       "json_columns": "jsonl", "svmlight": "svm", "svmlight_vector": "svm", "arff": "arff"}  # fmt: skip
LOANS = ("csv", "csv_messy", "csv_typed", "json", "json_columns")  # the formats made of the loans rows
# The loans columns' real types: csv_typed and json_columns declare them (sparkwing's
# ``columns``), plain Spark gets the same schema (``spark.read.schema(...)``).
LOAN_TYPES = {
    "id": "bigint", "loan_amnt": "int", "term": "string", "int_rate": "double", "emp_length": "double",
    "home_ownership": "string", "annual_inc": "double", "purpose": "string", "addr_state": "string",
    "dti": "double", "delinq_2yrs": "int", "revol_util": "double", "total_acc": "int", "bad_loan": "int",
    "longest_credit_length": "int", "verification_status": "string",
}  # fmt: skip
FAULT_EVERY = 2_000  # csv_messy: about one faulty row in this many
SVM_WIDTH = 126
# the same bytes, read another way
SAME_FILE = {"csv_typed": "csv", "json_columns": "json", "svmlight_vector": "svmlight"}
CHUNK_ROWS = 100_000


# ---------------------------------------------------------------- inputs


def _loans_chunk(base: pd.DataFrame, rng: np.random.Generator, start: int, n: int) -> pd.DataFrame:
    df = base.iloc[rng.integers(0, len(base), n)].reset_index(drop=True)
    df.insert(0, "id", np.arange(start, start + n))
    df["loan_amnt"] = df["loan_amnt"] + rng.integers(0, 500, n)
    df["int_rate"] = (df["int_rate"] + rng.normal(0, 0.5, n)).round(2)
    df["annual_inc"] = (df["annual_inc"] * rng.uniform(0.9, 1.1, n)).round(0)
    df["dti"] = (df["dti"] + rng.normal(0, 1, n)).round(2)
    df["revol_util"] = (df["revol_util"] + rng.normal(0, 2, n)).round(1)
    return df


def _crimes_chunk(base: pd.DataFrame, rng: np.random.Generator, start: int, n: int) -> pd.DataFrame:
    df = base.iloc[rng.integers(0, len(base), n)].reset_index(drop=True)
    ids = np.arange(start, start + n)
    nl = np.where(ids % 2 == 0, "\n", " / ")
    notes = (df["Description"].astype(str) + nl + "at " + df["Block"].astype(str) + ", "
             + df["Location Description"].fillna("").astype(str) + ' ("' + df["Case Number"].astype(str)
             + '")')  # fmt: skip
    return pd.DataFrame({
        "id": ids, "case_number": df["Case Number"], "date": df["Date"], "primary_type": df["Primary Type"],
        "notes": notes, "arrest": df["Arrest"], "beat": df["Beat"],
        "latitude": (df["Latitude"] + rng.normal(0, 0.001, n)).round(6),
        "longitude": (df["Longitude"] + rng.normal(0, 0.001, n)).round(6),
    })  # fmt: skip


_TOKENS = np.array([[f"{i}:{v / 100:.2f}" for v in range(1000)] for i in range(127)], dtype=object)


def _svm_chunk(templates: np.ndarray, labels: np.ndarray, rng: np.random.Generator, n: int) -> str:
    pick = rng.integers(0, len(templates), n)
    idx = templates[pick]  # n x 22 feature indices (the real index sets)
    vals = rng.integers(1, 1000, idx.shape)  # values 0.01..9.99: distinct rows
    label = np.where(labels[pick] > 0, "1 ", "0 ")
    rows = _TOKENS[idx, vals].tolist()
    return "".join(a + " ".join(row) + "\n" for a, row in zip(label.tolist(), rows, strict=True))


def _csv_text(df: pd.DataFrame, header: bool) -> str:
    """RFC 4180 text (strings quoted, quotes doubled) via Arrow's writer: 8x pandas' speed."""
    import pyarrow as pa
    import pyarrow.csv as pc

    buf = io.BytesIO()
    pc.write_csv(pa.Table.from_pandas(df, preserve_index=False), buf, pc.WriteOptions(include_header=header))
    return buf.getvalue().decode()


def _messy(text: str, header: str, rng: np.random.Generator) -> str:
    """Faults on about 1 row in ``FAULT_EVERY`` of a loans CSV chunk (one record per line)."""
    lines = text.split("\n")
    at = np.flatnonzero(rng.random(len(lines)) < 1 / FAULT_EVERY)
    acc = header.split(",").index('"total_acc"')
    for i in at.tolist():
        fields = lines[i].split(",")  # the loans rows hold no quoted comma
        if len(fields) < 2 or lines[i] == header:
            continue
        kind = int(rng.integers(0, 6))
        if kind == 0:  # a missing field
            fields.pop()
        elif kind == 1:  # an extra field
            fields.append("x")
        elif kind in (2, 3):  # an int column holding a fraction or a marker
            fields[acc] = "3.5" if kind == 2 else "n/a"
        elif kind == 4:  # a stray quote: the last field's closing quote dropped
            fields[-1] = fields[-1].rstrip('"') if fields[-1].endswith('"') else '"' + fields[-1]
        lines[i] = ",".join(fields) if kind != 5 else header + "\n" + lines[i]  # 5: the header again
    return "\n".join(lines)


def _arff_header_and_base() -> tuple[str, pd.DataFrame]:
    lines = (DATA / "credit-g.arff").read_text().splitlines()
    at = next(i for i, x in enumerate(lines) if x.strip().lower() == "@data")
    header = "\n".join(x for x in lines[: at + 1] if not x.startswith("%")) + "\n"
    import csv

    rows = list(csv.reader([x for x in lines[at + 1 :] if x.strip() and not x.startswith("%")],
                           quotechar="'", skipinitialspace=True))  # fmt: skip
    return header, pd.DataFrame(rows)


def make_input(fmt: str, target_bytes: int, out: Path, seed: int = 9, reuse: bool = False) -> Path:
    """Write ~``target_bytes`` of ``fmt`` to ``out`` (distinct rows, derived from tests/data).

    With ``reuse``, a file this function wrote before (same format, size and seed) is kept.
    """
    rng = np.random.default_rng(seed)
    faults = np.random.default_rng(seed + 1000)
    path = out / f"{SAME_FILE.get(fmt, fmt)}_{target_bytes >> 20}mb_s{seed}.{EXT[fmt]}"
    done = path.with_name(path.name + ".done")
    if reuse and done.exists() and path.exists():
        return path
    done.unlink(missing_ok=True)
    written, start = 0, 0
    with open(path, "w", encoding="utf-8", newline="") as fh:
        if fmt in LOANS:
            base = pd.read_csv(DATA / "loan.csv")
        elif fmt == "csv_multiline":
            base = pd.read_csv(DATA / "chicagoCrimes10k.csv", dtype={"Beat": str})
        elif fmt in ("svmlight", "svmlight_vector"):
            lines = (DATA / "agaricus.txt.train").read_text().splitlines()
            labels = np.array([float(x.split()[0]) for x in lines])
            templates = np.array([[int(t.split(":")[0]) for t in x.split()[1:]] for x in lines])
        else:
            header, base = _arff_header_and_base()
            fh.write(header)
            written += len(header)
        n = 2_000  # rows per chunk; resized from the bytes per row seen, so sizes land close
        while written < target_bytes:
            if fmt in ("csv", "csv_messy", "csv_typed", "csv_multiline"):
                chunk = (_crimes_chunk if fmt == "csv_multiline" else _loans_chunk)(base, rng, start, n)
                text = _csv_text(chunk, header=start == 0)
                if fmt == "csv_messy":  # its own generator: the same rows as ``csv``
                    header = _csv_text(chunk.iloc[:0], header=True).rstrip("\n")
                    text = _messy(text, header, faults)
            elif fmt in ("json", "json_columns"):
                text = _loans_chunk(base, rng, start, n).to_json(orient="records", lines=True)
                text = text if text.endswith("\n") else text + "\n"
            elif fmt in ("svmlight", "svmlight_vector"):
                text = _svm_chunk(templates, labels, rng, n)
            else:
                df = base.iloc[rng.integers(0, len(base), n)].reset_index(drop=True)
                for col in (7, 10, 15, 17):  # the other numeric attributes, as numbers
                    df[col] = df[col].astype(float)
                for col in (1, 4, 12):  # duration, credit_amount, age: perturbed
                    df[col] = (df[col].astype(float) * rng.uniform(0.8, 1.2, n)).round(1)
                text = df.to_csv(index=False, header=False, quotechar="'", quoting=2)  # QUOTE_NONNUMERIC
            fh.write(text)
            size = len(text.encode())
            written += size
            start += n
            n = int(max(100, min(CHUNK_ROWS, (target_bytes - written) / (size / n) + 1)))
    done.touch()
    return path


# ---------------------------------------------------------------- memory


class PeakRss:
    """Samples VmRSS of some processes every ``every`` seconds; ``peak`` in MiB per pid."""

    def __init__(self, pids: dict[str, int], every: float = 0.05) -> None:
        self.pids, self.every = pids, every
        self.peak = dict.fromkeys(pids, 0.0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def rss(pid: int) -> float:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0

    def _run(self) -> None:
        while not self._stop.is_set():
            for name, pid in self.pids.items():
                self.peak[name] = max(self.peak[name], self.rss(pid))
            self._stop.wait(self.every)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def warm_page_cache(path: Path) -> None:
    """Read the file once so that neither side pays for the disk (the first timed read was slow)."""
    with path.open("rb") as f:
        while f.read(8 << 20):
            pass


def jvm_pid(spark: Any) -> int | None:
    proc = getattr(spark.sparkContext._gateway, "proc", None)  # set by pyspark's launch_gateway
    return proc.pid if proc is not None else None


# ---------------------------------------------------------------- the two sides


def with_sparkwing(spark: Any, ctx: Any, fmt: str, path: Path, out: Path) -> int:
    from sparkwing.config import SourceSpec
    from sparkwing.lake import read_source

    opts: dict[str, Any] = {"max_quarantine_share": 1.0}
    if fmt in ("svmlight", "svmlight_vector"):
        opts["n_features"] = SVM_WIDTH
    if fmt == "svmlight_vector":
        opts["layout"] = "vector"
    if fmt in ("csv_typed", "json_columns"):
        opts["columns"] = dict(LOAN_TYPES)
    r = read_source(spark, f"bench_{fmt}", SourceSpec(uri=str(path), **opts), ctx)
    try:
        r.df.write.mode("overwrite").parquet(str(out))
    finally:
        r.release()
    if r.rows_quarantined:
        print(f"   note: sparkwing quarantined {r.rows_quarantined:,} of {r.rows_read:,} rows: {r.reasons}")
    return r.rows_read


def plain_spark(spark: Any, fmt: str, path: Path, out: Path, dense: bool = False) -> int:
    """``dense`` (SVMLight): Spark's vector expanded to ``label, f1..fn`` with
    ``vector_to_array``, the same columns as sparkwing's default layout (like for like)."""
    p = str(path)
    if fmt in ("csv", "csv_messy"):  # PERMISSIVE: a bad row becomes nulls, nothing is quarantined
        df = spark.read.csv(p, header=True, inferSchema=True)
    elif fmt == "csv_typed":
        ddl = ", ".join(f"{n} {t}" for n, t in LOAN_TYPES.items())
        df = spark.read.schema(ddl).csv(p, header=True)
    elif fmt == "csv_multiline":
        df = spark.read.csv(p, header=True, inferSchema=True, multiLine=True, escape='"')
    elif fmt == "json":
        df = spark.read.json(p)
    elif fmt == "json_columns":
        df = spark.read.schema(", ".join(f"`{c}` {t}" for c, t in LOAN_TYPES.items())).json(p)
    elif fmt in ("svmlight", "svmlight_vector"):
        df = spark.read.format("libsvm").option("numFeatures", str(SVM_WIDTH)).load(p)
        if dense:
            from pyspark.ml.functions import vector_to_array
            from pyspark.sql import functions as F

            values = vector_to_array(F.col("features"))
            df = df.select("label", *[values[k].alias(f"f{k + 1}") for k in range(SVM_WIDTH)])
    else:
        raise ValueError(fmt)
    df.write.mode("overwrite").parquet(str(out))
    return -1  # the plain side does not count rows (a count would be one more pass)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="250,1000", help="file sizes in MB (before --scale)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the sizes (0.01: quick run)")
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--driver-memory", default="3g")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (inputs and outputs)")
    parser.add_argument("--inputs", help="keep generated inputs here; reuse them next run")
    parser.add_argument(
        "--repeat", type=int, default=1, help="reads per side and file, alternating; the median is shown"
    )
    args = parser.parse_args()
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    sizes = [int(float(s) * args.scale * (1 << 20)) for s in args.sizes.split(",")]

    from sparkwing.config import load_settings
    from sparkwing.engine import start_spark, stop_spark
    from sparkwing.lake import SourceContext
    from sparkwing.workspace import Workspace

    tmp = Path(tempfile.mkdtemp(prefix="sparkwing-bench-lake-"))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a timeout still removes the inputs
    reuse = args.inputs is not None
    where = Path(args.inputs) if reuse else tmp
    where.mkdir(parents=True, exist_ok=True)
    print(f"inputs under {where}, outputs under {tmp}; load average {os.getloadavg()[0]:.1f} at start")
    try:
        settings = load_settings(
            {
                "workspace": str(tmp / "ws"),
                "spark": {"master": args.master, "driver_memory": args.driver_memory},
            }
        )
        spark = start_spark(settings)
        ctx = SourceContext(settings, Workspace(tmp / "ws"), "bench", "r1", tmp)
        pids = {"python": os.getpid()}
        if (pid := jvm_pid(spark)) is not None:
            pids["jvm"] = pid
        results = []
        for fmt in formats:
            t0 = time.perf_counter()
            warm = make_input(fmt, 4 << 20, where, seed=1, reuse=reuse)
            inputs = [make_input(fmt, size, where, reuse=reuse) for size in sizes]
            print(f"{fmt}: generated {', '.join(f'{p.stat().st_size / 1e6:,.0f} MB' for p in inputs)} "
                  f"in {time.perf_counter() - t0:.0f} s")  # fmt: skip
            has_plain = fmt != "arff"
            with_sparkwing(spark, ctx, fmt, warm, tmp / "out_w")  # warm-up: JIT, code paths, file cache
            if has_plain:
                plain_spark(spark, fmt, warm, tmp / "out_w", dense=fmt == "svmlight")
            for k, path in enumerate(inputs):
                order: tuple[str, ...] = ("sparkwing", "plain") if k % 2 == 0 else ("plain", "sparkwing")
                if fmt == "svmlight":  # like for like: Spark's reader expanded to the same columns
                    order += ("plain_dense",)
                times: dict[str, list[float]] = {}
                cpus_: dict[str, list[float]] = {}
                peak: dict[str, float] = {}
                rows = 0
                for r in range(max(1, args.repeat)):
                    for side in order if r % 2 == 0 else order[::-1]:
                        if side == "plain" and not has_plain:
                            continue
                        spark.catalog.clearCache()
                        warm_page_cache(path)
                        with PeakRss(pids) as mem, TreeCpu(os.getpid()) as used:
                            t0 = time.perf_counter()
                            if side == "sparkwing":
                                rows = with_sparkwing(spark, ctx, fmt, path, tmp / "out")
                            else:
                                plain_spark(spark, fmt, path, tmp / "out", dense=side == "plain_dense")
                            times.setdefault(side, []).append(time.perf_counter() - t0)
                        cpus_.setdefault(side, []).append(used.seconds)
                        old_py, old_jvm = peak.get(side, (0.0, 0.0))  # type: ignore[misc]
                        peak[side] = (max(old_py, mem.peak.get("python", 0.0)),
                                      max(old_jvm, mem.peak.get("jvm", 0.0)))  # type: ignore[assignment]  # fmt: skip
                secs = {side: statistics.median(v) for side, v in times.items()}
                cpu = {side: statistics.median(v) for side, v in cpus_.items()}
                if args.repeat > 1:
                    print("  " + "  ".join(f"{side}: {', '.join(f'{t:.1f}' for t in v)} s"
                                           for side, v in times.items()))  # fmt: skip
                size_mb = path.stat().st_size / 1e6
                results.append((fmt, size_mb, rows, secs, peak, cpu))
                ratio = secs["plain"] / secs["sparkwing"] if "plain" in secs else None
                plain = f"plain {secs['plain']:7.1f} s  ratio {ratio:.2f}" if ratio else "plain      n/a"
                cpus = f"CPU s {cpu['sparkwing']:.1f}"
                if "plain" in cpu:
                    cpus += f" / {cpu['plain']:.1f} = {cpu['plain'] / cpu['sparkwing']:.2f}"
                print(f"  {size_mb:8,.0f} MB  {rows:>11,} rows  sparkwing {secs['sparkwing']:7.1f} s  "
                      f"{plain}  {cpus}  load {os.getloadavg()[0]:.1f}")  # fmt: skip
                if "plain_dense" in secs:
                    like = secs["plain_dense"] / secs["sparkwing"]
                    print(f"  {'':8}     like for like (plain + vector_to_array to {SVM_WIDTH} columns): "
                          f"{secs['plain_dense']:.1f} s  ratio {like:.2f}  "
                          f"CPU s {cpu['plain_dense']:.1f} = "
                          f"{cpu['plain_dense'] / cpu['sparkwing']:.2f}")  # fmt: skip
            if not reuse:
                for p in [warm, *inputs]:
                    p.unlink()
        print(f"\nmaster {args.master}, driver memory {args.driver_memory}, "
              f"load average now {', '.join(f'{x:.1f}' for x in os.getloadavg())}")  # fmt: skip
        print(
            "| format | size MB | rows | sparkwing s | plain Spark s | ratio (target >= 0.8) "
            "| sparkwing MB/s | CPU s sparkwing / plain (ratio) | peak RSS python MiB | peak RSS JVM MiB |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for fmt, size_mb, rows, secs, peak, cpu in results:
            plain = secs.get("plain")
            ratio = f"{plain / secs['sparkwing']:.2f}" if plain else "n/a (no Spark reader)"
            py, jvm = peak["sparkwing"]  # type: ignore[misc]
            print(f"| {fmt} | {size_mb:,.0f} | {rows:,} | {secs['sparkwing']:.1f} | "
                  f"{f'{plain:.1f}' if plain else '-'} | {ratio} | {size_mb / secs['sparkwing']:.1f} | "
                  f"{cpu['sparkwing']:.1f} / {cpu.get('plain', float('nan')):.1f} "
                  f"({cpu.get('plain', float('nan')) / cpu['sparkwing']:.2f}) | "
                  f"{py:,.0f} | {jvm:,.0f} |")  # fmt: skip
        stop_spark()
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
