"""The registry on S3 (moto's S3 server on 127.0.0.1): versions, aliases, checksums."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sparkwing.config import S3Settings
from sparkwing.errors import RegistryError
from sparkwing.registry import Registry
from sparkwing.workspace import Workspace, s3_client

pytestmark = pytest.mark.s3


@pytest.fixture(scope="module")
def s3() -> S3Settings:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    settings = S3Settings(endpoint_url=f"http://127.0.0.1:{port}", region="us-east-1",
                          access_key_id="test", secret_access_key="test")
    client = s3_client(settings)
    for _ in range(100):
        try:
            client.create_bucket(Bucket="lake")
            break
        except Exception:  # noqa: BLE001 - the server is still starting
            time.sleep(0.1)
    yield settings
    proc.terminate()
    proc.wait(timeout=10)


def test_registry_on_s3(s3: S3Settings, tmp_path: Path) -> None:
    (tmp_path / "m.zip").write_bytes(b"mojo-bytes")
    (tmp_path / "pojo").mkdir()
    (tmp_path / "pojo" / "M.java").write_text("class M {}")
    reg = Registry(Workspace("s3://lake/ws", s3=s3))
    v1 = reg.register(
        "churn", mojo_path=tmp_path / "m.zip", pojo_dir=tmp_path / "pojo", card={"task": "binary"}
    )
    v2 = reg.register("churn", mojo_path=tmp_path / "m.zip", card={"task": "binary"})
    assert (v1.version, v2.version) == (1, 2) and v1.uri == "s3://lake/ws/models/churn/1"
    assert reg.models() == ["churn"]
    reg.set_alias("churn", "production", 1, reason="first")
    reg.set_alias("churn", "production", 2, reason="better")
    assert reg.aliases("churn") == {"production": 2}
    assert [e["version"] for e in reg.alias_log("churn")] == [1, 2]
    mv = reg.get("churn@production")
    assert mv.local_mojo().read_bytes() == b"mojo-bytes"
    out = reg.export("churn@1", tmp_path / "export")
    assert (out / "pojo" / "M.java").exists() and (out / "card.json").exists()
    # An artifact replaced behind the registry's back is caught on load.
    reg._storage.write_atomic("s3://lake/ws/models/churn/1/model.mojo", b"evil")
    with pytest.raises(RegistryError, match="checksum mismatch in churn@1: model.mojo"):
        reg.get("churn@1")
