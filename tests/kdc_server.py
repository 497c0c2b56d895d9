"""A throwaway MIT Kerberos realm on 127.0.0.1 for the tests: KDC, principals, keytabs, tickets.

``kdc_realm(tmp)`` writes ``kdc.conf`` and ``krb5.conf`` into ``tmp``, creates the database
(``kdb5_util create -s``), the service principal ``HTTP/localhost`` and its keytab
(``kadmin.local``), starts ``krb5kdc`` in the foreground on a free port (UDP and TCP, loopback
only) and points ``KRB5_CONFIG`` / ``KRB5_KDC_PROFILE`` / ``KRB5CCNAME`` / ``KRB5_KTNAME`` /
``KRB5RCACHEDIR`` at the temp dir (restored, and the KDC stopped, on the way out)::

    with kdc_realm(tmp) as realm:
        realm.add_principal("alice", "secret")
        realm.kinit("alice", "secret", ccache)      # a real ticket from the real KDC
"""

from __future__ import annotations

import base64
import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from servers import stop_process

REALM = "SPARKWING.TEST"
SERVICE = "HTTP/localhost"  # the name a browser asks for at http://localhost:PORT/
_MASTER_PASSWORD = "sparkwing-test-master"  # a throwaway database in a temp dir
_ENV_KEYS = ("KRB5_CONFIG", "KRB5_KDC_PROFILE", "KRB5CCNAME", "KRB5_KTNAME", "KRB5RCACHEDIR",
             "KRB5_CLIENT_KTNAME")
_SBIN = ("/usr/sbin", "/usr/local/sbin", "/sbin")


def _tool(name: str) -> str:
    found = shutil.which(name) or next((f"{d}/{name}" for d in _SBIN if os.path.exists(f"{d}/{name}")), None)
    if found is None:
        raise RuntimeError(f"{name} not found: install the Debian packages krb5-kdc krb5-admin-server "
                           "krb5-user (.ci/run does)")
    return found


def _free_port() -> int:
    """A port free for both TCP and UDP on 127.0.0.1 (the KDC listens on both)."""
    for _ in range(50):
        with socket.socket() as tcp, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            tcp.bind(("127.0.0.1", 0))
            port = int(tcp.getsockname()[1])
            try:
                udp.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port for the KDC")


@dataclass
class Realm:
    """A running test realm: its files, its KDC port, and helpers to make principals and tickets."""

    name: str
    root: Path
    port: int
    env: dict[str, str]
    service: str = SERVICE
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    _users: set[str] = field(default_factory=set, repr=False)

    @property
    def variables(self) -> dict[str, str]:
        """The ``KRB5_*`` variables that point a process at this realm (for a server under test)."""
        return {k: v for k, v in self.env.items() if k in _ENV_KEYS}

    @property
    def keytab(self) -> Path:
        """The service keytab (``HTTP/localhost@REALM``), as sparkwing's acceptor reads it."""
        return self.root / "service.keytab"

    @property
    def service_principal(self) -> str:
        return f"{self.service}@{self.name}"

    def kadmin(self, query: str) -> str:
        done = subprocess.run([_tool("kadmin.local"), "-r", self.name, "-q", query], env=self.env,
                              capture_output=True, text=True, timeout=30, check=False)
        # kadmin.local reports most failures on stderr with exit status 0
        if done.returncode != 0 or "error" in done.stderr.lower() or "while " in done.stderr:
            raise RuntimeError(f"kadmin.local {query!r}: {done.stderr.strip() or done.stdout.strip()}")
        return done.stdout

    def add_principal(self, name: str, password: str | None = None) -> str:
        """Create ``name@REALM`` with ``password`` (a random key when ``None``); returns the principal."""
        self.kadmin(f"addprinc -pw {password} {name}" if password is not None
                    else f"addprinc -randkey {name}")
        return f"{name}@{self.name}"

    def export_keytab(self, name: str, path: Path) -> Path:
        """Write ``name``'s keys to a keytab (``-norandkey``: its password still works)."""
        self.kadmin(f"ktadd -norandkey -k {path} {name}")
        return path

    def kinit(self, name: str, password: str, ccache: Path) -> None:
        """Get a TGT for ``name`` into ``ccache`` with its password on stdin, as a user would."""
        done = subprocess.run([_tool("kinit"), "-c", f"FILE:{ccache}", f"{name}@{self.name}"],
                              input=password + "\n", env=self.env, capture_output=True, text=True,
                              timeout=30, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"kinit {name}: {done.stderr.strip()}")

    def user(self, name: str) -> Path:
        """A ticket cache holding a fresh TGT of ``name`` (created on first use, password ``pw-NAME``)."""
        ccache = self.root / f"{name.replace('/', '_')}.ccache"
        if name not in self._users:
            self.add_principal(name, f"pw-{name}")
            self._users.add(name)
        self.kinit(name, f"pw-{name}", ccache)
        return ccache


def _write_config(root: Path, port: int) -> None:
    # Loopback only, both transports; short lifetimes; no DNS anywhere (rdns/canonicalisation off,
    # so HTTP/localhost stays HTTP/localhost and not whatever 127.0.0.1 resolves back to).
    (root / "kdc.conf").write_text(f"""\
[kdcdefaults]
    kdc_listen = 127.0.0.1:{port}
    kdc_tcp_listen = 127.0.0.1:{port}

[realms]
    {REALM} = {{
        database_name = {root}/principal
        key_stash_file = {root}/stash
        acl_file = {root}/kadm5.acl
        admin_keytab = FILE:{root}/kadm5.keytab
        kdc_listen = 127.0.0.1:{port}
        kdc_tcp_listen = 127.0.0.1:{port}
        max_life = 1h
        max_renewable_life = 0
        supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal
    }}

[logging]
    kdc = FILE:{root}/kdc.log
    admin_server = FILE:{root}/kadmin.log
""")
    (root / "krb5.conf").write_text(f"""\
[libdefaults]
    default_realm = {REALM}
    dns_lookup_realm = false
    dns_lookup_kdc = false
    rdns = false
    dns_canonicalize_hostname = false
    udp_preference_limit = 1
    default_ccache_name = FILE:{root}/default.ccache
    default_keytab_name = FILE:{root}/service.keytab

[realms]
    {REALM} = {{
        kdc = 127.0.0.1:{port}
    }}

[domain_realm]
    localhost = {REALM}
    127.0.0.1 = {REALM}
""")
    (root / "kadm5.acl").write_text("")


@contextlib.contextmanager
def kdc_realm(root: Path, *, timeout: float = 30) -> Iterator[Realm]:
    """Create and start the realm in ``root``; stop the KDC and restore the environment at the end."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "rcache").mkdir(exist_ok=True)
    port = _free_port()
    _write_config(root, port)
    env = {
        "KRB5_CONFIG": str(root / "krb5.conf"),
        "KRB5_KDC_PROFILE": str(root / "kdc.conf"),
        "KRB5CCNAME": f"FILE:{root}/default.ccache",
        "KRB5_KTNAME": f"FILE:{root}/service.keytab",
        "KRB5RCACHEDIR": str(root / "rcache"),
    }
    full_env = {**{k: v for k, v in os.environ.items() if k not in _ENV_KEYS}, **env}
    realm = Realm(REALM, root, port, full_env)
    subprocess.run([_tool("kdb5_util"), "-r", REALM, "create", "-s", "-P", _MASTER_PASSWORD], env=full_env,
                   capture_output=True, check=True, timeout=60)
    realm.add_principal(SERVICE)
    realm.export_keytab(SERVICE, realm.keytab)
    saved = {k: os.environ.get(k) for k in _ENV_KEYS}
    log = (root / "krb5kdc.out").open("wb")
    realm.process = subprocess.Popen([_tool("krb5kdc"), "-n", "-r", REALM], env=full_env,
                                     stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        while True:
            assert realm.process.poll() is None, (root / "krb5kdc.out").read_text()[-2000:]
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            assert time.monotonic() < deadline, f"krb5kdc not listening on {port} in {timeout:g} s"
            time.sleep(0.05)
        for k in _ENV_KEYS:
            os.environ.pop(k, None)
        os.environ.update(env)
        yield realm
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        stop_process(realm.process)
        log.close()



def client_context(ccache: Path, service: str = "HTTP@localhost") -> Any:
    """A SPNEGO initiator (``gssapi.SecurityContext``) for ``service`` with the ticket in ``ccache``."""
    import gssapi

    creds = gssapi.Credentials(usage="initiate", store={"ccache": f"FILE:{ccache}"})
    return gssapi.SecurityContext(name=gssapi.Name(service, gssapi.NameType.hostbased_service), creds=creds,
                                  usage="initiate", mech=gssapi.Mechanism.from_sasl_name("SPNEGO"))


def negotiate_header(ccache: Path, service: str = "HTTP@localhost") -> str:
    """``Negotiate <base64>`` for ``service`` from the ticket in ``ccache``, as a browser sends it."""
    return "Negotiate " + base64.b64encode(client_context(ccache, service).step()).decode()
