"""Pipeline metrics as a Prometheus text file per workspace: ``<workspace>/metrics/sparkwing.prom``.

node-exporter's textfile collector reads ``*.prom`` files from a directory; a file is written
to a temporary name beside it and renamed over it, so a scrape never sees half a file (the
workspace storage's compare-and-swap does exactly that, and retries when two runs finish at
once).  The scheduler daemon serves the same file on ``/metrics``.

Every run of a pipeline replaces that pipeline's gauges (its last run) and adds to its
counters; other pipelines' series are kept.  Labels are bounded by the spec -- ``pipeline``,
``step``, ``kind``, ``source``, ``model``, ``metric``, ``outcome`` -- never a run id.
:data:`METRICS` is the catalogue (docs/monitoring.md lists it).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.parser import text_string_to_metric_families

from sparkwing.workspace import Workspace

FILE = "sparkwing.prom"

#: name -> (type, labels, help).  Counters are exposed with the ``_total`` suffix.
METRICS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "sparkwing_pipeline_runs": ("counter", ("pipeline", "outcome"), "Runs finished, by outcome."),
    "sparkwing_pipeline_last_run_seconds": ("gauge", ("pipeline",), "Duration of the last run."),
    "sparkwing_pipeline_last_run_timestamp_seconds": (
        "gauge", ("pipeline",), "When the last run finished (Unix time)."),
    "sparkwing_pipeline_last_run_success": ("gauge", ("pipeline",), "1 if the last run succeeded, else 0."),
    "sparkwing_step_runs": ("counter", ("pipeline", "step", "outcome"), "Steps finished, by outcome."),
    "sparkwing_step_seconds": ("gauge", ("pipeline", "step", "kind"), "Step duration in the last run."),
    "sparkwing_step_rows_in": ("gauge", ("pipeline", "step"), "Rows a step read in the last run."),
    "sparkwing_step_rows_out": ("gauge", ("pipeline", "step"), "Rows a step produced in the last run."),
    "sparkwing_step_checks_failed": (
        "gauge", ("pipeline", "step"), "Quality checks (and drift gates) failed in the last run."),
    "sparkwing_source_rows_quarantined": (
        "gauge", ("pipeline", "source"), "Rows of a source quarantined in the last run."),
    "sparkwing_source_quarantine_share": (
        "gauge", ("pipeline", "source"), "Share of a source's rows quarantined in the last run."),
    "sparkwing_model_metric": (
        "gauge", ("pipeline", "model", "metric"),
        "Holdout (else cv) metric of the version trained in the last run."),
    "sparkwing_score_drift_max_psi": (
        "gauge", ("pipeline", "step"), "Largest PSI (features, prediction) of a score step's last run."),
}


@dataclass
class StepSample:
    """One step of a finished run, as the metrics see it."""

    step: str
    kind: str
    outcome: str  # succeeded | failed | skipped | pending
    seconds: float | None = None
    rows_in: int | None = None
    rows_out: int | None = None
    rows_quarantined: int | None = None
    checks_failed: int = 0
    model_metrics: dict[str, float] = field(default_factory=dict)
    drift_max_psi: float | None = None


@dataclass
class RunSample:
    """A finished run: what the text file records of it."""

    pipeline: str
    outcome: str  # succeeded | failed
    seconds: float
    finished: float  # Unix time
    steps: list[StepSample] = field(default_factory=list)


Key = tuple[str, tuple[tuple[str, str], ...]]


def _parse(text: str) -> dict[Key, float]:
    """The samples of a file this module wrote (``_total`` kept off counter names)."""
    out: dict[Key, float] = {}
    for family in text_string_to_metric_families(text):
        if family.name not in METRICS:
            continue
        for s in family.samples:
            if s.name.endswith("_created"):
                continue
            out[(family.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def _apply(state: dict[Key, float], run: RunSample) -> dict[Key, float]:
    """Drop the pipeline's gauges, then add this run's gauges and counts."""
    p = run.pipeline
    kept = {k: v for k, v in state.items()
            if METRICS[k[0]][0] == "counter" or dict(k[1]).get("pipeline") != p}

    def put(name: str, value: float | None, **labels: str) -> None:
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            return
        key = (name, tuple(sorted({"pipeline": p, **labels}.items())))
        kept[key] = kept.get(key, 0.0) + value if METRICS[name][0] == "counter" else float(value)

    put("sparkwing_pipeline_runs", 1, outcome=run.outcome)
    put("sparkwing_pipeline_last_run_seconds", run.seconds)
    put("sparkwing_pipeline_last_run_timestamp_seconds", run.finished)
    put("sparkwing_pipeline_last_run_success", 1.0 if run.outcome == "succeeded" else 0.0)
    for s in run.steps:
        put("sparkwing_step_runs", 1, step=s.step, outcome=s.outcome)
        if s.outcome in ("pending", "skipped"):
            continue
        put("sparkwing_step_seconds", s.seconds, step=s.step, kind=s.kind)
        put("sparkwing_step_rows_in", s.rows_in, step=s.step)
        put("sparkwing_step_rows_out", s.rows_out, step=s.step)
        put("sparkwing_step_checks_failed", s.checks_failed, step=s.step)
        if s.kind == "sources" and s.rows_quarantined is not None:
            put("sparkwing_source_rows_quarantined", s.rows_quarantined, source=s.step)
            if s.rows_in:
                put("sparkwing_source_quarantine_share", s.rows_quarantined / s.rows_in, source=s.step)
        for metric, value in s.model_metrics.items():
            put("sparkwing_model_metric", value, model=s.step, metric=metric)
        put("sparkwing_score_drift_max_psi", s.drift_max_psi, step=s.step)
    return kept


class _Samples:
    """A prometheus_client collector over a parsed state (so the library writes the format)."""

    def __init__(self, state: dict[Key, float]) -> None:
        self.state = state

    def collect(self) -> Iterator[Metric]:
        for name, (kind, labels, doc) in METRICS.items():
            family: Metric = (CounterMetricFamily if kind == "counter" else GaugeMetricFamily)(
                name, doc, labels=list(labels))
            for (metric, pairs), value in sorted(self.state.items()):
                if metric == name:
                    d = dict(pairs)
                    family.add_metric([d.get(label, "") for label in labels], value)  # type: ignore[attr-defined]
            yield family


def render(state: dict[Key, float]) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Samples(state))  # type: ignore[arg-type]
    return generate_latest(registry)


def metrics_uri(workspace: Workspace) -> str:
    return workspace.join("metrics", FILE)


def record_run(workspace: Workspace, run: RunSample, *, attempts: int = 20) -> str:
    """Fold ``run`` into the workspace's metrics file (compare-and-swap, atomic); returns its URI."""
    uri = metrics_uri(workspace)
    storage = workspace.storage
    for _ in range(attempts):
        current = storage.read_versioned(uri)
        try:
            state = _parse(current[0].decode()) if current else {}
        except ValueError:  # not a file this module wrote: start again rather than fail the run
            state = {}
        if storage.replace_if(uri, render(_apply(state, run)), current[1] if current else None):
            return uri
    raise OSError(f"{uri} kept changing while this run wrote it ({attempts} tries)")
