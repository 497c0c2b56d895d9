"""H2O settings sparkwing applies (no JVM): loopback binding, log folder, user overrides."""

from __future__ import annotations

from pathlib import Path

from sparkwing.config import load_settings
from sparkwing.engine import h2o_conf


def test_local_master_binds_h2o_to_loopback_and_logs_into_the_workspace(tmp_path: Path) -> None:
    conf = h2o_conf(load_settings({"workspace": str(tmp_path), "spark": {"master": "local[2]"},
                                   "h2o": {"conf": {"spark.ext.h2o.extra.properties": "-nthreads 2"}}}))
    assert conf["spark.ext.h2o.extra.properties"] == "-ip 127.0.0.1 -web_ip 127.0.0.1 -nthreads 2"
    assert conf["spark.ext.h2o.log.dir"] == str(tmp_path.resolve() / "logs" / "h2o")
    assert conf["spark.ext.h2o.model.print.after.training.enabled"] == "false"


def test_cluster_master_or_opt_out_does_not_pin_loopback(tmp_path: Path) -> None:
    yarn = h2o_conf(load_settings({"workspace": str(tmp_path), "spark": {"master": "yarn"}}))
    off = h2o_conf(load_settings({"workspace": str(tmp_path), "h2o": {"bind_loopback": False}}))
    assert "spark.ext.h2o.extra.properties" not in yarn and "spark.ext.h2o.extra.properties" not in off
    s3 = h2o_conf(load_settings({"workspace": "s3://bucket/ws"}))
    assert "spark.ext.h2o.log.dir" not in s3


def test_login_turns_hash_login_on_with_the_realm_file_and_never_carries_the_password(tmp_path: Path) -> None:
    from sparkwing.engine._h2o import new_login

    settings = load_settings({"workspace": str(tmp_path), "spark": {"master": "local[2]"},
                              "h2o": {"conf": {"spark.ext.h2o.password": "from-the-user"}}})
    login = new_login(settings)
    try:
        conf = h2o_conf(settings, login=login)
        assert conf["spark.ext.h2o.hash.login"] == "true"
        assert conf["spark.ext.h2o.login.conf"] == login.realm_file
        assert conf["spark.ext.h2o.user.name"] == login.user == "sparkwing"
        assert "spark.ext.h2o.password" not in conf
        assert login.password not in " ".join(conf.values()) and len(login.password) >= 32
        assert new_login(settings).password != login.password  # generated per cloud
    finally:
        login.remove()
    assert not Path(login.dir).exists()


def test_login_is_on_by_default_off_on_request_and_left_to_an_ldap_login_of_the_user(tmp_path: Path) -> None:
    from sparkwing.engine._h2o import own_login

    ws = {"workspace": str(tmp_path)}
    assert own_login(load_settings(ws))
    assert own_login(load_settings({**ws, "spark": {"master": "yarn"}}))
    assert not own_login(load_settings({**ws, "h2o": {"login": False}}))
    ldap = load_settings({**ws, "h2o": {"conf": {"spark.ext.h2o.ldap.login": "true"}}})
    assert not own_login(ldap)


def test_given_user_and_password_make_the_login(tmp_path: Path) -> None:
    from sparkwing.engine._h2o import new_login

    login = new_login(load_settings({"workspace": str(tmp_path),
                                     "h2o": {"username": "ana", "password": "pw-of-ana"}}))
    try:
        assert login.auth == ("ana", "pw-of-ana")
        assert "pw-of-ana" not in Path(login.realm_file).read_text()
    finally:
        login.remove()


def test_internal_secure_connections_is_one_setting(tmp_path: Path) -> None:
    on = h2o_conf(load_settings({"workspace": str(tmp_path), "spark": {"master": "yarn"},
                                 "h2o": {"internal_secure_connections": True}}))
    assert on["spark.ext.h2o.internal_secure_connections"] == "true"
    off = h2o_conf(load_settings({"workspace": str(tmp_path)}))
    assert "spark.ext.h2o.internal_secure_connections" not in off


def test_spark_authenticates_yarn_and_k8s_executors_with_a_secret_spark_generates(tmp_path: Path) -> None:
    from sparkwing.engine import spark_conf

    ws = "s3://bucket/ws"
    yarn = spark_conf(load_settings({"workspace": ws, "spark": {"master": "yarn", "network_crypto": True}}))
    assert yarn["spark.authenticate"] == "true" and yarn["spark.network.crypto.enabled"] == "true"
    assert not any("secret" in key for key in yarn)  # Spark makes it per application
    assert yarn["spark.shuffle.service.enabled"] == "false"  # EMR's would refuse authenticating executors
    kept = spark_conf(load_settings({"workspace": ws, "spark": {
        "master": "yarn", "conf": {"spark.shuffle.service.enabled": "true"}}}))
    assert kept["spark.shuffle.service.enabled"] == "true"  # the user's choice wins
    k8s = spark_conf(load_settings({"workspace": ws, "spark": {"master": "k8s://https://api:6443"}}))
    assert k8s["spark.authenticate"] == "true" and "spark.network.crypto.enabled" not in k8s
    off = spark_conf(load_settings({"workspace": ws, "spark": {"master": "yarn", "authenticate": False}}))
    assert "spark.authenticate" not in off
    for master in ("local[2]", "spark://127.0.0.1:7077"):  # no generated secret there (see docs)
        assert "spark.authenticate" not in spark_conf(load_settings({"workspace": str(tmp_path),
                                                                     "spark": {"master": master}}))


def test_the_driver_may_point_its_wildcard_address_at_loopback_on_local_masters(tmp_path: Path) -> None:
    from sparkwing.engine import spark_conf
    from sparkwing.engine._h2o import OPEN_JAVA_NET

    local = spark_conf(load_settings({"workspace": str(tmp_path), "spark": {"master": "local[2]"}}))
    assert OPEN_JAVA_NET in local["spark.driver.extraJavaOptions"].split()
    yarn = spark_conf(load_settings({"workspace": "s3://b/ws", "spark": {"master": "yarn"}}))
    assert OPEN_JAVA_NET not in yarn["spark.driver.extraJavaOptions"]


def test_the_h2o_context_never_logs_its_configuration_with_the_password() -> None:
    from sparkwing.engine import EngineLogs
    from sparkwing.engine._logs import log4j2_properties

    text = log4j2_properties(EngineLogs(dir="/tmp/x", level="INFO"))
    names = dict(line.split(" = ", 1) for line in text.splitlines() if line.startswith("logger."))
    key = next(k for k, v in names.items() if v == "ai.h2o.sparkling.H2OContext")
    assert names[key.replace(".name", ".level")] == "warn"


def test_a_login_of_the_user_hands_its_credentials_to_the_client(tmp_path: Path) -> None:
    from sparkwing.engine._h2o import _configured_auth

    conf = {"spark.ext.h2o.ldap.login": "true", "spark.ext.h2o.user.name": "ana",
            "spark.ext.h2o.password": "pw"}
    ldap = load_settings({"workspace": str(tmp_path), "h2o": {"conf": conf}})
    assert _configured_auth(ldap) == ("ana", "pw")
    assert "spark.ext.h2o.password" not in h2o_conf(ldap)


def test_open_flow_writes_the_login_for_a_loopback_cloud_only(tmp_path: Path) -> None:
    import os

    from sparkwing.engine import H2OCloud, open_flow
    from sparkwing.engine._h2o_login import H2OLogin

    settings = load_settings({"workspace": str(tmp_path), "h2o": {"flow": True}})
    login = H2OLogin.generate()
    try:
        own = open_flow(H2OCloud(context=None, url="http://127.0.0.1:41873", size=1, auth=login.auth,
                                 login=login), settings)
        assert own is not None and own.credentials == os.path.join(login.dir, "credentials")
        assert oct(os.stat(own.credentials).st_mode & 0o777) == "0o600"
        assert login.password in Path(own.credentials).read_text() and login.password not in repr(own)
        own.remove()
        assert not os.path.exists(own.credentials) and os.path.exists(login.realm_file)  # the cloud's
        far = H2OCloud(context=None, url="http://10.0.0.7:54321", size=1, auth=login.auth, login=login)
        assert open_flow(far, settings) is None
        # attached to a running cloud: its login (recovered) goes to a folder of the run's own
        running = H2OCloud(context=None, url="http://localhost:5", size=1, auth=login.auth)
        attached = open_flow(running, settings)
        assert attached is not None and attached.credentials
        assert login.password in Path(attached.credentials).read_text()
        attached.remove()
        assert not os.path.exists(os.path.dirname(attached.credentials))
        no_login = H2OCloud(context=None, url="http://127.0.0.1:5", size=1)
        assert open_flow(no_login, settings) is None
    finally:
        login.remove()
