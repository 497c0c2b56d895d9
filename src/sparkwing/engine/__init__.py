"""The runtime: the only package that starts a JVM (Java discovery, SparkSession, H2OContext)."""

from sparkwing.engine._h2o import h2o_conf, h2o_started, h2o_url, start_h2o, stop_h2o
from sparkwing.engine._java import JavaRuntime, find_java, use_java
from sparkwing.engine._spark import JAVA17_FLAGS, spark_conf, start_spark, stop_spark

__all__ = [
    "JAVA17_FLAGS",
    "JavaRuntime",
    "find_java",
    "h2o_conf",
    "h2o_started",
    "h2o_url",
    "spark_conf",
    "start_h2o",
    "start_spark",
    "stop_h2o",
    "stop_spark",
    "use_java",
]
