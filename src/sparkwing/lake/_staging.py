"""Where a run's local copies of S3 sources go, and their removal once the run succeeded.

Spark without an S3 filesystem (a laptop) reads S3 objects from copies made with boto3. They
live under the workspace's ``staging/<pipeline>/<run_id>/`` when the workspace is local, or in a
temporary folder named after the run when the workspace itself is on S3 (Spark reads local
files). A failed run keeps them for a look; a successful one removes them.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from sparkwing.workspace import Workspace


def staging_dir(workspace: Workspace, pipeline: str, run_id: str) -> Path:
    """The local folder of one run's staged copies."""
    if workspace.local:
        return Path(workspace.staging(pipeline, run_id))
    return Path(tempfile.gettempdir()) / "sparkwing-staging" / pipeline / run_id


def clean_staging(workspace: Workspace, pipeline: str, run_id: str) -> bool:
    """Remove one run's staged copies; True if there were any."""
    path = staging_dir(workspace, pipeline, run_id)
    if not path.exists():
        return False
    shutil.rmtree(path, ignore_errors=True)
    parent = path.parent  # staging/<pipeline>/ once it holds no other run
    if parent.is_dir() and not any(parent.iterdir()):
        parent.rmdir()
    return True
