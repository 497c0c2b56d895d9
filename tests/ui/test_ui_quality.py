"""The data-quality page: each check's figure over the last runs, from the records, limits drawn."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sparkwing.pipeline import RunRecord, RunStore, StepRecord
from sparkwing.ui import UiConfig, create_app
from sparkwing.ui._quality import quality_series
from sparkwing.workspace import Workspace
from ui_workspace import SCRIPT

SHARES = [0.01, 0.02, 0.08, None, 0.03]  # the third run fails max_null_share 0.05; the fourth lacks it


def _run(i: int, share: float | None) -> RunRecord:
    run = RunRecord(run_id=f"2026120{i + 1}T080000Z-000{i}", pipeline="dq", spec_hash="x",
                    status="succeeded", started=f"2026-12-0{i + 1}T08:00:00+00:00", seconds=10.0)  # fmt: skip
    run.steps["raw"] = StepRecord.model_validate({
        "name": "raw", "kind": "sources", "status": "succeeded", "rows_in": 1000 + i,
        "rows_out": 1000 - 10 * i, "rows_quarantined": 10 * i + i,
        "details": {"kind": "sources", "max_quarantine_share": 0.05} if i else {"kind": "sources"},
    })  # fmt: skip
    checks = [{"kind": "row_count", "columns": [], "severity": "error", "passed": True,
               "observed": {"rows": 1000 - 10 * i, "min": 900, "max": None}},
              {"kind": "in_range", "columns": ["rate"], "severity": "error", "passed": True,
               "observed": {"out_of_range": {"rate": 0}, "min": {"rate": 1.0 + i}, "max": {"rate": 20.0},
                            "bounds": {"rate": [0.0, 40.0]}}},
              {"kind": "not_null", "columns": [SCRIPT], "severity": "error", "passed": i != 1,
               "observed": {"null_count": {SCRIPT: 5 if i == 1 else 0}, "rows": 1000}}]  # fmt: skip
    if share is not None:
        checks.append({"kind": "max_null_share", "columns": ["emp"], "severity": "warn",
                       "passed": share <= 0.05,
                       "observed": {"null_share": {"emp": share}, "null_count": {"emp": int(share * 1000)},
                                    "rows": 1000, "max_share": {"emp": 0.05}}})  # fmt: skip
    checks.append({"kind": "some_future_kind", "observed": {"x": 1}})
    run.steps["clean"] = StepRecord.model_validate(
        {"name": "clean", "kind": "datasets", "status": "succeeded", "checks": checks})
    return run


@pytest.fixture(scope="module")
def dq(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[RunRecord]]:
    root = tmp_path_factory.mktemp("dq") / "ws"
    runs = [_run(i, s) for i, s in enumerate(SHARES)]
    store = RunStore(Workspace(root))
    for r in runs:
        store.save(r)
    return root, runs


def test_series_per_check_column_and_figure_oldest_first(dq: tuple[Path, list[RunRecord]]) -> None:
    _, runs = dq
    found = {(s.step, s.title): s for s in quality_series(list(reversed(runs)))}
    share = found[("clean", "max_null_share(emp): null share")]
    assert [p.value for p in share.points] == SHARES
    assert [p.passed for p in share.points] == [True, True, False, None, True]
    assert [(t.label, t.value) for t in share.thresholds] == [("max", 0.05)]
    rows = found[("clean", "row_count: rows")]
    assert [p.value for p in rows.points] == [1000, 990, 980, 970, 960]
    assert [(t.label, t.value) for t in rows.thresholds] == [("min", 900)]
    low = found[("clean", "in_range(rate): smallest value")]
    assert [p.value for p in low.points] == [1, 2, 3, 4, 5] and low.thresholds[0].value == 0.0
    assert found[("clean", "in_range(rate): largest value")].thresholds[0].value == 40.0
    nulls = found[("clean", f"not_null({SCRIPT}): null share")]
    assert nulls.points[1].value == 0.005 and nulls.failures == 1 and nulls.thresholds[0].value == 0
    q = found[("raw", "quarantined share")]
    assert q.points[0].value == 0 and q.points[2].value == pytest.approx(22 / 1002)
    assert [(t.label, t.value) for t in q.thresholds] == [("max", 0.05)]  # older records lack the limit
    assert found[("raw", "rows read")].points[-1].value == 1004
    assert not any("future" in s.title for s in found.values())


def test_quality_page_draws_every_series_with_limits(dq: tuple[Path, list[RunRecord]]) -> None:
    root, _ = dq
    c = TestClient(create_app(UiConfig(workspace=str(root))))
    assert 'href="/quality/dq"' in c.get("/pipelines/dq").text
    html = c.get("/quality/dq").text
    assert "<script" not in html and "&lt;script&gt;" in html
    figures = re.findall(r'<figure class="quality".*?</figure>', html, flags=re.S)
    assert len(figures) == 7
    share = next(f for f in figures if "max_null_share(emp)" in f)
    assert share.count("<circle") == 4  # the run without the figure is a gap
    assert share.count('class="dot fail"') == 1
    assert share.count("<polyline") == 1  # the lone newest value after the gap: a dot only
    assert 'class="limit"' in share and "max 5.00%" in share and "failed in 1 run" in share
    rows = next(f for f in figures if "row_count" in f)
    assert "min 900" in rows and rows.count("<circle") == 5
    assert len(re.findall(r'<figure class="quality"', c.get("/quality/dq?runs=2").text)) == 7
    assert c.get("/quality/dq?runs=2").text.count("<circle") < html.count("<circle")
    assert c.get("/quality/nope").status_code == 404
    assert c.get("/quality/..%2Fmodels").status_code in (400, 404)
    assert c.get("/quality/dq?runs=100000").status_code == 422


def test_pipelines_page_shows_the_next_scheduled_run(dq: tuple[Path, list[RunRecord]], tmp_path: Path,
                                                     ) -> None:
    """The hook `sparkwing ui` passes: the scheduler's state names the spec, whose cron gives the time."""
    from datetime import datetime, timezone

    from sparkwing.cli._ui import next_runs
    from sparkwing.schedule import CronSchedule, PipelineState, StateStore

    root, _ = dq
    spec = tmp_path / "dq.yaml"
    spec.write_text("name: dq\nsources:\n  raw: {uri: a.csv}\n"
                    "schedule: {cron: '30 2 * * *', timezone: Europe/Paris}\n")  # fmt: skip
    ws = Workspace(root)
    StateStore(ws).save(PipelineState(pipeline="dq", spec_path=str(spec)))
    before = datetime.now(timezone.utc)
    html = TestClient(create_app(UiConfig(workspace=str(root)), next_run=next_runs(ws))).get("/").text
    fire = CronSchedule("30 2 * * *", "Europe/Paris").next_after(before)
    cell = html[html.index('class="next-run"'):].split("</td>")[0]
    assert fire.isoformat() in cell and "cron &#39;30 2 * * *&#39; Europe/Paris" in cell
    assert "no scheduler running" in cell
    spec.unlink()  # moved since it was scheduled: no next run, and the page still renders
    page = TestClient(create_app(UiConfig(workspace=str(root)), next_run=next_runs(ws))).get("/")
    assert page.status_code == 200 and fire.isoformat() not in page.text
