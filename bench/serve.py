"""Benchmark: ``sparkwing serve`` over loopback HTTP: the HTTP stack's ceiling vs real predictions.

Load generator: ``wrk`` (Debian/Ubuntu: ``apt-get install -y wrk``); without it a small asyncio
HTTP/1.1 keep-alive client in this process is used instead (slower: it competes for the CPU
with the service, so its figures are a lower bound).  Run::

    PYTHONPATH=src .venv/bin/python bench/serve.py [--seconds 5] [--workers 2]
    PYTHONPATH=src .venv/bin/python bench/serve.py --workspace sparkwing-home --model loan_default

What it does, in one run against one service process tree:
* Registers the loan GBM and GLM MOJO fixtures (``gbm_bernoulli_loan``, ``glm_binomial_loan``)
  in a temporary workspace as ``production`` (or serves ``--model`` from ``--workspace``), starts
  ``python -m sparkwing serve --workers N`` on a free 127.0.0.1 port and times start -> ``/readyz``
  = 200 (time to ready, and the service's CPU time until then: the load-robust figure).
* Rows: real rows of ``tests/data/loan.csv`` (numbers as JSON numbers, categoricals as strings).
* The same stack serving a no-op: ``GET /healthz`` (routing, middleware, metrics, JSON answer,
  no model) at 16 clients -- the ceiling of the HTTP stack on this machine -- side by side with
  ``POST /v1/models/NAME:predict`` of one GBM row at 16 clients; the ratio predict / no-op is
  printed.  Also one GBM row at 1 client, and 1,000-row GLM requests at 2 clients (rows/s).
* Each load runs for ``--seconds`` (bounded); requests/s, p50, p99, errors, and the service's CPU
  time per request (from /proc, summed over the service and its worker and scoring processes),
  which the machine's other load barely moves: on a shared machine it says more about capacity
  than requests/s do.
* In process: ``model.predict_numpy(records)`` for one row (p50 over 2,000 calls) and for the
  1,000-row batch (best of 5) -- the scorer's own cost, so the HTTP/JSON overhead is visible.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "mojo"


def rows_for(model: Any, n: int) -> list[dict[str, Any]]:
    feats = {f.name: f for f in model.info.features}
    out: list[dict[str, Any]] = []
    with open(ROOT / "tests" / "data" / "loan.csv", newline="") as fh:
        for rec in csv.DictReader(fh):
            row: dict[str, Any] = {}
            for k, v in rec.items():
                if k in feats and v != "":
                    row[k] = v if feats[k].domain else float(v)
            if len(row) == len(feats):
                out.append(row)
            if len(out) == n:
                break
    return (out * (n // max(1, len(out)) + 1))[:n]  # repeat if the file has fewer complete rows


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- load generators -------------------------------------------------------------------------


def run_wrk(url: str, body: bytes | None, conns: int, seconds: float) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        if body is not None:
            fh.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n')
            fh.write(f"wrk.body = {json.dumps(body.decode())}\n")
        script = fh.name
    try:
        out = subprocess.run(
            ["wrk", f"-t{min(2, conns)}", f"-c{conns}", f"-d{seconds:g}s", "--latency", "-s", script, url],
            capture_output=True, text=True, check=True, timeout=seconds + 60,
        ).stdout
    finally:
        os.unlink(script)

    def latency(pct: str) -> float:
        m = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        assert m, out
        return float(m.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[m.group(2)]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    n_err = int(bad.group(1)) if bad else 0
    if errors:
        n_err += sum(int(g) for g in errors.groups())
    return {"rps": rps, "p50": latency("50"), "p99": latency("99"), "errors": n_err}


async def _client(
    host: str, port: int, request: bytes, deadline: float, lat: list[float], errs: list[int]
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < deadline:
            t = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(re.search(rb"(?i)content-length:\s*(\d+)", head).group(1))  # type: ignore[union-attr]
            await reader.readexactly(length)
            lat.append(time.perf_counter() - t)
            if not head.startswith(b"HTTP/1.1 200"):
                errs.append(1)
    finally:
        writer.close()


def run_python(url: str, body: bytes | None, conns: int, seconds: float) -> dict[str, float]:
    m = re.match(r"http://([^:/]+):(\d+)(/.*)", url)
    assert m
    host, port, path = m.group(1), int(m.group(2)), m.group(3)
    if body is None:
        request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    else:
        request = (f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                   f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    lat: list[float] = []
    errs: list[int] = []

    async def main() -> None:
        deadline = time.perf_counter() + seconds
        clients = (_client(host, port, request, deadline, lat, errs) for _ in range(conns))
        await asyncio.wait_for(asyncio.gather(*clients), timeout=seconds + 60)

    start = time.perf_counter()
    asyncio.run(main())
    took = time.perf_counter() - start
    q = statistics.quantiles(lat, n=100)
    return {"rps": len(lat) / took, "p50": q[49] * 1e3, "p99": q[98] * 1e3, "errors": len(errs)}


# --- the run ---------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=5.0, help="length of each load (bounded)")
    ap.add_argument("--workers", type=int, default=1, help="sparkwing serve --workers")
    ap.add_argument("--workspace", help="serve --model (GBM) and --batch-model from this workspace instead")
    ap.add_argument("--model", default="loan")
    ap.add_argument("--batch-model", default="loan_glm")
    ap.add_argument(
        "--python-load", action="store_true", help="use the Python load generator even if wrk exists"
    )
    args = ap.parse_args()

    sys.path.insert(0, str(ROOT / "src"))
    sys.path.insert(0, str(ROOT / "tests"))  # procs: the /proc walk the tests use too
    from procs import tree_cpu_seconds

    from sparkwing import mojo
    from sparkwing.registry import Registry
    from sparkwing.workspace import Workspace

    tmp = Path(tempfile.mkdtemp(prefix="sparkwing-bench-serve-"))
    name, batch_name = args.model, args.batch_model
    if args.workspace:
        workspace = args.workspace
        reg = Registry(Workspace(workspace))
        model = mojo.load(reg.get(f"{name}@production").local_mojo())
        batch_model = mojo.load(reg.get(f"{batch_name}@production").local_mojo())
    else:
        workspace = str(tmp / "ws")
        reg = Registry(Workspace(workspace))
        for served, fixture in ((name, "gbm_bernoulli_loan"), (batch_name, "glm_binomial_loan")):
            info = mojo.load(FIXTURES / f"{fixture}.zip").info
            mv = reg.register(served, mojo_path=FIXTURES / f"{fixture}.zip",
                              card={"task": "binary", "algorithm": info.algorithm, "features": []})
            reg.set_alias(served, "production", mv.version)
        model = mojo.load(FIXTURES / "gbm_bernoulli_loan.zip")
        batch_model = mojo.load(FIXTURES / "glm_binomial_loan.zip")
    one = rows_for(model, 1)[0]
    batch = rows_for(batch_model, 1000)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    import httpx  # before the clock starts: importing it would take CPU from the starting service

    t0 = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "-m", "sparkwing", "serve", "-w", workspace, "-m", name, "-m", batch_name,
         "--port", str(port), "--poll", "0", "--rate-limit", "0", "--workers", str(args.workers)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None:
                raise SystemExit("the service exited")
            if time.perf_counter() - t0 > 120:
                raise SystemExit("the service was not ready within 120 s")
            time.sleep(0.02)
        startup = time.perf_counter() - t0
        startup_cpu = tree_cpu_seconds(server.pid)  # load-robust: the service's CPU until ready
        url = f"{base}/v1/models/{name}:predict"
        batch_url = f"{base}/v1/models/{batch_name}:predict"
        one_body = json.dumps({"rows": [one]}).encode()
        batch_body = json.dumps({"rows": batch}).encode()
        for u, b, n in ((url, one_body, 1), (batch_url, batch_body, 1000)):
            check = httpx.post(u, content=b, headers={"content-type": "application/json"}, timeout=60).json()
            if len(check.get("predictions", [])) != n:
                raise SystemExit(f"unexpected answer: {str(check)[:300]}")
        use_wrk = shutil.which("wrk") is not None and not args.python_load
        load = run_wrk if use_wrk else run_python
        tool = "wrk" if use_wrk else "python asyncio client (one process)"
        print(f"model {name} ({model.info.algorithm}, {len(model.info.features)} features), batches: "
              f"{batch_name} ({batch_model.info.algorithm}); --workers {args.workers}; load: {tool}; "
              f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f}")
        print(f"start-up to ready: {startup:.2f} s ({startup_cpu:.2f} s of the service's CPU)")
        load(url, one_body, 4, 2.0)  # warm-up (and the scoring processes load the batch model)
        load(batch_url, batch_body, 2, 2.0)
        results = []
        for label, target, body, conns, rows in [
            ("no-op GET /healthz, c=16", f"{base}/healthz", None, 16, 0),
            ("GBM 1 row, c=16", url, one_body, 16, 1),
            ("GBM 1 row, c=1", url, one_body, 1, 1),
            ("GLM 1,000 rows, c=2", batch_url, batch_body, 2, 1000),
        ]:
            cpu0 = tree_cpu_seconds(server.pid)
            r = load(target, body, conns, args.seconds)
            # The service's own CPU per request: a figure the machine's other load barely moves.
            r["cpu_ms"] = (tree_cpu_seconds(server.pid) - cpu0) / max(1.0, r["rps"] * args.seconds) * 1e3
            r["load"] = os.getloadavg()[0]
            results.append((label, r, r["rps"] * rows))
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)

    # In process: the scorer alone.
    model.predict_numpy([one])
    singles = []
    for _ in range(2000):
        t = time.perf_counter()
        model.predict_numpy([one])
        singles.append(time.perf_counter() - t)
    best = min(_timed(lambda: batch_model.predict_numpy(batch)) for _ in range(5))

    print()
    print("| workload | requests/s | rows/s | p50 ms | p99 ms | errors | service CPU ms/request | load |")
    print("|---|---|---|---|---|---|---|---|")
    for label, r, rows in results:
        shown = f"{rows:,.0f}" if rows else "-"
        print(f"| HTTP {label} | {r['rps']:,.0f} | {shown} | {r['p50']:.2f} | {r['p99']:.2f} | "
              f"{int(r['errors'])} | {r['cpu_ms']:.2f} | {r['load']:.1f} |")
    q = statistics.quantiles(singles, n=100)
    print(f"| in-process GBM predict_numpy, 1 row | {1 / statistics.median(singles):,.0f} | "
          f"{1 / statistics.median(singles):,.0f} | {q[49] * 1e3:.3f} | {q[98] * 1e3:.3f} | - | - | - |")
    print(f"| in-process GLM predict_numpy, 1,000 rows | {1 / best:,.1f} | {1000 / best:,.0f} | "
          f"{best * 1e3:.2f} | - | - | - | - |")
    noop, gbm = results[0][1], results[1][1]
    print(f"\nGBM 1-row predictions / no-op, requests/s at 16 clients: {gbm['rps'] / noop['rps']:.2f}x "
          f"(service CPU per request {gbm['cpu_ms']:.2f} ms vs {noop['cpu_ms']:.2f} ms)")
    print(f"load average (1/5/15 min) at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def _timed(fn: Any) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


if __name__ == "__main__":
    main()
