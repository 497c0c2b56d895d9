"""Shared fixtures: one SparkSession (and at most one H2OContext) for the whole test run."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
EXAMPLES = ROOT / "examples"
# A test that uses one of these fixtures carries its marker even if the module forgot it, so
# that `make test-fast` (-m "not spark and not h2o and not s3 and not cluster") starts no JVM.
FIXTURE_MARKERS = {"spark": "spark", "h2o": "h2o", "h2o_start": "h2o", "s3_server": "s3"}


@pytest.fixture(scope="session")
def session_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The workspace the shared SparkSession's metastore and warehouse live in."""
    return tmp_path_factory.mktemp("ws")


@pytest.fixture(scope="session")
def settings(session_workspace: Path):
    from sparkwing.config import load_settings

    return load_settings(
        {
            "workspace": str(session_workspace),
            "spark": {"master": "local[2]", "shuffle_partitions": 2, "driver_memory": "3g"},
        }
    )


@pytest.fixture(scope="session")
def spark(settings) -> Iterator[object]:
    """The one SparkSession of the test run (Hive support, Derby metastore in the workspace)."""
    from sparkwing.engine import start_spark, stop_spark

    session = start_spark(settings)
    yield session
    from sparkwing.engine import stop_h2o

    stop_h2o()
    stop_spark()


@pytest.fixture(scope="session")
def h2o_start(spark, settings):
    """The one H2O cloud of the test run and every socket its JVM listened on while it started.

    A thread samples the JVM's listening sockets every 50 ms from before the start until the
    cloud is ready (tests/integration/test_h2o_lockdown.py checks them).
    """
    from sockets import ListenSampler

    from sparkwing.engine import start_h2o

    pid = int(spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid())
    with ListenSampler(pid) as sampler:
        cloud = start_h2o(spark, settings)
    yield cloud, sampler
    cloud.stop()  # also removes its generated login


@pytest.fixture(scope="session")
def h2o(h2o_start):
    """The one H2O cloud (an ``H2OCloud``) of the test run, started on first use."""
    return h2o_start[0]


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    """A moto S3 server on 127.0.0.1 (free port) for the whole run; yields its endpoint URL.

    Use with ``S3Settings(endpoint_url=..., access_key_id="test", secret_access_key="test")``.
    """
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(url + "/moto-api/", timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"moto server did not start on {url}")
                time.sleep(0.2)
        yield url
    finally:
        from servers import stop_process

        stop_process(proc)


@pytest.fixture(scope="session")
def kdc(tmp_path_factory: pytest.TempPathFactory):
    """A throwaway MIT Kerberos realm (``kdc_server.Realm``) with its KDC on 127.0.0.1, one per run.

    Its service keytab holds ``HTTP/localhost``; the KRB5_* variables point at its files while it runs.
    """
    from kdc_server import kdc_realm

    with kdc_realm(tmp_path_factory.mktemp("kdc")) as realm:
        yield realm


@pytest.fixture()
def data_dir() -> Path:
    return DATA


@pytest.fixture()
def copy_data(tmp_path: Path):
    """Copy a shipped test file into a temp dir and return its path."""

    def _copy(name: str) -> Path:
        dst = tmp_path / Path(name).name
        shutil.copy(DATA / name, dst)
        return dst

    return _copy


LOCKDOWN_MODULE = "test_h2o_lockdown"


@pytest.hookimpl(tryfirst=True)  # before -m deselects by marker
def pytest_collection_modifyitems(config, items):  # noqa: ARG001
    for item in items:
        for fixture, marker in FIXTURE_MARKERS.items():
            if fixture in getattr(item, "fixturenames", ()):
                item.add_marker(marker)
    # Integration tests marked spark/h2o run after the fast unit tests.  Among the H2O tests the
    # lock-down checks go first: they watch the session's one cloud start (every socket, its
    # login), and an in-process run before them would leave a cloud they could only attach to.
    items.sort(key=lambda it: ("h2o" in it.keywords, it.module.__name__ != LOCKDOWN_MODULE,
                               "spark" in it.keywords or "s3" in it.keywords))
    os.environ.setdefault("SPARKWING_TESTING", "1")


@pytest.fixture(scope="session")
def slapd(tmp_path_factory: pytest.TempPathFactory):
    """One real OpenLDAP server on 127.0.0.1 for the whole run (tests/ldap_server.py: users,
    groups, ldap:// with StartTLS and ldaps://); yields a ``ldap_server.Slapd``."""
    from ldap_server import running_slapd

    with running_slapd(tmp_path_factory.mktemp("slapd")) as server:
        yield server
