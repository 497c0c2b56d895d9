"""The runtime: the only package that starts a JVM (Java discovery, SparkSession, H2OContext)."""

from sparkwing.engine._cluster import (
    check_cluster,
    cluster_conf,
    cluster_kind,
    format_command,
    sparkling_jar,
    submit_command,
)
from sparkwing.engine._h2o import (
    h2o_cloud,
    h2o_conf,
    h2o_lost_node,
    h2o_started,
    h2o_url,
    run_watched,
    start_h2o,
    stop_h2o,
)
from sparkwing.engine._java import JavaRuntime, find_java, use_java
from sparkwing.engine._spark import (
    JAVA17_FLAGS,
    effective_settings,
    spark_conf,
    start_spark,
    stop_spark,
    submitted_conf,
)

__all__ = [
    "JAVA17_FLAGS",
    "JavaRuntime",
    "check_cluster",
    "cluster_conf",
    "cluster_kind",
    "effective_settings",
    "format_command",
    "h2o_cloud",
    "h2o_lost_node",
    "run_watched",
    "sparkling_jar",
    "submit_command",
    "submitted_conf",
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
