"""One grammar for ``NAME@ALIAS|VERSION``: the spec, the registry, the service and the CLI agree."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sparkwing.config import ModelRef, parse_spec
from sparkwing.errors import ConfigError, InvalidName, RegistryError
from sparkwing.registry import Registry
from sparkwing.serve import ServeConfig
from sparkwing.workspace import Workspace

names = st.from_regex(r"\A[A-Za-z_][A-Za-z0-9_]{0,20}\Z")
aliases = st.from_regex(r"\A[A-Za-z_][A-Za-z0-9_.-]{0,20}\Z").filter(lambda a: a != "latest")
versions = st.integers(min_value=1, max_value=10**6)


# Regex strategies are slow to warm up on a loaded machine; the properties are what count.
relaxed = settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)


@relaxed
@given(names, aliases)
def test_alias_references_round_trip(name: str, alias: str) -> None:
    ref = ModelRef.parse(f"{name}@{alias}")
    assert (ref.name, ref.alias, ref.version) == (name, alias, None)
    assert ModelRef.parse(str(ref)) == ref


@relaxed
@given(names, versions)
def test_version_references_round_trip(name: str, version: int) -> None:
    ref = ModelRef.parse(f"{name}@{version}")
    assert (ref.name, ref.alias, ref.version) == (name, None, version)
    assert str(ref) == f"{name}@{version}" and ModelRef.parse(str(ref)) == ref


@relaxed
@given(names)
def test_a_bare_name_is_the_latest_unless_a_default_alias_is_given(name: str) -> None:
    assert ModelRef.parse(name).latest and ModelRef.parse(f"{name}@latest") == ModelRef.parse(name)
    assert ModelRef.parse(name, default_alias="production").alias == "production"


@relaxed
@given(st.text(max_size=30))
def test_any_text_parses_or_is_a_registry_error(text: str) -> None:
    try:
        ref = ModelRef.parse(text)
    except (RegistryError, InvalidName) as exc:  # the grammar; a bad name or alias
        assert exc.message.startswith(("invalid model", "invalid alias")) and exc.hint
    else:
        assert ModelRef.parse(str(ref)) == ref


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "it is empty"),
        ("../etc@1", "invalid model name '../etc'"),
        ("1model@production", "invalid model name '1model'"),
        ("loan@", "nothing after '@'"),
        ("loan@0", "versions start at 1"),
        ("loan@-prod", "'-prod' is neither a version nor an alias"),
        ("loan@a@b", "'a@b' is neither a version nor an alias"),
        ("loan@pro duction", "neither a version nor an alias"),
    ],
)
def test_bad_references_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises((RegistryError, InvalidName), match="invalid model") as info:
        ModelRef.parse(text)
    assert message in info.value.message


def test_the_spec_uses_the_same_grammar() -> None:
    base = ("name: p\nsources:\n  a: {uri: x.csv}\ntables:\n  db.t: {from: a}\n"
            "scores:\n  db.s: {from: db.t, model: %s}\n")
    spec = parse_spec(base % "loan@production")
    assert spec.scores["db.s"].model_ref == ModelRef(name="loan", alias="production")
    assert parse_spec(base % "loan").scores["db.s"].model_ref.latest
    with pytest.raises(ConfigError, match="scores.db.s.model") as info:
        parse_spec(base % "'loan@-x'")
    assert "neither a version nor an alias" in str(info.value)


def test_the_registry_and_the_service_use_the_same_grammar(tmp_path: Path) -> None:
    reg = Registry(Workspace(tmp_path / "ws"))
    with pytest.raises(InvalidName, match="invalid model name"):
        reg.get("../etc@1")
    with pytest.raises(RegistryError, match="neither a version nor an alias"):
        reg.get("loan@-x")
    served = ServeConfig(workspace=str(tmp_path), models=["loan", "iris@staging", "psa@3"]).models  # type: ignore[list-item]
    assert [str(m) for m in served] == ["loan@production", "iris@staging", "psa@3"]
    # the dict form a config file or a worker process hands over
    pinned = ServeConfig(workspace=str(tmp_path), models=[{"name": "p", "alias": "", "version": 2}])  # type: ignore[list-item]
    assert pinned.models == [ModelRef(name="p", version=2)]
    with pytest.raises(ConfigError, match="cannot be served"):
        ServeConfig(workspace=str(tmp_path), models=["loan@latest"])  # type: ignore[list-item]
    with pytest.raises(InvalidName, match="invalid model name"):
        ServeConfig(workspace=str(tmp_path), models=["bad name"])  # type: ignore[list-item]
