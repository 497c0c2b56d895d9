"""A standalone Spark cluster on 127.0.0.1 (master + two 1-core workers) for the cluster tests.

Each pipeline run here is a child process with its own driver JVM and its own workspace:
the suite's shared local SparkSession (tests/conftest.py) is never touched, and embedded
Derby allows one JVM per metastore.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from clusterkit import loans_spec  # noqa: E402
from standalone import StandaloneCluster  # noqa: E402


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StandaloneCluster]:
    # Daemon and executor logs stay under pytest's temp dir for a look after a failure.
    c = StandaloneCluster(workers=2, cores=1, memory="3g", root=tmp_path_factory.mktemp("daemons"))
    try:
        c.start()
        yield c
    finally:
        c.stop()


@pytest.fixture(scope="session")
def spec_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return loans_spec(tmp_path_factory.mktemp("loans")).parent


