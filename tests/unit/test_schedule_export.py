"""`sparkwing export oozie|airflow|emr-steps`: the files parse and follow what their readers expect.

Oozie's schemas are XML Schema *sequences*: a child out of order is rejected.  The expected
orders below are read from the Oozie 5.2 XSDs (oozie-workflow-1.0, spark-action-1.0,
oozie-coordinator-0.5); the check walks every element we write.  The Airflow DAG is compiled
(Airflow itself is not installed here).  The EMR JSON is checked against the API's shape here
and sent to moto's EMR server in tests/integration/test_export_emr.py.
"""

from __future__ import annotations

import ast
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from sparkwing.cli import main
from sparkwing.config import load_settings, load_spec
from sparkwing.errors import ConfigError
from sparkwing.schedule import EXPORTERS, deployment, emr_steps

WF, SPARK, COORD = "uri:oozie:workflow:1.0", "uri:oozie:spark-action:1.0", "uri:oozie:coordinator:0.5"

# Each element's allowed children, in the order its schema's sequence gives them.
ORDER: dict[str, list[str]] = {
    f"{{{WF}}}workflow-app": ["parameters", "global", "credentials", "start", "*nodes", "end"],
    f"{{{WF}}}action": ["*action-type", "ok", "error"],
    f"{{{WF}}}kill": ["message"],
    f"{{{SPARK}}}spark": ["resource-manager", "name-node", "prepare", "launcher", "job-xml", "configuration",
                          "master", "mode", "name", "class", "jar", "spark-opts", "arg", "file", "archive"],
    f"{{{COORD}}}coordinator-app": ["parameters", "controls", "datasets", "input-events", "input-logic",
                                    "output-events", "action"],
    f"{{{COORD}}}controls": ["timeout", "concurrency", "execution", "throttle"],
    f"{{{COORD}}}datasets": ["include", "dataset"],
    f"{{{COORD}}}dataset": ["uri-template", "done-flag"],
    f"{{{COORD}}}input-events": ["data-in"],
    f"{{{COORD}}}data-in": ["instance"],
    f"{{{COORD}}}action": ["workflow"],
    f"{{{COORD}}}workflow": ["app-path", "configuration"],
    f"{{{COORD}}}configuration": ["property"],
    f"{{{COORD}}}property": ["name", "value", "description"],
}
REQUIRED_ATTRS = {
    f"{{{WF}}}workflow-app": {"name"}, f"{{{WF}}}action": {"name"}, f"{{{WF}}}start": {"to"},
    f"{{{WF}}}end": {"name"}, f"{{{WF}}}kill": {"name"}, f"{{{WF}}}ok": {"to"}, f"{{{WF}}}error": {"to"},
    f"{{{COORD}}}coordinator-app": {"name", "frequency", "start", "end", "timezone"},
    f"{{{COORD}}}dataset": {"name", "frequency", "initial-instance", "timezone"},
    f"{{{COORD}}}data-in": {"name", "dataset"},
}
REQUIRED_CHILDREN = {f"{{{SPARK}}}spark": {"master", "name", "jar"},
                     f"{{{WF}}}workflow-app": {"start", "end"},
                     f"{{{COORD}}}workflow": {"app-path"}}
WF_NODES = {"decision", "fork", "join", "kill", "action"}


def _local(tag: str) -> tuple[str, str]:
    ns, _, name = tag[1:].partition("}")
    return ns, name


def _check_order(el: ET.Element) -> None:
    """Every child is allowed, in schema order; required attributes and children are there."""
    assert REQUIRED_ATTRS.get(el.tag, set()) <= set(el.attrib), (el.tag, el.attrib)
    names = [_local(c.tag)[1] for c in el if isinstance(c.tag, str)]
    assert REQUIRED_CHILDREN.get(el.tag, set()) <= set(names), (el.tag, names)
    order = ORDER.get(el.tag)
    if order is not None:
        positions = []
        for child in el:
            if not isinstance(child.tag, str):
                continue  # a comment
            ns, name = _local(child.tag)
            if el.tag == f"{{{WF}}}workflow-app" and name in WF_NODES:
                name = "*nodes"
            if el.tag == f"{{{WF}}}action" and ns != WF:
                name = "*action-type"
            assert name in order, f"<{name}> is not allowed in <{_local(el.tag)[1]}>"
            positions.append(order.index(name))
        assert positions == sorted(positions), f"children of <{_local(el.tag)[1]}> out of order: {names}"
    for child in el:
        if isinstance(child.tag, str):
            _check_order(child)


SPEC = """\
name: nightly_sales
sources:
  drops: {uri: "s3://lake/drops/", format: csv}
tables:
  sales.drops: {from: drops}
schedule:
  cron: "30 2 * * *"
  timezone: Europe/Paris
  catch_up: all
  max_catch_up: 5
  retries: {max: 3, backoff_seconds: 90, max_backoff_seconds: 600}
  on_data: {uri: "s3://lake/drops/${YEAR}/${MONTH}/${DAY}", done_flag: _SUCCESS, timeout_minutes: 360}
"""


@pytest.fixture()
def exported(tmp_path: Path):
    spec_path = tmp_path / "nightly.yaml"
    spec_path.write_text(SPEC)
    settings = load_settings({"workspace": "s3://warehouse/ws"}, settings_file=None)
    out = tmp_path / "out"
    spec = load_spec(spec_path)
    written = {t: EXPORTERS[t](spec, settings, out, spec_path=str(spec_path)) for t in EXPORTERS}
    return out, written, spec, settings


def test_oozie_workflow_and_coordinator_follow_the_schemas(exported) -> None:
    out, _, _, _ = exported
    workflow = ET.parse(out / "oozie" / "workflow.xml").getroot()
    coordinator = ET.parse(out / "oozie" / "coordinator.xml").getroot()
    assert workflow.tag == f"{{{WF}}}workflow-app" and coordinator.tag == f"{{{COORD}}}coordinator-app"
    _check_order(workflow)
    _check_order(coordinator)
    # Transitions point at nodes that exist.
    nodes = {el.get("name") for el in workflow if el.get("name")}
    targets = [el.get("to") for el in workflow.iter() if el.get("to")]
    assert targets and set(targets) <= nodes


def test_oozie_carries_the_schedule(exported) -> None:
    out, _, _, _ = exported
    ns = {"c": COORD, "w": WF, "s": SPARK}
    coord = ET.parse(out / "oozie" / "coordinator.xml").getroot()
    assert coord.get("frequency") == "30 2 * * *" and coord.get("timezone") == "Europe/Paris"
    assert [(c.tag.split("}")[1], c.text) for c in coord.find("c:controls", ns)] == [
        ("timeout", "360"), ("concurrency", "1"), ("execution", "FIFO"), ("throttle", "5")]
    dataset = coord.find("c:datasets/c:dataset", ns)
    assert dataset.findtext("c:uri-template", namespaces=ns) == "s3://lake/drops/${YEAR}/${MONTH}/${DAY}"
    assert dataset.findtext("c:done-flag", namespaces=ns) == "_SUCCESS"
    assert coord.findtext("c:input-events/c:data-in/c:instance", namespaces=ns) == "${coord:current(0)}"
    wf = ET.parse(out / "oozie" / "workflow.xml").getroot()
    action = wf.find("w:action", ns)
    assert (action.get("retry-max"), action.get("retry-interval"), action.get("retry-policy")) == (
        "3", "2", "exponential")
    spark = action.find("s:spark", ns)
    assert spark.findtext("s:master", namespaces=ns) == "yarn"
    assert spark.findtext("s:mode", namespaces=ns) == "cluster"
    assert spark.findtext("s:jar", namespaces=ns) == "s3://warehouse/ws/deploy/nightly_sales/sparkwing_main.py"
    args = [a.text for a in spark.findall("s:arg", ns)]
    assert args == ["--workspace", "s3://warehouse/ws", "run", "nightly.yaml"]
    assert "spark.dynamicAllocation.enabled=false" in spark.findtext("s:spark-opts", namespaces=ns)
    props = (out / "oozie" / "job.properties").read_text()
    assert "oozie.coord.application.path=s3://warehouse/ws/deploy/nightly_sales/oozie" in props


@pytest.mark.parametrize("policy, execution", [("none", "NONE"), ("last", "LAST_ONLY")])
def test_oozie_execution_follows_catch_up(tmp_path: Path, policy: str, execution: str) -> None:
    spec_path = tmp_path / "p.yaml"
    spec_path.write_text(SPEC.replace("catch_up: all", f"catch_up: {policy}"))
    settings = load_settings({"workspace": "s3://w/ws"}, settings_file=None)
    EXPORTERS["oozie"](load_spec(spec_path), settings, tmp_path / "o")
    coord = ET.parse(tmp_path / "o" / "oozie" / "coordinator.xml").getroot()
    controls = coord.find(f"{{{COORD}}}controls")
    assert controls.findtext(f"{{{COORD}}}execution") == execution
    assert controls.find(f"{{{COORD}}}throttle") is None


def test_the_airflow_dag_compiles_and_carries_the_schedule(exported) -> None:
    out, _, spec, settings = exported
    source = (out / "airflow" / "sparkwing_nightly_sales.py").read_text()
    compile(source, "sparkwing_nightly_sales.py", "exec")
    tree = ast.parse(source)
    dag_call = next(n for n in ast.walk(tree)
                    if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "DAG")
    kw = {k.arg: k.value for k in dag_call.keywords}
    assert ast.literal_eval(kw["schedule"]) == "30 2 * * *"
    assert ast.literal_eval(kw["catchup"]) is True
    assert ast.literal_eval(kw["max_active_runs"]) == 1
    assert ast.literal_eval(kw["dag_id"]) == "sparkwing_nightly_sales"
    assert "retries\": 3" in source and "timedelta(seconds=90.0)" in source
    assert "tz='Europe/Paris'" in source
    cluster = next(ast.literal_eval(n.value) for n in tree.body
                   if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", "") == "CLUSTER_COMMAND")
    assert cluster == deployment(spec, settings).submit_line() == emr_steps(deployment(spec, settings))[0][
        "HadoopJarStep"]["Args"]  # one spark-submit line for every scheduler


def test_emr_files_have_the_api_shapes(exported) -> None:
    out, _, _, _ = exported
    steps = json.loads((out / "emr" / "steps.json").read_text())
    assert steps[0]["ActionOnFailure"] in {
        "TERMINATE_JOB_FLOW", "TERMINATE_CLUSTER", "CANCEL_AND_WAIT", "CONTINUE"}
    assert steps[0]["HadoopJarStep"]["Jar"] == "command-runner.jar"
    args = steps[0]["HadoopJarStep"]["Args"]
    assert args[:5] == ["spark-submit", "--master", "yarn", "--deploy-mode", "cluster"]
    configs = json.loads((out / "emr" / "configurations.json").read_text())
    props = configs[0]["Properties"]
    assert configs[0]["Classification"] == "spark-defaults"
    assert props["spark.dynamicAllocation.enabled"] == "false"
    flag = "--add-exports=java.base/sun.net.www.protocol.http=ALL-UNNAMED"
    assert flag in props["spark.driver.extraJavaOptions"]
    flow = json.loads((out / "emr" / "run_job_flow.json").read_text())
    assert flow["BootstrapActions"][0]["ScriptBootstrapAction"]["Path"].endswith("/bootstrap.sh")
    script = (out / "deploy" / "bootstrap.sh").read_text()
    assert "h2o-pysparkling-3-5==3.46.0.6.post1" in script and script.startswith("#!/bin/bash")
    assert (out / "deploy" / "nightly.yaml").read_text() == SPEC


def test_an_export_needs_an_s3_workspace_and_cluster_readable_sources(tmp_path: Path) -> None:
    spec_path = tmp_path / "p.yaml"
    spec_path.write_text(SPEC)
    with pytest.raises(ConfigError, match="cannot see the local workspace"):
        deployment(load_spec(spec_path), load_settings({"workspace": str(tmp_path)}, settings_file=None))
    spec_path.write_text(SPEC.replace('"s3://lake/drops/", format: csv', "data/a.json, format: json"))
    with pytest.raises(ConfigError, match="settings cannot work with master yarn"):
        deployment(load_spec(spec_path), load_settings({"workspace": "s3://w/ws"}, settings_file=None))


def test_the_cli_writes_each_export(tmp_path: Path, capsys) -> None:
    spec_path = tmp_path / "nightly.yaml"
    spec_path.write_text(SPEC)
    for target in ("oozie", "airflow", "emr-steps"):
        with pytest.raises(SystemExit) as info:
            main(["--workspace", "s3://w/ws", "export", target, str(spec_path), "-o", str(tmp_path / "x")])
        assert info.value.code in (0, None)
    printed = capsys.readouterr().out
    assert "workflow.xml" in printed and "sparkwing_nightly_sales.py" in printed and "steps.json" in printed
    with pytest.raises(SystemExit) as info:
        main(["--workspace", "s3://w/ws", "export", "cron", str(spec_path)])
    assert info.value.code == 2
