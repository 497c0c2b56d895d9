"""The data lake: source URIs (local, S3), formats, reading contracts, quarantine, fingerprints.

Importing this package does not import pyspark; the readers import it when called.
"""

from sparkwing.lake._locality import check_locations, source_problems
from sparkwing.lake._read import SourceContext, SourceResult, fingerprint_source, read_source
from sparkwing.lake._staging import clean_staging, staging_dir
from sparkwing.lake._write import write_output

__all__ = [
    "SourceContext",
    "SourceResult",
    "check_locations",
    "clean_staging",
    "fingerprint_source",
    "read_source",
    "source_problems",
    "staging_dir",
    "write_output",
]
