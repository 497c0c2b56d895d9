"""Terminal output: a live step display on a TTY, plain log lines otherwise; the summary table."""

from __future__ import annotations

import logging
import sys
import time
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:  # the pipeline package is imported only by commands that run one
    from sparkwing.pipeline import RunRecord, StepRecord

# Not a terminal (logs, CI, pipes): wide enough that tables and one-line errors stay whole.
err = Console(stderr=True, soft_wrap=True, width=None if sys.stderr.isatty() else 200)
out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 200)

_STYLE = {"succeeded": "green", "failed": "bold red", "running": "yellow", "pending": "dim",
          "skipped": "dim"}


class _ConsoleHandler(logging.Handler):
    """Log lines through the rich console, so that they print above a live step table."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            err.print(self.format(record), markup=False, highlight=False, soft_wrap=True)
        except Exception:  # noqa: BLE001 - logging must never raise
            self.handleError(record)


def setup_logging(debug: bool, *, quiet: bool = False) -> None:
    """sparkwing's own log lines on stderr: INFO (DEBUG with ``debug``, errors only with ``quiet``).

    The engine's logs (JVM, Spark, H2O) never pass through here: they go to files
    (``sparkwing.engine.EngineLogs``).  Python warnings from the engine's client libraries are
    logged at DEBUG, not printed.
    """
    level = logging.DEBUG if debug else logging.ERROR if quiet else logging.INFO
    handler = _ConsoleHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    if not debug:
        handler.addFilter(_own_warnings_only)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("py4j", "py4j.clientserver", "py4j.java_gateway", "botocore", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    logging.captureWarnings(True)


def _own_warnings_only(record: logging.LogRecord) -> bool:
    """Python warnings raised in sparkwing's code pass; the engine clients' (h2o, pyspark) do not."""
    if record.name != "py.warnings":
        return True
    args = record.args
    first = str(args[0] if isinstance(args, tuple) and args else record.msg).split(":", 1)[0]
    return "/sparkwing/" in first.replace("\\", "/")


def interactive() -> bool:
    return err.is_terminal


class LiveReporter:
    """Step table that updates in place while the run goes on."""

    def __init__(self) -> None:
        self._steps: dict[str, StepRecord] = {}
        self._started: dict[str, float] = {}
        self._live: Live | None = None
        self._title = ""

    def _render(self) -> Table:
        table = Table(title=self._title, expand=False)
        for col in ("step", "kind", "status", "rows out", "quarantined", "time"):
            table.add_column(col)
        for s in self._steps.values():
            secs = s.seconds
            if s.status == "running" and s.name in self._started:
                secs = time.monotonic() - self._started[s.name]
            table.add_row(
                s.name, s.kind, f"[{_STYLE.get(s.status, '')}]{s.status}[/]",
                _n(s.rows_out), _n(s.rows_quarantined), f"{secs:.1f}s" if secs is not None else "",
            )
        return table

    def run_started(self, record: RunRecord, order: list[str]) -> None:
        self._title = f"{record.pipeline} · run {record.run_id}"
        self._steps = {n: record.steps[n] for n in order if n in record.steps}
        self._live = Live(self._render(), console=err, refresh_per_second=4, get_renderable=self._render)
        self._live.start()

    def step_started(self, step: StepRecord) -> None:
        self._started[step.name] = time.monotonic()
        self._steps[step.name] = step

    def step_finished(self, step: StepRecord) -> None:
        self._steps[step.name] = step

    def message(self, text: str) -> None:
        err.print(f"[dim]{text}[/]")

    def run_finished(self, record: RunRecord) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None


class QuietReporter:
    """``-q``: no progress at all; the summary and errors print as usual."""

    def run_started(self, record: RunRecord, order: list[str]) -> None: ...
    def step_started(self, step: StepRecord) -> None: ...
    def step_finished(self, step: StepRecord) -> None: ...
    def message(self, text: str) -> None: ...
    def run_finished(self, record: RunRecord) -> None: ...


def reporter(*, quiet: bool = False) -> Any:
    from sparkwing.pipeline import LogReporter

    if quiet:
        return QuietReporter()
    return LiveReporter() if interactive() else LogReporter()


class Recording:
    """Passes progress on to ``inner`` and keeps the finished run's record.

    ``record`` stays None when the run was refused before it began (busy, unknown run).
    """

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.record: RunRecord | None = None

    def run_started(self, record: RunRecord, order: list[str]) -> None:
        self.inner.run_started(record, order)

    def step_started(self, step: StepRecord) -> None:
        self.inner.step_started(step)

    def step_finished(self, step: StepRecord) -> None:
        self.inner.step_finished(step)

    def message(self, text: str) -> None:
        self.inner.message(text)

    def run_finished(self, record: RunRecord) -> None:
        self.record = record
        self.inner.run_finished(record)


def _n(value: int | None) -> str:
    return f"{value:,}" if value is not None else ""


def print_summary(record: RunRecord, *, show_error: bool = True) -> None:
    """The closing summary: steps, checks, tables, models, scores; a failing step's traceback.

    ``show_error=False`` leaves the run's error line to the caller (so it prints once).
    """
    table = Table(title=f"run {record.run_id} · {record.pipeline} · {record.status}")
    for col in ("step", "kind", "status", "rows in", "rows out", "quarantined", "time", "notes"):
        table.add_column(col)
    for s in record.steps.values():
        table.add_row(
            s.name, s.kind, f"[{_STYLE.get(s.status, '')}]{s.status}[/]", _n(s.rows_in),
            _n(s.rows_out), _n(s.rows_quarantined),
            f"{s.seconds:.1f}s" if s.seconds is not None else "", escape(_notes(s)),
        )
    out.print(table)
    checks = [(s.name, c) for s in record.steps.values() for c in s.checks]
    if checks:
        ct = Table(title="checks")
        for col in ("dataset", "check", "severity", "result", "detail"):
            ct.add_column(col)
        for name, c in checks:
            ok = "[green]pass[/]" if c.get("passed") else (
                "[yellow]warn[/]" if c.get("severity") == "warn" else "[red]FAIL[/]")
            ct.add_row(name, c.get("kind", ""), c.get("severity", ""), ok, c.get("message", ""))
        out.print(ct)
    for s in record.steps.values():
        d = s.details
        if d.kind == "models" and d.leaderboard:
            out.print(leaderboard_table(d.leaderboard, f"model {s.name} · leaderboard top 5", top=5))
            if d.version is not None:
                out.print(f"model {s.name} version {d.version} at {d.uri}")
            if d.promotion is not None:
                out.print(f"promotion: {d.promotion.reason}")
    for s in record.steps.values():
        if s.status == "failed" and s.user_traceback:
            err.print(f"[red]step {escape(s.name)} failed in your code:[/]", highlight=False)
            err.print(s.user_traceback.rstrip(), highlight=False, markup=False)
    if record.error and show_error:
        err.print(f"[red]error:[/] {escape(record.error)}", highlight=False)
    if record.status == "failed" and record.logs:
        err.print(f"[dim]engine logs: {escape(record.logs)}[/]", highlight=False)


def leaderboard_table(board: list[dict[str, Any]], title: str, *, top: int,
                      metrics_on: str | None = None) -> Table:
    """The first ``top`` leaderboard rows; the title says what the figures were measured on."""
    first = board[0]
    on = metrics_on or first.get("metrics_on")
    timing = ("training_time_ms", "predict_time_per_row_ms")
    held = [k for k in first if k.startswith("holdout_")]  # beside the cv figures when both exist
    keys = [k for k in first if k not in (*timing, *held, "metrics_on")][: 7 if not held else 5]
    keys += held + [k for k in timing if k in first]
    lt = Table(title=f"{title} · metrics on {on}" if on else title)
    for k in keys:
        lt.add_column(k)
    for row in board[:top]:
        lt.add_row(*[_fmt(row.get(k)) for k in keys])
    return lt


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return "" if v is None else str(v)


def _notes(s: StepRecord) -> str:
    d = s.details
    if s.status == "skipped" and s.reason:
        return s.reason
    if s.status == "failed" and s.error:
        return s.error[:120]
    if d.kind == "tables" and d.version is not None:
        return f"version {d.version}" + (" (already published)" if d.skipped else "")
    if d.kind == "scores" and (d.version is not None or d.scorer is not None):
        parts = [f"version {d.version}" if d.version is not None else "",
                 f"scorer {d.scorer}" if d.scorer else ""]
        return ", ".join(p for p in parts if p)
    if d.kind == "models" and d.version is not None:
        return f"v{d.version} {d.algorithm or ''}".rstrip()
    if d.kind == "features" and d.version is not None:
        return f"v{d.version} {d.algorithm or ''}{' (reused)' if d.reused else ''}: {', '.join(d.columns)}"
    if d.kind == "sources" and d.quarantine and s.rows_quarantined:
        return f"quarantine: {d.quarantine}"
    if s.kind == "datasets" and s.checks:
        failed = sum(1 for c in s.checks if not c.get("passed"))
        return f"{len(s.checks)} checks, {failed} failed"
    if s.error:
        return s.error[:80]
    return ""
