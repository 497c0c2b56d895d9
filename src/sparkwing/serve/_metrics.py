"""Prometheus metrics of one service process, and the ASGI middleware that records requests."""

from __future__ import annotations

import logging
import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from sparkwing.serve._limits import ASGIApp, Message, Receive, Scope, Send

access = logging.getLogger("sparkwing.serve.access")
# Scoring is sub-millisecond to tens of milliseconds; finer buckets at the low end.
BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """The service's metrics in their own registry (two apps in one process never clash)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._children: dict[tuple[int, tuple[str, ...]], Any] = {}
        r = self.registry
        self.requests = Counter("sparkwing_http_requests", "HTTP requests by endpoint and status code.",
                                ["endpoint", "method", "code"], registry=r)
        self.errors = Counter("sparkwing_http_errors", "Error answers by endpoint and error code.",
                              ["endpoint", "code"], registry=r)
        self.latency = Histogram("sparkwing_http_request_duration_seconds", "Request latency by endpoint.",
                                 ["endpoint"], buckets=BUCKETS, registry=r)
        self.rows = Counter("sparkwing_rows_scored", "Rows scored by model and version.",
                            ["model", "version"], registry=r)
        self.row_warnings = Counter("sparkwing_row_warnings", "Values scored as NA, by model and kind.",
                                    ["model", "kind"], registry=r)
        self.loaded = Gauge("sparkwing_model_loaded_version", "Version currently served per model and alias.",
                            ["model", "alias"], registry=r)
        self.load_failures = Counter("sparkwing_model_load_failures", "Model versions that failed to load.",
                                     ["model", "version"], registry=r)
        self.aborts = Counter("sparkwing_http_client_aborts",
                              "Requests whose client went away before the answer.",
                              ["endpoint"], registry=r)
        self.swaps = Counter("sparkwing_model_swaps", "Times a served alias switched version.",
                             ["model", "alias"], registry=r)
        # Drift of the rolling window of scored rows against the training profile (serve/_drift.py).
        self.drift_psi = Gauge("sparkwing_drift_psi", "PSI of a feature over the window.",
                               ["model", "feature"], registry=r)
        self.drift_null_change = Gauge("sparkwing_drift_null_share_change",
                                       "Null share over the window minus at training.", ["model", "feature"],
                                       registry=r)
        self.drift_unseen = Gauge("sparkwing_drift_unseen_share", "Window rows with an unseen level.",
                                  ["model", "feature"], registry=r)
        self.drift_prediction_psi = Gauge("sparkwing_drift_prediction_psi",
                                          "PSI of the predictions over the window (vs the holdout's).",
                                          ["model"], registry=r)
        self.drift_max_psi = Gauge("sparkwing_drift_max_psi", "Largest PSI over the window.", ["model"],
                                   registry=r)
        self.drift_status = Gauge("sparkwing_drift_status", "Window drift: 0 ok, 1 warn, 2 fail.", ["model"],
                                  registry=r)
        self.drift_rows = Gauge("sparkwing_drift_window_rows", "Rows in the drift window.", ["model"],
                                registry=r)

    def child(self, metric: Any, *values: str) -> Any:
        """``metric.labels(*values)``, remembered: ``labels`` checks and locks on every call.

        Only for series that are never removed (requests, latency, errors, rows): the cache holds
        exactly the children the metric holds itself, so it grows no further than the metric.
        """
        key = (id(metric), values)
        got = self._children.get(key)
        if got is None:
            got = self._children[key] = metric.labels(*values)
        return got

    def render(self) -> bytes:
        return generate_latest(self.registry)


class RecordRequests:
    """ASGI middleware: count every answer by route template and status, time it, log it.

    A client that disconnects before its answer is sent is counted in
    ``sparkwing_http_client_aborts_total`` (and with code ``499``), never as a 5xx: a 5xx means
    the service failed.  The access log (logger ``sparkwing.serve.access``) has the method, path,
    status, milliseconds and the API key's id -- never the key.
    """

    def __init__(self, app: ASGIApp, metrics: Metrics, access_log: bool = False) -> None:
        self.app, self.metrics, self.access_log = app, metrics, access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500
        started = finished = disconnected = False

        async def receive_and_note() -> Message:
            nonlocal disconnected
            message = await receive()
            if message["type"] == "http.disconnect" and not finished:
                disconnected = True
            return message

        async def send_and_note(message: Message) -> None:
            nonlocal status, started, finished
            if message["type"] == "http.response.start":
                status, started = int(message["status"]), True
                reply = scope.get("sparkwing.reply_headers")  # from an identity provider (Negotiate)
                if reply:
                    message["headers"] = [*message.get("headers", []),
                                          *((k.lower().encode(), v.encode()) for k, v in reply.items())]
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                finished = True
            await send(message)

        try:
            await self.app(scope, receive_and_note, send_and_note)
        except Exception:
            if not (disconnected or scope.get("sparkwing.client_abort")):
                raise
        finally:
            endpoint = _endpoint(scope)
            m = self.metrics
            gone = disconnected or bool(scope.get("sparkwing.client_abort"))
            aborted = gone and not (finished and status < 499)
            if aborted:
                status = 499  # nginx's "client closed request"
                m.child(m.aborts, endpoint).inc()
            m.child(m.requests, endpoint, scope["method"], str(status)).inc()
            m.child(m.latency, endpoint).observe(time.perf_counter() - start)
            code = scope.get("sparkwing.error_code")
            if status >= 400 and not aborted:
                m.child(m.errors, endpoint, code or str(status)).inc()
            if self.access_log:
                access.info("%s %s %d %.1fms key=%s", scope["method"], scope.get("path", ""), status,
                            1000 * (time.perf_counter() - start), scope.get("sparkwing.key_id") or "-")


def _endpoint(scope: dict[str, Any] | Scope) -> str:
    route = scope.get("route")
    # Unmatched paths share one label, so a scan of random URLs cannot blow up the series.
    return getattr(route, "path", None) or "unmatched"
