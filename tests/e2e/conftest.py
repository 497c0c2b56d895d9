"""End-to-end tests drive the real ``sparkwing`` command in a child process.

Each child has its own JVM and its own workspace (embedded Derby allows one JVM per
metastore), so these never touch the session SparkSession's workspace.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def sparkwing_cmd(*args: str, workspace: Path, cwd: Path | None = None, timeout: int = 600,
                  env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "SPARKWING__SPARK__MASTER": "local[2]",
                "SPARKWING__SPARK__SHUFFLE_PARTITIONS": "2", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "sparkwing", "--workspace", str(workspace), *args],
        capture_output=True, text=True, cwd=cwd or ROOT, timeout=timeout, env=full_env,
    )


@pytest.fixture()
def run_cli():
    return sparkwing_cmd
