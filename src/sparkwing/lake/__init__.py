"""The data lake: source URIs (local, S3), formats, reading contracts, quarantine, fingerprints.

Importing this package does not import pyspark; the readers import it when called.
"""

from sparkwing.lake._consumed import Selection, commit_consumed, ledger_uri, pinned_selection
from sparkwing.lake._locality import check_locations, source_problems
from sparkwing.lake._read import SourceContext, SourceResult, fingerprint_source, read_source
from sparkwing.lake._staging import clean_staging, staging_dir
from sparkwing.lake._write import write_output

__all__ = [
    "Selection",
    "SourceContext",
    "SourceResult",
    "check_locations",
    "clean_staging",
    "commit_consumed",
    "fingerprint_source",
    "ledger_uri",
    "pinned_selection",
    "read_source",
    "source_problems",
    "staging_dir",
    "write_output",
]
