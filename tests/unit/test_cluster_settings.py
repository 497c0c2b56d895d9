"""Cluster-mode settings: checks before the run, the conf a cluster master gets, the submit line."""

from __future__ import annotations

import pytest

from sparkwing.cli import submit_command
from sparkwing.config import load_settings
from sparkwing.engine import check_cluster, cluster_kind, spark_conf, sparkling_jar
from sparkwing.engine._spark import JAVA17_FLAGS, _merge_submitted
from sparkwing.errors import ConfigError


def _settings(master: str, workspace: str = "/tmp/ws", **spark) -> object:
    return load_settings({"workspace": workspace, "spark": {"master": master, **spark}})


@pytest.mark.parametrize(
    ("master", "workspace"),
    [
        ("spark://127.0.0.1:7077", "./sparkwing-home"),  # relative: resolved on the driver only
        ("spark://127.0.0.1:7077", "file://rel/ws"),
        ("yarn", "/tmp/ws"),  # executors elsewhere; Derby metastore on the driver's disk
        ("spark://10.0.0.5:7077", "/tmp/ws"),  # a remote master: only an explicit shared file:///
    ],
)
def test_settings_that_cannot_work_on_a_cluster_are_config_errors(master: str, workspace: str) -> None:
    with pytest.raises(ConfigError) as exc:
        check_cluster(_settings(master, workspace))
    assert "workspace" in exc.value.one_line() or exc.value.problems


@pytest.mark.parametrize(
    ("master", "workspace"),
    [
        ("local[2]", "./sparkwing-home"),
        ("spark://127.0.0.1:7077", "/tmp/ws"),
        ("spark://127.0.0.1:7077", "file:///tmp/ws"),
        ("spark://10.0.0.5:7077", "file:///shared/ws"),
        ("yarn", "s3://bucket/ws"),
    ],
)
def test_settings_that_work(master: str, workspace: str) -> None:
    check_cluster(_settings(master, workspace))


@pytest.mark.parametrize("master", ["local[2]", "spark://127.0.0.1:7077", "spark://localhost:7077"])
def test_h2o_flow_on_a_loopback_master_is_fine(master: str) -> None:
    check_cluster(load_settings({"workspace": "/tmp/ws", "spark": {"master": master}, "h2o": {"flow": True}}))


@pytest.mark.parametrize(("master", "workspace"), [("yarn", "s3://bucket/ws"), ("spark://10.0.0.5:7077",
                                                                                   "file:///shared/ws")])
def test_h2o_flow_beyond_loopback_is_one_line_config_error(master: str, workspace: str) -> None:
    settings = load_settings({"workspace": workspace, "spark": {"master": master}, "h2o": {"flow": True}})
    with pytest.raises(ConfigError) as exc:
        check_cluster(settings)
    line = exc.value.one_line()
    assert "h2o.flow needs H2O on 127.0.0.1" in line and master in line and "\n" not in str(exc.value)
    assert "hint: turn h2o.flow off" in line


@pytest.mark.parametrize(("h2o", "message"), [
    ({"flow": True, "login": False}, "h2o.flow needs h2o.login"),
    ({"flow": True, "bind_loopback": False}, "h2o.flow needs h2o.bind_loopback"),
])
def test_h2o_flow_needs_the_login_and_loopback(h2o: dict, message: str) -> None:
    with pytest.raises(ConfigError) as exc:
        load_settings({"h2o": h2o})
    assert message in str(exc.value) and exc.value.problems[0].path == "h2o"
    assert load_settings({}).h2o.flow is False  # off by default


def test_is_loopback_url() -> None:
    from sparkwing._types import is_loopback_url

    assert all(map(is_loopback_url, ["http://127.0.0.1:5", "http://localhost:5", "http://[::1]:5",
                                     "http://127.3.0.1"]))
    assert not any(map(is_loopback_url, ["http://10.0.0.7:54321", "http://0.0.0.0:5", "http://h2o:5",
                                         "http://127.0.0.1.evil.com:5", "", "javascript:alert(1)"]))


def test_cluster_conf_has_the_h2o_backend_settings_and_the_jar() -> None:
    conf = spark_conf(_settings("spark://127.0.0.1:7077", executor_memory="2g", executor_cores=1,
                                executor_instances=2, executor_max_failures=2))
    assert conf["spark.dynamicAllocation.enabled"] == "false"
    assert conf["spark.scheduler.minRegisteredResourcesRatio"] == "1"
    assert conf["spark.task.maxFailures"] == "4"
    assert conf["spark.executor.maxNumFailures"] == "2"
    assert (conf["spark.executor.memory"], conf["spark.executor.instances"], conf["spark.cores.max"]) == (
        "2g",
        "2",
        "2",
    )
    assert conf["spark.driver.host"] == conf["spark.driver.bindAddress"] == "127.0.0.1"
    assert conf["spark.jars"] == sparkling_jar() and sparkling_jar().endswith("sparkling_water_assembly.jar")
    assert all(f in conf["spark.executor.extraJavaOptions"] for f in JAVA17_FLAGS)


def test_yarn_conf_leaves_the_driver_host_to_yarn() -> None:
    conf = spark_conf(_settings("yarn", "s3://b/ws", executor_instances=4))
    assert "spark.driver.host" not in conf and "spark.hadoop.javax.jdo.option.ConnectionURL" not in conf
    assert cluster_kind("yarn") == "yarn" and cluster_kind("local[*]") is None


def test_submit_line_carries_driver_options_jar_and_conf() -> None:
    line = submit_command(_settings("spark://127.0.0.1:7077", executor_memory="2g"), "p.yaml")
    text = " ".join(line)
    assert line[:3] == ["spark-submit", "--master", "spark://127.0.0.1:7077"]
    assert "--jars" in line and "--driver-java-options" in line
    assert "-Dderby.system.home=/tmp/ws/metastore" in text and JAVA17_FLAGS[0] in text
    assert "spark.executor.memory=2g" in line
    assert line[-4:] == ["--workspace", "/tmp/ws", "run", "p.yaml"]
    assert line[-5].endswith("sparkwing/__main__.py")


def test_spark_submit_settings_win_and_driver_launch_settings_are_not_reapplied() -> None:
    conf = {"spark.master": "local[*]", "spark.executor.memory": "2g", "spark.driver.memory": "3g",
            "spark.sql.shuffle.partitions": "8"}
    out = _merge_submitted(conf, {"spark.master": "yarn", "spark.executor.memory": "8g"})
    assert out == {"spark.sql.shuffle.partitions": "8"}


def test_local_sources_on_yarn_are_config_errors_arff_too(tmp_path) -> None:
    """Every format is read by the executors (ARFF and SVMLight too, since issue 9)."""
    from sparkwing.config import PipelineSpec

    spec = PipelineSpec.model_validate({"name": "p", "sources": {
        "a": {"uri": "data/a.csv", "format": "csv"}, "b": {"uri": "data/b.arff", "format": "arff"}}})
    from sparkwing.lake import source_problems

    with pytest.raises(ConfigError) as exc:
        check_cluster(_settings("yarn", "s3://b/ws"), source_problems(spec.sources, "yarn"))
    assert [p.path for p in exc.value.problems] == ["sources.a.uri", "sources.b.uri"]
    assert source_problems(spec.sources, "spark://127.0.0.1:7077") == []


def test_java_cause_picks_the_innermost_java_exception() -> None:
    from sparkwing.errors import java_cause

    text = (
        "An error occurred while calling o1249.getOrCreate.\n"
        ": java.lang.RuntimeException: outer\n\tat a.b(C.java:1)\n"
        "Caused by: ai.h2o.sparkling.backend.exceptions.H2OClusterNotReachableException: node gone\n\tat d.e"
    )
    assert (
        java_cause(Exception(text))
        == "ai.h2o.sparkling.backend.exceptions.H2OClusterNotReachableException: node gone"
    )
    assert java_cause(Exception("plain message\nmore")) == "plain message"


def test_h2o_conf_on_a_cluster_waits_longer_for_the_cloud() -> None:
    from sparkwing.engine import h2o_conf

    conf = h2o_conf(_settings("spark://127.0.0.1:7077", executor_instances=2))
    assert conf["spark.ext.h2o.cluster.size"] == "2" and int(conf["spark.ext.h2o.cloud.timeout"]) >= 120_000
    assert "-ip 127.0.0.1" in conf["spark.ext.h2o.extra.properties"]  # loopback master: loopback nodes
    assert "spark.ext.h2o.cloud.timeout" not in h2o_conf(_settings("local[2]"))
    remote = h2o_conf(_settings("spark://10.0.0.5:7077", "file:///shared/ws"))
    assert "spark.ext.h2o.extra.properties" not in remote
