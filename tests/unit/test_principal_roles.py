"""The static principal → roles map of Kerberos sign-in: exact entries, realm entries, bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from sparkwing.auth import PrincipalRoles
from sparkwing.errors import ConfigError

MAP = PrincipalRoles.from_mapping({
    "alice@EXAMPLE.COM": ["admin", "operator"],
    "bob@EXAMPLE.COM": [],
    "@EXAMPLE.COM": ["viewer"],
    "svc/batch@EXAMPLE.COM": "scorer",
})


@pytest.mark.parametrize("principal, roles", [
    ("alice@EXAMPLE.COM", {"admin", "operator"}),  # an exact entry wins over the realm's
    ("bob@EXAMPLE.COM", set()),                     # ... also to shut one principal out
    ("carol@EXAMPLE.COM", {"viewer"}),              # the realm's entry
    ("svc/batch@EXAMPLE.COM", {"scorer"}),
    ("alice@OTHER.COM", set()),                     # another realm: nothing
    ("ALICE@EXAMPLE.COM", {"viewer"}),              # principals are case-sensitive
    ("carol@example.com", set()),                   # ... and so are realms
    ("alice", set()),                               # no realm
    ("@EXAMPLE.COM", {"viewer"}),
])
def test_roles_of_a_principal(principal: str, roles: set[str]) -> None:
    assert MAP.roles(principal) == roles


@pytest.mark.parametrize("raw, message", [
    ({"alice@EXAMPLE.COM": ["root"]}, "unknown role 'root'"),
    ({"alice": ["viewer"]}, "'alice' is not NAME@REALM"),
    ({"alice@": ["viewer"]}, "is not NAME@REALM"),
    ({"alice@EXAMPLE.COM": [1]}, "must be a list of names"),
    ({"alice@EXAMPLE.COM": {"admin": True}}, "must be a list of names"),
    (["alice@EXAMPLE.COM"], "must map principals to lists of roles"),
])
def test_a_bad_map_is_a_config_error(raw: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        PrincipalRoles.from_mapping(raw)  # type: ignore[arg-type]


def test_load_yaml_and_json(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text('alice@EXAMPLE.COM: [admin]\n"@EXAMPLE.COM": [viewer]\n')
    (tmp_path / "p.json").write_text('{"alice@EXAMPLE.COM": ["admin"]}')
    assert PrincipalRoles.load(tmp_path / "p.yaml").roles("zed@EXAMPLE.COM") == {"viewer"}
    assert PrincipalRoles.load(tmp_path / "p.json").roles("alice@EXAMPLE.COM") == {"admin"}
    (tmp_path / "empty.yaml").write_text("")
    assert PrincipalRoles.load(tmp_path / "empty.yaml").roles("alice@EXAMPLE.COM") == frozenset()


def test_load_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the principal map .*nope.yaml"):
        PrincipalRoles.load(tmp_path / "nope.yaml")
    (tmp_path / "bad.yaml").write_text("alice@EXAMPLE.COM: [admin\n")
    with pytest.raises(ConfigError, match="bad.yaml is not valid"):
        PrincipalRoles.load(tmp_path / "bad.yaml")
    (tmp_path / "role.yaml").write_text("alice@EXAMPLE.COM: [god]\n")
    with pytest.raises(ConfigError, match="role.yaml: unknown role 'god'"):
        PrincipalRoles.load(tmp_path / "role.yaml")
