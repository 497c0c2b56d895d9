"""Sign-in settings (section ``auth``): LDAP, UI sessions, failed-sign-in throttling.

Secrets are ``SecretStr`` (never printed, never dumped as clear text) and can come from the
environment (``SPARKWING__AUTH__LDAP__BIND_PASSWORD``) or from a file (``bind_password_file``),
so that ``sparkwing.yaml`` holds none::

    auth:
      ldap:
        url: ldaps://ldap.example.org
        ca_file: /etc/ssl/certs/corp-ca.pem
        user_base: ou=people,dc=example,dc=org
        bind_dn: cn=sparkwing,ou=services,dc=example,dc=org
        bind_password_file: /run/secrets/ldap-bind
        group_base: ou=groups,dc=example,dc=org
        roles: {analysts: [viewer], scorers: [scorer], ml-ops: [operator], sparkwing-admins: [admin]}
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from sparkwing.config._secrets import Secret
from sparkwing.errors import ConfigError

Role = Literal["viewer", "scorer", "operator", "admin"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)  # errors never repeat a password


def read_secret(value: SecretStr | None, file: str | None, what: str) -> str | None:
    """The clear text of a secret given inline (``value``) or in ``file`` (one line, stripped)."""
    if file:
        try:
            return Path(file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"cannot read {what} file {file}: {exc.strerror or exc}",
                              hint="check the path and its permissions") from None
    return value.get_secret_value() if value is not None else None


class LdapSettings(_Section):
    """Bind-as-user sign-in against an LDAP directory, groups mapped to roles."""

    url: str = Field(description="ldaps://host[:636], or ldap://host[:389] (start_tls beyond loopback).")
    start_tls: bool = Field(False, description="Upgrade an ldap:// connection with StartTLS first.")
    ca_file: str | None = Field(None, description="PEM file of the CA(s) that signed the server's cert.")
    user_dn: str | None = Field(
        None, description="DN template with {user}, e.g. uid={user},ou=people,dc=example,dc=org "
        "(no search); the name is DN-escaped.")
    user_base: str | None = Field(None, description="Search base for the user's entry (instead of user_dn).")
    user_filter: str = Field("(uid={user})", description="Search filter; {user} is filter-escaped.")
    bind_dn: str | None = Field(None, description="Service account that searches (none: anonymous search).")
    bind_password: Secret = Field(
        None, description="Its password: the value, env:NAME or file:PATH (or bind_password_file).")
    bind_password_file: str | None = Field(None, description="File holding the service account's password.")
    group_base: str | None = Field(None, description="Search base for groups (none: no group lookup).")
    group_filter: str = Field(
        "(|(member={dn})(uniqueMember={dn})(memberUid={user}))",
        description="Groups of a user; {dn} and {user} are filter-escaped.")
    group_attribute: str = Field("cn", description="The attribute naming a group in `roles`.")
    roles: dict[str, list[Role]] = Field(
        default_factory=dict, description="Group name -> roles (viewer, scorer, operator, admin).")
    default_roles: list[Role] = Field(
        default_factory=list, description="Roles of every signed-in user, whatever their groups.")
    connect_timeout: float = Field(5.0, gt=0, le=120, description="Seconds to connect to the server.")
    timeout: float = Field(10.0, gt=0, le=300, description="Seconds to wait for each answer.")

    @model_validator(mode="after")
    def _coherent(self) -> LdapSettings:
        parts = urlsplit(self.url)
        if parts.scheme not in ("ldap", "ldaps") or not parts.hostname:
            raise ValueError(f"url must be ldap://host or ldaps://host, got {self.url!r}")
        if parts.scheme == "ldap" and not self.start_tls and not is_loopback(parts.hostname):
            raise ValueError("passwords would cross the network in clear: use ldaps:// or start_tls: true")
        if (self.user_dn is None) == (self.user_base is None):
            raise ValueError("give user_dn (a template) or user_base (a search), exactly one")
        if self.user_dn is not None and "{user}" not in self.user_dn:
            raise ValueError("user_dn needs {user}, e.g. uid={user},ou=people,dc=example,dc=org")
        if "{user}" not in self.user_filter:
            raise ValueError("user_filter needs {user}, e.g. (uid={user})")
        return self

    @property
    def tls(self) -> bool:
        return self.start_tls or urlsplit(self.url).scheme == "ldaps"

    def service_password(self) -> str | None:
        return read_secret(self.bind_password, self.bind_password_file, "auth.ldap.bind_password")


class SessionSettings(_Section):
    """The UI's signed session cookie."""

    secret: Secret = Field(
        None, description="Key that signs cookies (the value, env:NAME or file:PATH); none: a random key "
        "per process (sign-ins end at restart).")
    secret_file: str | None = Field(None, description="File holding that key.")
    max_age: int = Field(8 * 3600, ge=60, le=30 * 24 * 3600, description="Seconds a sign-in lasts.")

    def key(self) -> str | None:
        return read_secret(self.secret, self.secret_file, "auth.session.secret")


class KerberosSettings(_Section):
    """SPNEGO sign-in (``Authorization: Negotiate``) with a service keytab; principals map to roles."""

    keytab: str = Field(description="The service keytab (keys of HTTP/host@REALM); only its user reads it.")
    service_principal: str | None = Field(
        None, description="HTTP/host.example.com@EXAMPLE.COM; none: a ticket for any key in the keytab.")
    principals: dict[str, list[Role]] = Field(
        default_factory=dict, description="NAME@REALM, or @REALM for all of a realm -> roles; exact wins.")
    principals_file: str | None = Field(
        None, description="YAML or JSON file with more of `principals` (an entry in `principals` wins).")
    ldap_realms: list[str] = Field(
        default_factory=list, description="Realms whose users (alice of alice@EXAMPLE.COM) also get the "
        "roles of their auth.ldap groups, looked up as the service account.")

    @model_validator(mode="after")
    def _principal_names(self) -> KerberosSettings:
        for key in self.principals:
            if "@" not in key or key.endswith("@"):
                raise ValueError(f"principals: {key!r} is not NAME@REALM or @REALM")
        return self


class AuthSettings(_Section):
    """Who may use ``sparkwing serve`` and ``sparkwing ui``; API keys need no settings."""

    ldap: LdapSettings | None = Field(None, description="Sign-in with an LDAP directory.")
    kerberos: KerberosSettings | None = Field(None, description="Sign-in with a Kerberos ticket (SPNEGO).")
    session: SessionSettings = Field(default_factory=SessionSettings, description="UI sessions.")
    failures_per_minute: int = Field(
        10, ge=1, le=10_000, description="Failed sign-ins per client address per minute; beyond: 429.")
    remember_basic: float = Field(
        60.0, ge=0, le=3600, description="Seconds a right HTTP Basic password is remembered (0: ask "
        "the directory on every request).")


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 (also as ``[::1]``) and ``localhost``: the one check, used by
    serve, ui and the sign-in's client-address test."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
