"""What each kind of node does when it runs.  Each function fills in its StepRecord."""

from __future__ import annotations

import logging
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sparkwing.auth import AuditLog
from sparkwing.config import TABLE_FORMATS, ModelRef, PipelineSpec, Settings, StepGraph, TableSpec
from sparkwing.errors import CheckFailed, ConfigError
from sparkwing.monitor import DriftReport
from sparkwing.pipeline._details import (
    DatasetDetails,
    FeaturesDetails,
    Fingerprint,
    ModelDetails,
    PrepStepStats,
    ScoreDetails,
    SourceDetails,
    TableDetails,
)
from sparkwing.pipeline._lock import PipelineLock
from sparkwing.pipeline._record import FlowLink, RunRecord, RunStore, StepRecord
from sparkwing.registry import Lineage, SourceFingerprint, SourceLineage, TableLineage
from sparkwing.workspace import Workspace

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from sparkwing.engine import EngineLogs, FlowLogin, H2OCloud

log = logging.getLogger("sparkwing.pipeline")


@dataclass
class RunContext:
    spark: SparkSession
    settings: Settings
    spec: PipelineSpec
    graph: StepGraph
    workspace: Workspace
    record: RunRecord
    outputs: dict[str, Any] = field(default_factory=dict)  # node name -> DataFrame / ModelVersion
    consumers: dict[str, int] = field(default_factory=dict)  # node name -> downstream count
    pending_stats: dict[str, list[Any]] = field(default_factory=dict)  # dataset -> StepStats
    cleanups: list[Any] = field(default_factory=list)  # called when the run ends
    logs: EngineLogs | None = None  # where the engine's output goes
    cloud: H2OCloud | None = None  # started by the first step that needs H2O
    cloud_error: Exception | None = None  # H2O failed to start: later steps fail alike, no retry
    turns: PipelineLock | None = None  # parallel backfill: taken around table/model/score steps
    flow: FlowLogin | None = None  # h2o.flow: the cloud's Flow URL and credentials file
    _registry: Any = None

    @property
    def run_id(self) -> str:
        return self.record.run_id

    @property
    def registry(self) -> Any:
        if self._registry is None:
            from sparkwing.registry import Registry

            self._registry = Registry(self.workspace)
        return self._registry

    def h2o(self) -> H2OCloud:
        """The run's H2O cloud, started on first use and stopped when the run ends."""
        if self.cloud_error is not None:
            # A second start in the same JVM kills it ("Extensions already registered").
            raise self.cloud_error
        if self.cloud is None:
            from sparkwing.engine import start_h2o

            try:
                self.cloud = start_h2o(self.spark, self.settings, logs=self.logs)
            except Exception as exc:
                self.cloud_error = exc
                raise
            if self.settings.h2o.flow:
                self._open_flow(self.cloud)
        if self.flow is not None:
            self._link_flow(self.flow)
        return self.cloud

    def _open_flow(self, cloud: H2OCloud) -> None:
        """``h2o.flow``: the cloud's login in a ``0600`` file, one console line (never the password)."""
        from sparkwing.engine import open_flow

        self.flow = open_flow(cloud, self.settings)
        if self.flow is None:
            return
        self.cleanups.append(self._close_flow)
        where = f"password in {self.flow.credentials}" if self.flow.credentials else "your h2o.conf login"
        log.info("H2O Flow on %s while training runs (user %s, %s; readable by you only, removed "
                 "when the run ends)", self.flow.url, self.flow.user, where)

    def _link_flow(self, flow: FlowLogin) -> None:
        """The running step's record carries the Flow link, saved now for ``sparkwing ui``."""
        link = FlowLink(url=flow.url, user=flow.user, credentials=flow.credentials)
        running = [s for s in self.record.steps.values() if s.status == "running" and s.h2o_flow != link]
        for step in running:
            step.h2o_flow = link
        if running:
            RunStore(self.workspace).save(self.record)

    def _close_flow(self) -> None:
        """The run ends: no step links to Flow any more; the credentials file goes."""
        for step in self.record.steps.values():
            step.h2o_flow = None
        if self.flow is not None:
            self.flow.remove()
            self.flow = None

    def dataframe(self, name: str) -> DataFrame:
        """The output of an upstream node as a DataFrame (a published table is read back)."""
        if name in self.outputs:
            return self.outputs[name]
        if self.graph.nodes[name].kind == "tables":
            self.outputs[name] = self.spark.table(name)
            return self.outputs[name]
        raise ConfigError(f"{name!r} has no output in this run", hint="is it a model? use a table")


def run_source(ctx: RunContext, name: str, step: StepRecord) -> None:
    from sparkwing.lake import SourceContext, pinned_selection, read_source

    src = ctx.spec.sources[name]
    before = step.details.incremental if isinstance(step.details, SourceDetails) else None
    sctx = SourceContext(ctx.settings, ctx.workspace, ctx.spec.name, ctx.run_id, ctx.spec.base_dir,
                         incremental=pinned_selection(before) if src.incremental and before else None)
    result = read_source(ctx.spark, name, src, sctx)
    ctx.outputs[name] = result.df
    ctx.cleanups.append(result.release)
    step.rows_in = result.rows_read
    step.rows_out = result.rows_accepted
    step.rows_quarantined = result.rows_quarantined
    step.details = SourceDetails(
        format=src.resolved_format,
        uri=src.uri,
        quarantine=result.quarantine_uri,
        quarantine_reasons=result.reasons,
        max_quarantine_share=(src.max_quarantine_share if src.max_quarantine_share is not None
                              else ctx.settings.lake.max_quarantine_share),  # the limit it was held to
        fingerprint=Fingerprint.model_validate(result.fingerprint),
        # JSON keys not in the declared columns (dropped from the data, counted here)
        extra_keys=result.extra_keys or None,
        # SVMLight: the index base and how it was chosen
        zero_based=result.zero_based.to_dict() if result.zero_based is not None else None,
        incremental=result.incremental,
    )


def run_dataset(ctx: RunContext, name: str, step: StepRecord) -> None:
    from pyspark import StorageLevel

    from sparkwing.prep import apply_steps, gate, run_checks

    spec = ctx.spec.datasets[name]
    df = ctx.dataframe(spec.from_)
    inputs = {ref: ctx.dataframe(ref) for s in spec.steps for ref in s.references}
    df, stats = apply_steps(df, spec.steps, inputs=inputs, dataset=name)
    if spec.checks or ctx.consumers.get(name, 0) > 1:
        # Checks and several consumers would each recompute the steps: compute them once.
        df = df.persist(StorageLevel.MEMORY_AND_DISK)
        # Released when the run ends, failed or not: a cached plan left behind would answer the
        # next run's identical plan over changed files (the scheduler and sw.Pipeline reuse Spark).
        ctx.cleanups.append(df.unpersist)
    results = run_checks(df, spec.checks) if spec.checks else []
    step.checks = [r.to_dict() for r in results]
    if spec.checks:
        step.rows_out = _row_count(results) if _row_count(results) is not None else df.count()
        record_step_stats(step, stats)
    else:
        ctx.pending_stats[name] = stats  # observed by the first action downstream (a publish)
    ctx.outputs[name] = df
    gate(results, dataset=name)


def record_step_stats(step: StepRecord, stats: list[Any]) -> None:
    """Figures the prep steps observed (cast failures, rows filtered out) into the record."""
    from sparkwing.prep import resolve_stats

    resolve_stats(stats)
    _dataset_details(step).steps = [PrepStepStats.model_validate(s.to_dict()) for s in stats if s.notes]


def _dataset_details(step: StepRecord) -> DatasetDetails:
    if not isinstance(step.details, DatasetDetails):
        step.details = DatasetDetails()
    return step.details


def _row_count(results: list[Any]) -> int | None:
    for r in results:
        rows = r.observed.get("rows") if isinstance(r.observed, dict) else None
        if isinstance(rows, int):
            return rows
    return None


def run_features(ctx: RunContext, name: str, step: StepRecord) -> None:
    """Learn the features (train and register, like a model) and add them to the input's rows.

    A step that registered its version in an earlier attempt of this run (a resume, or a retry)
    projects the rows with that version instead of training again.
    """
    from pyspark import StorageLevel

    from sparkwing.train import fit_glrm, project_glrm, register_result

    spec = ctx.spec.features[name]
    df = ctx.dataframe(spec.from_)
    before = step.details if isinstance(step.details, FeaturesDetails) else None
    if before is not None and before.version is not None:
        version = ctx.registry.get(ModelRef(name=name, version=before.version))
        out = project_glrm(df, version)
        before.reused = True
        ctx.record.note(f"features {name}: reused v{version.version} registered by this run")
    else:
        out, result = fit_glrm(ctx.spark, ctx.settings, df, spec.glrm, cloud=ctx.h2o())
        details = FeaturesDetails(algorithm="glrm", columns=result.columns,
                                  input_columns=result.input_columns)
        step.details = details
        version = register_result(ctx.registry, name, result, _lineage(ctx, name))
        details.version, details.uri = version.version, version.uri
    # Projected once, here: H2O's GLRM scoring starts each row from a random point drawn from a
    # counter of the rows the model object scored, so two evaluations of a lazy plan disagree.
    out = out.persist(StorageLevel.MEMORY_AND_DISK)
    ctx.cleanups.append(out.unpersist)
    step.rows_out = out.count()
    ctx.outputs[name] = out


def run_table(ctx: RunContext, name: str, step: StepRecord) -> None:
    from sparkwing.warehouse import publish_table

    spec = ctx.spec.tables[name]
    df = ctx.dataframe(spec.from_)
    keep = spec.keep_versions or ctx.settings.warehouse.keep_versions
    result = publish_table(
        ctx.spark, df, name, spec, workspace=ctx.workspace, version=ctx.run_id, run_id=ctx.run_id,
        keep_versions=keep, default_format=ctx.settings.warehouse.default_format,
    )
    step.rows_out = result.rows
    step.details = TableDetails(
        version=result.version, location=result.location,
        previous_version=result.previous_version, skipped=result.skipped,
    )
    upstream = ctx.record.steps.get(spec.from_)
    if upstream is not None and upstream.rows_out is None:
        upstream.rows_out = result.rows
    if upstream is not None and spec.from_ in ctx.pending_stats:
        record_step_stats(upstream, ctx.pending_stats.pop(spec.from_))
    ctx.outputs.pop(name, None)  # consumers read the published table back


def run_model(ctx: RunContext, name: str, step: StepRecord) -> None:
    from sparkwing.registry import decide_promotion
    from sparkwing.train import register_result, train_model

    spec = ctx.spec.models[name]
    df = ctx.dataframe(spec.from_)
    holdout = ctx.dataframe(spec.holdout_from) if spec.holdout_from else None
    cloud = ctx.h2o()
    result = train_model(
        ctx.spark, ctx.settings, name, spec, df, holdout_df=holdout,
        progress=lambda text: log.info("%s: %s", name, text), cloud=cloud,
    )
    info = cloud.info()  # the cloud the model was trained on: one node per executor on a cluster
    details = ModelDetails(h2o_cloud_size=info.size, h2o_nodes=info.nodes)
    step.details = details
    version = register_result(ctx.registry, name, result, _lineage(ctx, name))
    ctx.outputs[name] = version
    details.version, details.uri, details.algorithm = version.version, version.uri, result.algorithm
    details.metrics = dict(version.card.metrics.holdout or version.card.metrics.cv)  # cv: split none
    details.metrics_on = "holdout" if version.card.metrics.holdout or not version.card.metrics.cv else "cv"
    details.leaderboard = result.leaderboard[:10]
    if spec.promote:
        current_version = ctx.registry.aliases(name).get(spec.promote.alias)
        current = ctx.registry.get(ModelRef(name=name, version=current_version)) if current_version else None
        decision = decide_promotion(version.card, current.card if current else None, spec.promote)
        details.promotion = decision
        if decision.promote:
            ctx.registry.set_alias(
                name, spec.promote.alias, version.version,
                reason=f"run {ctx.run_id}: {decision.reason}", actor="pipeline",
            )
            AuditLog(ctx.workspace).record(
                "promoted", who="pipeline", peer=socket.gethostname(), service="run", model=name,
                alias=spec.promote.alias, version=version.version, previous=current_version,
                run_id=ctx.run_id,
            )
        ctx.record.note(f"model {name} v{version.version}: {decision.reason}")


def _lineage(ctx: RunContext, model: str) -> Lineage:
    """The run, the spec, and the sources (fingerprints) and table versions upstream of a model."""
    sources, tables = [], []
    for up in ctx.graph.upstream(model):
        rec = ctx.record.steps.get(up)
        if rec is None:
            continue
        if isinstance(rec.details, SourceDetails):
            fp = rec.details.fingerprint.model_dump() if rec.details.fingerprint else {}
            known = {k: v for k, v in fp.items() if k in SourceFingerprint.model_fields}
            sources.append(SourceLineage(**known, name=up, rows=rec.rows_out))
        elif isinstance(rec.details, TableDetails):
            tables.append(TableLineage(name=up, version=rec.details.version, rows=rec.rows_out))
    return Lineage(run_id=ctx.run_id, pipeline=ctx.spec.name, spec_hash=ctx.spec.spec_hash,
                   sources=sources, tables=tables)


_SCORER_NAMES = {"mojo": "sparkwing.mojo (scorer: mojo)", "h2o": "Sparkling Water H2OMOJOModel (scorer: h2o)"}


def run_score(ctx: RunContext, name: str, step: StepRecord) -> None:
    from pyspark import StorageLevel

    from sparkwing.score import batch_drift, score_batch

    spec = ctx.spec.scores[name]
    version = ctx.registry.get(spec.model_ref)
    df = ctx.dataframe(spec.from_)
    result = score_batch(ctx.spark, df, version, allow_missing=spec.allow_missing, scorer=spec.scorer)
    details = ScoreDetails(
        model=version.ref, scorer=result.scorer, unseen_levels=result.unseen_levels,
        missing_features=result.missing_features,
    )
    ctx.record.note(f"score {name}: {version.ref} scored by {_SCORER_NAMES[result.scorer]}")
    step.details = details
    step.rows_in = result.rows
    scored = result.df
    if version.card.profile is not None:
        # Scored once into the cache: the drift pass and the publish read the same rows.
        scored = scored.persist(StorageLevel.MEMORY_AND_DISK)
        ctx.cleanups.append(scored.unpersist)
        source = f"{ctx.spec.name}/{name} run {ctx.run_id}"
        details.drift = batch_drift(scored, version, spec.drift, source=source)
    else:
        ctx.record.note(f"score {name}: {version.ref} has no training profile; drift not measured")
    properties = _drift_gate(ctx, name, step, details.drift)
    if spec.output:
        from sparkwing.lake import write_output

        uri = write_output(
            scored, spec.output, spec.format or "parquet", settings=ctx.settings,
            base_dir=Path(ctx.spec.base_dir),
        )
        step.rows_out = result.rows
        details.output = uri
        return
    from sparkwing.warehouse import publish_table

    fmt = spec.format if spec.format in TABLE_FORMATS else None
    table = TableSpec.model_validate({"from": spec.from_, "format": fmt})
    published = publish_table(
        ctx.spark, scored, name, table, workspace=ctx.workspace, version=ctx.run_id,
        run_id=ctx.run_id, keep_versions=ctx.settings.warehouse.keep_versions,
        default_format=ctx.settings.warehouse.default_format, properties=properties,
    )
    step.rows_out = published.rows
    details.version, details.location = published.version, published.location


def _drift_gate(ctx: RunContext, name: str, step: StepRecord, report: DriftReport | None) -> dict[str, str]:
    """Log the drift report, keep it as a check of the step; over ``drift.fail`` the scores are
    not published (``CheckFailed``, as a failed quality check).  Returns the table properties."""
    from sparkwing.monitor import DriftLog

    if report is None:
        return {}
    DriftLog(ctx.workspace).append(report)
    failed = report.status == "fail"
    over = [f"{f.name} PSI {f.psi:.3f}" for f in report.alarms() if f.psi is not None]
    step.checks.append({
        "kind": "drift", "columns": [f.name for f in report.alarms()],
        "severity": "error" if failed else "warn",
        "passed": report.status == "ok", "observed": {"max_psi": report.max_psi, "rows": report.rows},
        "message": report.summary(),
    })
    if report.status == "warn":
        log.warning("%s: %s", name, report.summary())
    if failed:
        raise CheckFailed(
            f"drift of {name} over drift.fail ({report.fail}): {', '.join(over[:5])}; "
            "the scores were not published",
            results=[step.checks[-1]],
            hint=f"`sparkwing models drift {report.model}` shows the trend; retrain, or raise drift.fail",
        )
    return {"drift.status": report.status, "drift.max_psi": f"{report.max_psi or 0.0:.6f}",
            "drift.model": report.model,
            "drift.psi": ",".join(f"{f.name}={f.psi:.4f}" for f in report.features if f.psi is not None)}


RUNNERS = {
    "sources": run_source,
    "datasets": run_dataset,
    "features": run_features,
    "tables": run_table,
    "models": run_model,
    "scores": run_score,
}
# Outputs that survive the process: a resumed run does not redo them.  A ``features`` step's
# model survives but its rows do not: a resume that needs them projects them with that model.
DURABLE = {"tables", "models", "scores"}
# Steps that write the warehouse or the registry: one run at a time under a parallel backfill.
PUBLISHING = DURABLE | {"features"}
