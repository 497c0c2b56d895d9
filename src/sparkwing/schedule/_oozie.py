"""Oozie export: ``workflow.xml`` (one Spark action), ``coordinator.xml`` and ``job.properties``.

Element order follows the Oozie 5.2 schemas (``uri:oozie:workflow:1.0``,
``uri:oozie:spark-action:1.0``, ``uri:oozie:coordinator:0.5``), which are sequences: Oozie
rejects a file whose children are in another order.  Mapping from the ``schedule:`` section:

- ``cron`` + ``timezone`` → the coordinator's ``frequency`` (Oozie accepts a cron string) and
  ``timezone``; ``catch_up`` → ``execution`` (none: NONE, last: LAST_ONLY, all: FIFO with
  ``throttle`` = ``max_catch_up``); one run at a time → ``concurrency`` 1;
- ``on_data`` with a dated ``uri`` → a daily ``dataset`` (``uri-template`` with Oozie's own
  ``${YEAR}/${MONTH}/${DAY}``, ``done-flag``) and a ``data-in`` of ``${coord:current(0)}``;
  ``timeout_minutes`` → ``timeout``.  A non-dated prefix has no Oozie equivalent (datasets are
  instances in time); it is left out and said so in a comment;
- ``retries`` → the action's ``retry-max`` / ``retry-interval`` (minutes) with the exponential
  policy.  Oozie retries every failure of the action; sparkwing's runner retries transient step
  errors inside it as well.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from sparkwing.schedule._submit import Deployment, copy_deploy_files

WF = "uri:oozie:workflow:1.0"
SPARK = "uri:oozie:spark-action:1.0"
COORD = "uri:oozie:coordinator:0.5"
_EXECUTION = {"none": "NONE", "last": "LAST_ONLY", "all": "FIFO"}


def oozie_name(name: str) -> str:
    """An Oozie IDENTIFIER (a letter, then letters, digits, - and _; at most 39 characters)."""
    clean = re.sub(r"[^A-Za-z0-9_-]", "-", name)
    clean = clean if clean[:1].isalpha() else "p" + clean
    return clean[:39]


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, tag, {k.replace("_", "-"): v for k, v in attrs.items()})
    if text is not None:
        el.text = text
    return el


def _property(config: ET.Element, name: str, value: str) -> None:
    prop = _sub(config, "property")
    _sub(prop, "name", name)
    _sub(prop, "value", value)


def workflow_xml(dep: Deployment) -> ET.Element:
    name = oozie_name(dep.spec.name)
    app = ET.Element("workflow-app", {"xmlns": WF, "name": f"sparkwing-{name}"[:39]})
    _sub(app, "start", to="run")
    retries = dep.spec.schedule.retries if dep.spec.schedule else None
    attrs = {}
    if retries is not None and retries.max > 0:
        attrs = {"retry_max": str(retries.max),
                 "retry_interval": str(max(1, math.ceil(retries.backoff_seconds / 60))),
                 "retry_policy": "exponential"}
    action = _sub(app, "action", name="run", **attrs)
    spark = _sub(action, "spark", xmlns=SPARK)
    _sub(spark, "resource-manager", "${resourceManager}")
    _sub(spark, "name-node", "${nameNode}")
    _sub(spark, "master", "yarn")
    _sub(spark, "mode", "cluster")
    _sub(spark, "name", f"sparkwing-{dep.spec.name}")
    _sub(spark, "jar", dep.driver_uri)
    opts = [f"--conf {k}={v}" if " " not in v else f"--conf {k}='{v}'" for k, v in dep.conf().items()]
    if dep.settings.spark.driver_memory:
        opts.insert(0, f"--driver-memory {dep.settings.spark.driver_memory}")
    _sub(spark, "spark-opts", " ".join(opts))
    for arg in dep.sparkwing_args():
        _sub(spark, "arg", arg)
    _sub(spark, "file", f"{dep.spec_uri}#{dep.spec_name}")
    _sub(action, "ok", to="end")
    _sub(action, "error", to="fail")
    kill = _sub(app, "kill", name="fail")
    _sub(kill, "message", "sparkwing run failed: [${wf:errorMessage(wf:lastErrorNode())}]")
    _sub(app, "end", name="end")
    return app


def coordinator_xml(dep: Deployment) -> ET.Element:
    sched = dep.spec.schedule
    if sched is None or not sched.cron:
        from sparkwing.errors import ConfigError

        raise ConfigError("an Oozie coordinator needs schedule.cron",
                          hint="add e.g. schedule: {cron: '0 2 * * *'}")
    name = oozie_name(dep.spec.name)
    app = ET.Element("coordinator-app", {
        "xmlns": COORD, "name": f"sparkwing-{name}"[:39], "frequency": sched.cron,
        "start": "${start}", "end": "${end}", "timezone": sched.timezone,
    })
    controls = _sub(app, "controls")
    if sched.on_data is not None and sched.on_data.timeout_minutes:
        _sub(controls, "timeout", str(sched.on_data.timeout_minutes))
    _sub(controls, "concurrency", "1")
    _sub(controls, "execution", _EXECUTION[sched.catch_up])
    if sched.catch_up == "all":
        _sub(controls, "throttle", str(sched.max_catch_up))
    trigger = sched.on_data
    if trigger is not None and trigger.dated:
        datasets = _sub(app, "datasets")
        ds = _sub(datasets, "dataset", name="arrivals", frequency="${coord:days(1)}",
                  initial_instance="${start}", timezone=sched.timezone)
        _sub(ds, "uri-template", trigger.uri)  # sparkwing uses Oozie's placeholder names
        _sub(ds, "done-flag", trigger.done_flag or "")  # empty: the folder's existence
        events = _sub(app, "input-events")
        data_in = _sub(events, "data-in", name="input", dataset="arrivals")
        _sub(data_in, "instance", "${coord:current(0)}")
    elif trigger is not None:
        app.append(ET.Comment(
            f" on_data {trigger.uri} is a plain prefix: Oozie datasets are dated instances, so this "
            "coordinator runs on cron only; use a dated uri with ${YEAR}/${MONTH}/${DAY} to wait for data "))
    action = _sub(app, "action")
    workflow = _sub(action, "workflow")
    _sub(workflow, "app-path", "${workflowAppPath}")
    config = _sub(workflow, "configuration")
    _property(config, "nominalTime", "${coord:nominalTime()}")
    return app


def job_properties(dep: Deployment) -> str:
    app_path = f"{dep.deploy_uri}/oozie"
    lines = [
        "# Submit: oozie job -config job.properties -run  (upload the export folder to the deploy URI first)",
        "nameNode=${NAMENODE}",
        "resourceManager=${RESOURCEMANAGER}",
        f"workflowAppPath={app_path}",
        "oozie.use.system.libpath=true",
        "oozie.action.sharelib.for.spark=spark",
        "start=2026-01-01T00:00Z",
        "end=2099-12-31T00:00Z",
    ]
    lines.append(f"oozie.coord.application.path={app_path}" if dep.spec.schedule and dep.spec.schedule.cron
                 else f"oozie.wf.application.path={app_path}")
    return "\n".join(lines) + "\n"


def _write_xml(root: ET.Element, path: Path) -> Path:
    ET.indent(root)
    path.write_bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n")
    return path


def export_oozie(dep: Deployment, out: Path) -> list[Path]:
    """Write ``oozie/workflow.xml``, ``oozie/coordinator.xml`` (with a cron), ``oozie/job.properties``."""
    folder = out / "oozie"
    folder.mkdir(parents=True, exist_ok=True)
    written = [_write_xml(workflow_xml(dep), folder / "workflow.xml")]
    if dep.spec.schedule is not None and dep.spec.schedule.cron:
        written.append(_write_xml(coordinator_xml(dep), folder / "coordinator.xml"))
    props = folder / "job.properties"
    props.write_text(job_properties(dep), encoding="utf-8")
    return [*written, props, *copy_deploy_files(dep, out)]
