"""Drift on real Spark with the session's trained loan model: its training profile is in the card;
a pipeline scoring the model's own holdout publishes (no alarm); one scoring a shifted copy of
loan.csv is stopped by drift.fail; the run record, the table, the drift log, the CLI trend and the
workspace's metrics file all say so."""

from __future__ import annotations

from pathlib import Path

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
name: drift_{name}
sources:
  batch: {{uri: batch.csv, format: csv}}
scores:
  drift_{name}.scores:
    model: loan_drift@production
    from: batch
    drift: {{warn: 0.1, fail: 0.25}}
"""


def _pipeline(folder: Path, name: str, rows) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rows.to_csv(folder / "batch.csv", index=False)
    (folder / "pipeline.yaml").write_text(SPEC.format(name=name))
    return folder / "pipeline.yaml"


def _shifted(pdf):
    out = pdf.copy()
    out["int_rate"] = out["int_rate"] * 1.5 + 4  # dearer loans
    out["annual_inc"] = out["annual_inc"] * 0.4  # poorer borrowers
    out["loan_amnt"] = out["loan_amnt"] * 2
    out.loc[out.index % 3 == 0, "addr_state"] = "ZZ"  # a state the model never saw
    return out


def test_drift_is_measured_and_fail_stops_the_publish(spark, settings, loans, loan_model, tmp_path) -> None:
    from sparkwing.cli import app
    from sparkwing.config import ModelSpec
    from sparkwing.train._prepare import prepare

    profile = loan_model.card.profile
    assert profile is not None and profile.rows == loan_model.rows["train"]
    by_name = {f.name: f for f in profile.features}
    assert by_name["int_rate"].kind == "numeric" and len(by_name["int_rate"].edges) == 9
    assert by_name["addr_state"].kind == "categorical" and len(by_name["addr_state"].levels) == 20
    assert sum(by_name["addr_state"].shares) == pytest.approx(1.0, abs=1e-5)
    assert profile.prediction is not None and profile.prediction.kind == "numeric"  # p1 on the holdout

    workspace = Workspace.from_settings(settings)
    reg = Registry(workspace)
    version = reg.register("loan_drift", mojo_path=loan_model.mojo_path, card=loan_model.card)
    reg.set_alias("loan_drift", "production", version.version, reason="test")

    # The model's own holdout: the split training made (same spec, same seed), never trained on.
    spec = ModelSpec.model_validate({
        "from": "loans", "target": "bad_loan",
        "automl": {"max_models": 2, "seed": 1, "include": ["GBM", "GLM"], "nfolds": 3},
    })
    holdout = prepare(spec, loans, None, name="loan_default").holdout.toPandas()
    assert len(holdout) == loan_model.rows["holdout"]
    like = run_pipeline(load_spec(_pipeline(tmp_path / "like", "like", holdout)), settings, stop_engine=False)
    step = like.steps["drift_like.scores"]
    assert like.status == "succeeded" and isinstance(step.details, ScoreDetails)
    like_drift = step.details.drift
    assert like_drift is not None and like_drift.status == "ok" and like_drift.max_psi < 0.1
    assert like_drift.rows == len(holdout)
    assert step.checks[-1]["kind"] == "drift" and step.checks[-1]["passed"]
    record = load_history(workspace, TableName.parse("drift_like.scores")).get(like.run_id)
    assert record is not None and record.properties["drift.status"] == "ok"
    assert "int_rate=" in record.properties["drift.psi"]

    shifted = _shifted(spark.read.csv(str(DATA / "loan.csv"), header=True, inferSchema=True).toPandas())
    path = _pipeline(tmp_path / "shifted", "shifted", shifted)
    with pytest.raises(CheckFailed, match="drift of drift_shifted.scores over drift.fail"):
        run_pipeline(load_spec(path), settings, stop_engine=False)
    failed = RunStore(workspace).list("drift_shifted", limit=1)[0]
    step = failed.steps["drift_shifted.scores"]
    assert failed.status == "failed" and step.status == "failed"
    report = step.details.drift
    assert report is not None and report.status == "fail" and report.max_psi > 0.25
    psi = {f.name: f for f in report.features}
    assert psi["int_rate"].psi > 0.25 and psi["annual_inc"].psi > 0.25
    assert psi["addr_state"].unseen_share == pytest.approx(334 / 999, abs=0.01)
    assert report.prediction is not None and report.prediction.psi > 0.1
    assert not spark.catalog.tableExists("drift_shifted.scores")  # nothing was published
    print(f"\nPSI unshifted holdout: max {like_drift.max_psi:.4f} "
          + ", ".join(f"{f.name} {f.psi:.4f}" for f in like_drift.features if f.psi is not None)
          + f"; prediction {like_drift.prediction.psi if like_drift.prediction else None}")
    print(f"PSI shifted copy: max {report.max_psi:.4f} "
          + ", ".join(f"{f.name} {f.psi:.4f}" for f in report.features if f.psi is not None)
          + f"; prediction {report.prediction.psi:.4f}")

    # The drift log and the CLI trend
    assert [r.status for r in DriftLog(workspace).read("loan_drift")] == ["ok", "fail"]
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
    assert samples[(runs, (("outcome", "succeeded"), ("pipeline", "drift_like")))] == 1
    assert samples[(runs, (("outcome", "failed"), ("pipeline", "drift_shifted")))] == 1
    rows_in = ("sparkwing_step_rows_in", (("pipeline", "drift_like"), ("step", "batch")))
    assert samples[rows_in] == len(holdout)
    assert samples[("sparkwing_step_checks_failed", (("pipeline", "drift_shifted"),
                                                    ("step", "drift_shifted.scores")))] == 1
    assert samples[("sparkwing_score_drift_max_psi", (("pipeline", "drift_shifted"),
                                                      ("step", "drift_shifted.scores")))] == report.max_psi
    assert ("sparkwing_source_quarantine_share", (("pipeline", "drift_like"), ("source", "batch"))) in samples
    assert samples[("sparkwing_pipeline_last_run_success", (("pipeline", "drift_shifted"),))] == 0
    assert ("sparkwing_step_seconds", (("kind", "scores"), ("pipeline", "drift_like"),
                                       ("step", "drift_like.scores"))) in samples
