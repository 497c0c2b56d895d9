"""The service's rolling drift window, exported as Prometheus gauges (inline and pool scoring)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from conftest import FIXTURES, card_for
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from sparkwing import mojo
from sparkwing.monitor import profile_columns
from sparkwing.registry import ModelCard, Registry
from sparkwing.serve import ServeConfig, create_app
from sparkwing.workspace import Workspace

DATA = Path(__file__).resolve().parents[1] / "data" / "prostate.csv"
KINDS: dict[str, Any] = {"AGE": "numeric", "RACE": "categorical", "DPROS": "categorical",
                         "DCAPS": "categorical", "PSA": "numeric", "VOL": "numeric", "GLEASON": "numeric"}


def _rows() -> list[dict[str, Any]]:
    with DATA.open() as fh:
        return [{k: (v if KINDS.get(k) == "categorical" else float(v)) for k, v in r.items() if k in KINDS}
                for r in csv.DictReader(fh)]


def _gauges(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = client.get("/metrics").text
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for fam in text_string_to_metric_families(text) for s in fam.samples
            if s.name.startswith("sparkwing_drift")}


def test_the_window_flags_shifted_requests_and_not_like_ones(tmp_path: Path) -> None:
    rows = _rows()
    # 380 rows: the reference is all of them, so what is sent differs by sampling noise only (the
    # like-for-like test on real training data, loans, is tests/integration/test_drift_scores.py).
    train, holdout = rows, rows[1::2]
    model = mojo.load(FIXTURES / "glm_binomial_prostate.zip")
    columns = {k: [r[k] for r in train] for k in KINDS}
    profile = profile_columns(columns, KINDS, bins=4)  # few rows: 10 bins would be mostly noise
    p1 = model.predict(train)["p1"].tolist()
    profile = profile.model_copy(update={
        "prediction": profile_columns({"prediction": p1}, {"prediction": "numeric"}, bins=4).features[0]})
    reg = Registry(Workspace(tmp_path / "ws"))
    card = ModelCard.load(card_for("glm_binomial_prostate")).model_copy(update={"profile": profile})
    reg.register("prostate", mojo_path=FIXTURES / "glm_binomial_prostate.zip", card=card)
    reg.set_alias("prostate", "production", 1, reason="test")
    app = create_app(ServeConfig(workspace=str(tmp_path / "ws"), poll_interval=0, inline_bytes=8 * 1024))
    with TestClient(app) as client:
        svc = app.state.service
        assert svc.wait_ready(30)
        svc.drift.max_rows = 150  # the window holds the latest request only (each has 180 rows)

        like = client.post("/v1/models/prostate:predict", json={"rows": holdout[:180]})  # to the pool
        assert like.status_code == 200, like.text
        g = _gauges(client)
        assert g[("sparkwing_drift_window_rows", (("model", "prostate"),))] == 180
        assert g[("sparkwing_drift_status", (("model", "prostate"),))] == 0
        assert g[("sparkwing_drift_max_psi", (("model", "prostate"),))] < 0.1
        like_psa = g[("sparkwing_drift_psi", (("feature", "PSA"), ("model", "prostate")))]

        shifted = [{**r, "PSA": r["PSA"] * 8, "AGE": r["AGE"] + 15, "RACE": "9"} for r in holdout[:180]]
        for start in range(0, 180, 30):  # small requests: scored inline, added up in the window
            ok = client.post("/v1/models/prostate:predict", json={"rows": shifted[start:start + 30]})
            assert ok.status_code == 200, ok.text
        g = _gauges(client)
        # the latest 5 requests: the like rows dropped out
        assert g[("sparkwing_drift_window_rows", (("model", "prostate"),))] == 150
        psa = g[("sparkwing_drift_psi", (("feature", "PSA"), ("model", "prostate")))]
        assert psa > 0.25 > like_psa
        assert g[("sparkwing_drift_unseen_share", (("feature", "RACE"), ("model", "prostate")))] == 1.0
        assert g[("sparkwing_drift_prediction_psi", (("model", "prostate"),))] > 0.25
        assert g[("sparkwing_drift_status", (("model", "prostate"),))] == 1  # warn: fail is off by default
        print(f"serve window PSI of PSA: like {like_psa:.3f}, shifted {psa:.3f}")
