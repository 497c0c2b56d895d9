"""Scoring one file without a JVM: the report of unusable values, --strict, --keep, the scorer
choice and the one column naming (``p0``/``p1``) of every scorer."""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from loan_inputs import messy_loans
from sparkwing.cli import EXIT_CODES, app
from sparkwing.errors import ScoringError
from sparkwing.registry import Feature, ModelCard, Registry
from sparkwing.score import PYTHON_MAX_BYTES, choose_engine, predict, prob_column
from sparkwing.workspace import Workspace

ROOT = Path(__file__).resolve().parents[2]
MOJO = ROOT / "tests" / "fixtures" / "mojo" / "gbm_bernoulli_loan.zip"
LOANS = ROOT / "tests" / "data" / "loan.csv"


def test_the_report_counts_what_the_model_could_not_use(tmp_path: Path) -> None:
    done = predict(str(MOJO), messy_loans(LOANS, tmp_path), tmp_path / "out.csv")
    r = done.report
    assert done.engine == "python" and r.rows == 999
    assert r.missing_features == ["dti"]
    assert r.unseen_levels == {"home_ownership": 5} and r.examples["home_ownership"] == ["CASTLE"]
    assert r.unparseable == {"int_rate": 2} and r.examples["int_rate"] == ["ten"]
    lines = r.lines()
    assert lines[0] == "missing features (1, scored as NA): dti"
    assert "home_ownership 5 rows (e.g. 'CASTLE')" in lines[1] and "int_rate 2 rows (e.g. 'ten')" in lines[2]


def test_strict_refuses_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    with pytest.raises(ScoringError, match="missing features .*dti.*unseen levels"):
        predict(str(MOJO), messy_loans(LOANS, tmp_path), out, strict=True)
    assert not out.exists() and not list(tmp_path.glob(".out.csv*"))
    assert predict(str(MOJO), LOANS, out, strict=True).report.clean  # clean input passes


def test_keep_carries_id_columns_and_names_follow_h2o(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    predict(str(MOJO), messy_loans(LOANS, tmp_path), out, keep=["id", "addr_state"])
    with out.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["id", "addr_state", "predict", "p0", "p1"]
    assert rows[0]["id"] == "L0" and len(rows) == 999
    with pytest.raises(ScoringError, match="no column.*nope"):
        predict(str(MOJO), LOANS, out, keep=["nope"])
    # Spark's probability columns carry the same names: "1" -> p1, a level that is a name stays.
    assert [prob_column(c) for c in ("0", "1", "Iris-setosa", "a b")] == ["p0", "p1", "Iris-setosa", "a_b"]


def test_a_registered_model_on_a_small_file_needs_no_spark(tmp_path: Path) -> None:
    reg = Registry(Workspace(tmp_path / "ws"))
    reg.register("loan_default", mojo_path=MOJO,
                 card=ModelCard(task="binary", classes=["0", "1"], features=[Feature(name="loan_amnt")]))

    def no_spark() -> None:
        raise AssertionError("Spark must not start for a small local file")

    out = tmp_path / "out.parquet"
    done = predict("loan_default@latest", LOANS, out, registry=reg, spark=no_spark)  # type: ignore[arg-type]
    assert (done.engine, done.model, done.rows) == ("python", "loan_default@1", 999)
    table = pq.read_table(out)
    assert table.column_names == ["predict", "p0", "p1", "model_name", "model_version"]
    assert set(table.column("model_name").to_pylist()) == {"loan_default"}


def test_the_scorer_choice(tmp_path: Path) -> None:
    small = tmp_path / "small.csv"
    small.write_text("a\n1\n")
    big = tmp_path / "big.csv"
    with big.open("wb") as fh:
        fh.truncate(PYTHON_MAX_BYTES + 1)
    assert choose_engine(small) == "python" and choose_engine(big) == "spark"
    assert choose_engine(tmp_path) == "spark" and choose_engine("s3://bucket/in.csv") == "spark"
    assert choose_engine(big, "python") == "python" and choose_engine(small, "spark") == "spark"


def test_cli_prints_the_summary_and_strict_exits_with_the_scoring_code(tmp_path: Path) -> None:
    messy = messy_loans(LOANS, tmp_path)
    runner = CliRunner()
    ok = runner.invoke(app, ["mojo", "predict", str(MOJO), str(messy), "-o", str(tmp_path / "o.csv"),
                             "--keep", "id"])
    assert ok.exit_code == 0, ok.output
    assert "scored 999 rows" in ok.output and "pure Python, no JVM" in ok.output
    assert "warning: missing features (1, scored as NA): dti" in ok.output
    assert "warning: unseen levels (scored as NA): home_ownership 5 rows (e.g. 'CASTLE')" in ok.output
    strict = runner.invoke(app, ["mojo", "predict", str(MOJO), str(messy), "-o", str(tmp_path / "s.csv"),
                                 "--strict"])
    assert strict.exit_code == EXIT_CODES[ScoringError] and strict.output.count("error:") == 1
    assert not (tmp_path / "s.csv").exists()
    ws = tmp_path / "ws"
    reg = Registry(Workspace(ws))
    reg.register("loan_default", mojo_path=MOJO, card=ModelCard(task="binary", classes=["0", "1"]))
    by_ref = runner.invoke(app, ["-w", str(ws), "predict", "loan_default", str(LOANS), "-o",
                                 str(tmp_path / "r.csv")])
    assert by_ref.exit_code == 0, by_ref.output
    assert "scored 999 rows with loan_default@1 (pure Python, no JVM)" in by_ref.output
