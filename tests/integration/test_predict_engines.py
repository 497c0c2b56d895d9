"""``sparkwing predict``'s two scorers agree: same columns (``p0``/``p1``), numbers and report."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from loan_inputs import messy_loans
from sparkwing import mojo
from sparkwing.registry import Feature, ModelCard, Registry
from sparkwing.score import predict
from sparkwing.workspace import Workspace

pytestmark = [pytest.mark.spark]

ROOT = Path(__file__).resolve().parents[2]
MOJO = ROOT / "tests" / "fixtures" / "mojo" / "gbm_bernoulli_loan.zip"


def test_python_and_spark_scorers_write_the_same_file(spark, tmp_path, data_dir) -> None:
    info = mojo.load(MOJO).info
    features = [Feature(name=f.name, spark_type="string" if f.domain else "double",
                        domain=list(f.domain) if f.domain else None) for f in info.features]
    reg = Registry(Workspace(tmp_path / "ws"))
    reg.register("loan_default", mojo_path=MOJO,
                 card=ModelCard(task="binary", classes=["0", "1"], features=features))
    src = messy_loans(data_dir / "loan.csv", tmp_path, rows=200)
    runs = {}
    for engine in ("python", "spark"):
        out = tmp_path / f"{engine}.csv"
        done = predict("loan_default@latest", src, out, registry=reg, spark=lambda: spark,
                       engine=engine, keep=["id"])
        assert done.engine == engine
        with out.open(newline="") as fh:
            runs[engine] = (done.report, list(csv.DictReader(fh)))
    (py_report, py_rows), (sp_report, sp_rows) = runs["python"], runs["spark"]
    header = ["id", "predict", "p0", "p1", "model_name", "model_version"]
    assert list(py_rows[0]) == list(sp_rows[0]) == header
    assert py_report == sp_report and py_report.rows == 200
    assert py_report.missing_features == ["dti"] and py_report.unseen_levels == {"home_ownership": 5}
    assert py_report.unparseable == {"int_rate": 2} and py_report.examples["int_rate"] == ["ten"]
    for p, s in zip(py_rows, sp_rows, strict=True):
        assert (p["id"], p["predict"], p["model_version"]) == (s["id"], s["predict"], s["model_version"])
        assert float(p["p1"]) == pytest.approx(float(s["p1"]), abs=1e-6)
