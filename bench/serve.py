"""Benchmark: ``sparkwing serve`` over loopback HTTP vs sparkwing.mojo in process, same model.

Load generator: ``wrk`` (Debian/Ubuntu: ``apt-get install -y wrk``); without it a small asyncio
HTTP/1.1 keep-alive client in this process is used instead (slower: it competes for the CPU
with the service, so its figures are a lower bound).  Run::

    PYTHONPATH=src .venv/bin/python bench/serve.py [--seconds 10] [--fixture gbm_bernoulli_loan]
    PYTHONPATH=src .venv/bin/python bench/serve.py --workspace sparkwing-home --model loan_default

What it does.
* Registers the MOJO fixture (default: the loan GBM) in a temporary workspace as ``production``
  (or serves ``--model`` from ``--workspace``), starts ``python -m sparkwing serve`` as a child
  process on a free 127.0.0.1 port and times start -> ``/readyz`` = 200.
* Rows: real rows of ``tests/data/loan.csv`` (numbers as JSON numbers, categoricals as strings).
* Single-row ``POST /v1/models/NAME:predict`` at concurrency 1, 16 and 64: requests/s, p50, p99.
* 1,000-row requests at concurrency 2: rows/s.
* The service's CPU time per request (from /proc), which the machine's other load barely moves:
  on a shared machine it says more about capacity than requests/s do.
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


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- load generators -------------------------------------------------------------------------


def run_wrk(url: str, body: bytes, conns: int, seconds: float) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n')
        fh.write(f"wrk.body = {json.dumps(body.decode())}\n")
        script = fh.name
    try:
        out = subprocess.run(
            ["wrk", f"-t{min(2, conns)}", f"-c{conns}", f"-d{seconds:g}s", "--latency", "-s", script, url],
            capture_output=True, text=True, check=True,
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


def run_python(url: str, body: bytes, conns: int, seconds: float) -> dict[str, float]:
    m = re.match(r"http://([^:/]+):(\d+)(/.*)", url)
    assert m
    host, port, path = m.group(1), int(m.group(2)), m.group(3)
    request = (f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
               f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    lat: list[float] = []
    errs: list[int] = []

    async def main() -> None:
        deadline = time.perf_counter() + seconds
        await asyncio.gather(*(_client(host, port, request, deadline, lat, errs) for _ in range(conns)))

    start = time.perf_counter()
    asyncio.run(main())
    took = time.perf_counter() - start
    q = statistics.quantiles(lat, n=100)
    return {"rps": len(lat) / took, "p50": q[49] * 1e3, "p99": q[98] * 1e3, "errors": len(errs)}


# --- the run ---------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--fixture", default="gbm_bernoulli_loan", help="MOJO fixture to register and serve")
    ap.add_argument("--workspace", help="serve --model from this workspace instead")
    ap.add_argument("--model", default="loan")
    ap.add_argument(
        "--python-load", action="store_true", help="use the Python load generator even if wrk exists"
    )
    args = ap.parse_args()

    sys.path.insert(0, str(ROOT / "src"))
    from sparkwing import mojo
    from sparkwing.registry import Registry
    from sparkwing.workspace import Workspace

    tmp = Path(tempfile.mkdtemp(prefix="sparkwing-bench-serve-"))
    if args.workspace:
        workspace, name = args.workspace, args.model
        model = mojo.load(Registry(Workspace(workspace)).get(f"{name}@production").local_mojo())
    else:
        workspace, name = str(tmp / "ws"), args.model
        reg = Registry(Workspace(workspace))
        info = mojo.load(FIXTURES / f"{args.fixture}.zip").info
        mv = reg.register(name, mojo_path=FIXTURES / f"{args.fixture}.zip",
                          card={"task": "binary", "algorithm": info.algorithm, "features": []})
        reg.set_alias(name, "production", mv.version)
        model = mojo.load(FIXTURES / f"{args.fixture}.zip")
    batch = rows_for(model, 1000)
    one = batch[0]

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    t0 = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "-m", "sparkwing", "serve", "-w", workspace, "-m", name, "--port", str(port),
         "--poll", "0", "--rate-limit", "0"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        import httpx

        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None:
                raise SystemExit("the service exited")
            time.sleep(0.02)
        startup = time.perf_counter() - t0
        url = f"{base}/v1/models/{name}:predict"
        one_body = json.dumps({"rows": [one]}).encode()
        batch_body = json.dumps({"rows": batch}).encode()
        check = httpx.post(
            url, content=batch_body, headers={"content-type": "application/json"}, timeout=30
        ).json()
        if len(check.get("predictions", [])) != 1000:
            raise SystemExit(f"unexpected answer: {str(check)[:300]}")
        use_wrk = shutil.which("wrk") is not None and not args.python_load
        load = run_wrk if use_wrk else run_python
        tool = "wrk" if use_wrk else "python asyncio client"
        print(f"model {name} ({model.info.algorithm}, {len(model.info.features)} features); load: {tool}; "
              f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f}")
        print(f"start-up to ready: {startup:.2f} s")
        load(url, one_body, 4, 2.0)  # warm-up
        results = []
        for label, body, conns, rows in [
            ("1 row, c=1", one_body, 1, 1),
            ("1 row, c=16", one_body, 16, 1),
            ("1 row, c=64", one_body, 64, 1),
            ("1,000 rows, c=2", batch_body, 2, 1000),
        ]:
            cpu0 = cpu_seconds(server.pid)
            r = load(url, body, conns, args.seconds)
            # The service's own CPU per request: a figure the machine's other load barely moves.
            r["cpu_ms"] = (cpu_seconds(server.pid) - cpu0) / max(1.0, r["rps"] * args.seconds) * 1e3
            results.append((label, r, r["rps"] * rows))
    finally:
        server.terminate()
        server.wait(timeout=20)
        shutil.rmtree(tmp, ignore_errors=True)

    # In process: the scorer alone.
    model.predict_numpy([one])
    singles = []
    for _ in range(2000):
        t = time.perf_counter()
        model.predict_numpy([one])
        singles.append(time.perf_counter() - t)
    best = min(_timed(lambda: model.predict_numpy(batch)) for _ in range(5))

    print()
    print("| workload | requests/s | rows/s | p50 ms | p99 ms | errors | service CPU ms/request |")
    print("|---|---|---|---|---|---|---|")
    for label, r, rows in results:
        print(f"| HTTP {label} | {r['rps']:,.0f} | {rows:,.0f} | {r['p50']:.2f} | {r['p99']:.2f} | "
              f"{int(r['errors'])} | {r['cpu_ms']:.2f} |")
    q = statistics.quantiles(singles, n=100)
    print(f"| in-process predict_numpy, 1 row | {1 / statistics.median(singles):,.0f} | "
          f"{1 / statistics.median(singles):,.0f} | {q[49] * 1e3:.3f} | {q[98] * 1e3:.3f} | - | - |")
    print(f"| in-process predict_numpy, 1,000 rows | {1 / best:,.1f} | {1000 / best:,.0f} | "
          f"{best * 1e3:.2f} | - | - | - |")


def _timed(fn: Any) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


if __name__ == "__main__":
    main()
