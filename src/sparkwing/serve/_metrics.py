"""Prometheus metrics of one service process, and the ASGI middleware that records requests."""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from sparkwing.serve._limits import ASGIApp, Message, Receive, Scope, Send

# Scoring is sub-millisecond to tens of milliseconds; finer buckets at the low end.
BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """The service's metrics in their own registry (two apps in one process never clash)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
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
        self.swaps = Counter("sparkwing_model_swaps", "Times a served alias switched version.",
                             ["model", "alias"], registry=r)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class RecordRequests:
    """ASGI middleware: count every answer by route template and status, and time it."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            endpoint = _endpoint(scope)
            m = self.metrics
            m.requests.labels(endpoint, scope["method"], str(status)).inc()
            m.latency.labels(endpoint).observe(time.perf_counter() - start)
            code = scope.get("sparkwing.error_code")
            if status >= 400:
                m.errors.labels(endpoint, code or str(status)).inc()


def _endpoint(scope: dict[str, Any] | Scope) -> str:
    route = scope.get("route")
    # Unmatched paths share one label, so a scan of random URLs cannot blow up the series.
    return getattr(route, "path", None) or "unmatched"
