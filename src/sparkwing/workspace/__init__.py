"""The workspace: one value for where sparkwing's state lives and how it is stored.

A :class:`Workspace` is the layout of ARCHITECTURE.md (quarantine, staging, warehouse,
metastore, models, runs) under a local directory or an ``s3://`` URI, plus the plain-file
storage that reads and writes it (local files, or S3 with the workspace's S3 settings).
It is built once from the settings at the edge (CLI, service, pipeline runner) and handed
down; it never imports pyspark.

>>> ws = Workspace("/tmp/ws")
>>> ws.table_version("credit", "loans", "2")
'/tmp/ws/warehouse/credit.db/loans/v=2'
"""

from sparkwing.workspace._storage import Storage, is_remote, s3_client, split_s3
from sparkwing.workspace._workspace import Workspace

__all__ = ["Storage", "Workspace", "is_remote", "s3_client", "split_s3"]
