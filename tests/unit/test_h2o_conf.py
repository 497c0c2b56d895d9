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
