"""Hive publication: versioned table locations, one atomic switch, rollback, listing.

>>> from sparkwing.warehouse import publish_table, list_tables  # doctest: +SKIP
"""

from sparkwing.warehouse._inspect import list_tables, run_sql, table_info
from sparkwing.warehouse._model import PublishResult, TableInfo, VersionRecord
from sparkwing.warehouse._publish import publish_table, rollback_table

__all__ = [
    "PublishResult",
    "TableInfo",
    "VersionRecord",
    "list_tables",
    "publish_table",
    "rollback_table",
    "run_sql",
    "table_info",
]
