"""The UI's changes: promote (and roll back) for operators only, with the session's CSRF token,
audited like the CLI's.  The login is the ``authenticate`` hook with a real
:class:`sparkwing.auth.Sessions` cookie (the LDAP sign-in itself is tested in test_ui_sign_in
and, with these forms, in the browser); the rollback at the end runs on the shared Spark session."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi import Request
from fastapi.testclient import TestClient

from sparkwing.auth import OPERATOR, SESSION_COOKIE, VIEWER, AuditLog, Identity, Sessions
from sparkwing.registry import Registry
from sparkwing.ui import UiConfig, Viewer, create_app
from sparkwing.workspace import Workspace
from ui_workspace import Built, build_workspace

SESSIONS = Sessions("actions-test-key", 600)


def session_hook(request: Request) -> Viewer:
    """The sign-in's reading of its cookie, roles and all (SignIn.viewer does the same)."""
    found = SESSIONS.read(request.cookies.get(SESSION_COOKIE))
    if found is None:
        return Identity("anonymous", frozenset({VIEWER}), "local")
    identity, nonce = found
    request.state.csrf_nonce, request.state.csrf = nonce, SESSIONS.form_token(nonce)
    request.state.viewer = identity
    return identity


@pytest.fixture()
def built(tmp_path: Path) -> Built:
    return build_workspace(tmp_path / "ws")


def client(built: Built, role: str | None, name: str = "olga", **kw: object) -> TestClient:
    app = create_app(UiConfig(workspace=str(built.root)), authenticate=session_hook, sessions=SESSIONS,
                     **kw)  # type: ignore[arg-type]
    c = TestClient(app, follow_redirects=False)
    if role is not None:
        cookie, _ = SESSIONS.issue(Identity(name, frozenset({role}), "ldap"))
        c.cookies.set(SESSION_COOKIE, cookie)
    return c


def token(html: str, form_id: str | None = None) -> str:
    part = html[html.index(f'id="{form_id}"'):] if form_id else html
    found = re.search(r'name="csrf" value="([^"]+)"', part)
    assert found
    return found.group(1)


def test_an_operator_promotes_with_the_form_and_it_is_audited(built: Built) -> None:
    ops = client(built, OPERATOR)
    page = ops.get("/models/loan_default")
    assert 'id="promote"' in page.text and 'action="/models/loan_default/promote"' in page.text
    r = ops.post("/models/loan_default/promote", data={"csrf": token(page.text, "promote"), "version": "1",
                                                       "alias": "production", "reason": "roll back v2"})
    assert r.status_code == 303 and r.headers["location"] == "/models/loan_default"
    ws = Workspace(built.root)
    assert Registry(ws).aliases("loan_default")["production"] == 1
    assert Registry(ws).alias_log("loan_default")[-1]["actor"] == "olga"
    line = AuditLog(ws).events()[-1]
    assert line["event"] == "promoted" and line["who"] == "olga" and line["service"] == "ui"
    got = (line["model"], line["alias"], line["version"], line["reason"])
    assert got == ("loan_default", "production", 1, "roll back v2")
    after = ops.get("/models/loan_default").text
    row = after[after.index('href="/models/loan_default/1"'):].split("</tr>")[0]
    assert '<span class="alias">production</span>' in row


def test_a_viewer_sees_no_form_and_gets_403(built: Built) -> None:
    viewer = client(built, VIEWER, name="vera")
    page = viewer.get("/models/loan_default")
    assert 'id="promote"' not in page.text and "read-only" in page.text
    r = viewer.post("/models/loan_default/promote", data={"csrf": token(page.text), "version": "1",
                                                          "alias": "production"})
    assert r.status_code == 403 and "needs operator" in r.text
    r = viewer.post("/tables/credit/loans_clean/rollback", data={"csrf": token(page.text),
                                                                  "version": "20261201T100456Z-cf3b"})
    assert r.status_code == 403
    assert Registry(Workspace(built.root)).aliases("loan_default")["production"] == 2
    refused = [e for e in AuditLog(Workspace(built.root)).events() if e["event"] == "forbidden"]
    assert [e["who"] for e in refused] == ["vera", "vera"] and refused[0]["action"] == "promote"


def test_a_form_without_the_sessions_token_is_refused(built: Built) -> None:
    ops = client(built, OPERATOR)
    other, _ = SESSIONS.issue(Identity("mallory", frozenset({OPERATOR}), "ldap"))
    foreign = token(client(built, OPERATOR, name="mallory").get("/models/loan_default").text)
    for fields in [{}, {"csrf": ""}, {"csrf": "forged"}, {"csrf": foreign}]:
        r = ops.post("/models/loan_default/promote", data={**fields, "version": "1", "alias": "production"})
        assert r.status_code == 403 and "did not come from" in r.text, fields
    assert Registry(Workspace(built.root)).aliases("loan_default")["production"] == 2
    assert other


def test_without_a_login_nothing_changes(built: Built) -> None:
    """No login configured: everyone on loopback reads, nobody has a session token to change things."""
    local = TestClient(create_app(UiConfig(workspace=str(built.root))))
    page = local.get("/models/loan_default")
    assert 'id="promote"' not in page.text and "Roll back" not in local.get("/tables/credit/loans_clean").text
    r = local.post("/models/loan_default/promote", data={"version": "1", "alias": "production"})
    assert r.status_code == 403


def test_bad_promotions_are_one_line_errors(built: Built) -> None:
    ops = client(built, OPERATOR)
    t = token(ops.get("/models/loan_default").text, "promote")
    for fields, status, text in [
        ({"version": "9", "alias": "production"}, 409, "no version"),
        ({"version": "x", "alias": "production"}, 400, "pick a version"),
        ({"version": "1", "alias": "bad alias!"}, 409, "alias"),
    ]:
        r = ops.post("/models/loan_default/promote", data={"csrf": t, **fields})
        assert r.status_code == status and text in r.text, (fields, r.text[-400:])
    missing = ops.post("/models/nothing/promote", data={"csrf": t, "version": "1", "alias": "a"})
    assert missing.status_code == 404
    big = ops.post("/models/loan_default/promote", content=b"a=" + b"x" * 20_000,
                   headers={"content-type": "application/x-www-form-urlencoded"})
    assert big.status_code == 413


def test_rollback_form_for_operators_and_no_spark_is_a_clear_503(built: Built) -> None:
    ops = client(built, OPERATOR)
    page = ops.get("/tables/credit/loans_clean").text
    assert page.count("Roll back to this") == 1  # every kept version but the current one
    t = token(page)
    r = ops.post("/tables/credit/loans_clean/rollback", data={"csrf": t, "version": "nope"})
    assert r.status_code == 400 and "keeps no version" in r.text
    r = ops.post("/tables/credit/loans_clean/rollback", data={"csrf": t, "version": "20261201T100456Z-cf3b"})
    assert r.status_code == 503 and "needs Spark" in r.text


@pytest.mark.spark
def test_an_operator_rolls_a_table_back_through_the_metastore(spark, settings, tmp_path: Path) -> None:
    from sparkwing.config import TableSpec
    from sparkwing.warehouse import TableName, load_history, publish_table, table_info

    ws = Workspace.from_settings(settings)
    for version, n in [("1", 3), ("2", 5)]:
        df = spark.range(n).toDF("x")  # no Python worker to start
        publish_table(spark, df, "uiroll.items", TableSpec(**{"from": "items"}), workspace=ws,
                      version=version, run_id=f"run-{version}", keep_versions=3)  # fmt: skip
    built = Built(Path(ws.root), ok_run="")
    ops = client(built, OPERATOR, spark=lambda: spark)
    t = token(ops.get("/tables/uiroll/items").text)
    r = ops.post("/tables/uiroll/items/rollback", data={"csrf": t, "version": "1"})
    assert r.status_code == 303, r.text[-500:]
    assert table_info(spark, "uiroll.items", ws).version == "1"
    assert spark.table("uiroll.items").count() == 3
    assert load_history(ws, TableName.parse("uiroll.items")).current == "1"
    line = AuditLog(ws).events()[-1]
    got = (line["event"], line["table"], line["version"], line["who"])
    assert got == ("rolled_back", "uiroll.items", "1", "olga")


@pytest.mark.parametrize("url", [
    "/models/%2E%2E/promote", "/models/..%2Floan_default/promote", "/models/loan_default%2F..%2F../promote",
    "/tables/credit/%2E%2E/rollback", "/tables/..%2Fcredit/loans_clean/rollback",
    "/tables/credit/loans_clean%2F..%2F..%2Fx/rollback",
])  # fmt: skip
def test_an_operators_form_paths_cannot_escape_the_workspace(built: Built, url: str) -> None:
    ops = client(built, OPERATOR)
    t = token(ops.get("/models/loan_default").text, "promote")
    r = ops.post(url, data={"csrf": t, "version": "1", "alias": "production"})
    assert r.status_code in (400, 404), (url, r.status_code)
    assert Registry(Workspace(built.root)).aliases("loan_default")["production"] == 2
