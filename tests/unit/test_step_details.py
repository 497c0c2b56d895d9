"""Typed step details in run records: one type per step kind, read back from run.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from sparkwing.pipeline import (
    DatasetDetails,
    ModelDetails,
    RunRecord,
    ScoreDetails,
    SourceDetails,
    StepRecord,
    TableDetails,
)
from sparkwing.registry import PromotionDecision

V1_RUN = Path(__file__).resolve().parents[1] / "fixtures" / "runs" / "v1_loans_run.json"


def test_a_run_record_from_before_typed_details_loads() -> None:
    raw = json.loads(V1_RUN.read_text())  # written by `sparkwing run examples/loans/pipeline.yaml`
    record = RunRecord.model_validate(raw)
    steps = record.steps
    src = steps["loans_raw"].details
    assert isinstance(src, SourceDetails) and src.format == "csv" and src.quarantine_reasons == {}
    assert src.fingerprint is not None and src.fingerprint.rows_read == 999
    assert src.extra_keys is None and src.notes == []
    ds = steps["loans_clean"].details
    assert isinstance(ds, DatasetDetails) and [s.kind for s in ds.steps][:2] == ["cast", "fill_missing"]
    table = steps["credit.loans_clean"].details
    assert isinstance(table, TableDetails)
    assert table.version == raw["steps"]["credit.loans_clean"]["details"]["version"]
    model = steps["loan_default"].details
    assert isinstance(model, ModelDetails) and model.version == 1 and model.h2o_cloud_size == 1
    assert model.metrics["auc"] == raw["steps"]["loan_default"]["details"]["metrics"]["auc"]
    assert "confusion_matrix" not in model.metrics  # figures only; the card keeps the matrix
    assert isinstance(model.promotion, PromotionDecision) and model.promotion.promote is True
    score = steps["credit.loan_scores"].details
    assert isinstance(score, ScoreDetails) and score.model == "loan_default@1"
    assert score.missing_features == []
    for details in (src, ds, table, model, score):
        assert details.extra == {}  # every key of the real record found its field


def test_details_round_trip_through_json() -> None:
    record = RunRecord(run_id="r1", pipeline="p", spec_hash="h")
    kinds = {"a": "sources", "b": "datasets", "db.t": "tables", "m": "models", "db.s": "scores"}
    for name, kind in kinds.items():
        record.steps[name] = StepRecord(name=name, kind=kind)
    source = SourceDetails(format="svmlight", extra_keys={"x": 3}, notes=["indices are 1-based"])
    record.steps["a"].details = source
    assert isinstance(record.steps["m"].details, ModelDetails)  # a new step starts with its kind's details
    record.steps["m"].details.metrics = {"auc": 0.8}
    back = RunRecord.model_validate_json(record.model_dump_json())
    assert back == record
    assert back.steps["a"].details == source
    assert json.loads(record.model_dump_json())["steps"]["db.t"]["details"]["kind"] == "tables"


def test_unknown_keys_in_old_details_are_kept_and_bad_values_refused() -> None:
    old = {"name": "t", "kind": "tables", "details": {"version": "v1", "owner": "x"}}
    step = StepRecord.model_validate(old)
    assert isinstance(step.details, TableDetails) and step.details.extra == {"owner": "x"}
    with pytest.raises(ValidationError):
        StepRecord.model_validate({"name": "t", "kind": "tables", "details": {"skipped": "perhaps"}})
    with pytest.raises(ValidationError):
        StepRecord.model_validate({"name": "t", "kind": "mystery"})
