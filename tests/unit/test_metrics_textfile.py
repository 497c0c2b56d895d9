"""The workspace's Prometheus text file: parses, accumulates counters, keeps other pipelines."""

from __future__ import annotations

from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from sparkwing.monitor import METRICS, RunSample, StepSample, metrics_uri, record_run
from sparkwing.workspace import Workspace


def _samples(path: Path) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(path.read_text()):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def _run(pipeline: str, outcome: str, rows: int) -> RunSample:
    return RunSample(pipeline, outcome, 12.5, 1_800_000_000.0, steps=[
        StepSample("raw", "sources", "succeeded", 1.5, rows_in=rows, rows_out=rows - 10, rows_quarantined=10),
        StepSample("clean", "datasets", outcome, 2.0, rows_out=rows - 10,
                   checks_failed=int(outcome == "failed")),
        StepSample("m", "models", "succeeded", 7.0, model_metrics={"auc": 0.7}),
        StepSample("s", "scores", "skipped"),
    ])


def test_runs_fold_into_one_parsable_file(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)
    record_run(ws, _run("loans", "succeeded", 1000))
    record_run(ws, _run("loans", "failed", 500))
    uri = record_run(ws, _run("credit", "succeeded", 200))
    path = Path(uri)
    assert path == tmp_path / "metrics" / "sparkwing.prom"
    assert [p.name for p in path.parent.glob("*.prom")] == ["sparkwing.prom"]  # no temporary leftovers
    s = _samples(path)
    assert s[("sparkwing_pipeline_runs_total", (("outcome", "succeeded"), ("pipeline", "loans")))] == 1
    assert s[("sparkwing_pipeline_runs_total", (("outcome", "failed"), ("pipeline", "loans")))] == 1
    assert s[("sparkwing_pipeline_last_run_success", (("pipeline", "loans"),))] == 0
    assert s[("sparkwing_pipeline_last_run_success", (("pipeline", "credit"),))] == 1
    # the last run's gauges replace the previous ones
    assert s[("sparkwing_step_rows_in", (("pipeline", "loans"), ("step", "raw")))] == 500
    assert s[("sparkwing_source_quarantine_share", (("pipeline", "loans"), ("source", "raw")))] == 0.02
    assert s[("sparkwing_step_checks_failed", (("pipeline", "loans"), ("step", "clean")))] == 1
    assert s[("sparkwing_model_metric", (("metric", "auc"), ("model", "m"), ("pipeline", "loans")))] == 0.7
    assert s[("sparkwing_step_seconds", (("kind", "models"), ("pipeline", "credit"), ("step", "m")))] == 7.0
    skipped = (("outcome", "skipped"), ("pipeline", "loans"), ("step", "s"))
    assert s[("sparkwing_step_runs_total", skipped)] == 2
    assert ("sparkwing_step_seconds", (("kind", "scores"), ("pipeline", "loans"), ("step", "s"))) not in s
    names = {name for name, _ in s}
    assert {n.removesuffix("_total") for n in names} <= set(METRICS)
    labels = {k for _, pairs in s for k, _ in pairs}
    assert labels <= {"pipeline", "step", "kind", "source", "model", "metric", "outcome"}  # never a run id
    assert metrics_uri(ws) == str(path)


def test_a_foreign_file_is_replaced_not_fatal(tmp_path: Path) -> None:
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "sparkwing.prom").write_text("this is { not prometheus\n")
    record_run(Workspace(tmp_path), _run("loans", "succeeded", 10))
    assert _samples(tmp_path / "metrics" / "sparkwing.prom")[
        ("sparkwing_pipeline_runs_total", (("outcome", "succeeded"), ("pipeline", "loans")))] == 1
