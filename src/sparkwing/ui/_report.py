"""Self-contained HTML reports: the UI's run and model-card pages as one offline file.

The page contexts are built here for both the UI's routes and the reports, and rendered by the
same templates: a report is the page with its style sheet inlined, a Content-Security-Policy
that lets it load nothing (``default-src 'none'``), no navigation, and the links to other UI
pages turned into plain text (in-page ``#`` anchors stay).  Charts are the same inline SVG.

    >>> html = model_report(Workspace("sparkwing-home"), "loan_default@production")  # doctest: +SKIP
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

from markupsafe import Markup

from sparkwing._types import utcnow_iso
from sparkwing.config import ModelRef
from sparkwing.pipeline import RunRecord, RunStore
from sparkwing.registry import Registry
from sparkwing.ui import _pages
from sparkwing.ui._config import UiConfig
from sparkwing.ui._data import WorkspaceView
from sparkwing.workspace import Workspace

_SITE_LINK = re.compile(r'\s(href|action)="/[^"]*"')


@dataclass(frozen=True)
class Report:
    css: Markup
    written: str


def run_context(view: WorkspaceView, record: RunRecord) -> dict[str, Any]:
    """What ``run.html`` shows of one run."""
    return {"title": f"{record.pipeline} {record.run_id}", "run": record,
            "quarantine": view.quarantine(record), "run_error": _pages.split_hint(record.error),
            "spark_links": view.spark_links(record), "flow_links": view.flow_links(record)}  # fmt: skip


def card_context(view: WorkspaceView, name: str, version: str) -> dict[str, Any]:
    """What ``card.html`` shows of one model version."""
    mv = view.version(name, version)
    aliases = sorted(a for a, v in view.model(name).aliases.items() if v == mv.version)
    return {"title": mv.ref, "mv": mv, "card": mv.card, "aliases": aliases}


def render_report(template: str, workspace: Workspace, context: dict[str, Any]) -> str:
    """``template`` as an offline file: inline CSS, nothing to fetch, no links into a UI."""
    from sparkwing.ui._app import templates

    css = resources.files("sparkwing.ui").joinpath("static/ui.css").read_text(encoding="utf-8")
    report = Report(Markup(css.replace("</", "<\\/")), utcnow_iso())
    html = templates().get_template(template).render(
        request=None, workspace=workspace.root, viewer=None, csrf=None, operator=None, report=report,
        **context,
    )
    return _SITE_LINK.sub("", html)


def run_report(workspace: Workspace, run_id: str, config: UiConfig | None = None) -> str:
    """One run (by id or unique prefix, as ``sparkwing runs show`` finds it) as an HTML file."""
    view = WorkspaceView(workspace, config or UiConfig(workspace=workspace.root))
    record = RunStore(workspace).find(run_id)
    # An offline file links into no server: not to H2O Flow of a step still running either.
    return render_report("run.html", workspace, {**run_context(view, record), "flow_links": {}})


def model_report(workspace: Workspace, ref: str, config: UiConfig | None = None) -> str:
    """One model version (``NAME``, ``NAME@VERSION`` or ``NAME@ALIAS``) as an HTML file."""
    view = WorkspaceView(workspace, config or UiConfig(workspace=workspace.root))
    mv = Registry(workspace).get(ModelRef.parse(ref))
    return render_report("card.html", workspace, card_context(view, mv.name, str(mv.version)))
