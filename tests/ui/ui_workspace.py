"""A workspace for the UI (a helper module, not a conftest: ``tests/serve`` imports its own
``conftest`` by name): the fixture run record and card, plus runs, quarantine, tables and
model versions written the way the pipeline writes them, including a failed run, a running one
and hostile names and values."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from sparkwing.pipeline import RunRecord, RunStore, StepRecord
from sparkwing.registry import (
    ConfusionMatrix,
    Curves,
    ModelCard,
    PrCurve,
    Registry,
    Reliability,
    ReliabilityBin,
    RocCurve,
)
from sparkwing.warehouse import History, VersionRecord
from sparkwing.workspace import Workspace

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
HOSTILE = "<img src=x onerror=alert(1)>"  # no '/': it is also a directory name
SCRIPT = "<script>alert('x')</script>"
FAILED_RUN = "20261202T090000Z-beef"
RUNNING_RUN = "20261202T100000Z-c0de"
QUARANTINE_LINES = 5000  # a quarantine file far larger than the sample the UI reads
PREVIEW_ROWS = 30  # the current table version's rows; the UI shows the first 20


@dataclass(frozen=True)
class Built:
    root: Path
    ok_run: str
    failed_run: str = FAILED_RUN
    running_run: str = RUNNING_RUN


def _quarantine_line(i: int) -> str:
    raw = SCRIPT if i == 0 else f"{i},abc,{'x' * 50}"
    return json.dumps({"source": "loans_raw", "file": "loan.csv", "line": i + 2,
                       "reason": "int_rate: 'abc' is not a double", "raw": raw})


def build_workspace(root: Path) -> Built:
    ws = Workspace(root)
    store = RunStore(ws)
    ok = RunRecord.model_validate(json.loads((FIXTURES / "runs" / "v1_loans_run.json").read_text()))
    store.save(ok)

    failed = RunRecord(
        run_id=FAILED_RUN, pipeline="loans", spec_hash="c51fab96d0001885", status="failed",
        started="2026-12-02T09:00:00.000+00:00", finished="2026-12-02T09:01:10.000+00:00", seconds=70.0,
        error="step 'loans_features' failed: ZeroDivisionError: division by zero "
              "(hint: the traceback is the python step's own)",
        error_code="step_failed",
    )  # fmt: skip
    failed.steps["loans_raw"] = StepRecord.model_validate({
        "name": "loans_raw", "kind": "sources", "status": "succeeded",
        "started": "2026-12-02T09:00:05.000+00:00", "finished": "2026-12-02T09:00:40.000+00:00",
        "seconds": 35.0,
        "rows_in": 1000 + QUARANTINE_LINES, "rows_out": 1000, "rows_quarantined": QUARANTINE_LINES,
        "details": {"kind": "sources", "format": "csv", "uri": "data/loan.csv",
                    "quarantine": str(ws.quarantine("loans", FAILED_RUN, "loans_raw")),
                    "quarantine_reasons": {"int_rate: not a double": QUARANTINE_LINES - 1, SCRIPT: 1}},
    })  # fmt: skip
    failed.steps["loans_features"] = StepRecord.model_validate({
        "name": "loans_features", "kind": "datasets", "status": "failed",
        "started": "2026-12-02T09:00:40.000+00:00", "finished": "2026-12-02T09:01:05.000+00:00",
        "seconds": 25.0,
        "rows_in": 1000,
        "checks": [{"kind": "not_null", "columns": ["bad_loan"], "severity": "error", "passed": False,
                    "message": f"not_null(bad_loan): 3 nulls {SCRIPT}"}],
        "error": "python step 'ratio' failed: ZeroDivisionError: division by zero "
                 "(hint: fix ratio() in steps.py)",
        "user_traceback": 'Traceback (most recent call last):\n  File "steps.py", line 7, in ratio\n'
                          "    return a / b  # <b>not bold</b>\nZeroDivisionError: division by zero\n",
    })  # fmt: skip
    failed.steps["credit.loans_clean"] = StepRecord.model_validate({
        "name": "credit.loans_clean", "kind": "tables", "status": "skipped",
        "reason": "upstream 'loans_features' failed",
    })
    store.save(failed)
    qdir = Path(ws.quarantine("loans", FAILED_RUN, "loans_raw"))
    qdir.mkdir(parents=True)
    (qdir / "_SUCCESS").write_text("")
    lines = "".join(_quarantine_line(i) + "\n" for i in range(QUARANTINE_LINES))
    (qdir / "part-00000-abc.json").write_text(lines)

    running = RunRecord(run_id=RUNNING_RUN, pipeline=HOSTILE, spec_hash=SCRIPT, status="running",
                        started="2026-12-02T10:00:00.000+00:00")  # fmt: skip
    running.steps[SCRIPT] = StepRecord.model_validate({
        "name": SCRIPT, "kind": "sources", "status": "running", "started": "2026-12-02T10:00:01.000+00:00",
    })
    store.save(running)

    _models(ws, root)
    _tables(ws)
    return Built(root, ok.run_id)


def _models(ws: Workspace, root: Path) -> None:
    reg = Registry(ws)
    mojo = root.parent / "model.mojo"
    mojo.write_bytes(b"not a real MOJO: the UI never opens it")
    v1 = json.loads((FIXTURES / "cards" / "v1_loans_automl.json").read_text())
    reg.register("loan_default", mojo_path=mojo, card=v1)
    reg.set_alias("loan_default", "production", 1, reason="first", actor="ci")
    card = ModelCard.load(v1)
    thresholds = [0.9, 0.7, 0.5, 0.3, 0.1]
    card = card.model_copy(update={
        "curves": Curves(roc=RocCurve(thresholds=thresholds, fpr=[0.02, 0.1, 0.25, 0.5, 0.8],
                                      tpr=[0.2, 0.45, 0.7, 0.88, 0.97]),
                         pr=PrCurve(thresholds=thresholds, recall=[0.2, 0.45, 0.7, 0.88, 0.97],
                                    precision=[0.8, 0.6, 0.45, 0.3, 0.22]),
                         reliability=_reliability()),
        "metrics": card.metrics.model_copy(update={
            "cv": {"auc": 0.7012, "logloss": 0.45},
            "confusion_matrix": ConfusionMatrix(labels=["0", SCRIPT], matrix=[[120, 28], [9, 24]]),
        }),
        "warnings": [f"dropped column {SCRIPT}"],
    })  # fmt: skip
    reg.register("loan_default", mojo_path=mojo, card=card)
    reg.set_alias("loan_default", "production", 2, reason=f"better auc {SCRIPT}", actor="ci")


RELIABILITY_COUNTS = [30, 41, 35, 25, 18, 12, 9, 7, 4, 0]  # the 181 holdout rows; the last bin empty


def _reliability() -> Reliability:
    """Holdout bins of p1 (the positive class is the hostile label) that sum to the 181 rows."""
    bins = []
    for i, n in enumerate(RELIABILITY_COUNTS):
        mean = (i + 0.5) / 10 if n else None
        bins.append(ReliabilityBin(lower=i / 10, upper=(i + 1) / 10, count=n, mean_predicted=mean,
                                   observed=min(mean * 1.15, 1.0) if mean is not None else None))
    return Reliability(on="holdout", kind="positive_class", positive_class=SCRIPT, rows=181, bins=bins,
                       brier=0.1523, ece=0.0412)


def _tables(ws: Workspace) -> None:
    schema = [{"name": "loan_amnt", "type": "int"}, {"name": SCRIPT, "type": "double"}]
    records = [
        VersionRecord(version=v, published=f"2026-12-0{i}T10:00:00+00:00", rows=999 + i, run_id=v,
                      format="parquet", partition_by=["addr_state"],
                      location=ws.table_version("credit", "loans_clean", v), schema=schema)
        for i, v in enumerate(["20261201T100456Z-cf3b", "20261202T090000Z-beef"], start=1)
    ]  # fmt: skip
    history = History("credit.loans_clean", records[-1].version, records)
    uri = ws.table_dir("credit", "loans_clean") + "/_versions.json"
    ws.storage.write_atomic(uri, history.to_bytes())
    _parquet(records[-1].location, PREVIEW_ROWS)


def _parquet(folder: str, rows: int) -> None:
    """The current version's files, partitioned as Spark writes them (``addr_state=..``)."""
    import duckdb

    column = SCRIPT.replace('"', '""')
    with duckdb.connect() as con:
        con.execute(f"""COPY (SELECT CAST(i AS INTEGER) AS loan_amnt, i * 1.5 AS "{column}",
                             ['CA', 'NY', 'TX'][i % 3 + 1] AS addr_state FROM range({rows}) t(i))
                        TO '{folder}' (FORMAT parquet, PARTITION_BY (addr_state))""")


@pytest.fixture(scope="module")
def ui_workspace(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The workspace, built once per test module that imports this fixture."""
    return build_workspace(tmp_path_factory.mktemp("ui") / "ws")
