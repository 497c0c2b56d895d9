"""The runtime: the only package that starts a JVM (Java discovery, SparkSession, the H2O cloud).

``start_spark(settings)`` gives the run's SparkSession; ``start_h2o(spark, settings)`` gives an
:class:`H2OCloud` the caller keeps and passes on.  Engine output (JVM, log4j2, H2O, XGBoost)
goes to the files of an :class:`EngineLogs`, not to the console.
"""

from sparkwing.engine._cluster import (
    check_cluster,
    cluster_conf,
    cluster_kind,
    cluster_problems,
    sparkling_jar,
)
from sparkwing.engine._events import event_log_of, events_dir
from sparkwing.engine._h2o import (
    CloudInfo,
    FlowLogin,
    H2OCloud,
    h2o_conf,
    open_flow,
    start_h2o,
    stop_h2o,
)
from sparkwing.engine._history import HistoryServer, start_history_server
from sparkwing.engine._java import JavaRuntime, find_java, use_java
from sparkwing.engine._logs import EngineLogs
from sparkwing.engine._metastore import metastore_conf, metastore_kind
from sparkwing.engine._ports import free_port, port_in_use
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
    "CloudInfo",
    "EngineLogs",
    "FlowLogin",
    "H2OCloud",
    "HistoryServer",
    "JavaRuntime",
    "check_cluster",
    "cluster_conf",
    "cluster_kind",
    "cluster_problems",
    "effective_settings",
    "event_log_of",
    "events_dir",
    "find_java",
    "free_port",
    "h2o_conf",
    "metastore_conf",
    "metastore_kind",
    "open_flow",
    "port_in_use",
    "spark_conf",
    "sparkling_jar",
    "start_h2o",
    "start_history_server",
    "start_spark",
    "stop_h2o",
    "stop_spark",
    "submitted_conf",
    "use_java",
]
