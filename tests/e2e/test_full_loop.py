"""The whole loop through the CLI: ingest → clean → publish → train → register → promote →
score on Spark; then the same model scored in pure Python (sparkwing.mojo) must agree with
the Spark batch scores on every row."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from sparkwing import mojo

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.spark, pytest.mark.h2o, pytest.mark.slow]


def test_prostate_loop_and_python_scoring_agree(run_cli, tmp_path) -> None:
    example = tmp_path / "prostate"
    shutil.copytree(ROOT / "examples" / "prostate", example)
    ws = tmp_path / "ws"
    result = run_cli("run", str(example / "pipeline.yaml"), workspace=ws, timeout=1500)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "promoting" in result.stdout

    (run_dir,) = (ws / "runs" / "prostate").glob("*/run.json")
    record = json.loads(run_dir.read_text())
    assert record["status"] == "succeeded"
    steps = record["steps"]
    assert steps["prostate_raw"]["rows_in"] == 380
    assert steps["clinic.prostate_scores_glm"]["rows_out"] == 380
    assert steps["prostate_glm"]["details"]["promotion"]["promote"] is True

    aliases = json.loads((ws / "models" / "prostate_glm" / "aliases.json").read_text())
    assert "production" in json.dumps(aliases)

    for model, table in (("prostate_glm", "prostate_scores_glm"), ("prostate_xgb", "prostate_scores_xgb")):
        location = Path(steps[f"clinic.{table}"]["details"]["location"].removeprefix("file:"))
        scores = pq.read_table(location).to_pandas().sort_values(["AGE", "PSA", "VOL", "GLEASON"])
        version = steps[model]["details"]["version"]
        assert set(scores["model_version"].astype(int)) == {version}
        python_model = mojo.load(ws / "models" / model / str(version) / "model.mojo")
        ours = python_model.predict(scores.drop(columns=["predict", "p0", "p1", "model_name",
                                                         "model_version"]))
        assert np.allclose(ours["p1"].to_numpy(), scores["p1"].to_numpy(), atol=1e-9, rtol=0)
        assert (ours["predict"].astype(str).to_numpy() == scores["predict"].astype(str).to_numpy()).all()

    listed = run_cli("models", workspace=ws)
    assert "prostate_glm" in listed.stdout and "production" in listed.stdout
