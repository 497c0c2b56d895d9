"""``sparkwing runs report`` and ``sparkwing models report``: one offline HTML file, the UI's page.

Run through the real CLI (a subprocess); the files are checked to load nothing: no ``src``, no
``href`` but in-page anchors and ``data:``, no script, a CSP meta that forbids loading anything.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sparkwing.pipeline import RunStore
from sparkwing.ui import UiConfig, create_app
from sparkwing.workspace import Workspace
from ui_workspace import Built
from ui_workspace import ui_workspace as ui_workspace  # the fixture

SRC = Path(__file__).resolve().parents[2] / "src"


def sparkwing(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sparkwing", *args], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "PYTHONPATH": str(SRC)})  # fmt: skip


class Refs(HTMLParser):
    """Every URL-bearing attribute of a document, with its tag."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str, str]] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        for k, v in attrs:
            if k in ("src", "href", "action", "srcset", "poster", "data", "formaction", "xlink:href"):
                self.refs.append((tag, k, v or ""))


def offline(html: str) -> Refs:
    refs = Refs()
    refs.feed(html)
    outside = [r for r in refs.refs if not (r[2].startswith("#") or r[2].startswith("data:")
                                            or r[2] == "http://www.w3.org/2000/svg")]  # fmt: skip
    assert outside == [], outside[:5]
    assert "script" not in refs.tags and "<link rel=\"stylesheet\"" not in html
    assert not re.search(r"url\(|@import", html), "CSS that fetches"
    assert "default-src 'none'" in html and "<style>" in html
    return refs


def _svgs(html: str) -> list[str]:
    return re.findall(r"<svg\b.*?</svg>", html, flags=re.S)


def test_model_report_is_the_card_page_offline(ui_workspace: Built, tmp_path: Path) -> None:
    out = tmp_path / "out" / "card.html"
    ws = str(ui_workspace.root)
    done = sparkwing("-w", ws, "models", "report", "loan_default@production", "-o", str(out))
    assert done.returncode == 0, done.stderr
    html = out.read_text()
    offline(html)
    assert "loan_default v2" in html and "<script" not in html and "&lt;script&gt;" in html
    page = TestClient(create_app(UiConfig(workspace=ws))).get("/models/loan_default/2").text
    assert _svgs(html) == _svgs(page) and len(_svgs(html)) >= 4  # the same charts: one rendering path
    assert 'id="roc"' in html and 'id="confusion"' in html and "model.mojo" in html  # named, not linked
    assert 'id="reliability"' in html and "Brier score 0.1523" in html  # the calibration plot too


def test_run_report_of_a_failed_run_offline(ui_workspace: Built, tmp_path: Path) -> None:
    out = tmp_path / "run.html"
    prefix = ui_workspace.failed_run[:12]  # a unique prefix, as `runs show` takes
    done = sparkwing("-w", str(ui_workspace.root), "runs", "report", prefix, "-o", str(out))
    assert done.returncode == 0, done.stderr
    html = out.read_text()
    refs = offline(html)
    assert ("a", "href", "#failed-loans_features") in refs.refs  # in-page anchors still work
    assert "ZeroDivisionError" in html and "rows quarantined" in html and 'http-equiv="refresh"' not in html
    assert len(_svgs(html)) == 1 and _svgs(html)[0].count("<rect") == 2


def test_report_errors_are_one_line(ui_workspace: Built, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from sparkwing.cli import app

    for args, text in [(("runs", "report", "nope"), "no run 'nope'"),
                       (("models", "report", "nope@1"), "nope"), (("runs", "report", "../x"), "run id")]:
        done = CliRunner().invoke(app, ["-w", str(ui_workspace.root), *args, "-o", str(tmp_path / "x.html")])
        assert done.exit_code not in (0, 1) and done.output.count("error:") == 1, (args, done.output)
        assert text in done.output and "Traceback" not in done.output, (args, done.output)
    assert not (tmp_path / "x.html").exists()


def test_runs_link_to_their_spark_application(tmp_path: Path) -> None:
    from ui_workspace import build_workspace

    built = build_workspace(tmp_path / "ws")
    store = RunStore(Workspace(built.root))
    record = store.load("loans", built.ok_run)
    record.spark_app_id, record.spark_events = "local-1764583517930", str(built.root / "spark-events" / "x")
    store.save(record)
    url = f"/runs/loans/{built.ok_run}"
    plain = TestClient(create_app(UiConfig(workspace=str(built.root)))).get(url).text
    assert "local-1764583517930" in plain and "sparkwing history" in plain and "spark-history" not in plain
    linked = TestClient(create_app(UiConfig(workspace=str(built.root), spark_history="http://127.0.0.1:18080/")))
    html = linked.get(url).text
    assert 'href="http://127.0.0.1:18080/history/local-1764583517930/jobs/"' in html
    with pytest.raises(ValueError):
        UiConfig(spark_history="javascript:alert(1)")


def test_a_running_training_step_links_to_h2o_flow_but_not_in_a_report(tmp_path: Path) -> None:
    from sparkwing.pipeline import FlowLink, RunRecord, StepRecord
    from sparkwing.ui._report import run_report
    from ui_workspace import build_workspace

    built = build_workspace(tmp_path / "ws")
    ws = Workspace(built.root)
    link = FlowLink(url="http://127.0.0.1:41873", user="sparkwing",
                    credentials="/tmp/sparkwing-h2o-login-k2j9/credentials")
    run = RunRecord(run_id="20261202T110000Z-f10w", pipeline="loans", spec_hash="c51fab96d0001885",
                    started="2026-12-02T11:00:00.000+00:00")  # fmt: skip
    started = "2026-12-02T11:00:01.000+00:00"
    for name, status in (("glrm_feats", "succeeded"), ("loan_default", "running")):
        run.steps[name] = StepRecord(name=name, kind="models", status=status, started=started, h2o_flow=link)
    run.steps["far_away"] = StepRecord(name="far_away", kind="models", status="running", started=started,
                                       h2o_flow=FlowLink(url="http://10.0.0.7:54321", user="sparkwing"))
    RunStore(ws).save(run)
    c = TestClient(create_app(UiConfig(workspace=str(built.root))))
    html = c.get(f"/runs/loans/{run.run_id}").text
    flow = html[html.index('id="flow-loan_default"'):].split("</td>")[0]
    assert '<a href="http://127.0.0.1:41873" rel="noreferrer" target="_blank">H2O Flow</a>' in flow
    assert "login in <code>/tmp/sparkwing-h2o-login-k2j9/credentials</code>" in flow
    assert html.count("H2O Flow") == 1  # not on the finished step, nor to a cloud beyond loopback
    assert "10.0.0.7" not in html
    offline = run_report(ws, run.run_id)
    assert "H2O Flow" not in offline and "127.0.0.1:41873" not in offline and "credentials" not in offline
    run.status = "failed"  # the run ended (killed) with the step still marked running: no live link
    RunStore(ws).save(run)
    assert "H2O Flow" not in c.get(f"/runs/loans/{run.run_id}").text
