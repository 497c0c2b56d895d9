"""A Spark standalone cluster on 127.0.0.1 (one master, N workers) started from the installed pyspark.

Used by the cluster tests and ``bench/cluster_compare.py``.  Every daemon is a child process of
this one; :meth:`StandaloneCluster.stop` ends them by their own process ids.

>>> with StandaloneCluster(workers=2) as cluster:   # doctest: +SKIP
...     print(cluster.master_url)                    # spark://127.0.0.1:41234
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from procs import cmdline, descendants  # tests/ is on sys.path (pytest's rootdir conftest)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def spark_home() -> str:
    import pyspark

    return str(Path(pyspark.__file__).parent)


def cluster_env(python: str | None = None) -> dict[str, str]:
    """Environment for the daemons and for a driver talking to them."""
    from sparkwing.engine import find_java

    java = find_java()
    src = str(Path(__file__).resolve().parents[2] / "src")
    env = {
        **os.environ,
        "SPARK_HOME": spark_home(),
        "JAVA_HOME": java.home,
        "PATH": str(Path(java.home) / "bin") + os.pathsep + os.environ.get("PATH", ""),
        "SPARK_LOCAL_IP": "127.0.0.1",
        "PYSPARK_PYTHON": python or sys.executable,
        # Executors' Python workers import sparkwing from this checkout.
        "PYTHONPATH": os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH", "")) if p),
    }
    env.pop("SPARK_CONF_DIR", None)
    return env


@dataclass
class Daemon:
    name: str
    proc: subprocess.Popen[bytes]
    log: Path
    webui: int = 0

    @property
    def pid(self) -> int:
        return self.proc.pid


@dataclass
class StandaloneCluster:
    workers: int = 2
    cores: int = 1
    memory: str = "3g"
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="sw-cluster-")))
    master: Daemon | None = None
    worker_daemons: list[Daemon] = field(default_factory=list)
    lost: list[Daemon] = field(default_factory=list)  # killed on purpose
    port: int = 0
    webui: int = 0

    @property
    def master_url(self) -> str:
        return f"spark://127.0.0.1:{self.port}"

    def _spawn(self, name: str, cls: str, *args: str) -> Daemon:
        log = self.root / f"{name}.log"
        fh = open(log, "wb")  # noqa: SIM115 - the child owns it from here
        cmd = [str(Path(spark_home()) / "bin" / "spark-class"), cls, *args]
        # Its own process group: stopping it also ends the JVM that spark-class execs.
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env=cluster_env(),
                                cwd=self.root, start_new_session=True, preexec_fn=_die_with_parent)
        fh.close()
        return Daemon(name, proc, log)

    def start(self, timeout: float = 180) -> StandaloneCluster:
        self.port, self.webui = free_port(), free_port()
        self.master = self._spawn("master", "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                                  "--port", str(self.port), "--webui-port", str(self.webui))
        self.master.webui = self.webui
        for _ in range(self.workers):
            self.add_worker()
        self.wait_workers(self.workers, timeout)
        return self

    def add_worker(self) -> Daemon:
        i = len(self.worker_daemons) + len(self.lost)
        webui = free_port()
        work = self.root / f"work-{i}"
        work.mkdir(exist_ok=True)
        d = self._spawn(f"worker-{i}", "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1",
                        "--cores", str(self.cores), "--memory", self.memory, "--webui-port", str(webui),
                        "--work-dir", str(work), self.master_url)
        d.webui = webui
        self.worker_daemons.append(d)
        return d

    def state(self) -> dict:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.webui}/json/", timeout=5) as r:
            return json.loads(r.read())

    def alive_workers(self) -> int:
        try:
            return sum(1 for w in self.state().get("workers", []) if w.get("state") == "ALIVE")
        except OSError:
            return 0

    def wait_workers(self, n: int, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.alive_workers() >= n:
                return
            for d in [self.master, *self.worker_daemons]:
                if d is not None and d.proc.poll() is not None:
                    raise RuntimeError(f"{d.name} exited: {d.log.read_text()[-2000:]}")
            time.sleep(1)
        raise TimeoutError(f"{n} workers did not register with {self.master_url} in {timeout}s")

    def executor_pids(self) -> list[int]:
        """Process ids of the executor JVMs (CoarseGrainedExecutorBackend) under this cluster's workers."""
        out = []
        for d in self.worker_daemons:
            out.extend(p for p in descendants(d.pid) if b"CoarseGrainedExecutorBackend" in cmdline(p))
        return out

    def kill_worker(self, d: Daemon) -> None:
        """SIGKILL a worker and its executor (the whole process group, like a lost machine)."""
        _kill_group(d.proc)
        self.worker_daemons.remove(d)
        self.lost.append(d)

    def stop(self) -> None:
        for d in [*self.worker_daemons, self.master]:
            if d is not None:
                _kill_group(d.proc, sig=signal.SIGTERM)

    def __enter__(self) -> StandaloneCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when this process dies, even if it never reaches stop().

    spark-class execs the JVM, and the parent-death signal survives exec.
    """
    import ctypes

    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def _kill_group(proc: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
    """Signal the daemon's own process group (its pid) and everything under it, then reap it."""
    if proc.poll() is not None:
        return
    pids = [proc.pid, *descendants(proc.pid)]
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass
    for p in pids:  # executors started by a worker may sit in another group
        try:
            os.kill(p, sig)
        except ProcessLookupError:
            pass
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
