"""The UI's pages over a workspace of fixture records, through FastAPI's TestClient (no JVM)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi import HTTPException, Request
from fastapi.testclient import TestClient

from sparkwing.errors import ConfigError
from sparkwing.ui import UiConfig, Viewer, create_app
from sparkwing.ui._data import WorkspaceView
from sparkwing.workspace import Workspace
from ui_workspace import HOSTILE, QUARANTINE_LINES, Built
from ui_workspace import ui_workspace as ui_workspace  # the fixture

SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture(scope="module")
def client(ui_workspace: Built) -> TestClient:
    return TestClient(create_app(UiConfig(workspace=str(ui_workspace.root))))


def _svgs(html: str) -> list[str]:
    return re.findall(r"<svg\b.*?</svg>", html, flags=re.S)


def _all_pages(b: Built) -> list[str]:
    return [
        "/", "/pipelines/loans", f"/pipelines/{quote(HOSTILE, safe='')}", f"/runs/loans/{b.ok_run}",
        f"/runs/loans/{b.failed_run}", f"/runs/{quote(HOSTILE, safe='')}/{b.running_run}", "/tables",
        "/tables/credit/loans_clean", "/models", "/models/loan_default", "/models/loan_default/1",
        "/models/loan_default/2",
    ]  # fmt: skip


def test_every_page_renders_and_is_escaped(client: TestClient, ui_workspace: Built) -> None:
    for url in _all_pages(ui_workspace):
        r = client.get(url)
        assert r.status_code == 200, url
        assert r.headers["content-type"].startswith("text/html")
        assert "script-src 'none'" in r.headers["content-security-policy"]
        assert "<script" not in r.text, url  # no page has a script, hostile values included
        assert "<img src=x" not in r.text, url
        assert "<b>not bold</b>" not in r.text


def test_pipelines_list_last_run_status_and_sparkline(client: TestClient, ui_workspace: Built) -> None:
    html = client.get("/").text
    row = html[html.index('href="/pipelines/loans"'):].split("</tr>")[0]
    assert ui_workspace.failed_run in row and "failed" in row and "1m 10s" in row
    spark = _svgs(row)[0]
    assert spark.count("<rect") == 2 and "st-failed" in spark and "st-succeeded" in spark
    assert quote(HOSTILE, safe="") in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert client.get(f"/pipelines/{quote(HOSTILE, safe='')}").status_code == 200


def test_run_page_of_a_successful_run(client: TestClient, ui_workspace: Built) -> None:
    html = client.get(f"/runs/loans/{ui_workspace.ok_run}").text
    timeline = _svgs(html[html.index('id="timeline"'):])[0]
    assert timeline.count("<rect") == 5 and 'aria-label="timeline of 5 steps"' in timeline
    assert ">999<" in html  # rows out
    assert "not_null" in html and "in_range" in html  # checks
    assert 'href="/tables/credit/loans_clean"' in html and "20261201T100456Z-cf3b" in html
    assert 'href="/models/loan_default/1"' in html and "promoted to production" in html


def test_failed_run_shows_error_hint_and_python_traceback(client: TestClient, ui_workspace: Built) -> None:
    html = client.get(f"/runs/loans/{ui_workspace.failed_run}").text
    assert "ZeroDivisionError: division by zero" in html
    assert "hint: fix ratio() in steps.py" in html and "hint: the traceback is the python step" in html
    tb = html[html.index('id="failed-loans_features"'):]
    assert '<pre>Traceback (most recent call last):\n  File &#34;steps.py&#34;, line 7' in tb
    assert "&lt;b&gt;not bold&lt;/b&gt;" in tb
    assert 'class="fail"' in html and "FAILED" in html  # the failing check
    assert "upstream &#39;loans_features&#39; failed" in html  # why a step was skipped


def test_quarantine_counts_reasons_sample_and_download(client: TestClient, ui_workspace: Built) -> None:
    url = f"/runs/loans/{ui_workspace.failed_run}"
    html = client.get(url).text
    q = html[html.index('id="quarantine-loans_raw"'):]
    assert f"{QUARANTINE_LINES:,} rows quarantined" in q
    assert "int_rate: not a double" in q and f"{QUARANTINE_LINES - 1:,}" in q
    sample = q[q.index('class="grid sample"'):].split("</table>")[0]
    assert sample.count("<tr>") == 20 + 1  # the default sample, plus the header row
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in sample
    assert "_SUCCESS" not in q
    link = re.search(r'href="([^"]+part-00000-abc\.json)"', q)
    assert link
    got = client.get(link.group(1))
    assert got.status_code == 200 and "attachment" in got.headers["content-disposition"]
    qfile = Path(ui_workspace.root, "quarantine", "loans", ui_workspace.failed_run, "loans_raw",
                 "part-00000-abc.json")  # fmt: skip
    assert got.content == qfile.read_bytes()


def test_the_quarantine_sample_reads_only_the_head_of_a_file(ui_workspace: Built) -> None:
    config = UiConfig(workspace=str(ui_workspace.root), sample_lines=1000, sample_bytes=4096)
    view = WorkspaceView(Workspace(ui_workspace.root), config)
    (q,) = view.quarantine(view.run("loans", ui_workspace.failed_run))
    assert q.sampled_bytes == 4096 and q.files[0].size and q.files[0].size > 100 * 4096
    assert 0 < len(q.sample) < 100
    assert [s.line for s in q.sample] == list(range(2, 2 + len(q.sample)))  # whole lines, in order
    assert all(s.reason == "int_rate: 'abc' is not a double" for s in q.sample)


def test_a_running_run_refreshes_itself(client: TestClient, ui_workspace: Built) -> None:
    html = client.get(f"/runs/{quote(HOSTILE, safe='')}/{ui_workspace.running_run}").text
    assert '<meta http-equiv="refresh" content="5">' in html
    assert "st-running" in _svgs(html[html.index('id="timeline"'):])[0]


def test_tables_and_version_history(client: TestClient) -> None:
    html = client.get("/tables").text
    assert 'href="/tables/credit/loans_clean"' in html and "20261202T090000Z-beef" in html
    html = client.get("/tables/credit/loans_clean").text
    assert html.count("<details>") == 2 and "addr_state" in html and "1,001" in html and "1,000" in html
    assert "current</span>" in html


def test_model_list_versions_and_alias_log(client: TestClient) -> None:
    html = client.get("/models").text
    assert 'href="/models/loan_default"' in html and "production → v2" in html and "auc = 0.619574" in html
    html = client.get("/models/loan_default").text
    assert 'href="/models/loan_default/2"' in html and 'href="/runs/loans/20261201T100456Z-cf3b"' in html
    log = html[html.index('id="alias-log"'):]
    assert log.count("<tr>") == 3 and "better auc &lt;script&gt;" in log


def test_model_card_metrics_curves_confusion_importance_lineage(client: TestClient) -> None:
    html = client.get("/models/loan_default/2").text
    metrics = html[html.index('id="metrics"'):].split("</table>")[0]
    assert "<th>holdout</th><th>cv</th>" in metrics and "0.7012" in metrics
    roc, pr = _svgs(html[html.index('id="roc"'):])[0], _svgs(html[html.index('id="pr"'):])[0]
    assert roc.count("<polyline") == 1 and 'class="diagonal"' in roc and "AUC 0.6196" in roc
    assert len(re.search(r'points="([^"]+)"', pr).group(1).split()) == 5  # type: ignore[union-attr]
    confusion = html[html.index('id="confusion"'):]
    assert ">120<" in confusion and ">24<" in confusion and "181 rows" in confusion
    assert "&lt;script&gt;" in confusion  # a class label is data, not markup
    assert _svgs(html[html.index('id="importance"'):])[0].count("<rect") == 20
    board = html[html.index('id="leaderboard"'):]
    assert _svgs(board)[0].count("<rect") == 8 and 'class="chosen"' in board
    assert 'href="/tables/credit/loans_clean"' in html and "5d12a6163e5b3b7c22779786ec080ec1" in html


def test_a_card_without_curves_has_no_curve_section(client: TestClient) -> None:
    html = client.get("/models/loan_default/1").text
    assert 'id="curves"' not in html and 'id="confusion"' in html and "none for this model" in html


def test_model_card_calibration_plot(client: TestClient) -> None:
    html = client.get("/models/loan_default/2").text
    section = html[html.index('id="calibration"'):].split("</section>")[0]
    svg = _svgs(section)[0]
    assert 'class="diagonal"' in svg and svg.count("<polyline") == 1
    assert svg.count("<circle") == 9 and svg.count('class="bar"') == 9  # nine bins with rows, one empty
    assert "mean predicted probability" in svg and "rows per bin" in svg
    assert "&lt;script&gt;" in svg and "<script" not in section  # the class label is data, not markup
    assert "holdout, 181 rows" in section and "Brier score 0.1523" in section
    assert "expected calibration error 0.0412" in section
    old = client.get("/models/loan_default/1").text  # a card from before the bins were recorded
    assert 'id="calibration"' in old and "not recorded for this model version" in old


def test_a_regression_card_has_no_calibration_section(tmp_path: Path) -> None:
    from sparkwing.registry import Metrics, ModelCard, Registry

    ws = Workspace(str(tmp_path / "ws"))
    mojo = tmp_path / "model.mojo"
    mojo.write_bytes(b"not a MOJO")
    card = ModelCard(task="regression", target="price", metrics=Metrics(holdout={"rmse": 1.5}))
    Registry(ws).register("prices", mojo_path=mojo, card=card)
    html = TestClient(create_app(UiConfig(workspace=str(tmp_path / "ws")))).get("/models/prices/1").text
    assert "rmse" in html and 'id="calibration"' not in html and "not recorded" not in html


def test_artifact_download(client: TestClient) -> None:
    r = client.get("/models/loan_default/2/files/model.mojo")
    assert r.status_code == 200 and r.content.startswith(b"not a real MOJO")


@pytest.mark.parametrize("url", [
    "/runs/loans/..", "/runs/loans/%2E%2E", "/runs/%2E%2E/loans", "/runs/loans/..%2F..%2Fmodels",
    "/runs/loans/%2e%2e%2f%2e%2e%2fetc", "/pipelines/..%2Fmodels", "/tables/credit/%2E%2E",
    "/tables/..%2F../x",
    "/models/%2E%2E", "/models/loan_default/..%2F..", "/models/loan_default/1/files/../../../../etc/passwd",
    "/models/loan_default/1/files/card.json", "/models/loan_default/1/files/%2E%2E%2Fcard.json",
    "/runs/loans/20261202T090000Z-beef/quarantine/loans_raw/_SUCCESS",
    "/runs/loans/20261202T090000Z-beef/quarantine/loans_raw/..%2F..%2F..%2Fruns%2Floans",
    "/runs/loans/20261202T090000Z-beef/quarantine/..%2Floans_raw/part-00000-abc.json",
    "/runs/loans/20261202T090000Z-beef/run.json", "/nope",
    "/quality/..%2Fmodels", "/quality/%2E%2E", "/quality/%2e%2e%2f%2e%2e%2fetc",
])  # fmt: skip
def test_paths_cannot_escape_the_workspace(client: TestClient, url: str) -> None:
    """Encoded dots and slashes reach the app as names (plain ``..`` segments the client resolves).

    A name that breaks the name rules is a 400 (sparkwing.config.check_name); a valid name that
    is not in the workspace a 404.
    """
    r = client.get(url)
    assert r.status_code in (400, 404), url
    assert "root:" not in r.text and "<script" not in r.text


@pytest.mark.parametrize("url", [
    "/models/%2E%2E/promote", "/models/..%2Floan_default/promote", "/tables/credit/%2E%2E/rollback",
    "/tables/..%2Fcredit/loans_clean/rollback", "/tables/credit.db/..%2F..%2Fx/rollback",
])  # fmt: skip
def test_form_paths_cannot_escape_the_workspace_either(client: TestClient, url: str) -> None:
    """No login here, so no change is allowed at all (403); a bad name may be refused first."""
    r = client.post(url, data={"version": "1", "alias": "production"})
    assert r.status_code in (400, 403, 404), url


def test_read_only(client: TestClient) -> None:
    assert client.post("/").status_code == 405
    assert client.delete("/models/loan_default").status_code == 405


def test_an_empty_workspace(tmp_path: Path) -> None:
    c = TestClient(create_app(UiConfig(workspace=str(tmp_path / "empty"))))
    for url, text in [("/", "No runs"), ("/tables", "No published tables"), ("/models", "No registered")]:
        r = c.get(url)
        assert r.status_code == 200 and text in r.text


def test_the_authenticate_hook_guards_every_page(ui_workspace: Built) -> None:
    def deny(request: Request) -> Viewer:
        raise HTTPException(403, "viewer role required")

    c = TestClient(create_app(UiConfig(workspace=str(ui_workspace.root)), authenticate=deny))
    for url in [*_all_pages(ui_workspace), "/models/loan_default/2/files/model.mojo"]:
        r = c.get(url)
        assert r.status_code == 403 and "viewer role required" in r.text, url


def test_refuses_to_listen_beyond_loopback_without_a_login() -> None:
    UiConfig(host="127.0.0.1").check()
    UiConfig(host="::1").check()
    with pytest.raises(ConfigError, match="no login"):
        UiConfig(host="0.0.0.0").check()
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    proc = subprocess.run([sys.executable, "-m", "sparkwing", "ui", "--host", "0.0.0.0"], env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert proc.returncode != 0 and "no login" in proc.stderr


def test_the_ui_loads_no_jvm_bridge() -> None:
    code = ("import sys, sparkwing.ui, sparkwing.ui._app; "
            "print([m for m in ('pyspark', 'py4j', 'pysparkling', 'h2o') if m in sys.modules])")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(SRC)},
                         capture_output=True, text=True, timeout=120, check=True)  # fmt: skip
    assert out.stdout.strip() == "[]"


def test_table_preview_reads_the_first_rows_with_duckdb(client: TestClient) -> None:
    html = client.get("/tables/credit/loans_clean").text
    preview = html[html.index('id="preview"'):]
    assert "First rows of 20261202T090000Z-beef" in preview
    assert preview.count("<tr>") == 21  # the header and the first 20 of 30 rows
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</th>" in preview  # a column name, escaped
    assert "the first of more" in preview
    assert "<script" not in html


def test_a_table_without_readable_files_has_a_reason_not_a_preview(tmp_path: Path) -> None:
    from ui_workspace import build_workspace

    built = build_workspace(tmp_path / "ws")
    for part in (built.root / "warehouse" / "credit.db" / "loans_clean").rglob("*.parquet"):
        part.write_bytes(b"not parquet")
    r = TestClient(create_app(UiConfig(workspace=str(built.root)))).get("/tables/credit/loans_clean")
    assert r.status_code == 200 and "No preview:" in r.text


def test_gains_and_lift_are_exact_from_the_stored_roc_and_confusion_matrix() -> None:
    """Against a brute-force count over scored rows: the share of rows at or above each threshold
    and the share of positives among them."""
    import json
    import random

    from sparkwing.registry import ConfusionMatrix, Curves, ModelCard, RocCurve
    from sparkwing.ui import _pages
    from ui_workspace import FIXTURES

    rnd = random.Random(7)
    rows = [(rnd.random(), rnd.random() < 0.3) for _ in range(997)]
    rows = [(min(1.0, s + (0.3 if y else 0.0)), y) for s, y in rows]
    pos = sum(y for _, y in rows)
    neg = len(rows) - pos
    thresholds = [0.95, 0.8, 0.6, 0.4, 0.2, 0.05]
    tpr = [sum(y for s, y in rows if s >= t) / pos for t in thresholds]
    fpr = [sum(not y for s, y in rows if s >= t) / neg for t in thresholds]
    card = ModelCard.load(json.loads((FIXTURES / "cards" / "v1_loans_automl.json").read_text()))
    card = card.model_copy(update={
        "curves": Curves(roc=RocCurve(thresholds=thresholds, fpr=fpr, tpr=tpr)),
        "metrics": card.metrics.model_copy(update={"confusion_matrix": ConfusionMatrix(
            labels=["0", "1"], matrix=[[neg - 10, 10], [pos - 20, 20]])}),
        "rows": card.rows.model_copy(update={"holdout": len(rows)}),
    })  # fmt: skip
    got = _pages.gains_points(card)
    assert got is not None and got[0] == (0.0, 0.0) and got[-1] == (1.0, 1.0)
    for t, (depth, gain) in zip(thresholds, got[1:-1], strict=True):
        assert depth == pytest.approx(sum(s >= t for s, _ in rows) / len(rows))
        assert gain == pytest.approx(sum(y for s, y in rows if s >= t) / pos)
    assert 'aria-label="cumulative gains (holdout)"' in str(_pages.gains(card))
    assert "lift over random" in str(_pages.lift(card))
    other = card.model_copy(update={"rows": card.rows.model_copy(update={"holdout": 5})})
    assert _pages.gains_points(other) is None  # not the curve's rows: no chart rather than a wrong one


def test_card_page_has_gains_and_lift_when_exact(client: TestClient) -> None:
    v2 = client.get("/models/loan_default/2").text
    assert 'id="gains"' in v2 and 'id="lift"' in v2
    assert 'id="gains"' not in client.get("/models/loan_default/1").text  # v1 stores no ROC
