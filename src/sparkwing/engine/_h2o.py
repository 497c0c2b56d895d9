"""The H2OContext, started lazily by the first training step on the run's SparkSession."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from sparkwing.config import Settings
from sparkwing.errors import EngineError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger("sparkwing.engine")
_context: Any = None


def h2o_conf(settings: Settings) -> dict[str, str]:
    """The spark.ext.h2o.* settings sparkwing applies, then the user's."""
    conf: dict[str, str] = {
        "spark.ext.h2o.fail.on.unsupported.spark.param": "true",
        "spark.ext.h2o.log.level": "WARN",
        "spark.ext.h2o.backend.cluster.mode": "internal",
    }
    if settings.h2o.bind_loopback:
        conf["spark.ext.h2o.client.ip"] = "127.0.0.1"
        conf["spark.ext.h2o.node.network.mask"] = "127.0.0.1/32"
        conf["spark.ext.h2o.client.network.mask"] = "127.0.0.1/32"
    conf.update(settings.h2o.conf)
    return conf


def start_h2o(spark: SparkSession, settings: Settings) -> Any:
    """Start (once per process) the H2OContext on ``spark``; returns it."""
    global _context
    if _context is not None:
        return _context
    try:
        from pysparkling import H2OConf, H2OContext
    except ImportError as exc:  # pragma: no cover - a broken install
        raise EngineError(
            "Sparkling Water is not installed",
            hint="pip install 'h2o-pysparkling-3-5==3.46.0.6.post1'",
        ) from exc
    conf = H2OConf()
    for key, value in h2o_conf(settings).items():
        conf.set(key, value)
    if settings.h2o.username:
        conf.setUserName(settings.h2o.username)
        conf.setPassword(settings.h2o.password or "")
    log.info("starting H2O (Sparkling Water) on the Spark cluster")
    try:
        _context = H2OContext.getOrCreate(conf)
    except Exception as exc:
        raise EngineError(
            f"H2O did not start: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}",
            hint="check executor memory (H2O needs ~4x the data) and the Java 17 flags",
        ) from exc
    return _context


def h2o_started() -> bool:
    return _context is not None


def stop_h2o() -> None:
    global _context
    if _context is not None:
        try:
            _context.stop(stopSparkContext=False)
        finally:
            _context = None
