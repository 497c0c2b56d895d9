"""A throwaway PostgreSQL server on 127.0.0.1 for the tests (Debian's postgresql 15 binaries).

``initdb`` refuses to run as root, and CI runs as root: the cluster then belongs to the
``postgres`` system user (a temp dir it owns, commands run through ``runuser``).  The server
listens on 127.0.0.1 only, on a free port, with its unix socket in the temp dir, and is
stopped (``pg_ctl stop -m immediate``) and deleted on the way out::

    with pg_server() as pg:
        pg.create_database("metastore")
        url = pg.url("metastore")       # postgresql://sparkwing@127.0.0.1:PORT/metastore
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

BIN = Path(os.environ.get("SPARKWING_PG_BIN", "/usr/lib/postgresql/15/bin"))
USER = "sparkwing"
PASSWORD = "s3cret-metastore-pw"  # scram-sha-256 on 127.0.0.1: the password is really checked
SYSTEM_USER = "postgres"


def available() -> str | None:
    """None when a server can be started here, else why not (for ``pytest.skip``)."""
    if not (BIN / "initdb").exists():
        return f"no PostgreSQL binaries in {BIN} (Debian package postgresql)"
    if os.geteuid() == 0:
        try:
            import pwd

            pwd.getpwnam(SYSTEM_USER)
        except KeyError:
            return f"running as root and there is no {SYSTEM_USER!r} system user"
    return None


@dataclass
class PgServer:
    port: int
    root: Path

    def url(self, database: str, *, with_user: bool = True) -> str:
        user = f"{USER}@" if with_user else ""
        return f"postgresql://{user}127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        out = _run([str(BIN / "psql"),
                    "-h", str(self.root / "sock"), "-p", str(self.port), "-U", SYSTEM_USER,
                    "-d", database, "-At", "-c", sql], capture=True)  # fmt: skip
        return out

    def create_database(self, name: str) -> None:
        self.psql(f'CREATE DATABASE "{name}" OWNER {USER}')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_owner() -> list[str]:
    return ["runuser", "-u", SYSTEM_USER, "--"] if os.geteuid() == 0 else []


def _run(cmd: list[str], *, capture: bool = False) -> str:
    done = subprocess.run(_as_owner() + cmd, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:2])} failed ({done.returncode}): {done.stderr[-2000:]}")
    return done.stdout.strip() if capture else ""


@contextlib.contextmanager
def pg_server() -> Iterator[PgServer]:
    """Start a fresh cluster (user ``sparkwing`` with :data:`PASSWORD`), yield it, stop it."""
    root = Path(tempfile.mkdtemp(prefix="sparkwing-pg-"))
    os.chmod(root, 0o700)
    if os.geteuid() == 0:
        shutil.chown(root, SYSTEM_USER, SYSTEM_USER)
    data, sock, log = root / "data", root / "sock", root / "server.log"
    pwfile = root / "pw"
    pwfile.write_text(PASSWORD + "\n")
    if os.geteuid() == 0:
        shutil.chown(pwfile, SYSTEM_USER, SYSTEM_USER)
    port = _free_port()
    started = False
    try:
        _run([str(BIN / "initdb"), "-D", str(data), "-U", SYSTEM_USER, "--auth-local=trust",
              "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8"])  # fmt: skip
        _run(["mkdir", "-p", str(sock)])
        opts = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={sock} -c fsync=off"
        _run([str(BIN / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", opts, "-w", "-t", "60", "start"])
        started = True
        server = PgServer(port=port, root=root)
        server.psql(f"CREATE ROLE {USER} LOGIN PASSWORD '{PASSWORD}'")
        yield server
    finally:
        if started:
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                _run([str(BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"])
        shutil.rmtree(root, ignore_errors=True)
