"""``/metrics`` of the scheduler daemon: the workspace's pipeline metrics file, over HTTP.

The file (``sparkwing.monitor``, written by every run) is read on each scrape, so what a
Prometheus server scrapes here is what node-exporter's textfile collector would read, plus
``sparkwing_scheduler_up``.  Plain ``http.server`` on a daemon thread: no framework, bound to
loopback unless told otherwise.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST

from sparkwing.errors import SourceError
from sparkwing.monitor import metrics_uri
from sparkwing.workspace import Workspace

UP = b"# HELP sparkwing_scheduler_up 1 while the scheduler daemon runs.\n" \
     b"# TYPE sparkwing_scheduler_up gauge\nsparkwing_scheduler_up 1.0\n"


class MetricsServer:
    """Serves ``GET /metrics`` for ``workspace`` on ``host:port`` (port 0: a free one)."""

    def __init__(self, workspace: Workspace, host: str = "127.0.0.1", port: int = 0) -> None:
        uri = metrics_uri(workspace)
        storage = workspace.storage

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                if self.path.split("?", 1)[0] != "/metrics":
                    self.send_error(404, "only /metrics here")
                    return
                try:
                    body = storage.read_bytes(uri)
                except SourceError:
                    body = b""  # no run finished yet
                body = (body + b"\n" if body and not body.endswith(b"\n") else body) + UP
                self.send_response(200)
                self.send_header("Content-Type", CONTENT_TYPE_LATEST)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet scrapes
                return

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="sparkwing-scheduler-metrics",
                                        daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{str(host)}:{port}/metrics"

    def start(self) -> MetricsServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
