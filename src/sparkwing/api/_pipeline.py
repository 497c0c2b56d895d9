"""A YAML pipeline run from Python: the same runner, record and lock as ``sparkwing run``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sparkwing.api._data import WorkspaceLike
from sparkwing.api._session import workspace_of
from sparkwing.config import PipelineSpec, load_spec, spec_from_text
from sparkwing.pipeline import Reporter, RunRecord, run_pipeline


class Pipeline:
    """A validated pipeline spec, ready to run in a workspace.

    >>> Pipeline.from_yaml("examples/loans/pipeline.yaml").run(workspace=ws).status  # doctest: +SKIP
    'succeeded'
    """

    def __init__(self, spec: PipelineSpec) -> None:
        self.spec = spec

    @classmethod
    def from_yaml(cls, path: str | os.PathLike[str], params: Mapping[str, Any] | None = None) -> Pipeline:
        """Read and validate a spec file (problems name their YAML line), ``params`` filled in."""
        return cls(load_spec(Path(path), _strings(params)))

    @classmethod
    def from_text(cls, text: str, filename: str = "<spec>",
                  params: Mapping[str, Any] | None = None) -> Pipeline:
        """A spec from YAML text; relative source URIs resolve against the current directory."""
        return cls(spec_from_text(text, filename, _strings(params)))

    @property
    def name(self) -> str:
        return self.spec.name

    def __repr__(self) -> str:
        return f"Pipeline({self.spec.name!r})"

    def run(
        self,
        workspace: WorkspaceLike = None,
        *,
        resume: str | None = None,
        fail_fast: bool = False,
        reporter: Reporter | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> RunRecord:
        """Run it and return the run record; the first failing step's error is raised.

        ``params`` fill the spec's ``params:`` for this run, as ``sparkwing run -p ds=...`` does
        (values may be strings, dates or numbers); a resume needs the run's own values.
        Spark (and H2O) keep running afterwards, for the rest of the program to use.
        """
        ws = workspace_of(workspace)
        spec = self.spec.with_params(_strings(params) or {}) if params else self.spec
        return run_pipeline(spec, ws.settings, resume=resume, fail_fast=fail_fast,
                            reporter=reporter, stop_engine=False)


def _strings(params: Mapping[str, Any] | None) -> dict[str, str] | None:
    """``{"ds": date(2026, 11, 30)}`` -> ``{"ds": "2026-11-30"}``: the CLI's ``-p`` text."""
    if params is None:
        return None
    return {str(k): v.isoformat() if hasattr(v, "isoformat") else str(v) for k, v in params.items()}
