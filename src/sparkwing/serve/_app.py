"""The FastAPI application: routes, auth, limits, error answers, OpenAPI examples.

    >>> app = create_app(ServeConfig(workspace="/tmp/ws"))   # doctest: +SKIP
    >>> uvicorn.run(app, host="127.0.0.1", port=8080)        # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPBearer
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Route
from starlette.types import Scope

from sparkwing import __version__
from sparkwing.auth import (
    ADMIN,
    SCORER,
    AuditLog,
    Authenticator,
    Credentials,
    Identity,
    KeyStore,
    RateLimiter,
    providers_from,
)
from sparkwing.config import check_name
from sparkwing.errors import ConfigError, SparkwingError
from sparkwing.registry import Registry
from sparkwing.serve._config import ServeConfig
from sparkwing.serve._drift import DriftWindow
from sparkwing.serve._errors import ServeError, from_sparkwing
from sparkwing.serve._limits import ClientAborted, DeclaredLength, read_body
from sparkwing.serve._metrics import Metrics, RecordRequests
from sparkwing.serve._models import LoadedModel, ModelStore, default_refs
from sparkwing.serve._pool import ScoringPool
from sparkwing.serve._predict import ResponseLimits, example_row, predict_bytes
from sparkwing.serve._schemas import ErrorOut, ModelStatus, PredictRequest, PredictResponse
from sparkwing.workspace import Workspace

log = logging.getLogger("sparkwing.serve")
# For the OpenAPI page only (its "Authorize" button); credentials are read by Service.authorize.
_bearer = HTTPBearer(auto_error=False, description="An API key from `sparkwing keys create`.")
_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}
_ERRORS: dict[int | str, dict[str, Any]] = {
    s: {"model": ErrorOut, "description": d} for s, d in
    [(401, "no valid API key or sign-in"), (403, "the caller lacks the role"),
     (404, "unknown model, alias or version"),
     (413, "body or row count over the limit"), (422, "invalid request"), (429, "rate limit"),
     (503, "model not loaded, or busy (Retry-After)")]
}


class Service:
    """Everything one app holds: config, registry, models, keys, limits, metrics, the poller."""

    def __init__(self, config: ServeConfig, workspace: Workspace | None = None) -> None:
        config.check()
        self.config = config
        self.workspace = workspace or Workspace(config.workspace, s3=config.s3)
        self.metrics = Metrics()
        self.drift = DriftWindow(self.metrics)  # rolling drift per served model, as gauges
        self.registry = Registry(self.workspace)
        refs = config.models or default_refs(self.registry)
        if not refs:
            raise ConfigError(
                "no model to serve: no model has a production alias",
                hint="sparkwing models promote NAME VERSION production, or pass --model NAME@ALIAS",
            )
        self.store = ModelStore(self.registry, refs, self.metrics)
        self.keys = KeyStore(self.workspace, actor="serve")
        self.auth = Authenticator(providers_from(config.auth, self.keys), audit=AuditLog(self.workspace),
                                  service="serve", failures_per_minute=config.auth.failures_per_minute,
                                  remember_basic=config.auth.remember_basic)
        self.limiter = RateLimiter(config.rate_limit, config.burst)
        self.pool = ScoringPool(config)
        self.limits = ResponseLimits(config.max_rows, config.max_warnings, config.max_listed)
        self.auth_required = config.auth_required  # read on every request; the host does not change
        self._stop = threading.Event()
        self._first_poll = threading.Event()
        self._poller: threading.Thread | None = None

    def start(self) -> None:
        """Load the models in the background (``/readyz`` turns ready), then poll the registry."""
        self._poller = threading.Thread(target=self._poll, name="sparkwing-serve-poll", daemon=True)
        self._poller.start()

    def wait_first_poll(self, timeout: float) -> bool:
        """Block until the first registry poll has loaded (or failed to load) every model."""
        return self._first_poll.wait(timeout)

    def stop(self) -> None:
        self._stop.set()
        if self._poller is not None:
            self._poller.join(timeout=10)
        self.pool.close()

    def wait_ready(self, timeout: float = 30.0) -> bool:
        deadline = threading.Event()
        for _ in range(int(timeout / 0.02)):
            if self.store.ready:
                return True
            deadline.wait(0.02)
        return self.store.ready

    def reload(self) -> list[dict[str, Any]]:
        self.keys.reload()
        return self.store.refresh()

    def _poll(self) -> None:
        while not self._stop.is_set():
            try:
                self.reload()
            except Exception:  # noqa: BLE001 - the poller must outlive a bad poll
                log.exception("registry poll failed")
            self._first_poll.set()
            if self.config.poll_interval <= 0 and self.store.ready:
                return
            self._stop.wait(self.config.poll_interval or 1.0)

    # --- auth -------------------------------------------------------------------------------

    async def authorize(self, request: Request, role: str) -> Identity | None:
        """The caller, if it has ``role`` (401/403/429 otherwise); ``None`` when no sign-in is needed.

        Only headers are read: the body waits until the caller is known.  An API key is checked
        on the event loop (a dict lookup and a hash); a password or ticket goes to the thread pool
        (a round trip to the directory).
        """
        if not self.auth_required:
            return None
        creds = credentials_of(request)
        if creds is None or creds.scheme == "bearer":
            identity = self.auth.identify(creds, role=role)
        else:
            identity = await run_in_threadpool(self.auth.identify, creds, role=role)
        request.scope["sparkwing.key_id"] = identity.name if identity.source == "key" else identity.key
        request.scope["sparkwing.reply_headers"] = creds.reply if creds is not None else {}
        if not self.limiter.allow(identity.key):
            raise ServeError(
                429,
                "rate_limited",
                f"{identity.source} {identity.name} is over {self.config.rate_limit:g} requests/s",
                headers={"Retry-After": str(self.limiter.retry_after())},
            )
        return identity


def credentials_of(request: Request) -> Credentials | None:
    """The request's ``Authorization`` header (or ``X-API-Key``), its peer and whether it came over TLS."""
    peer = request.client.host if request.client is not None else ""
    tls = request.url.scheme == "https"
    header = request.headers.get("authorization")
    if header:
        return Credentials.from_header(header, peer=peer, tls=tls)
    key = request.headers.get("x-api-key")
    return Credentials("bearer", key, peer, tls) if key else None


#: a worker of ``--workers N`` waits at most this long for its models before it takes requests
LOAD_BEFORE_SERVING_S = 300.0


def create_app(config: ServeConfig, *, service: Service | None = None,
               load_before_serving: bool = False) -> FastAPI:
    """The ASGI app serving ``config.models`` (or every model with a production alias).

    ``load_before_serving``: the app's start-up waits for the first registry poll, so that the
    server accepts no connection before its models are loaded.  The workers of ``--workers N``
    share one listening socket: a worker still loading would otherwise take its share of the
    connections and answer them 503 while ``/readyz`` of a loaded sibling said 200.
    """
    svc = service or Service(config)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        svc.start()
        if load_before_serving and not await asyncio.to_thread(svc.wait_first_poll, LOAD_BEFORE_SERVING_S):
            log.warning("models still loading after %.0f s: taking requests anyway (see /readyz)",
                        LOAD_BEFORE_SERVING_S)
        try:
            yield
        finally:
            svc.stop()

    # redirect_slashes=False: Starlette's trailing-slash redirect builds its Location from the
    # request's Host header (an open redirect, before auth); an unknown path is a plain 404.
    # docs_url/redoc_url=None: FastAPI's pages load Swagger UI from a CDN (blank offline);
    # /docs is served below from the assets of the swagger-ui-bundle package.
    # telemetry off: FastAPI's built-in OpenTelemetry hooks look up the global providers on every
    # request (~10 % of a 1-row request's CPU); the service's metrics are its Prometheus ones.
    app = FastAPI(title="sparkwing scoring service", version=__version__, lifespan=lifespan,
                  redirect_slashes=False, docs_url=None, redoc_url=None,
                  telemetry={"tracing": False, "metrics": False, "logs": False},
                  description="Scores registered H2O MOJO models in pure Python (no JVM).")
    app.state.service = svc

    def need(role: str) -> Any:
        # async: a plain ``def`` dependency would cost a thread-pool hop on every request.
        async def check(request: Request, _: Annotated[Any, Depends(_bearer)]) -> None:
            await svc.authorize(request, role)
        return Depends(check)

    @app.get("/healthz", tags=["health"])
    async def healthz() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"], responses={503: {"description": "some model is not loaded"}})
    async def readyz() -> JSONResponse:
        """Ready when every requested model is loaded (names, versions and states only: this is open)."""
        shown = ("name", "alias", "version", "state")
        states = [{k: s.status()[k] for k in shown} for s in svc.store.served.values()]
        ready = svc.store.ready
        return JSONResponse({"ready": ready, "models": states}, status_code=200 if ready else 503)

    @app.get("/metrics", tags=["health"], dependencies=[need(SCORER)], response_class=Response)
    async def metrics() -> Response:
        """Prometheus metrics (text format)."""
        return Response(svc.metrics.render(), media_type=CONTENT_TYPE_LATEST)

    @app.get("/v1/models", tags=["models"], dependencies=[need(SCORER)], responses=_ERRORS)
    async def list_models() -> dict[str, list[ModelStatus]]:
        """The served models and their state."""
        return {"models": [ModelStatus(**s.status()) for s in svc.store.served.values()]}

    # Registered before GET /v1/models/{name}, which would take "x:predict" for a model name.
    @app.api_route("/v1/models/{name}:predict", methods=["GET", "HEAD", "PUT", "PATCH", "DELETE"],
                   include_in_schema=False)
    async def predict_wrong_method(name: str) -> None:
        raise StarletteHTTPException(405, "use POST to score", headers={"Allow": "POST"})

    @app.get("/v1/models/{name}", tags=["models"], dependencies=[need(SCORER)], responses=_ERRORS)
    def model_detail(name: str) -> dict[str, Any]:
        """Versions, aliases, features (types, domains), classes and holdout (else cv) metrics of a model."""
        check_name(name, "model")  # a bad name is a 400 invalid_name, not a lookup
        served = svc.store._served(name)
        return _detail(svc, served.ref.name, served.current, served.status())

    body_doc = {
        "required": True,
        "content": {"application/json": {"schema": PredictRequest.model_json_schema()}},
    }

    @app.post("/v1/models/{name}:predict", tags=["models"], dependencies=[need(SCORER)],
              response_model=PredictResponse, responses=_ERRORS, openapi_extra={"requestBody": body_doc})
    async def predict(
        name: str,
        request: Request,
        alias: Annotated[str | None, Query(max_length=100, description="Alias to score with.")] = None,
        version: Annotated[int | None, Query(ge=1, description="Version to score with.")] = None,
        strict: Annotated[bool, Query(description="Same as `strict` in the body.")] = False,
    ) -> Response:
        """Score rows with the model at its served alias (default), `alias` or `version`."""
        return await score_request(name, request, alias, version, strict)

    async def plain_predict(request: Request) -> Response:
        await svc.authorize(request, SCORER)
        return await score_request(request.path_params["name"], request, None, None, False)

    # Ahead of the route above: the same answer for a request without a query string (nearly
    # all), without FastAPI's per-request dependency and parameter solving (a third of the
    # CPU of a 1-row request).  With a query string, FastAPI's route checks the parameters.
    app.router.routes.insert(0, _PlainPost("/v1/models/{name}:predict", plain_predict, methods=["POST"],
                                           include_in_schema=False))

    async def score_request(name: str, request: Request, alias: str | None, version: int | None,
                            strict: bool) -> Response:
        if name not in svc.store.served:  # a served name was checked when the service started
            check_name(name, "model")
        if alias is not None:
            check_name(alias, "alias")
        if alias is not None and version is not None:
            raise ServeError(422, "invalid_request", "give `alias` or `version`, not both")
        # The key was checked (a dependency, from the headers): only now is the body read.
        raw = await read_body(request, config.max_body_bytes, config.body_timeout)
        # The one model this request scores with, even if the alias moves meanwhile.
        picked = svc.store.pick(name, alias, version)
        lm = (
            picked
            if isinstance(picked, LoadedModel)
            else await run_in_threadpool(svc.store.load_extra, name, picked)
        )
        default_alias = svc.store.served[name].ref.alias or None
        served_alias = alias if alias is not None else (None if version is not None else default_alias)
        if len(raw) <= config.inline_bytes:
            # A few rows: cheaper here than the hop to a scoring process (bounded by inline_bytes).
            out, n, kinds, counts = predict_bytes(lm, raw, strict=strict, alias=served_alias,
                                                  limits=svc.limits)
        else:
            out, n, kinds, counts = await svc.pool.score(lm.name, lm.version, raw, strict=strict,
                                                         alias=served_alias)
        svc.drift.observe(lm, counts)
        m = svc.metrics
        m.child(m.rows, lm.name, str(lm.version)).inc(n)
        for kind in kinds:
            m.child(m.row_warnings, lm.name, kind).inc()
        return Response(out, media_type="application/json")

    @app.post("/v1/admin/reload", tags=["admin"], dependencies=[need(ADMIN)], responses=_ERRORS)
    def admin_reload() -> dict[str, Any]:
        """Poll the registry now (and re-read the API keys); returns every model's state."""
        return {"models": svc.reload()}

    _install_errors(app)
    _install_openapi(app, svc)
    _install_docs(app)
    app.add_middleware(DeclaredLength, max_bytes=config.max_body_bytes)
    app.add_middleware(RecordRequests, metrics=svc.metrics, access_log=config.logs_access)
    return app


class _PlainPost(Route):
    """A POST route that matches only requests without a query string."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http" or scope["method"] != "POST" or scope.get("query_string"):
            return Match.NONE, {}
        match, child = super().matches(scope)
        if match is Match.FULL:
            child["route"] = self  # the metrics' endpoint label: the same template as FastAPI's route
        return match, child


def _detail(svc: Service, name: str, current: LoadedModel | None, status: dict[str, Any]) -> dict[str, Any]:
    versions = [
        {"version": mv.version, "created": mv.card.created, "algorithm": mv.card.algorithm,
         "metrics": dict(mv.card.metrics.holdout or mv.card.metrics.cv)}
        for mv in svc.registry.versions(name)
    ]
    out: dict[str, Any] = {
        "name": name,
        "status": status,
        "aliases": svc.registry.aliases(name),
        "versions": versions,
    }
    if current is not None:
        info, card = current.model.info, current.card
        spark_types = {f.name: f.spark_type for f in card.features}
        out.update(
            version=current.version,
            algorithm=info.algorithm,
            category=info.category,
            task=card.task,
            target=card.target or info.response,
            classes=list(info.classes) if info.classes is not None else None,
            threshold=info.default_threshold,
            outputs=list(info.output_names),
            features=[{"name": f.name, "type": f.type, "domain": list(f.domain) if f.domain else None,
                       "spark_type": spark_types.get(f.name)} for f in info.features],
            metrics=dict(card.metrics.holdout or card.metrics.cv),
            h2o_version=info.h2o_version,
        )
    return out


def _install_errors(app: FastAPI) -> None:
    def answer(request: Request, err: ServeError) -> JSONResponse:
        request.scope["sparkwing.error_code"] = err.code
        return JSONResponse(err.body(), status_code=err.status, headers=err.headers)

    @app.exception_handler(SparkwingError)
    async def on_sparkwing(request: Request, exc: SparkwingError) -> JSONResponse:
        return answer(request, from_sparkwing(exc))

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return answer(request, ServeError(400, "invalid_json", "the body is not valid JSON"))
        # No "input" echo: a body can be megabytes; location and message say enough.
        details = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))} for e in errors[:20]
        ]
        first = details[0] if details else {"loc": [], "msg": "invalid"}
        return answer(request, ServeError(422, "invalid_request",
                                          f"{'.'.join(first['loc'])}: {first['msg']}", details=details))

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, f"http_{exc.status_code}")
        return answer(request, ServeError(exc.status_code, code, str(exc.detail),
                                          headers=getattr(exc, "headers", None)))

    @app.exception_handler(ClientAborted)
    async def on_abort(request: Request, exc: ClientAborted) -> Response:
        request.scope["sparkwing.client_abort"] = True  # nobody reads this answer; metrics say so
        return Response(status_code=499)

    @app.exception_handler(Exception)
    async def on_bug(request: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error on %s %s", request.method, request.url.path)
        return answer(request, ServeError(500, "internal_error", "internal error; see the service log"))


#: The Swagger UI files /docs needs, from the swagger-ui-bundle package (nothing from a CDN).
DOCS_ASSETS = {"swagger-ui-bundle.js": "text/javascript", "swagger-ui.css": "text/css",
               "favicon-32x32.png": "image/png"}


def _install_docs(app: FastAPI) -> None:
    """``/docs``: Swagger UI on this service's OpenAPI schema, every file served from here."""
    from fastapi.openapi.docs import get_swagger_ui_html
    from fastapi.responses import FileResponse, HTMLResponse
    from swagger_ui_bundle import swagger_ui_path

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json", title=f"{app.title} - docs",
            swagger_js_url="/docs/assets/swagger-ui-bundle.js", swagger_css_url="/docs/assets/swagger-ui.css",
            swagger_favicon_url="/docs/assets/favicon-32x32.png",
        )

    @app.get("/docs/assets/{name}", include_in_schema=False)
    async def docs_asset(name: str) -> FileResponse:
        if name not in DOCS_ASSETS:
            raise StarletteHTTPException(404, "not found")
        return FileResponse(Path(str(swagger_ui_path)) / name, media_type=DOCS_ASSETS[name],
                            headers={"Cache-Control": "public, max-age=86400"})


def _install_openapi(app: FastAPI, svc: Service) -> None:
    """Name the served models in the schema and give each one a request example."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = original()
        names = sorted(svc.store.served)
        examples: dict[str, Any] = {}
        for name in names:
            current = svc.store.served[name].current
            if current is not None:
                examples[name] = {"summary": f"one row for {name}", "value": {"rows": [example_row(current)]}}
        for path, item in schema.get("paths", {}).items():
            if not path.startswith("/v1/models/{name}"):
                continue
            for op in item.values():
                for param in op.get("parameters", []):
                    if param.get("name") == "name" and names:
                        param["schema"] = {**param.get("schema", {}), "enum": names}
                if path.endswith(":predict") and examples:
                    content = op["requestBody"]["content"]["application/json"]
                    content["examples"] = examples
        if svc.store.ready:
            app.openapi_schema = schema  # cache only once the examples are complete
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
