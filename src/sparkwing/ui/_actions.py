"""The UI's two changes: promote a model version to an alias, roll a table back to a version.

Both are ``POST`` forms for the ``operator`` role, each carrying the CSRF token of the caller's
session (:class:`sparkwing.auth.Sessions`): a caller with no session (no login configured, or
credentials sent in a header, which a browser may replay on its own) has no token and cannot
change anything.  They call the same functions as ``sparkwing models promote`` and ``sparkwing
tables rollback`` and write the same audit line (``service: ui``); a refusal is audited as
``forbidden``.  A rollback switches the table's view in the metastore, so it needs Spark: the
session is started on the first rollback (``spark`` of :func:`install`), never for a page.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sparkwing.auth import OPERATOR, AuditLog, Identity, Sessions
from sparkwing.errors import AuthError, SparkwingError
from sparkwing.ui._data import WorkspaceView
from sparkwing.ui._sign_in import _form_fields, _peer

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

Render = Callable[..., HTMLResponse]
SparkFactory = Callable[[], "SparkSession"]


def install(router: APIRouter, view: WorkspaceView, render: Render, *, guard: Callable[..., Identity],
            sessions: Sessions | None, audit: AuditLog, spark: SparkFactory | None) -> None:  # fmt: skip
    """Add ``POST /models/{name}/promote`` and ``POST /tables/{db}/{table}/rollback`` to ``router``."""
    one_at_a_time = threading.Lock()  # one Spark session, one metastore: changes in turn

    async def operator(request: Request, who: Identity, what: str) -> tuple[Identity, dict[str, str]]:
        form = await _form_fields(request)
        nonce = getattr(request.state, "csrf_nonce", None)
        reason = None
        if sessions is None or not sessions.check_form(nonce, form.get("csrf")):
            reason = ("the form expired (after an hour) or did not come from a page of this UI in a "
                      "signed-in session; reload the page")
        elif not who.has(OPERATOR):
            held = ", ".join(sorted(who.roles))
            reason = f"{who.name} ({who.source}) has roles {held}; {what} needs {OPERATOR}"
        if reason is not None:
            audit.record("forbidden", who=who.name, peer=_peer(request), source=who.source, service="ui",
                         status=403, reason=reason, action=what)  # fmt: skip
            raise AuthError(reason, status=403)
        return who, form

    def failed(request: Request, what: str, exc: SparkwingError) -> HTMLResponse:
        return render("error.html", request, 409, title=f"cannot {what}", message=exc.one_line())

    caller = Depends(guard)  # the page guard's answer: FastAPI runs it once per request

    @router.post("/models/{name}/promote")
    async def promote(name: str, request: Request, who: Identity = caller) -> Response:
        who, form = await operator(request, who, "promote")
        view.model(name)  # a 404 for a model that is not there
        version, alias = form.get("version", ""), form.get("alias", "").strip()
        reason = form.get("reason", "").strip() or "promoted in the UI"
        if not version.isdigit():
            return render("error.html", request, 400, title="cannot promote", message="pick a version")
        try:
            with one_at_a_time:
                view.registry.promote(name, int(version), alias, reason=reason, actor=who.name)
        except SparkwingError as exc:
            return failed(request, "promote", exc)
        audit.record("promoted", who=who.name, peer=_peer(request), source=who.source, service="ui",
                     model=name, alias=alias, version=int(version), reason=reason)  # fmt: skip
        return RedirectResponse(f"/models/{_q(name)}", status_code=303)

    @router.post("/tables/{db}/{table}/rollback")
    async def rollback(db: str, table: str, request: Request, who: Identity = caller) -> Response:
        who, form = await operator(request, who, "rollback")
        history = view.table(db, table)  # a 404 for a table that is not there
        to = form.get("version", "")
        if history.get(to) is None:
            return render("error.html", request, 400, title="cannot roll back",
                          message=f"{history.table} keeps no version {to!r}")  # fmt: skip
        if spark is None:
            return render("error.html", request, 503, title="cannot roll back",
                          message="a rollback switches the table in the metastore and needs Spark, which "
                          "this UI was started without; use `sparkwing tables rollback`")  # fmt: skip
        from sparkwing.warehouse import rollback_table

        try:
            with one_at_a_time:
                info = rollback_table(spark(), history.table, view.workspace, to)
        except SparkwingError as exc:
            return failed(request, "roll back", exc)
        audit.record("rolled_back", who=who.name, peer=_peer(request), source=who.source, service="ui",
                     table=history.table, version=info.version)  # fmt: skip
        return RedirectResponse(f"/tables/{_q(db)}/{_q(table)}", status_code=303)


def _q(part: Any) -> str:
    from urllib.parse import quote

    return quote(str(part), safe="")
