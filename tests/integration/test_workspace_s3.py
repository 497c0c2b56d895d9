"""An ``s3://`` workspace sends every piece of state to the configured S3 endpoint.

moto's S3 server on 127.0.0.1 stands in for S3.  The default AWS credential chain is emptied,
so a component that built its own default client (instead of using the workspace's) fails
with ``NoCredentialsError`` rather than passing by accident.
"""

from __future__ import annotations

import json

import pytest

from sparkwing.auth import KeyStore
from sparkwing.config import S3Settings
from sparkwing.pipeline import PipelineLock, RunRecord, RunStore
from sparkwing.warehouse._model import TableName, VersionRecord
from sparkwing.warehouse._versions import History, load_history, save_history
from sparkwing.workspace import Workspace, s3_client

pytestmark = pytest.mark.s3


@pytest.fixture()
def workspace(s3_server: str, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    s3 = S3Settings(
        endpoint_url=s3_server, region="us-east-1", access_key_id="test", secret_access_key="test"
    )
    client = s3_client(s3)
    if not any(b["Name"] == "state" for b in client.list_buckets().get("Buckets", [])):
        client.create_bucket(Bucket="state")
    return Workspace("s3://state/ws/", s3=s3)


def _object(ws: Workspace, key: str) -> bytes:
    return s3_client(ws.s3).get_object(Bucket="state", Key=key)["Body"].read()


def test_table_history_goes_to_the_workspace_endpoint(workspace: Workspace) -> None:
    # The bug: _versions.py built a default S3 client, so the history went to AWS.
    name = TableName("credit", "loans")
    record = VersionRecord(
        version="1", published="2026-12-01T00:00:00+00:00", rows=3, run_id="r1", format="parquet",
        partition_by=[], location=workspace.table_version("credit", "loans", "1"),
        schema=[{"name": "id", "type": "int"}],
    )  # fmt: skip
    save_history(workspace, name, History("credit.loans", "1", [record]))
    stored = json.loads(_object(workspace, "ws/warehouse/credit.db/loans/_versions.json"))
    assert stored["current"] == "1" and [v["version"] for v in stored["versions"]] == ["1"]
    again = load_history(workspace, name)
    assert again.current == "1" and again.get("1") == record


def test_run_records_and_locks_go_to_the_workspace_endpoint(workspace: Workspace) -> None:
    store = RunStore(workspace)
    run_id = "20261201T000000Z-s3s3"
    store.save(RunRecord(run_id=run_id, pipeline="loans", spec_hash="h"))
    assert json.loads(_object(workspace, f"ws/runs/loans/{run_id}/run.json"))["pipeline"] == "loans"
    assert [r.run_id for r in store.list("loans")] == [run_id]
    lock = PipelineLock(workspace, "loans")
    assert lock.acquire(run_id) is None
    assert json.loads(_object(workspace, "ws/runs/loans/lock.json"))["run_id"] == run_id
    lock.release()
    assert lock.holder() is None


def test_api_keys_go_to_the_workspace_endpoint(workspace: Workspace) -> None:
    token, key = KeyStore(workspace).create("predict", name="batch")
    assert key.id in {k["id"] for k in json.loads(_object(workspace, "ws/serve/keys.json"))["keys"]}
    assert KeyStore(workspace).verify(token) == key  # a second process reads it back
