"""The audit log on an s3:// workspace (moto on 127.0.0.1): one object per event, read back in order."""

from __future__ import annotations

import threading
import uuid

import pytest

from sparkwing.auth import AuditLog, KeyStore
from sparkwing.config import S3Settings
from sparkwing.workspace import Workspace
from sparkwing.workspace._storage import S3Storage

pytestmark = pytest.mark.s3


def test_audit_events_on_s3_are_one_object_each_and_none_is_lost(s3_server: str) -> None:
    settings = S3Settings(endpoint_url=s3_server, region="us-east-1", access_key_id="test",
                          secret_access_key="test")  # fmt: skip
    bucket = f"audit-{uuid.uuid4().hex[:8]}"
    S3Storage(settings)._client.create_bucket(Bucket=bucket)
    ws = Workspace(f"s3://{bucket}/ws", s3=settings)
    _, key = KeyStore(ws, actor="ops").create("predict", name="batch")
    log = AuditLog(ws)
    threads = [threading.Thread(target=log.record, args=("sign_in_failed",),
                                kwargs={"who": f"user{i}", "peer": "10.0.0.1", "service": "serve"})
               for i in range(8)]  # fmt: skip
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    events = AuditLog(ws).events()
    assert events[0]["event"] == "key_created" and events[0]["key_id"] == key.id and events[0]["who"] == "ops"
    assert sorted(e["who"] for e in events[1:]) == sorted(f"user{i}" for i in range(8))
    assert events == sorted(events, key=lambda e: e["time"])
