"""Local vs cluster: the same loans spec on ``local[2]`` and on a standalone cluster (2 workers).

Starts a master and two 1-core workers on 127.0.0.1 from the installed pyspark, runs
``sparkwing run`` twice as child processes (own driver JVM, own workspace each), then prints
counts, check results, published rows, the model's holdout metrics, the H2O cloud size and
wall time side by side.  ``--budget small`` (default) uses the test budget (AutoML 2 models,
2 folds) and three malformed lines appended to the CSV, so quarantine shows up.

    python bench/cluster_compare.py            # about 10 minutes on a busy 2-core machine
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # procs, used by standalone
sys.path.insert(0, str(ROOT / "tests" / "cluster"))
sys.path.insert(0, str(ROOT / "src"))
from clusterkit import loans_spec  # noqa: E402
from standalone import StandaloneCluster, cluster_env  # noqa: E402


def make_spec(dest: Path, budget: str) -> Path:
    if budget == "small":
        return loans_spec(dest)
    shutil.copytree(ROOT / "examples" / "loans", dest)
    return dest / "pipeline.yaml"


def run(master: str, ws: Path, spec: Path, log: Path, extra_env: dict[str, str]) -> tuple[dict, float]:
    env = {**cluster_env(), "SPARKWING__SPARK__SHUFFLE_PARTITIONS": "4", **extra_env}
    t0 = time.monotonic()
    with open(log, "wb") as fh:
        rc = subprocess.run(
            [sys.executable, "-m", "sparkwing", "--master", master, "--workspace", str(ws), "run", str(spec)],
            stdout=fh,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=ws.parent,
        ).returncode
    seconds = time.monotonic() - t0
    rec = json.loads(sorted((ws / "runs" / "loans").glob("*/run.json"))[-1].read_text())
    if rc != 0:
        print(f"{master}: run failed ({rec.get('error')}); log: {log}", file=sys.stderr)
    return rec, seconds


def figures(rec: dict, seconds: float) -> dict[str, str]:
    s = rec["steps"]
    metrics = s["loan_default"].get("details", {}).get("metrics", {})
    checks = s["loans_clean"].get("checks", [])
    return {
        "status": rec["status"],
        "rows read": str(s["loans_raw"].get("rows_in")),
        "rows quarantined": str(s["loans_raw"].get("rows_quarantined")),
        "rows accepted": str(s["loans_raw"].get("rows_out")),
        "checks passed": f"{sum(c['passed'] for c in checks)}/{len(checks)}",
        "credit.loans_clean rows": str(s["credit.loans_clean"].get("rows_out")),
        "H2O cloud size": str(s["loan_default"].get("details", {}).get("h2o_cloud_size")),
        "leader": str(s["loan_default"].get("details", {}).get("algorithm")),
        "holdout AUC": f"{metrics.get('auc', float('nan')):.4f}",
        "holdout logloss": f"{metrics.get('logloss', float('nan')):.4f}",
        "credit.loan_scores rows": str(s["credit.loan_scores"].get("rows_out")),
        "train step s": f"{s['loan_default'].get('seconds') or 0:.0f}",
        "wall time s": f"{seconds:.0f}",
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--budget", choices=["small", "demo"], default="small")
    ap.add_argument("--keep", action="store_true", help="keep the workspaces and logs")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="sw-compare-"))
    spec = make_spec(tmp / "loans", args.budget)
    (tmp / "local").mkdir()
    (tmp / "cluster").mkdir()
    local, local_s = run(
        "local[2]", tmp / "local" / "ws", spec, tmp / "local.log", {"SPARKWING__SPARK__DRIVER_MEMORY": "3g"}
    )
    with StandaloneCluster(workers=2, cores=1, memory="3g") as cluster:
        remote, remote_s = run(cluster.master_url, tmp / "cluster" / "ws", spec, tmp / "cluster.log", {
            "SPARKWING__SPARK__EXECUTOR_MEMORY": "2g", "SPARKWING__SPARK__EXECUTOR_CORES": "1",
            "SPARKWING__SPARK__EXECUTOR_INSTANCES": "2", "SPARKWING__SPARK__DRIVER_MEMORY": "1g",
        })
    a, b = figures(local, local_s), figures(remote, remote_s)
    width = max(map(len, a))
    print(f"\n{'':<{width}}  {'local[2]':>14}  {'standalone 2x1':>14}  same")
    for key in a:
        if key.startswith("holdout"):  # trained on 1 vs 2 H2O nodes: close, not equal
            same = f"diff {abs(float(a[key]) - float(b[key])):.3f}"
        else:
            same = (
                "yes"
                if a[key] == b[key]
                else ("-" if key in ("wall time s", "train step s", "H2O cloud size") else "no")
            )
        print(f"{key:<{width}}  {a[key]:>14}  {b[key]:>14}  {same}")
    if args.keep:
        print(f"\nworkspaces and logs: {tmp}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
