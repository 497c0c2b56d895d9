"""The one spark-submit line every export runs: sparkwing as a YARN cluster-mode driver.

The cluster needs sparkwing and Sparkling Water installed on every node (the EMR bootstrap
script does it) and three files in a deploy folder next to the workspace: the spec, a
two-line driver script, and the Sparkling Water jar copied to a fixed path at bootstrap.
Oozie, Airflow and EMR steps all run exactly this line, so they cannot drift apart.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from sparkwing.config import PipelineSpec, Settings, refuse_secret_conf
from sparkwing.errors import ConfigError

DRIVER_SCRIPT = "sparkwing_main.py"
DRIVER_TEXT = (
    '"""spark-submit entry point: runs the sparkwing command line."""\n'
    "from sparkwing.cli import main\n\nmain()\n"
)
#: Where the bootstrap script puts the Sparkling Water assembly jar on every node.
NODE_JAR = "/home/hadoop/sparkwing/sparkling_water_assembly.jar"
SPARKLING_WATER = "h2o-pysparkling-3-5==3.46.0.6.post1"
# Settings the engine applies itself at start-up on the driver; on the line they would clash
# with the cluster's own (warehouse dir, master, local Derby metastore, loopback addresses).
_LEAVE_TO_CLUSTER = ("spark.master", "spark.app.name", "spark.jars", "spark.driver.memory",
                     "spark.driver.host", "spark.driver.bindAddress", "spark.sql.warehouse.dir",
                     "spark.hadoop.javax.jdo.option.ConnectionURL", "spark.ui.enabled")


@dataclass(frozen=True)
class Deployment:
    """Where an exported pipeline lives on the cluster and what runs it."""

    spec: PipelineSpec
    settings: Settings
    deploy_uri: str  # folder holding the spec and the driver script, e.g. s3://b/ws/deploy/loans
    spec_name: str  # the spec's file name inside it

    @property
    def spec_uri(self) -> str:
        return f"{self.deploy_uri}/{self.spec_name}"

    @property
    def driver_uri(self) -> str:
        return f"{self.deploy_uri}/{DRIVER_SCRIPT}"

    def conf(self) -> dict[str, str]:
        """The Spark settings of the line: the engine's own (H2O backend, Java 17 flags, ...)."""
        from sparkwing.engine import spark_conf  # builds settings only; no JVM

        conf = {k: v for k, v in spark_conf(self.settings).items() if k not in _LEAVE_TO_CLUSTER}
        refuse_secret_conf(conf, "the exported spark-submit line")
        conf["spark.jars"] = NODE_JAR
        conf.setdefault("spark.log.level", "WARN")
        return conf

    def sparkwing_args(self) -> list[str]:
        """The sparkwing command the driver runs (the spec arrives in the container via --files)."""
        return ["--workspace", self.settings.workspace, "run", self.spec_name]

    def submit_line(self) -> list[str]:
        return submit_argv(master="yarn", deploy_mode="cluster", name=f"sparkwing-{self.spec.name}",
                           files=[self.spec_uri], driver_memory=self.settings.spark.driver_memory,
                           conf=self.conf(), app=self.driver_uri, args=self.sparkwing_args())

    def local_line(self, spec_path: str) -> list[str]:
        """The same run without a cluster: the sparkwing CLI on this machine."""
        return ["sparkwing", "--workspace", self.settings.workspace, "run", spec_path]


def submit_argv(*, master: str, name: str, conf: Mapping[str, str], app: str, args: Sequence[str],
                deploy_mode: str | None = None, jars: str | None = None, files: Sequence[str] = (),
                driver_memory: str | None = None, driver_java_options: str = "") -> list[str]:
    """One ``spark-submit`` argv: options, ``--conf`` pairs, then the ``app`` file and its ``args``.

    Every line sparkwing writes comes from here: the exports (YARN cluster mode) and
    :func:`sparkwing.cli.submit_command` (client mode from this machine).  The driver JVM logs
    at WARN (``spark.log.level``) unless ``conf`` says otherwise: it logs INFO until sparkwing's
    code runs.
    """
    line = ["spark-submit", "--master", master]
    if deploy_mode:
        line += ["--deploy-mode", deploy_mode]
    line += ["--name", name]
    if jars:
        line += ["--jars", jars]
    if files:
        line += ["--files", ",".join(files)]
    if driver_memory:
        line += ["--driver-memory", driver_memory]
    if driver_java_options:
        line += ["--driver-java-options", driver_java_options]
    for key, value in {**conf, "spark.log.level": conf.get("spark.log.level", "WARN")}.items():
        line += ["--conf", f"{key}={value}"]
    return [*line, app, *args]


def deployment(spec: PipelineSpec, settings: Settings, deploy_uri: str | None = None) -> Deployment:
    """The deployment of ``spec``: by default under ``<workspace>/deploy/<pipeline>``.

    The workspace must be an ``s3://`` URI: YARN containers on other hosts share nothing else.
    """
    from sparkwing.workspace import Workspace, is_remote

    if not is_remote(settings.workspace):
        raise ConfigError(
            f"an export runs on a cluster, whose nodes cannot see the local workspace {settings.workspace!r}",
            hint="export with --workspace s3://bucket/prefix",
        )
    from sparkwing.lake import check_locations

    settings = settings.model_copy(update={"spark": settings.spark.model_copy(update={"master": "yarn"})})
    check_locations(settings, spec)  # e.g. a local source file the cluster cannot read
    uri = (deploy_uri or Workspace.from_settings(settings).join("deploy", spec.name)).rstrip("/")
    name = spec._path.name if spec._path else f"{spec.name}.yaml"
    return Deployment(spec, settings, uri, name)


def shell(line: list[str]) -> str:
    return " ".join(shlex.quote(p) for p in line)


def copy_deploy_files(dep: Deployment, out: Path) -> list[Path]:
    """The files to upload to ``deploy_uri``: the spec and the driver script."""
    deploy = out / "deploy"
    deploy.mkdir(parents=True, exist_ok=True)
    spec_file = deploy / dep.spec_name
    spec_file.write_text(dep.spec._text, encoding="utf-8")
    driver = deploy / DRIVER_SCRIPT
    driver.write_text(DRIVER_TEXT, encoding="utf-8")
    return [spec_file, driver]
