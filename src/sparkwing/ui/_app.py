"""The UI's FastAPI app: read-only, server-rendered pages over one workspace.

Pages are Jinja2 templates with autoescaping on for every template; charts are inline SVG
from :mod:`sparkwing.ui._svg`.  No JavaScript, no external asset: the Content-Security-Policy
forbids scripts and anything not served by the UI itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader
from starlette.exceptions import HTTPException as StarletteHTTPException

from sparkwing import __version__
from sparkwing.auth import OPERATOR, AuditLog, Authenticator, RateLimiter, Sessions, providers_from
from sparkwing.errors import AuthError, InvalidName, SparkwingError
from sparkwing.ui import _actions, _pages, _quality, _report
from sparkwing.ui._actions import SparkFactory
from sparkwing.ui._auth import Authenticate, local_viewer
from sparkwing.ui._config import UiConfig
from sparkwing.ui._data import NextRunOf, NotFound, WorkspaceView
from sparkwing.ui._sign_in import SignIn
from sparkwing.workspace import Workspace

CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'none'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")  # fmt: skip
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def templates() -> Environment:
    env = Environment(loader=PackageLoader("sparkwing.ui", "templates"), autoescape=True,
                      trim_blocks=True, lstrip_blocks=True)  # fmt: skip
    env.filters["q"] = lambda s: quote(str(s), safe="")
    env.filters["fmt"] = _pages.fmt
    env.filters["duration"] = _pages.duration
    env.globals.update(pages=_pages, version=__version__)
    return env


def sign_in_for(config: UiConfig, workspace: Workspace) -> SignIn | None:
    """The UI's sign-in when ``config.auth`` configures a provider (LDAP), else ``None``."""
    authenticator = Authenticator(providers_from(config.auth), audit=AuditLog(workspace), service="ui",
                                  failures_per_minute=config.auth.failures_per_minute,
                                  remember_basic=config.auth.remember_basic)  # fmt: skip
    if not authenticator.configured:
        return None
    sessions = Sessions(config.auth.session.key(), config.auth.session.max_age)
    return SignIn(authenticator, sessions, RateLimiter(config.rate_limit, config.rate_burst))


def create_app(
    config: UiConfig, *, workspace: Workspace | None = None, authenticate: Authenticate | None = None,
    sessions: Sessions | None = None, spark: SparkFactory | None = None, next_run: NextRunOf | None = None,
) -> FastAPI:
    """The UI over ``config.workspace``.

    ``authenticate`` is the login hook (see ``_auth``); by default the sign-in that
    ``config.auth`` configures (a form and a session cookie), or, with none, :func:`local_viewer`.
    ``sessions`` checks the CSRF tokens of the operator's forms (the sign-in's own by default; a
    hook that sets ``request.state.csrf_nonce`` passes its own); ``spark`` starts the Spark
    session a table rollback needs (none: rollbacks answer 503); ``next_run`` tells a pipeline's
    next scheduled run (none: the pipelines page shows no schedule).
    """
    ws = workspace or Workspace(config.workspace, s3=config.s3)
    view = WorkspaceView(ws, config, next_run)
    env = templates()
    sign_in = sign_in_for(config, ws) if authenticate is None else None
    guard = authenticate or (sign_in.viewer if sign_in is not None else local_viewer)
    audit = AuditLog(ws)
    sessions = sessions or (sign_in.sessions if sign_in is not None else None)
    # No slash redirects: a name that decodes to "/" (/models/%2F) must be a 404, not /models.
    app = FastAPI(title="sparkwing ui", docs_url=None, redoc_url=None, openapi_url=None,
                  redirect_slashes=False)
    pages = APIRouter(dependencies=[Depends(guard)])  # every page; /login and /static stay open
    app.mount("/static", StaticFiles(packages=[("sparkwing.ui", "static")]), name="static")

    @app.middleware("http")
    async def headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        for k, v in {**HEADERS, **getattr(request.state, "reply", {})}.items():
            response.headers.setdefault(k, v)
        return response

    def page(name: str, request: Request, status: int = 200, **context: Any) -> HTMLResponse:
        state = request.state
        signed = {"viewer": getattr(state, "viewer", None), "csrf": getattr(state, "csrf", None),
                  "operator": OPERATOR}
        body = env.get_template(name).render(request=request, workspace=ws.root, **{**signed, **context})
        return HTMLResponse(body, status_code=status)

    if sign_in is not None:
        sign_in.install(app, page)

    @app.exception_handler(AuthError)
    async def refused(request: Request, exc: AuthError) -> HTMLResponse:
        answer = page("error.html", request, exc.status, title=str(exc.status), message=exc.message)
        if exc.status == 401 and exc.challenges:
            answer.headers["WWW-Authenticate"] = ", ".join(exc.challenges)
        return answer

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> HTMLResponse:
        return page("error.html", request, 404, title="not found", message=str(exc))

    @app.exception_handler(InvalidName)
    async def bad_name(request: Request, exc: InvalidName) -> HTMLResponse:
        return page("error.html", request, 400, title="bad name", message=exc.one_line())

    @app.exception_handler(SparkwingError)
    async def unreadable(request: Request, exc: SparkwingError) -> HTMLResponse:
        return page("error.html", request, 500, title="cannot read", message=exc.one_line())

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> HTMLResponse:
        status = exc.status_code
        return page("error.html", request, status, title=str(status), message=str(exc.detail))

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @pages.get("/", response_class=HTMLResponse)
    def pipelines(request: Request) -> HTMLResponse:
        return page("pipelines.html", request, title="pipelines", pipelines=view.pipelines())

    @pages.get("/pipelines/{pipeline}", response_class=HTMLResponse)
    def pipeline(pipeline: str, request: Request) -> HTMLResponse:
        runs = view.recent_runs(pipeline)
        return page("pipeline.html", request, title=pipeline, pipeline=pipeline, runs=runs)

    @pages.get("/quality/{pipeline}", response_class=HTMLResponse)
    def quality(pipeline: str, request: Request, runs: int = Query(0, ge=0, le=500)) -> HTMLResponse:
        records = view.recent_runs(pipeline, runs or None)
        steps = _quality.by_step(_quality.quality_series(records))
        return page("quality.html", request, title=f"quality of {pipeline}", pipeline=pipeline, runs=records,
                    steps=steps)  # fmt: skip

    @pages.get("/runs/{pipeline}/{run_id}", response_class=HTMLResponse)
    def run(pipeline: str, run_id: str, request: Request) -> HTMLResponse:
        return page("run.html", request, **_report.run_context(view, view.run(pipeline, run_id)))

    @pages.get("/runs/{pipeline}/{run_id}/quarantine/{source}/{name}")
    def quarantine_file(pipeline: str, run_id: str, source: str, name: str) -> StreamingResponse:
        uri = view.quarantine_file(pipeline, run_id, source, name)
        return _download(view, uri, f"{pipeline}-{run_id}-{source}-{name}", "application/x-ndjson")

    @pages.get("/tables", response_class=HTMLResponse)
    def tables(request: Request) -> HTMLResponse:
        return page("tables.html", request, title="tables", tables=view.tables())

    @pages.get("/tables/{db}/{table}", response_class=HTMLResponse)
    def table(db: str, table: str, request: Request) -> HTMLResponse:
        history = view.table(db, table)
        return page("table.html", request, title=f"{db}.{table}", history=history, db=db, table=table,
                    preview=view.preview(history))  # fmt: skip

    @pages.get("/models", response_class=HTMLResponse)
    def models(request: Request) -> HTMLResponse:
        return page("models.html", request, title="models", models=view.models())

    @pages.get("/models/{name}", response_class=HTMLResponse)
    def model(name: str, request: Request) -> HTMLResponse:
        return page("model.html", request, title=name, model=view.model(name), log=view.alias_log(name))

    @pages.get("/models/{name}/{version}", response_class=HTMLResponse)
    def model_version(name: str, version: str, request: Request) -> HTMLResponse:
        return page("card.html", request, **_report.card_context(view, name, version))

    @pages.get("/models/{name}/{version}/files/{artifact:path}")
    def artifact(name: str, version: str, artifact: str) -> StreamingResponse:
        uri = view.artifact(name, version, artifact)
        filename = f"{name}-{version}-{artifact.replace('/', '-')}"
        return _download(view, uri, filename, "application/octet-stream")

    _actions.install(pages, view, page, guard=guard, sessions=sessions, audit=audit, spark=spark)
    app.include_router(pages)
    return app


def _download(view: WorkspaceView, uri: str, filename: str, media_type: str) -> StreamingResponse:
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in filename)
    headers = {"Content-Disposition": f'attachment; filename="{safe}"'}
    size = view.size(uri)
    if size is not None:
        headers["Content-Length"] = str(size)
    return StreamingResponse(view.stream(uri), media_type=media_type, headers=headers)
