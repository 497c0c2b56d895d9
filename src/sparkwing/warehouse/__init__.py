"""Hive publication: versioned table locations, one atomic switch, rollback, listing.

``list_published`` / ``published_table`` read the tables' history files only (no Spark);
``duckdb_sql`` answers read-only SQL over the current versions' Parquet files (no JVM).

>>> from sparkwing.warehouse import publish_table, list_tables  # doctest: +SKIP
"""

from sparkwing.warehouse._duck import QueryResult, duckdb_sql
from sparkwing.warehouse._inspect import list_tables, run_sql, table_info
from sparkwing.warehouse._listing import list_published, published_table
from sparkwing.warehouse._model import PublishResult, TableInfo, TableName, VersionRecord
from sparkwing.warehouse._publish import publish_table, rollback_table
from sparkwing.warehouse._readonly import check_read_only
from sparkwing.warehouse._versions import History, load_history, table_histories

__all__ = [
    "History",
    "PublishResult",
    "QueryResult",
    "TableInfo",
    "TableName",
    "VersionRecord",
    "check_read_only",
    "duckdb_sql",
    "list_published",
    "list_tables",
    "load_history",
    "publish_table",
    "published_table",
    "rollback_table",
    "run_sql",
    "table_histories",
    "table_info",
]
