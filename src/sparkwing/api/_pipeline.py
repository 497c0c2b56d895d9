"""A YAML pipeline run from Python: the same runner, record and lock as ``sparkwing run``."""

from __future__ import annotations

import os
from pathlib import Path

from sparkwing.api._data import WorkspaceLike
from sparkwing.api._session import workspace_of
from sparkwing.config import PipelineSpec, load_spec, parse_spec
from sparkwing.pipeline import Reporter, RunRecord, run_pipeline


class Pipeline:
    """A validated pipeline spec, ready to run in a workspace.

    >>> Pipeline.from_yaml("examples/loans/pipeline.yaml").run(workspace=ws).status  # doctest: +SKIP
    'succeeded'
    """

    def __init__(self, spec: PipelineSpec) -> None:
        self.spec = spec

    @classmethod
    def from_yaml(cls, path: str | os.PathLike[str]) -> Pipeline:
        """Read and validate a spec file (problems name their YAML line)."""
        return cls(load_spec(Path(path)))

    @classmethod
    def from_text(cls, text: str, filename: str = "<spec>") -> Pipeline:
        """A spec from YAML text; relative source URIs resolve against the current directory."""
        return cls(parse_spec(text, filename))

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
    ) -> RunRecord:
        """Run it and return the run record; the first failing step's error is raised.

        Spark (and H2O) keep running afterwards, for the rest of the program to use.
        """
        ws = workspace_of(workspace)
        return run_pipeline(self.spec, ws.settings, resume=resume, fail_fast=fail_fast,
                            reporter=reporter, stop_engine=False)
