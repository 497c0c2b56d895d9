"""Benchmark: ``sparkwing serve``'s time to ready, alternating ``src/`` trees (before vs after).

    PYTHONPATH=src .venv/bin/python bench/serve_ready.py [--runs 4] [--workers 2] [--src OTHER/src ...]

Registers the loan GBM and GLM fixtures in a temporary workspace, then starts ``python -m
sparkwing serve`` (``--workers`` processes, default 1; both models) ``--runs`` times per ``src/``
tree, the trees taking turns, and times process start -> ready: the first ``/readyz`` = 200 (every
model loaded and able to answer), polled every 5 ms from this process (standard library only,
nothing imported while the service starts), and the N-th "Application startup complete" on the
service's log (with ``--workers N`` a worker starts up only once its models are loaded, and only
then takes connections): ready means every worker answers.  Also prints the service's CPU time
until ready (the whole process tree), which the machine's other load barely moves: on a shared
machine compare that one.  Without ``--src`` only this checkout's
``src/`` is measured.  Python bytecode caching follows the environment (``PYTHONDONTWRITEBYTECODE``
set: every start compiles sparkwing's modules; ``PYTHONPYCACHEPREFIX`` keeps caches elsewhere).
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "mojo"
sys.path.insert(0, str(ROOT / "tests"))
from procs import tree_cpu_seconds  # noqa: E402  (the /proc reading the tests use too)


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _note_startups(stream: IO[bytes], started: list[float]) -> None:
    for line in stream:
        if b"Application startup complete" in line:
            started.append(time.perf_counter())


def once(src: str, workspace: str, workers: int = 1) -> tuple[float, float]:
    """(seconds to ready, service CPU seconds until then)."""
    port = _port()
    env = {**os.environ, "PYTHONPATH": src}
    t0 = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "-m", "sparkwing", "serve", "-w", workspace, "-m", "loan", "-m", "loan_glm",
         "--port", str(port), "--poll", "0", "--rate-limit", "0", "--workers", str(workers)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    started: list[float] = []  # when each worker process finished its start-up (its log line)
    assert server.stderr is not None
    threading.Thread(target=_note_startups, args=(server.stderr, started), daemon=True).start()
    try:
        answered = False
        while not (answered and len(started) >= workers):
            if not answered:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as answer:
                        answered = answer.status == 200
                except (urllib.error.URLError, ConnectionError, TimeoutError):
                    pass
            if server.poll() is not None:
                raise SystemExit(f"the service exited ({src})")
            if time.perf_counter() - t0 > 120:
                raise SystemExit("not ready within 120 s")
            if not (answered and len(started) >= workers):
                time.sleep(0.005)
        return time.perf_counter() - t0, tree_cpu_seconds(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=4, help="starts per src tree")
    ap.add_argument("--workers", type=int, default=1, help="sparkwing serve --workers")
    ap.add_argument("--src", action="append", default=[], help="another src/ tree to alternate with")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    from sparkwing import mojo
    from sparkwing.registry import Registry
    from sparkwing.workspace import Workspace

    tmp = Path(tempfile.mkdtemp(prefix="sparkwing-bench-ready-"))
    try:
        reg = Registry(Workspace(tmp / "ws"))
        for served, fixture in (("loan", "gbm_bernoulli_loan"), ("loan_glm", "glm_binomial_loan")):
            info = mojo.load(FIXTURES / f"{fixture}.zip").info
            mv = reg.register(served, mojo_path=FIXTURES / f"{fixture}.zip",
                              card={"task": "binary", "algorithm": info.algorithm, "features": []})
            reg.set_alias(served, "production", mv.version)
        trees = [*args.src, str(ROOT / "src")]
        print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
              f"workers {args.workers}; "
              f"PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', '')!r}")
        results: dict[str, list[tuple[float, float]]] = {t: [] for t in trees}
        for _ in range(args.runs):
            for tree in trees:
                results[tree].append(once(tree, str(tmp / "ws"), args.workers))
        print("| src | ready s (each run) | min | service CPU s until ready (each run) | min |")
        print("|---|---|---|---|---|")
        for tree, runs in results.items():
            walls, cpus = [w for w, _ in runs], [c for _, c in runs]
            print(f"| {tree} | {' / '.join(f'{w:.2f}' for w in walls)} | {min(walls):.2f} | "
                  f"{' / '.join(f'{c:.2f}' for c in cpus)} | {min(cpus):.2f} |")
        print(f"load average at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
