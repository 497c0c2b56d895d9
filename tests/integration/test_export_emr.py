"""The exported EMR step and cluster definition are accepted by moto's EMR server on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import pytest

from sparkwing.config import load_settings, load_spec
from sparkwing.schedule import deployment, submit_steps

SPEC = """\
name: emr_nightly
sources:
  drops: {uri: "s3://lake/drops/", format: csv}
tables:
  sales.drops: {from: drops}
schedule: {cron: "0 2 * * *"}
"""


@pytest.fixture()
def emr(s3_server):
    import boto3

    return boto3.client("emr", endpoint_url=s3_server, region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test")


@pytest.fixture()
def dep(tmp_path: Path):
    path = tmp_path / "emr_nightly.yaml"
    path.write_text(SPEC)
    return deployment(load_spec(path), load_settings({"workspace": "s3://warehouse/ws"}, settings_file=None))


def test_create_a_cluster_with_the_bootstrap_configurations_and_step(emr, dep) -> None:
    cluster, steps = submit_steps(dep, emr, create=True)
    described = emr.describe_cluster(ClusterId=cluster)["Cluster"]
    assert described["ReleaseLabel"] == "emr-7.5.0"
    spark_defaults = next(c for c in described["Configurations"] if c["Classification"] == "spark-defaults")
    assert spark_defaults["Properties"]["spark.dynamicAllocation.enabled"] == "false"
    actions = emr.list_bootstrap_actions(ClusterId=cluster)["BootstrapActions"]
    assert actions[0]["ScriptPath"] == "s3://warehouse/ws/deploy/emr_nightly/bootstrap.sh"
    assert len(steps) == 1
    step = emr.describe_step(ClusterId=cluster, StepId=steps[0])["Step"]
    assert step["Config"]["Jar"] == "command-runner.jar"
    assert step["Config"]["Args"] == dep.submit_line()
    assert step["ActionOnFailure"] == "CONTINUE"


def test_add_the_step_to_a_running_cluster(emr, dep) -> None:
    cluster = emr.run_job_flow(
        Name="existing", ReleaseLabel="emr-7.5.0",
        Instances={"MasterInstanceType": "m5.xlarge", "SlaveInstanceType": "m5.xlarge", "InstanceCount": 1,
                   "KeepJobFlowAliveWhenNoSteps": True},
        JobFlowRole="EMR_EC2_DefaultRole", ServiceRole="EMR_DefaultRole",
    )["JobFlowId"]
    _, step_ids = submit_steps(dep, emr, cluster_id=cluster)
    listed = emr.list_steps(ClusterId=cluster)["Steps"]
    assert [s["Id"] for s in listed] == step_ids
    assert listed[0]["Name"] == "sparkwing emr_nightly"


def test_the_cli_submits_the_step_to_moto(s3_server, tmp_path: Path, emr, capsys) -> None:
    from sparkwing.cli import main

    spec = tmp_path / "emr_nightly.yaml"
    spec.write_text(SPEC)
    base = ["--workspace", "s3://warehouse/ws", "--conf", "spark.executor.memory=2g", "emr", "submit",
            str(spec), "--endpoint-url", s3_server, "--region", "us-east-1"]
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AWS_ACCESS_KEY_ID", "test")
        mp.setenv("AWS_SECRET_ACCESS_KEY", "test")
        with pytest.raises(SystemExit) as info:
            main([*base, "--create"])
        assert info.value.code in (0, None)
        cluster = capsys.readouterr().out.split()[1].rstrip(":")
        with pytest.raises(SystemExit) as info:
            main([*base, "--cluster-id", cluster])
        assert info.value.code in (0, None)
    steps = emr.list_steps(ClusterId=cluster)["Steps"]
    assert len(steps) == 2 and all(s["Config"]["Args"][0] == "spark-submit" for s in steps)
