"""The /proc helpers the benches measure CPU with (tests/procs.py)."""

from __future__ import annotations

import os
import subprocess
import sys

from procs import TreeCpu

BURN = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.6: pass\n"


def test_tree_cpu_keeps_a_child_that_exited() -> None:
    """A child that burns CPU and exits still counts (a reading after it is gone would not)."""
    with TreeCpu(os.getpid(), every=0.05) as used:
        child = subprocess.Popen([sys.executable, "-c", BURN + "import time; time.sleep(0.3)"])
        child.wait()
    assert used.seconds >= 0.4

