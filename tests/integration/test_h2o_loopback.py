"""The H2O node (REST + Flow) listens on 127.0.0.1 only; the all-interfaces Flow proxy is gone."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

pytestmark = [pytest.mark.spark, pytest.mark.h2o]


@pytest.mark.skipif(shutil.which("ss") is None, reason="needs ss (iproute2)")
def test_h2o_binds_loopback_only(spark, h2o) -> None:
    assert h2o.url.startswith("http://127.0.0.1:")
    assert h2o.url != "http://127.0.0.1:54321"  # a port chosen free, not H2O's fixed default
    pid = spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid()
    out = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True, check=True).stdout
    mine = [line for line in out.splitlines() if f"pid={pid}," in line]
    assert mine, "the JVM should listen somewhere"
    addrs = [re.split(r"\s+", line.strip())[3] for line in mine]
    public = [a for a in addrs if not a.rsplit(":", 1)[0].strip("[]").endswith("127.0.0.1")]
    assert public == [], f"listening beyond loopback: {public}"
