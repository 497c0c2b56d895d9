"""``sparkwing export oozie|airflow|emr-steps``: one spec, three cluster schedulers, one spark-submit."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sparkwing.config import PipelineSpec, Settings
from sparkwing.errors import ConfigError
from sparkwing.schedule._airflow import export_airflow
from sparkwing.schedule._emr import export_emr
from sparkwing.schedule._oozie import export_oozie
from sparkwing.schedule._submit import Deployment, deployment
from sparkwing.workspace import is_remote

Exporter = Callable[..., list[Path]]


def _oozie(spec: PipelineSpec, settings: Settings, out: Path, *, deploy_uri: str | None = None,
           spec_path: str | None = None) -> list[Path]:
    return export_oozie(deployment(spec, settings, deploy_uri), out)


def _airflow(spec: PipelineSpec, settings: Settings, out: Path, *, deploy_uri: str | None = None,
             spec_path: str | None = None) -> list[Path]:
    local = spec_path or (str(spec._path) if spec._path else f"{spec.name}.yaml")
    try:
        dep = deployment(spec, settings, deploy_uri)
    except ConfigError:
        if is_remote(settings.workspace):
            raise
        # A local workspace: the DAG runs the sparkwing CLI on the Airflow worker only.
        name = spec._path.name if spec._path else f"{spec.name}.yaml"
        return export_airflow(Deployment(spec, settings, "", name), out, local_spec=local, cluster=False)
    return export_airflow(dep, out, local_spec=local)


def _emr(spec: PipelineSpec, settings: Settings, out: Path, *, deploy_uri: str | None = None,
         spec_path: str | None = None) -> list[Path]:
    return export_emr(deployment(spec, settings, deploy_uri), out)


#: Export target -> writer(spec, settings, out_dir, deploy_uri=None) -> files written.
EXPORTERS: dict[str, Exporter] = {"oozie": _oozie, "airflow": _airflow, "emr-steps": _emr}
