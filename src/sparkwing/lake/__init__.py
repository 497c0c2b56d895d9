"""Storage: URIs, filesystems (local, S3), formats, quarantine, fingerprints.

Importing this package does not import pyspark; the readers import it when called.
"""

from sparkwing.lake._read import SourceContext, SourceResult, fingerprint_source, read_source
from sparkwing.lake._storage import LocalStorage, S3Storage, Storage, s3_client, split_s3, storage_for
from sparkwing.lake._write import write_output

__all__ = [
    "LocalStorage",
    "S3Storage",
    "SourceContext",
    "SourceResult",
    "Storage",
    "fingerprint_source",
    "read_source",
    "s3_client",
    "split_s3",
    "storage_for",
    "write_output",
]
