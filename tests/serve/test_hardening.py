"""Issue 14, in process: what a hostile or careless client must not be able to do."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from conftest import PROSTATE_ROW

from sparkwing.auth import KeyStore
from sparkwing.serve import ServeConfig, create_app
from sparkwing.workspace import Workspace


def _call(
    app: Any, method: str, path: str, headers: list[tuple[bytes, bytes]], chunks: int, end: bool = True
) -> tuple[int, int]:
    """Drive the ASGI app with a body of ``chunks`` x 64 KiB (then a stall, unless ``end``);
    returns (status, chunks it pulled)."""
    pulled = 0

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        if pulled >= chunks:
            await asyncio.sleep(3600)  # the client stalls; an app waiting here would hang the test
        pulled += 1
        return {"type": "http.request", "body": b"x" * 65536, "more_body": not end or pulled < chunks}

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), *headers],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    asyncio.run(asyncio.wait_for(app(scope, receive, send), timeout=20))
    return next(m["status"] for m in sent if m["type"] == "http.response.start"), pulled


def test_unauthenticated_body_is_never_read(workspace: Path) -> None:
    # Before: the body-limit middleware read (and held) up to 10 MB before the key was checked.
    KeyStore(Workspace(str(workspace))).create("predict")
    app = create_app(ServeConfig(workspace=str(workspace), host="0.0.0.0", poll_interval=0))
    chunked = [(b"content-type", b"application/json"), (b"transfer-encoding", b"chunked")]
    assert _call(app, "POST", "/v1/models/prostate:predict", chunked, chunks=150) == (401, 0)
    wrong = [*chunked, (b"authorization", b"Bearer swk_00000000_nope")]
    assert _call(app, "POST", "/v1/models/prostate:predict", wrong, chunks=150) == (401, 0)


def test_authenticated_body_is_streamed_under_the_limit(workspace: Path) -> None:
    token, _ = KeyStore(Workspace(str(workspace))).create("predict")
    app = create_app(
        ServeConfig(workspace=str(workspace), host="0.0.0.0", poll_interval=0, max_body_bytes=10 * 65536)
    )
    app.state.service.store.refresh()
    auth = [(b"authorization", f"Bearer {token}".encode()), (b"transfer-encoding", b"chunked")]
    status, pulled = _call(app, "POST", "/v1/models/prostate:predict", auth, chunks=1000)
    assert status == 413 and pulled == 11  # stops at the first chunk over the limit
    declared = [(b"authorization", f"Bearer {token}".encode()), (b"content-length", b"9000000")]
    assert _call(app, "POST", "/v1/models/prostate:predict", declared, chunks=1000) == (413, 0)


def test_slow_body_gets_408(workspace: Path) -> None:
    app = create_app(ServeConfig(workspace=str(workspace), poll_interval=0, body_timeout=0.5))
    app.state.service.store.refresh()
    status, pulled = _call(
        app, "POST", "/v1/models/prostate:predict", [(b"content-length", b"900000")], chunks=2, end=False
    )
    assert status == 408 and pulled == 2


def test_body_deadline_is_a_408_and_an_outside_cancel_stays_a_cancel() -> None:
    """read_body's deadline: a stalled body is a 408 (and the task is not left cancelled); a body
    in time is returned (no timer left behind); a cancel from outside (client gone, shutdown) is
    re-raised as a cancel, never turned into a 408."""
    import pytest
    from starlette.requests import Request

    from sparkwing.serve._errors import ServeError
    from sparkwing.serve._limits import read_body

    def request(stall: bool) -> Request:
        async def receive() -> dict[str, Any]:
            if stall:
                await asyncio.sleep(3600)
            return {"type": "http.request", "body": b"{}", "more_body": False}
        return Request({"type": "http", "method": "POST", "headers": [], "path": "/"}, receive)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        before = len(getattr(loop, "_scheduled", []))
        assert await read_body(request(False), 100, 5.0) == b"{}"
        await asyncio.sleep(0)
        assert all(h.cancelled() for h in getattr(loop, "_scheduled", [])[before:])
        with pytest.raises(ServeError) as err:
            await read_body(request(True), 100, 0.05)
        assert err.value.status == 408
        task = asyncio.current_task()
        assert task is not None and (not hasattr(task, "cancelling") or task.cancelling() == 0)
        reader = asyncio.ensure_future(read_body(request(True), 100, 5.0))
        await asyncio.sleep(0.01)
        reader.cancel()
        with pytest.raises(asyncio.CancelledError):
            await reader

    asyncio.run(asyncio.wait_for(main(), timeout=20))


def test_response_lists_are_capped_with_counts(make_client: Any) -> None:
    # Before: 600,000 unknown keys came back as a 7 MB list.
    client = make_client(max_listed=5)
    rows = [{**PROSTATE_ROW, **{f"junk_{r}_{i}": 1 for i in range(50)}} for r in range(200)]
    r = client.post("/v1/models/prostate:predict", json={"rows": rows})
    body = r.json()
    assert r.status_code == 200, body
    assert body["unknown_columns"] == sorted(body["unknown_columns"]) and len(body["unknown_columns"]) == 5
    assert body["unknown_columns_total"] == 200 * 50
    r = client.post("/v1/models/prostate:predict", json={"rows": [{"junk": 1}], "strict": True})
    details = r.json()["details"]
    assert r.status_code == 422 and len(details["missing"]) == 5 and details["missing_total"] == 7
    body = client.post("/v1/models/prostate:predict", json={"rows": [{"AGE": 60}]}).json()
    assert body["missing_features_total"] == 6 and len(body["missing_features"]) == 5


def test_batches_score_in_the_pool_and_match_inline(make_client: Any) -> None:
    client = make_client(inline_bytes=1000, score_workers=1)
    rows = [{**PROSTATE_ROW, "AGE": 40 + i % 40, "RACE": "9" if i % 7 == 0 else "1"} for i in range(300)]
    pooled = client.post("/v1/models/prostate:predict", json={"rows": rows})
    inline = client.post("/v1/models/prostate:predict", json={"rows": rows[:5]})
    assert pooled.status_code == inline.status_code == 200, pooled.text
    assert pooled.json()["predictions"][:5] == inline.json()["predictions"]
    assert pooled.json()["warnings_total"] == 43
    assert client.post("/v1/models/nobody:predict", json={"rows": rows}).status_code == 404
    r = client.post("/v1/models/prostate:predict", json={"rows": rows * 40})
    assert (r.status_code, r.json()["code"]) == (413, "too_many_rows")  # checked in the scoring process
    metrics = client.get("/metrics").text
    assert 'sparkwing_rows_scored_total{model="prostate",version="1"} 305.0' in metrics


def test_full_queue_answers_503_with_retry_after(make_client: Any) -> None:
    client = make_client(inline_bytes=0, score_workers=1, score_queue=0)
    pool = client.app.state.service.pool
    pool.active = pool.capacity  # as if every slot were taken by a running batch
    try:
        r = client.post("/v1/models/prostate:predict", json={"rows": [PROSTATE_ROW]})
    finally:
        pool.active = 0
    assert (r.status_code, r.json()["code"], r.headers["retry-after"]) == (503, "busy", "1")
    assert client.post("/v1/models/prostate:predict", json={"rows": [PROSTATE_ROW]}).status_code == 200


def test_trailing_slash_is_404_not_a_host_redirect(client: Any) -> None:
    r = client.get("/v1/models/", headers={"host": "evil.example"}, follow_redirects=False)
    assert r.status_code == 404 and "location" not in r.headers


def test_readyz_names_no_paths(workspace: Path, make_client: Any) -> None:
    client = make_client()
    body = client.get("/readyz").json()
    assert str(workspace) not in json.dumps(body)
    assert {m["name"]: m["version"] for m in body["models"]} == {"prostate": 1, "iris": 1, "psa": 1}
    assert set(body["models"][0]) == {"name", "alias", "version", "state"}


def test_rate_burst_follows_the_rate(workspace: Path) -> None:
    # Before: the burst was 2,000 whatever --rate-limit said.
    assert ServeConfig(workspace=str(workspace), rate_limit=5).burst == 10
    assert ServeConfig(workspace=str(workspace), rate_limit=1000).burst == 2000
    assert ServeConfig(workspace=str(workspace), rate_limit=5, rate_burst=3).burst == 3


def test_rate_limit_5_per_s_refuses_the_11th_request_at_once(workspace: Path, make_client: Any) -> None:
    token, _ = KeyStore(Workspace(str(workspace))).create("predict")
    client = make_client(require_keys=True, rate_limit=5)
    codes = [
        client.get("/v1/models", headers={"Authorization": f"Bearer {token}"}).status_code for _ in range(12)
    ]
    assert codes.count(429) >= 1 and codes[:10] == [200] * 10


def test_access_log_has_key_id_never_the_key(workspace: Path, make_client: Any, caplog: Any) -> None:
    import logging

    token, key = KeyStore(Workspace(str(workspace))).create("predict")
    quiet = make_client(require_keys=True)
    with caplog.at_level(logging.INFO, logger="sparkwing.serve.access"):
        quiet.get("/v1/models", headers={"Authorization": f"Bearer {token}"})
    assert not [r for r in caplog.records if r.name == "sparkwing.serve.access"]  # off by default locally
    logged = make_client(require_keys=True, access_log=True)
    with caplog.at_level(logging.INFO, logger="sparkwing.serve.access"):
        logged.post(
            "/v1/models/prostate:predict",
            json={"rows": [PROSTATE_ROW]},
            headers={"Authorization": f"Bearer {token}"},
        )
        logged.get("/v1/models")
    lines = [r.getMessage() for r in caplog.records if r.name == "sparkwing.serve.access"]
    assert any(
        line.startswith("POST /v1/models/prostate:predict 200 ") and f"key={key.id}" in line for line in lines
    )
    assert any(line.startswith("GET /v1/models 401 ") and "key=-" in line for line in lines)
    assert not any(token in line or token.split("_", 2)[2] in line for line in lines)
    assert ServeConfig(workspace=str(workspace), host="0.0.0.0").logs_access
