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


def test_package_builds_the_wheel_uploads_it_and_create_uses_its_bootstrap(
        s3_server, tmp_path: Path, emr, capsys) -> None:
    """`emr package --upload` with the real wheel build, then `emr submit --package --create`."""
    import zipfile

    import boto3

    from sparkwing.cli import main

    s3 = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1",
                      aws_access_key_id="test", aws_secret_access_key="test")
    s3.create_bucket(Bucket="deploys")
    spec = tmp_path / "emr_nightly.yaml"
    spec.write_text(SPEC)
    out = tmp_path / "pkg"
    base = ["--workspace", "s3://warehouse/ws"]
    with pytest.MonkeyPatch.context() as mp:
        for key, value in {"ENDPOINT_URL": s3_server, "ACCESS_KEY_ID": "test", "SECRET_ACCESS_KEY": "test",
                           "REGION": "us-east-1"}.items():
            mp.setenv(f"SPARKWING__S3__{key}", value)
        mp.setenv("AWS_ACCESS_KEY_ID", "test")
        mp.setenv("AWS_SECRET_ACCESS_KEY", "test")
        submit = [*base, "emr", "submit", str(spec), "--package", str(out), "--create",
                  "--endpoint-url", s3_server]
        with pytest.raises(SystemExit) as info:  # nothing packaged yet
            main(submit)
        assert info.value.code != 0 and "holds no EMR package" in capsys.readouterr().err
        with pytest.raises(SystemExit) as info:
            main([*base, "emr", "package", str(spec), "-o", str(out), "--deploy-uri", "s3://deploys/nightly"])
        assert info.value.code in (0, None)
        with pytest.raises(SystemExit) as info:  # packaged, not uploaded
            main(submit)
        assert info.value.code != 0
        assert "bootstrap script is not at s3://deploys/nightly/bootstrap.sh" in capsys.readouterr().err
        with pytest.raises(SystemExit) as info:
            main([*base, "emr", "package", str(spec), "-o", str(out), "--deploy-uri", "s3://deploys/nightly",
                  "--upload", "--wheel", str(next(out.glob("sparkwing-*.whl")))])
        assert info.value.code in (0, None)
        assert "uploaded s3://deploys/nightly/bootstrap.sh" in capsys.readouterr().out
        with pytest.raises(SystemExit) as info:
            main(submit)
        assert info.value.code in (0, None)
    wheel = next(out.glob("sparkwing-*.whl"))
    with zipfile.ZipFile(wheel) as zf:  # the real wheel of this checkout, with its modules
        assert "sparkwing/schedule/_package.py" in zf.namelist()
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket="deploys")["Contents"]}
    assert {f"nightly/{n}" for n in ("bootstrap.sh", "constraints.txt", wheel.name, "emr_nightly.yaml",
                                     "sparkwing_main.py", "package.json")} <= keys
    uploaded = s3.get_object(Bucket="deploys", Key=f"nightly/{wheel.name}")["Body"].read()
    assert uploaded == wheel.read_bytes()
    cluster = capsys.readouterr().out.split()[1].rstrip(":")
    actions = emr.list_bootstrap_actions(ClusterId=cluster)["BootstrapActions"]
    assert actions[0]["ScriptPath"] == "s3://deploys/nightly/bootstrap.sh"
    described = emr.describe_cluster(ClusterId=cluster)["Cluster"]
    configs = {c["Classification"]: c["Properties"] for c in described["Configurations"]}
    props = configs["spark-defaults"]
    assert props["spark.ext.h2o.backend.cluster.mode"] == "internal"
    step = emr.list_steps(ClusterId=cluster)["Steps"][0]
    assert "s3://deploys/nightly/sparkwing_main.py" in step["Config"]["Args"]
