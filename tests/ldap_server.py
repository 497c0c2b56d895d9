"""A real OpenLDAP ``slapd`` on 127.0.0.1 for the sign-in tests, in a throwaway directory.

:func:`running_slapd` writes a ``slapd.conf`` (mdb backend, the Debian schema files), loads the
people and groups below with ``slapadd``, makes a CA and a server certificate (:mod:`certs`),
starts ``slapd`` on two free loopback ports (``ldap://`` with StartTLS, and ``ldaps://``) and
stops it on the way out.  The tests' conftest wraps it in one session fixture, ``slapd``.

The directory (suffix ``dc=example,dc=org``)::

    ou=people     alice (in analysts), bob (in scorers), carol (in marketing only),
                  dave (in sparkwing-admins), and "star*)(uid" (a name that looks like a filter)
    ou=groups     analysts, scorers, marketing, sparkwing-admins (groupOfNames, member=DN)
    ou=services   sparkwing (the service account that may search)

Anonymous clients can bind (simple bind with no DN) but read nothing; a signed-in user reads
the tree.  Every password is ``PASSWORDS[uid]``.
"""

from __future__ import annotations

import contextlib
import ctypes
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from certs import TlsFiles, make_tls_files
from servers import free_port, stop_process

SLAPD = "/usr/sbin/slapd"
SLAPADD = "/usr/sbin/slapadd"
MODULES = "/usr/lib/ldap"
SCHEMA = "/etc/ldap/schema"
SUFFIX = "dc=example,dc=org"
PEOPLE = f"ou=people,{SUFFIX}"
GROUPS = f"ou=groups,{SUFFIX}"
SERVICE_DN = f"cn=sparkwing,ou=services,{SUFFIX}"
SERVICE_PASSWORD = "service-secret"
PASSWORDS = {"alice": "alice-pw", "bob": "bob-pw", "carol": "carol-pw", "dave": "dave-pw",
             "star*)(uid": "star-pw"}  # fmt: skip
MEMBERS = {"analysts": ["alice"], "scorers": ["bob"], "marketing": ["carol"], "sparkwing-admins": ["dave"]}


@dataclass(frozen=True)
class Slapd:
    """A running slapd: its URLs, the CA that signed its certificate, and the directory's names."""

    url: str  # ldap://127.0.0.1:PORT (StartTLS offered)
    ldaps_url: str  # ldaps://127.0.0.1:PORT
    tls: TlsFiles
    folder: Path

    suffix: str = SUFFIX
    people: str = PEOPLE
    groups: str = GROUPS
    service_dn: str = SERVICE_DN
    service_password: str = SERVICE_PASSWORD

    def user_dn(self, uid: str) -> str:
        return f"uid={uid},{PEOPLE}"


def _ldif() -> str:
    entries = [
        f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: example",
        *(f"dn: ou={ou},{SUFFIX}\nobjectClass: organizationalUnit\nou: {ou}"
          for ou in ("people", "groups", "services")),
        f"dn: {SERVICE_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\n"
        f"cn: sparkwing\nuserPassword: {SERVICE_PASSWORD}",
    ]  # fmt: skip
    for uid, password in PASSWORDS.items():
        entries.append(  # * ( ) are plain characters in a DN (RFC 4514), special in a filter
            f"dn: uid={uid},{PEOPLE}\nobjectClass: inetOrgPerson\nuid: {uid}\ncn: {uid}\nsn: {uid}\n"
            f"userPassword: {password}"
        )
    for group, uids in MEMBERS.items():
        members = "\n".join(f"member: uid={u},{PEOPLE}" for u in uids)
        entries.append(f"dn: cn={group},{GROUPS}\nobjectClass: groupOfNames\ncn: {group}\n{members}")
    return "\n\n".join(entries) + "\n"


def _conf(folder: Path, tls: TlsFiles) -> str:
    schemas = "\n".join(f"include {SCHEMA}/{s}.schema" for s in ("core", "cosine", "inetorgperson", "nis"))
    return f"""{schemas}
modulepath {MODULES}
moduleload back_mdb
pidfile {folder}/slapd.pid
argsfile {folder}/slapd.args
TLSCACertificateFile {tls.ca}
TLSCertificateFile {tls.cert}
TLSCertificateKeyFile {tls.key}
database mdb
maxsize 16777216
suffix "{SUFFIX}"
rootdn "cn=admin,{SUFFIX}"
directory {folder}/data
access to attrs=userPassword by self read by anonymous auth by * none
access to * by users read by * none
"""


@contextlib.contextmanager
def running_slapd(folder: Path, timeout: float = 20.0) -> Iterator[Slapd]:
    """Start slapd on 127.0.0.1 in ``folder`` (created), yield it, stop it."""
    for tool in (SLAPD, SLAPADD):
        if not Path(tool).exists():
            raise RuntimeError(f"{tool} is missing: apt-get install slapd ldap-utils (see .ci/run)")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "data").mkdir(exist_ok=True)
    tls = make_tls_files(folder / "tls")
    conf = folder / "slapd.conf"
    conf.write_text(_conf(folder, tls))
    (folder / "people.ldif").write_text(_ldif())
    subprocess.run([SLAPADD, "-f", str(conf), "-l", str(folder / "people.ldif")], check=True,
                   capture_output=True, timeout=60)  # fmt: skip
    port, tls_port = free_port(), free_port()
    urls = f"ldap://127.0.0.1:{port}/ ldaps://127.0.0.1:{tls_port}/"
    log = (folder / "slapd.log").open("wb")
    # -d 0: stay in the foreground (so the test owns the process) and log nothing; and die with
    # the test process even if it is killed before its clean-up runs.
    proc = subprocess.Popen([SLAPD, "-f", str(conf), "-h", urls, "-d", "0"], stdout=log, stderr=log,
                            preexec_fn=_die_with_parent)  # fmt: skip
    try:
        deadline = time.monotonic() + timeout
        while not all(_listening(p) for p in (port, tls_port)):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"slapd did not start: {(folder / 'slapd.log').read_text()[-2000:]}")
            time.sleep(0.05)
        yield Slapd(f"ldap://127.0.0.1:{port}", f"ldaps://127.0.0.1:{tls_port}", tls, folder)
    finally:
        stop_process(proc)
        log.close()
        shutil.rmtree(folder / "data", ignore_errors=True)


def _die_with_parent() -> None:
    """Linux: SIGTERM this child when its parent (the test run) dies."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0
