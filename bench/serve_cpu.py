"""Benchmark: CPU time per request of the REST service, in process (load-robust).

    PYTHONPATH=src .venv/bin/python bench/serve_cpu.py [--fixture gbm_bernoulli_loan] [--calls 2000]

Registers one fixture MOJO (``tests/fixtures/mojo``) in a temporary workspace, builds the app
exactly as ``sparkwing serve`` does (``create_app``) and calls it as an ASGI app from this process
-- no sockets, no client -- so ``time.process_time`` per call is the service's own CPU: the
middleware, routing, auth check, body read, JSON parse, encoding, scoring and JSON answer of a
1-row ``POST /v1/models/loan:predict`` (the fixture's realistic scoring rows, one per request),
next to a no-op ``GET /healthz`` (the HTTP stack's floor) and ``MojoModel.predict_row`` on the same
rows (the model's share).  Before/after comparisons: run it with each ``src/`` on ``PYTHONPATH``,
alternating, in the same minutes; on a shared machine compare the ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "mojo"


def _serve_conftest() -> Any:
    spec = importlib.util.spec_from_file_location("serve_conftest", ROOT / "tests" / "serve" / "conftest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rows(fixture: str) -> list[dict[str, str]]:
    import json

    entry = json.loads((FIXTURES / "manifest.json").read_text())[fixture]
    lines = (FIXTURES / entry["input"]).read_text(encoding="utf-8").split("\n")
    header = lines[0].split("\t")
    return [{h: c for h, c in zip(header, ln.split("\t"), strict=False) if c} for ln in lines[1:] if ln]


def _scope(path: str, method: str, body: bytes) -> dict[str, Any]:
    headers = [(b"host", b"127.0.0.1:8000"), (b"content-type", b"application/json"),
               (b"content-length", str(len(body)).encode())]  # fmt: skip
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
            "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
            "root_path": "", "headers": headers, "client": ("127.0.0.1", 5555),
            "server": ("127.0.0.1", 8000), "state": {}}  # fmt: skip


async def _call(app: Any, scope: dict[str, Any], body: bytes) -> int:
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def _run(fixture: str, calls: int, repeats: int) -> None:
    import orjson

    from sparkwing.registry import Registry
    from sparkwing.serve import ServeConfig, create_app
    from sparkwing.workspace import Workspace

    root = Path(tempfile.mkdtemp(prefix="serve-cpu-")) / "ws"
    reg = Registry(Workspace(root))
    reg.register("loan", mojo_path=FIXTURES / f"{fixture}.zip", card=_serve_conftest().card_for(fixture))
    reg.set_alias("loan", "production", 1, reason="bench")
    app = create_app(ServeConfig(workspace=str(root), poll_interval=0))
    svc = app.state.service
    svc.start()
    svc.wait_ready(60)
    rows = _rows(fixture)
    bodies = [orjson.dumps({"rows": [r]}) for r in rows]
    path = "/v1/models/loan:predict"
    assert await _call(app, _scope(path, "POST", bodies[0]), bodies[0]) == 200
    model = svc.store.pick("loan", None, None).model
    print(f"{'fixture':<22}{'1-row predict µs':>18}{'no-op healthz µs':>18}{'predict_row µs':>16}"
          "  (CPU per call)")
    try:
        for _ in range(repeats):
            t = time.process_time()
            for i in range(calls):
                b = bodies[i % len(bodies)]
                await _call(app, _scope(path, "POST", b), b)
            predict = (time.process_time() - t) / calls * 1e6
            t = time.process_time()
            for _ in range(calls):
                await _call(app, _scope("/healthz", "GET", b""), b"")
            noop = (time.process_time() - t) / calls * 1e6
            t = time.process_time()
            for i in range(calls):
                model.predict_row(rows[i % len(rows)])
            row = (time.process_time() - t) / calls * 1e6
            print(f"{fixture:<22}{predict:>18.1f}{noop:>18.1f}{row:>16.1f}", flush=True)
    finally:
        svc.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="CPU per REST request, in process")
    parser.add_argument("--fixture", default="gbm_bernoulli_loan")
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args(argv)
    print("uptime:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    asyncio.run(_run(args.fixture, args.calls, args.repeats))
    print("uptime:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
