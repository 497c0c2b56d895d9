"""The metastore and event-log settings Spark gets (no JVM): Derby default, PostgreSQL, Glue."""

from __future__ import annotations

from pathlib import Path

import pytest

from sparkwing.config import load_settings
from sparkwing.engine import events_dir, metastore_conf, metastore_kind, spark_conf
from sparkwing.engine._metastore import (
    GLUE_FACTORY,
    PASSWORD_KEY,
    check_jdbc_jar,
    jdbc_target,
    metastore_secrets,
)
from sparkwing.errors import ConfigError, EngineError

PG = "postgresql://hive@127.0.0.1:5432/metastore"


def _settings(tmp_path: Path, **metastore: object):
    return load_settings({"workspace": str(tmp_path / "ws"), "metastore": metastore})


def test_derby_stays_the_default(tmp_path):
    settings = _settings(tmp_path)
    conf = spark_conf(settings)
    assert metastore_kind(settings) == "derby"
    assert conf["spark.hadoop.javax.jdo.option.ConnectionURL"].startswith("jdbc:derby:")
    assert "spark.driver.extraClassPath" not in conf


def test_postgres_url_becomes_the_jdbc_settings_hive_2_3_needs(tmp_path):
    settings = _settings(tmp_path, url=PG + "?sslmode=disable", password="pw-123")
    conf = spark_conf(settings)
    jdo = "spark.hadoop.javax.jdo.option."
    assert conf[jdo + "ConnectionURL"] == "jdbc:postgresql://127.0.0.1:5432/metastore?sslmode=disable"
    assert conf[jdo + "ConnectionDriverName"] == "org.postgresql.Driver"
    assert conf[jdo + "ConnectionUserName"] == "hive"
    assert conf["spark.hadoop.datanucleus.schema.autoCreateAll"] == "true"
    assert conf["spark.hadoop.hive.metastore.schema.verification"] == "false"
    assert conf["spark.driver.extraClassPath"] == "/usr/share/java/postgresql.jar"
    # The password goes to the session builder only: never into conf (spark-submit lines, logs).
    assert "pw-123" not in repr(conf) and PASSWORD_KEY not in conf
    assert "pw-123" not in repr(settings)
    assert metastore_secrets(settings) == {PASSWORD_KEY: "pw-123"}


def test_password_from_env_and_from_file(tmp_path, monkeypatch):
    monkeypatch.setenv("SPARKWING__METASTORE__PASSWORD", "from-env")
    assert metastore_secrets(_settings(tmp_path, url=PG)) == {PASSWORD_KEY: "from-env"}
    monkeypatch.delenv("SPARKWING__METASTORE__PASSWORD")
    secret = tmp_path / "pw"
    secret.write_text("from-file\nignored\n")
    from_file = _settings(tmp_path, url=PG, password_file=str(secret))
    assert metastore_secrets(from_file) == {PASSWORD_KEY: "from-file"}
    with pytest.raises(ConfigError, match="password_file"):
        metastore_secrets(_settings(tmp_path, url=PG, password_file=str(tmp_path / "missing")))


def test_user_jars_keep_the_jdbc_driver(tmp_path):
    settings = load_settings({"workspace": str(tmp_path), "metastore": {"url": PG},
                              "spark": {"conf": {"spark.driver.extraClassPath": "/opt/my.jar"}}})
    assert spark_conf(settings)["spark.driver.extraClassPath"] == "/usr/share/java/postgresql.jar:/opt/my.jar"


@pytest.mark.parametrize(("url", "problem"), [
    ("mysql://hive@db/metastore", "postgresql://"),
    ("postgresql://hive:secret@db/metastore", "no password in the url"),
])
def test_bad_urls_are_config_errors(tmp_path, url, problem):
    with pytest.raises(ConfigError) as err:
        _settings(tmp_path, url=url)
    assert problem in str(err.value.problems) and "secret" not in str(err.value.problems)


def test_jdbc_target_needs_host_and_database():
    url = "jdbc:postgresql://db.example:6432/hms"
    assert jdbc_target(url, "me") == (url, "me")
    with pytest.raises(ConfigError, match="host and a database"):
        jdbc_target("postgresql://db.example")


def test_glue_sets_only_the_client_factory(tmp_path):
    settings = _settings(tmp_path, glue=True)
    assert metastore_conf(settings) == {"spark.hadoop.hive.metastore.client.factory.class": GLUE_FACTORY}
    with pytest.raises(ConfigError, match="exclude"):
        metastore_kind(_settings(tmp_path, glue=True, url=PG))


def test_missing_jdbc_jar_says_how_to_get_it(tmp_path):
    settings = _settings(tmp_path, url=PG, jdbc_jar=str(tmp_path / "nope.jar"))
    with pytest.raises(EngineError) as err:
        check_jdbc_jar(settings)
    assert "libpostgresql-jdbc-java" in (err.value.hint or "")


def test_event_logs_go_to_the_workspace(tmp_path):
    local = load_settings({"workspace": str(tmp_path / "ws")})
    conf = spark_conf(local)
    assert conf["spark.eventLog.enabled"] == "true"
    assert conf["spark.eventLog.dir"] == (tmp_path / "ws" / "spark-events").as_uri()
    on_emr = load_settings({"workspace": "s3://bucket/ws", "spark": {"master": "yarn"}})
    assert events_dir(on_emr) == "s3a://bucket/ws/spark-events"
    # pyspark has no S3 filesystem: an s3:// workspace on a local master logs no events.
    assert "spark.eventLog.enabled" not in spark_conf(load_settings({"workspace": "s3://bucket/ws"}))
    off = load_settings({"workspace": str(tmp_path), "spark": {"conf": {"spark.eventLog.enabled": "false"}}})
    assert spark_conf(off)["spark.eventLog.enabled"] == "false"


def test_event_log_names_follow_spark():
    from sparkwing.engine._events import _sanitize

    assert _sanitize("local-1796142398260") == "local-1796142398260"
    assert _sanitize("application_1700000000000_0001") == "application_1700000000000_0001"
    assert _sanitize("App:One/x.y") == "app-one-x_y"
