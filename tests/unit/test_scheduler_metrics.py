"""The scheduler daemon serves the workspace's pipeline metrics on /metrics (real HTTP, loopback)."""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from sparkwing.config import load_settings
from sparkwing.monitor import RunSample, StepSample, record_run
from sparkwing.schedule import Scheduler


def _get(url: str) -> tuple[int, str, str]:
    with urllib.request.urlopen(url, timeout=10) as resp:  # noqa: S310 - loopback test server
        return resp.status, resp.headers["Content-Type"], resp.read().decode()


def test_the_scheduler_serves_the_metrics_file_while_it_runs(tmp_path: Path) -> None:
    settings = load_settings({"workspace": str(tmp_path / "ws")}, settings_file=None)
    scheduler = Scheduler([], settings)
    loop = threading.Thread(target=scheduler.serve, args=(0.2,), kwargs={"metrics": ("127.0.0.1", 0)})
    loop.start()
    try:
        for _ in range(200):
            if scheduler.metrics_url:
                break
            time.sleep(0.05)
        url = scheduler.metrics_url
        assert url is not None and url.startswith("http://127.0.0.1:")
        status, _, text = _get(url)  # no run yet: only the daemon's own gauge
        assert status == 200 and "sparkwing_scheduler_up 1.0" in text
        record_run(scheduler.workspace, RunSample("loans", "succeeded", 3.0, time.time(), steps=[
            StepSample("raw", "sources", "succeeded", 1.0, rows_in=100, rows_out=98, rows_quarantined=2)]))
        status, ctype, text = _get(url)
        assert status == 200 and ctype.startswith("text/plain")
        samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
                   for fam in text_string_to_metric_families(text) for s in fam.samples}
        share = ("sparkwing_source_quarantine_share", (("pipeline", "loans"), ("source", "raw")))
        assert samples[share] == 0.02
        runs = ("sparkwing_pipeline_runs_total", (("outcome", "succeeded"), ("pipeline", "loans")))
        assert samples[runs] == 1
        assert samples[("sparkwing_scheduler_up", ())] == 1
        with pytest.raises(urllib.error.HTTPError, match="404"):
            _get(url.replace("/metrics", "/other"))
    finally:
        scheduler.stop_event.set()
        loop.join(timeout=20)
    assert not loop.is_alive()
    with pytest.raises(urllib.error.URLError):
        _get(url)  # stopped with the scheduler
