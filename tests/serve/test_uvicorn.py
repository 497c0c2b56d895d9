"""The real thing: ``sparkwing serve`` under uvicorn on 127.0.0.1, driven over HTTP.

Scores are compared with h2o-genmodel's own output for the fixture rows (the MOJO fixtures'
``expected.csv``); an alias flips back and forth while clients score.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import FIXTURES, PROSTATE_ROW
from procs import cmdline, descendants

from servers import sparkwing_server
from sparkwing import mojo
from sparkwing.registry import Registry
from sparkwing.workspace import Workspace

SRC = Path(__file__).resolve().parents[2] / "src"
JVM_BRIDGES = ("pyspark", "py4j", "pysparkling")


def _genmodel_rows(fixture: str) -> tuple[list[dict[str, str]], list[list[float]]]:
    lines = (FIXTURES / "inputs" / "prostate.tsv").read_text().split("\n")
    header = lines[0].split("\t")
    rows = [
        {h: c for h, c in zip(header, line.split("\t"), strict=False) if c != ""}
        for line in lines[1:]
        if line
    ]
    expected = [[float(c) for c in line.split(",")]
                for line in (FIXTURES / f"{fixture}.expected.csv").read_text().split("\n") if line]
    return rows, expected


@pytest.fixture()
def server(workspace: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    args = ["serve", "-w", str(workspace), "--poll", "0.1"]
    with sparkwing_server(args, ready="/readyz") as (base, _, proc):
        yield base, proc


def test_scores_match_genmodel_over_http_and_no_jvm(server: tuple[str, Any]) -> None:
    base, proc = server
    rows, expected = _genmodel_rows("glm_binomial_prostate")
    with httpx.Client(base_url=base, timeout=30) as http:
        out = http.post("/v1/models/prostate:predict", json={"rows": rows}).json()
        staged = http.post("/v1/models/prostate:predict?alias=staging", json={"rows": rows}).json()
    assert out["version"] == 1 and len(out["predictions"]) == len(rows) == len(expected)
    for got, exp in zip(out["predictions"], expected, strict=True):
        assert got["predict"] == str(int(exp[0])) and got["p1"] == pytest.approx(exp[2], abs=1e-9)
    _, expected2 = _genmodel_rows("gbm_bernoulli_prostate")
    assert [p["p1"] for p in staged["predictions"]] == pytest.approx([e[2] for e in expected2], abs=1e-9)
    # No JVM: no java child process, no libjvm mapped into the service.
    assert not [p for p in descendants(proc.pid) if b"java" in cmdline(p)]
    assert "libjvm" not in (Path("/proc") / str(proc.pid) / "maps").read_text()


def test_serve_imports_no_jvm_bridge() -> None:
    code = ("import sys, sparkwing.cli, sparkwing.serve, uvicorn\n"
            "from sparkwing.serve._server import run\n"
            f"print(','.join(m for m in sys.modules if m.split('.')[0] in {JVM_BRIDGES!r}))")
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.strip() == ""


def test_alias_switch_under_load(server: tuple[str, Any], workspace: Path) -> None:
    base, _ = server
    batch = [{**PROSTATE_ROW, "AGE": 50 + i} for i in range(20)]
    by_version = {
        1: mojo.load(FIXTURES / "glm_binomial_prostate.zip").predict(batch)["p1"].tolist(),
        2: mojo.load(FIXTURES / "gbm_bernoulli_prostate.zip").predict(batch)["p1"].tolist(),
    }
    stop = threading.Event()
    results: list[tuple[int, int, bool]] = []  # (status, version, predictions all of that version)
    problems: list[str] = []

    def client() -> None:
        with httpx.Client(base_url=base, timeout=30) as http:
            while not stop.is_set():
                try:
                    r = http.post("/v1/models/prostate:predict", json={"rows": batch})
                except httpx.HTTPError as exc:
                    problems.append(repr(exc))
                    continue
                body = r.json()
                v = body.get("version", -1)
                same = v in by_version and [p["p1"] for p in body["predictions"]] == pytest.approx(
                    by_version[v]
                )
                results.append((r.status_code, v, bool(same)))

    threads = [threading.Thread(target=client) for _ in range(4)]
    for t in threads:
        t.start()
    reg = Registry(Workspace(workspace))
    seen: set[int] = set()
    try:
        for i in range(8):
            reg.set_alias("prostate", "production", 2 if i % 2 == 0 else 1, reason="flip")
            time.sleep(0.4)
            seen.update(v for _, v, _ in results[-20:])
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
    assert not problems and results
    assert all(status == 200 for status, _, _ in results)
    assert all(same for _, _, same in results), "a response mixed versions"
    assert {v for _, v, _ in results} == {1, 2} and seen == {1, 2}
