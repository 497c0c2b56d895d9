"""Drift on real Spark and H2O, one pipeline run: a GLM trained on two thirds of loan.csv keeps its
training profile in the card; scoring the held-out third publishes (no fail); scoring a shifted
copy of loan.csv is stopped by drift.fail.  The run record, the table's record, the drift log,
the CLI trend and the workspace's metrics file all say so."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from prometheus_client.parser import text_string_to_metric_families
from typer.testing import CliRunner

from sparkwing.config import load_spec
from sparkwing.errors import CheckFailed
from sparkwing.monitor import DriftLog
from sparkwing.pipeline import RunStore, ScoreDetails, run_pipeline
from sparkwing.registry import Registry
from sparkwing.warehouse import TableName, load_history
from sparkwing.workspace import Workspace

pytestmark = [pytest.mark.spark, pytest.mark.h2o, pytest.mark.slow]
DATA = Path(__file__).resolve().parents[1] / "data"

SPEC = """\
name: drift
sources:
  train: {uri: train.csv, format: csv}
  holdout: {uri: holdout.csv, format: csv}
  shifted: {uri: shifted.csv, format: csv}
models:
  loan_drift:
    from: train
    holdout_from: holdout
    target: bad_loan
    task: binary
    algorithm: {name: glm, params: {family: binomial, seed: 1}}
    promote: {alias: production, metric: auc}
scores:
  drift_like.scores:
    model: loan_drift@production
    from: holdout
    drift: {warn: 0.1, fail: 0.25}
  drift_shifted.scores:
    model: loan_drift@production
    from: shifted
    drift: {warn: 0.1, fail: 0.25}
"""


def _shifted(pdf):
    out = pdf.copy()
    out["int_rate"] = out["int_rate"] * 1.5 + 4  # dearer loans
    out["annual_inc"] = out["annual_inc"] * 0.4  # poorer borrowers
    out["loan_amnt"] = out["loan_amnt"] * 2
    out.loc[out.index % 3 == 0, "addr_state"] = "ZZ"  # a state the model never saw
    return out


def test_drift_is_measured_and_fail_stops_the_publish(spark, settings, h2o, tmp_path) -> None:
    from sparkwing.cli import app

    loans = pd.read_csv(DATA / "loan.csv")
    holdout_rows = loans.index % 3 == 0  # a third held out: never trained on, scored as "like" data
    loans[~holdout_rows].to_csv(tmp_path / "train.csv", index=False)
    loans[holdout_rows].to_csv(tmp_path / "holdout.csv", index=False)
    _shifted(loans).to_csv(tmp_path / "shifted.csv", index=False)
    (tmp_path / "pipeline.yaml").write_text(SPEC)
    workspace = Workspace.from_settings(settings)
    with pytest.raises(CheckFailed, match="drift of drift_shifted.scores over drift.fail"):
        run_pipeline(load_spec(tmp_path / "pipeline.yaml"), settings, stop_engine=False)

    version = Registry(workspace).get("loan_drift@production")
    profile = version.card.profile
    assert profile is not None and profile.rows == int((~holdout_rows).sum())
    by_name = {f.name: f for f in profile.features}
    assert by_name["int_rate"].kind == "numeric" and len(by_name["int_rate"].edges) == 9
    assert by_name["addr_state"].kind == "categorical" and len(by_name["addr_state"].levels) == 20
    assert sum(by_name["addr_state"].shares) == pytest.approx(1.0, abs=1e-5)
    assert profile.prediction is not None and profile.prediction.kind == "numeric"  # p1 on the holdout

    run = RunStore(workspace).list("drift", limit=1)[0]
    assert run.status == "failed"
    step = run.steps["drift_like.scores"]
    assert step.status == "succeeded" and isinstance(step.details, ScoreDetails)
    like_drift = step.details.drift
    assert like_drift is not None and like_drift.status != "fail" and like_drift.max_psi < 0.25
    assert like_drift.rows == int(holdout_rows.sum())
    assert step.checks[-1]["kind"] == "drift"
    record = load_history(workspace, TableName.parse("drift_like.scores")).get(run.run_id)
    assert record is not None and record.properties["drift.status"] == like_drift.status
    assert "int_rate=" in record.properties["drift.psi"]

    step = run.steps["drift_shifted.scores"]
    assert step.status == "failed"
    report = step.details.drift
    assert report is not None and report.status == "fail" and report.max_psi > 0.25
    psi = {f.name: f for f in report.features}
    assert psi["int_rate"].psi > 0.25 and psi["annual_inc"].psi > 0.25
    assert psi["addr_state"].unseen_share == pytest.approx(334 / 999, abs=0.01)
    assert step.details.version is None  # nothing was published
    assert report.prediction is not None and report.prediction.psi > 0.1
    assert not spark.catalog.tableExists("drift_shifted.scores")  # nothing was published
    print(f"\nPSI unshifted holdout: max {like_drift.max_psi:.4f} "
          + ", ".join(f"{f.name} {f.psi:.4f}" for f in like_drift.features if f.psi is not None)
          + f"; prediction {like_drift.prediction.psi if like_drift.prediction else None}")
    print(f"PSI shifted copy: max {report.max_psi:.4f} "
          + ", ".join(f"{f.name} {f.psi:.4f}" for f in report.features if f.psi is not None)
          + f"; prediction {report.prediction.psi:.4f}")

    # The drift log and the CLI trend
    logged = sorted(r.status for r in DriftLog(workspace).read("loan_drift"))
    assert logged == sorted([like_drift.status, "fail"])
    out = CliRunner().invoke(app, ["--workspace", workspace.root, "models", "drift", "loan_drift@production",
                                   "--since", "7d"], env={"COLUMNS": "200"})
    assert out.exit_code == 0, out.output
    print(out.output)
    assert "drift of loan_drift@1" in out.output and "fail" in out.output and "int_rate" in out.output

    # The workspace's metrics file after both runs
    text = (Path(workspace.root) / "metrics" / "sparkwing.prom").read_text()
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for fam in text_string_to_metric_families(text) for s in fam.samples}
    runs = "sparkwing_pipeline_runs_total"
    assert samples[(runs, (("outcome", "failed"), ("pipeline", "drift")))] == 1
    rows_in = ("sparkwing_step_rows_in", (("pipeline", "drift"), ("step", "holdout")))
    assert samples[rows_in] == int(holdout_rows.sum())
    failed = ("sparkwing_step_checks_failed", (("pipeline", "drift"), ("step", "drift_shifted.scores")))
    assert samples[failed] == 1
    assert samples[("sparkwing_score_drift_max_psi", (("pipeline", "drift"),
                                                      ("step", "drift_shifted.scores")))] == report.max_psi
    assert samples[("sparkwing_source_quarantine_share", (("pipeline", "drift"), ("source", "train")))] == 0
    assert samples[("sparkwing_pipeline_last_run_success", (("pipeline", "drift"),))] == 0
    assert ("sparkwing_step_seconds", (("kind", "scores"), ("pipeline", "drift"),
                                       ("step", "drift_like.scores"))) in samples
    auc = ("sparkwing_model_metric", (("metric", "auc"), ("model", "loan_drift"), ("pipeline", "drift")))
    assert auc in samples
