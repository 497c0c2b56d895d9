"""Issue 13 item 3: one real run with distinctive secrets set, then every place they could leak.

The pipeline reads its source from S3 (moto on 127.0.0.1, so the S3 keys are used), quarantines
a bad line, publishes a table, trains and promotes a model; the S3 key id comes from a
``file:`` reference, the secret key from an ``env:`` reference, the H2O password from a
``SPARKWING__`` variable, and an API key exists in the workspace.  Then no secret may appear in
any file under the workspace (run record, engine logs, H2O's own logs, quarantine, model card,
tables, registry), on the console of the run and of the CLI's listings, on any UI page or REST
answer, or in the exported Oozie, Airflow and EMR files.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from sparkwing.cli import app as cli_app
from sparkwing.config import S3Settings
from sparkwing.serve import ServeConfig
from sparkwing.serve import create_app as serve_app
from sparkwing.ui import UiConfig
from sparkwing.ui import create_app as ui_app
from sparkwing.workspace import s3_client

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.spark, pytest.mark.h2o, pytest.mark.s3, pytest.mark.slow]

KEY_ID = "AKIASWLEAKKEYID7Q2Z"
S3_SECRET = "sw-leak-s3-secret-9f3e1c"
H2O_USER, H2O_PASSWORD = "swleak", "sw-leak-h2o-pass-5b7d"
BUCKET = "sw-leak"
SPEC = """\
name: leak
sources:
  raw: {uri: "s3://sw-leak/raw/prostate.csv"}
datasets:
  clean:
    from: raw
    steps:
      - drop: [ID]
      - cast: {CAPSULE: int, PSA: double, VOL: double}
tables:
  clinic.leak: {from: clean}
models:
  xgb:
    from: clinic.leak
    target: CAPSULE
    task: binary
    split: {ratio: 0.75, seed: 7}
    algorithm: {name: xgboost, params: {ntrees: 5, max_depth: 3, seed: 7}}
    promote: {alias: production, metric: auc}
"""


def _needles(api_secret: str) -> dict[str, bytes]:
    basic = base64.b64encode(f"{H2O_USER}:{H2O_PASSWORD}".encode())
    return {"s3 key id": KEY_ID.encode(), "s3 secret": S3_SECRET.encode(),
            "h2o password": H2O_PASSWORD.encode(), "h2o basic auth": basic,
            "api key secret": api_secret.encode()}  # fmt: skip


def _leaks(where: str, data: bytes, needles: dict[str, bytes]) -> list[str]:
    return [f"{what} in {where}" for what, needle in needles.items() if needle in data]


def test_no_secret_reaches_any_file_page_log_or_export(
    run_cli, s3_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s3 = S3Settings(endpoint_url=s3_server, region="us-east-1", access_key_id=KEY_ID,  # type: ignore[arg-type]
                    secret_access_key=S3_SECRET)  # type: ignore[arg-type]
    client = s3_client(s3)
    client.create_bucket(Bucket=BUCKET)
    csv = (ROOT / "examples" / "prostate" / "data" / "prostate.csv").read_bytes()
    client.put_object(Bucket=BUCKET, Key="raw/prostate.csv", Body=csv + b"9999,1,65\n")  # one bad line

    secrets_dir = tmp_path / "secrets"  # what a secret mount would hold: never searched
    secrets_dir.mkdir()
    (secrets_dir / "key-id").write_text(KEY_ID + "\n")
    work = tmp_path / "work"
    work.mkdir()
    (work / "sparkwing.yaml").write_text(
        f"s3:\n  endpoint_url: {s3_server}\n  region: us-east-1\n"
        f"  access_key_id: file:{secrets_dir / 'key-id'}\n  secret_access_key: env:SW_LEAK_S3_SECRET\n"
        f"h2o:\n  username: {H2O_USER}\n"
    )
    (work / "pipeline.yaml").write_text(SPEC)
    env = {"SW_LEAK_S3_SECRET": S3_SECRET, "SPARKWING__H2O__PASSWORD": H2O_PASSWORD}
    ws = tmp_path / "ws"
    for name, value in env.items():  # the same settings for the commands run in this process
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(work)

    def cli(*args: str) -> str:  # a command without a JVM: in this process (a child costs seconds)
        result = CliRunner().invoke(cli_app, ["--workspace", str(ws), *args], catch_exceptions=False)
        assert result.exit_code == 0, (args, result.output)
        return result.output

    token = cli("keys", "create", "--name", "leak").strip().splitlines()[-1]
    needles = _needles(token.split("_", 2)[2])
    assert _leaks("the mount", (secrets_dir / "key-id").read_bytes(), needles)  # the search finds them

    run = run_cli("run", "pipeline.yaml", workspace=ws, cwd=work, env=env, timeout=1200)
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]
    (record_path,) = (ws / "runs" / "leak").glob("*/run.json")
    record = json.loads(record_path.read_text())
    assert record["steps"]["raw"]["rows_quarantined"] == 1 and record["steps"]["xgb"]["status"] == "succeeded"
    run_id = record["run_id"]

    consoles = {"the run's console": run.stdout + run.stderr}
    for args in (["runs", "show", run_id, "--json"], ["runs"], ["models", "show", "xgb@production", "--json"],
                 ["models"], ["tables", "show", "clinic.leak"], ["keys", "list"]):
        consoles[f"`sparkwing {' '.join(args)}`"] = cli(*args)
    exports = tmp_path / "exports"
    for target in ("oozie", "airflow", "emr-steps"):
        out = str(exports / target)
        consoles[f"`sparkwing export {target}`"] = cli("--workspace", f"s3://{BUCKET}/ws", "export", target,
                                                       "pipeline.yaml", "-o", out)

    leaks: list[str] = []
    written = [p for root in (ws, work, exports) for p in root.rglob("*") if p.is_file()]
    assert any("quarantine" in p.parts for p in written) and any(p.name == "card.json" for p in written)
    assert any("logs" in p.parts and p.suffix == ".log" for p in written)  # the engine's and H2O's logs
    assert len([p for p in written if exports in p.parents]) >= 4
    for path in written:
        leaks += _leaks(str(path.relative_to(tmp_path)), path.read_bytes(), needles)
    for where, text in consoles.items():
        leaks += _leaks(where, text.encode(), needles)

    ui = TestClient(ui_app(UiConfig(workspace=str(ws), s3=s3)))
    (qfile,) = [p for p in written if "quarantine" in p.parts and p.suffix == ".json"][:1]
    pages = ["/", "/pipelines/leak", f"/runs/leak/{run_id}", "/tables", "/tables/clinic/leak", "/models",
             "/models/xgb", "/models/xgb/1", f"/runs/leak/{run_id}/quarantine/raw/{qfile.name}",
             "/models/xgb/1/files/card.json", "/nope", "/models/..%2F"]  # fmt: skip
    for page in pages:
        r = ui.get(page)
        leaks += _leaks(f"UI {page} ({r.status_code})", r.content, needles)

    rest = TestClient(serve_app(ServeConfig(workspace=str(ws), s3=s3, poll_interval=0)))
    for method, url, body in [("GET", "/v1/models", None), ("GET", "/v1/models/xgb", None),
                              ("POST", "/v1/models/xgb:predict", {"rows": [{"AGE": 65}]}),
                              ("POST", "/v1/models/xgb:predict", {"nope": 1}), ("GET", "/metrics", None),
                              ("GET", "/openapi.json", None)]:  # fmt: skip
        r = rest.request(method, url, json=body)
        leaks += _leaks(f"REST {method} {url} ({r.status_code})", r.content, needles)

    assert leaks == []
