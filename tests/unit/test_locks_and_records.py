from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from sparkwing.errors import WorkspaceBusy
from sparkwing.pipeline import PipelineLock, RunRecord, RunStore, StepRecord
from sparkwing.workspace import Workspace


@pytest.fixture()
def workspace(tmp_path):
    return Workspace(tmp_path)


def test_second_run_is_refused_naming_the_first(workspace) -> None:
    first = PipelineLock(workspace, "loans")
    assert first.acquire("run-1") is None
    with pytest.raises(WorkspaceBusy) as info:
        PipelineLock(workspace, "loans").acquire("run-2")
    assert "run-1" in str(info.value) and info.value.run_id == "run-1"
    first.release()
    assert PipelineLock(workspace, "loans").acquire("run-3") is None


def test_stale_lock_of_a_dead_process_is_cleared(workspace) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    lock = PipelineLock(workspace, "loans")
    import socket

    workspace.storage.write_atomic(lock.uri, json.dumps(
        {"run_id": "killed", "pid": int(dead.stdout), "host": socket.gethostname(), "started": "t"}
    ).encode())
    cleared = lock.acquire("run-new")
    assert cleared is not None and cleared.run_id == "killed"
    assert lock.holder().pid == os.getpid()


def test_run_records_round_trip_and_list(workspace) -> None:
    store = RunStore(workspace)
    rec = RunRecord(run_id="20260101T000000Z-aaaa", pipeline="loans", spec_hash="h")
    rec.steps["a"] = StepRecord(name="a", kind="sources", rows_in=10, rows_out=9, rows_quarantined=1)
    store.save(rec)
    again = store.find("20260101T000000Z")
    assert again.steps["a"].rows_quarantined == 1
    assert [r.run_id for r in store.list()] == [rec.run_id]
