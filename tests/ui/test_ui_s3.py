"""The UI over an ``s3://`` workspace (moto's S3 server on loopback): the same pages, quarantine
samples read with a range request, downloads streamed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sparkwing.config import S3Settings
from sparkwing.ui import UiConfig, create_app
from sparkwing.ui._data import WorkspaceView
from sparkwing.workspace import Workspace, s3_client
from ui_workspace import QUARANTINE_LINES, Built, build_workspace

pytestmark = pytest.mark.s3


@pytest.fixture(scope="module")
def s3_workspace(
    s3_server: str, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, S3Settings, Built]:
    s3 = S3Settings(endpoint_url=s3_server, region="us-east-1", access_key_id="test",
                    secret_access_key="test")  # fmt: skip
    built = build_workspace(tmp_path_factory.mktemp("ui-s3") / "ws")
    client = s3_client(s3)
    client.create_bucket(Bucket="ui-pages")
    for path in built.root.rglob("*"):
        if path.is_file() and not path.name.startswith("."):
            client.upload_file(str(path), "ui-pages", "ws/" + path.relative_to(built.root).as_posix())
    return "s3://ui-pages/ws", s3, built


def test_pages_and_quarantine_over_s3(s3_workspace: tuple[str, S3Settings, Built]) -> None:
    uri, s3, built = s3_workspace
    c = TestClient(create_app(UiConfig(workspace=uri, s3=s3)))
    pages = ["/", "/pipelines/loans", f"/runs/loans/{built.ok_run}", "/tables", "/tables/credit/loans_clean",
             "/models", "/models/loan_default", "/models/loan_default/2"]  # fmt: skip
    for url in pages:
        r = c.get(url)
        assert r.status_code == 200, url
    html = c.get(f"/runs/loans/{built.failed_run}").text
    sample = html[html.index('class="grid sample"'):].split("</table>")[0]
    assert sample.count("<tr>") == 21
    link = re.search(r'href="([^"]+part-00000-abc\.json)"', html)
    assert link
    local = Path(built.root, "quarantine", "loans", built.failed_run, "loans_raw", "part-00000-abc.json")
    assert c.get(link.group(1)).content == local.read_bytes()
    assert c.get("/models/loan_default/2/files/model.mojo").content.startswith(b"not a real MOJO")
    assert c.get("/runs/loans/..%2F..%2Fmodels").status_code == 404

    config = UiConfig(workspace=uri, s3=s3, sample_lines=1000, sample_bytes=4096)
    view = WorkspaceView(Workspace(uri, s3=s3), config)
    (q,) = view.quarantine(view.run("loans", built.failed_run))
    assert q.sampled_bytes == 4096 and q.files[0].size == local.stat().st_size
    assert 0 < len(q.sample) < 100 and q.rows == QUARANTINE_LINES
