"""Engine output off the console (no JVM): log4j2 configuration, log folders, ports, bind failures."""

from __future__ import annotations

from pathlib import Path

import pytest

from sparkwing.config import load_settings
from sparkwing.engine import EngineLogs, h2o_conf, port_in_use, spark_conf
from sparkwing.workspace import Workspace


def test_a_run_logs_under_the_workspace_and_an_s3_workspace_logs_locally(tmp_path: Path) -> None:
    logs = EngineLogs.under(Workspace(str(tmp_path)), "run-1")
    assert logs.dir == str(tmp_path.resolve() / "logs" / "run-1")
    assert logs.h2o_dir == str(Path(logs.dir) / "h2o")
    remote = EngineLogs.under(Workspace("s3://bucket/ws"), "run-1")
    assert not remote.dir.startswith("s3:") and remote.dir.endswith("run-1")


def test_log4j2_goes_to_a_file_and_to_the_console_only_with_echo(tmp_path: Path) -> None:
    quiet = EngineLogs(dir=str(tmp_path / "q"))
    quiet.prepare()
    text = Path(quiet.log4j_conf).read_text()
    assert f"appender.file.fileName = {quiet.spark_log}" in text and "rootLogger.level = warn" in text
    assert "Console" not in text
    loud = EngineLogs(dir=str(tmp_path / "v"), echo=True, level="INFO")
    loud.prepare()
    text = Path(loud.log4j_conf).read_text()
    assert "appender.console.target = SYSTEM_ERR" in text and "rootLogger.level = info" in text
    with pytest.raises(ValueError, match="log level"):
        EngineLogs(dir=str(tmp_path), level="LOUD")


def test_the_driver_jvm_starts_with_the_log4j2_configuration(tmp_path: Path) -> None:
    settings = load_settings({"workspace": str(tmp_path), "spark": {"master": "local[2]"}})
    logs = EngineLogs.under(Workspace(str(tmp_path)), "r")
    opts = spark_conf(settings, logs)["spark.driver.extraJavaOptions"]
    assert f"-Dlog4j2.configurationFile={Path(logs.log4j_conf).as_uri()}" in opts
    assert "--add-exports=java.base/sun.net.www.protocol.http=ALL-UNNAMED" in opts


def test_h2o_ports_are_chosen_free_in_local_mode_too(tmp_path: Path) -> None:
    """Issue 17: another H2O on 54321 broke local[*] runs; every mode now starts from free ports."""
    settings = load_settings({"workspace": str(tmp_path), "spark": {"master": "local[*]"}})
    logs = EngineLogs.under(Workspace(str(tmp_path)), "r")
    conf = h2o_conf(settings, logs)
    base = int(conf["spark.ext.h2o.base.port"])
    assert base != 54321 and 1024 < base < 65535
    assert conf["spark.ext.h2o.log.dir"] == logs.h2o_dir
    loop = h2o_conf(load_settings({"workspace": str(tmp_path), "spark": {"master": "spark://127.0.0.1:7077"}}))
    assert int(loop["spark.ext.h2o.client.web.port"]) != 54321 and loop["spark.ext.h2o.base.port"]
    pinned = h2o_conf(load_settings({"workspace": str(tmp_path), "h2o": {"conf": {
        "spark.ext.h2o.base.port": "60000", "spark.ext.h2o.client.web.port": "60100"}}}))
    assert pinned["spark.ext.h2o.base.port"] == "60000" and pinned["spark.ext.h2o.client.web.port"] == "60100"


def test_a_bind_failure_is_recognised_through_the_cause_chain() -> None:
    java = Exception("An error occurred while calling o52.getOrCreate.\n: java.lang.RuntimeException: "
                     "boom\nCaused by: java.net.BindException: Address already in use\n\tat x.y(Z.java:1)")
    try:
        try:
            raise java
        except Exception as inner:
            raise RuntimeError("wrapped") from inner
    except RuntimeError as outer:
        assert port_in_use(outer)
    assert not port_in_use(Exception("java.lang.OutOfMemoryError: Java heap space"))
