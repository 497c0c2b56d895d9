"""H2O's node login: a user and password generated per cloud, in a private folder removed at stop.

H2O's REST port runs whatever it is asked (file reads and writes, JDBC imports; CVE-2026-3960
is an unauthenticated remote code execution through ``/99/ImportSQLTable`` in the H2O inside
Sparkling Water), so every H2O sparkwing starts turns its login on: H2O's ``-hash_login`` with a
Jetty realm file (``spark.ext.h2o.hash.login`` + ``spark.ext.h2o.login.conf``).

The realm file holds the password's MD5 (Jetty's ``MD5:`` credential), not the password: a
random 32-character password cannot be guessed back from it, and on a cluster Spark ships the
file to the executors.  The password itself lives only in this process (handed to the H2O
Python client) and, for ``sparkwing flow`` and a run with ``h2o.flow``, in a ``credentials``
file only the user can read.
Folder ``0700``, files ``0600``; :meth:`H2OLogin.remove` deletes the folder (also at exit).
"""

from __future__ import annotations

import atexit
import hashlib
import os
import secrets
import shutil
import tempfile
from base64 import b64encode
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_USER = "sparkwing"
REALM_FILE = "realm-{}.properties"  # one name per cloud: Spark ships files to executors by name
CREDENTIALS_FILE = "credentials"


@dataclass(frozen=True)
class H2OLogin:
    """One cloud's login: ``user``, ``password`` (never in ``repr``), the folder of its realm file.

    >>> login = H2OLogin.generate()
    >>> oct(os.stat(login.realm_file).st_mode & 0o777), login.password in repr(login)
    ('0o600', False)
    >>> login.remove()
    """

    user: str
    password: str = field(repr=False)
    dir: str
    realm_name: str = "realm.properties"

    @classmethod
    def generate(cls, user: str | None = None, password: str | None = None) -> H2OLogin:
        """A login for a new cloud: ``user`` (default ``sparkwing``), ``password`` (default random)."""
        user = user or DEFAULT_USER
        if any(c in user for c in ":,\n\r") or user != user.strip():
            raise ValueError("an H2O user name cannot hold ':', ',', line breaks or outer spaces")
        password = password or secrets.token_urlsafe(24)  # 32 characters, 192 bits
        folder = tempfile.mkdtemp(prefix="sparkwing-h2o-login-")  # mode 0700 by mkdtemp
        realm = REALM_FILE.format(secrets.token_hex(6))
        login = cls(user=user, password=password, dir=folder, realm_name=realm)
        digest = hashlib.md5(password.encode(), usedforsecurity=False).hexdigest()
        _write_private(login.realm_file, f"{user}: MD5:{digest}\n")
        atexit.register(login.remove)
        return login

    @property
    def realm_file(self) -> str:
        """The Jetty realm file H2O's ``-hash_login`` reads (``-login_conf``)."""
        return os.path.join(self.dir, self.realm_name)

    @property
    def auth(self) -> tuple[str, str]:
        return self.user, self.password

    def basic_header(self) -> dict[str, str]:
        token = b64encode(f"{self.user}:{self.password}".encode()).decode()
        return {"Authorization": f"Basic {token}"}

    def write_credentials(self) -> str:
        """Write the user and password to a ``0600`` file beside the realm file; its path.

        For a person opening Flow in a browser: the path is printed, never the password.
        """
        path = os.path.join(self.dir, CREDENTIALS_FILE)
        _write_private(path, f"user: {self.user}\npassword: {self.password}\n")
        return path

    def remove(self) -> None:
        """Delete the folder (realm and credentials files); again is harmless."""
        shutil.rmtree(self.dir, ignore_errors=True)


def _write_private(path: str, text: str) -> None:
    """Create ``path`` readable by this user only (``0600`` from the first byte)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    Path(path).chmod(0o600)  # whatever the umask said
