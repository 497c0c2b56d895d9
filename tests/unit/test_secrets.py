"""Issue 13 item 3, one sink at a time (no JVM): a secret setting never shows in clear.

Settings (repr, str, JSON), validation errors, settings errors, the workspace and H2O values,
the scoring service's config, engine log lines and every export.  The whole run is
``tests/e2e/test_secrets_leak.py``.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from sparkwing.cli import submit_command
from sparkwing.config import REVEAL_SECRETS, S3Settings, is_secret_key, load_settings, load_spec, reveal
from sparkwing.engine import H2OCloud
from sparkwing.errors import ConfigError
from sparkwing.schedule import EXPORTERS
from sparkwing.serve import ServeConfig
from sparkwing.workspace import Workspace

KEY_ID = "AKIASWUNITKEYID0042"
SECRET = "sw-unit-s3-secret-7d1e"
H2O_PASSWORD = "sw-unit-h2o-pass-33aa"
SPEC = "name: nightly\nsources:\n  raw: {uri: 's3://lake/raw/x.csv'}\n"


@pytest.fixture()
def secret_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("SW_UNIT_SECRET", SECRET)
    key_file = tmp_path / "key-id"
    key_file.write_text(KEY_ID + "\n")
    return key_file


def _settings(key_file: Path, **extra: object):
    s3 = {"access_key_id": f"file:{key_file}", "secret_access_key": "env:SW_UNIT_SECRET"}
    return load_settings({"workspace": "s3://warehouse/ws", "s3": s3,
                          "h2o": {"username": "sw", "password": H2O_PASSWORD}, **extra},
                         settings_file=None)  # fmt: skip


def _clean(text: str) -> None:
    for secret in (KEY_ID, SECRET, H2O_PASSWORD):
        assert secret not in text


def test_references_resolve_and_the_settings_never_show_them(secret_env: Path) -> None:
    settings = _settings(secret_env)
    assert reveal(settings.s3.access_key_id) == KEY_ID  # file:, trailing newline dropped
    assert reveal(settings.s3.secret_access_key) == SECRET  # env:
    assert reveal(settings.h2o.password) == H2O_PASSWORD  # the value itself
    for shown in (repr(settings), str(settings), settings.model_dump_json(), repr(settings.model_dump()),
                  repr(settings.s3), json.dumps(settings.model_dump(mode="json"))):
        _clean(shown)
    assert "**********" in settings.model_dump_json()


def test_environment_variables_and_the_settings_file_take_references(
    secret_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPARKWING__S3__SECRET_ACCESS_KEY", "env:SW_UNIT_SECRET")
    (tmp_path / "sparkwing.yaml").write_text(f"s3:\n  access_key_id: file:{secret_env}\n")
    settings = load_settings(settings_file=tmp_path / "sparkwing.yaml")
    assert (reveal(settings.s3.access_key_id), reveal(settings.s3.secret_access_key)) == (KEY_ID, SECRET)


@pytest.mark.parametrize(("value", "says"), [
    ("env:SW_UNIT_UNSET", "the environment variable SW_UNIT_UNSET (from env:SW_UNIT_UNSET) is not set"),
    ("env:", "env: needs a variable name"),
    ("file:/nonexistent/sw", "the secret file /nonexistent/sw cannot be read: FileNotFoundError"),
])  # fmt: skip
def test_a_missing_reference_is_a_settings_error_naming_it(value: str, says: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings({"s3": {"secret_access_key": value}}, settings_file=None)
    assert says in str(info.value) and "s3.secret_access_key" in str(info.value)


def test_validation_errors_never_repeat_a_value(secret_env: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings({"s3": {"secret_access_key": [SECRET]}, "h2o": {"password": {"x": H2O_PASSWORD}}},
                      settings_file=None)
    _clean(str(info.value))
    with pytest.raises(ValidationError) as err:
        S3Settings(secret_access_key=[SECRET], region={"r": KEY_ID})  # type: ignore[arg-type]
    _clean(str(err.value))
    with pytest.raises(ValidationError) as err:
        ServeConfig(workspace="/ws", s3={"secret_access_key": SECRET, "nope": KEY_ID})  # type: ignore[arg-type]
    _clean(str(err.value))


def test_the_workspace_and_the_h2o_cloud_hide_their_credentials(secret_env: Path) -> None:
    settings = _settings(secret_env)
    _clean(repr(Workspace.from_settings(settings)))
    cloud = H2OCloud(context=None, url="http://127.0.0.1:54321", size=1, cluster=False,
                     auth=("sw", H2O_PASSWORD))  # fmt: skip
    _clean(repr(cloud))
    assert cloud.auth_header()["Authorization"].startswith("Basic ")  # still usable


def test_the_service_config_masks_secrets_except_for_its_own_workers(secret_env: Path) -> None:
    s3 = _settings(secret_env).s3
    config = ServeConfig(workspace="s3://b/ws", s3=s3)
    _clean(config.model_dump_json() + repr(config))
    handed = ServeConfig.model_validate_json(config.model_dump_json(context=REVEAL_SECRETS))
    assert handed.s3 is not None and reveal(handed.s3.secret_access_key) == SECRET


def test_exports_carry_no_secret(secret_env: Path, tmp_path: Path) -> None:
    spec_path = tmp_path / "nightly.yaml"
    spec_path.write_text(SPEC)
    settings = _settings(secret_env)
    out = tmp_path / "out"
    for target, export in EXPORTERS.items():
        export(load_spec(spec_path), settings, out / target, spec_path=str(spec_path))
    files = [p for p in out.rglob("*") if p.is_file()]
    assert len(files) >= 4
    for p in files:
        _clean(p.read_text(errors="replace"))
    _clean(" ".join(submit_command(settings, str(spec_path))))


@pytest.mark.parametrize("key", ["spark.hadoop.fs.s3a.secret.key", "spark.hadoop.fs.s3a.access.key",
                                 "spark.ext.h2o.password", "spark.ext.h2o.jks.pass", "spark.my.token"])
def test_exports_refuse_a_secret_in_spark_conf_naming_the_key_only(
    secret_env: Path, tmp_path: Path, key: str
) -> None:
    spec_path = tmp_path / "nightly.yaml"
    spec_path.write_text(SPEC)
    section = "h2o" if key.startswith("spark.ext.h2o") else "spark"
    settings = load_settings({"workspace": "s3://warehouse/ws", section: {"conf": {key: SECRET}}},
                             settings_file=None)
    for target, export in EXPORTERS.items():
        with pytest.raises(ConfigError, match="secret setting") as info:
            export(load_spec(spec_path), settings, tmp_path / target, spec_path=str(spec_path))
        assert key in str(info.value) and SECRET not in info.value.one_line()
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        submit_command(settings, str(spec_path))
    assert not list(tmp_path.rglob("*.xml")) and not list(tmp_path.rglob("*.json"))


def test_secret_keys_by_name() -> None:
    assert all(is_secret_key(k) for k in ("fs.s3a.secret.key", "spark.ext.h2o.password", "x.TOKEN",
                                          "spark.ssl.keyStorePassword", "aws.credentials", "jks.pass"))
    assert not any(is_secret_key(k) for k in ("spark.master", "spark.ext.h2o.user.name", "spark.passthrough",
                                              "spark.sql.shuffle.partitions", "spark.ext.h2o.login.conf"))


def test_a_submitted_secret_differing_from_ours_is_not_logged(caplog: pytest.LogCaptureFixture) -> None:
    from sparkwing.engine._spark import _merge_submitted

    with caplog.at_level(logging.INFO, logger="sparkwing"):
        _merge_submitted({"spark.hadoop.fs.s3a.secret.key": "ours", "spark.sql.shuffle.partitions": "8"},
                         {"spark.hadoop.fs.s3a.secret.key": SECRET, "spark.sql.shuffle.partitions": "4"})
    assert "spark.sql.shuffle.partitions=4" in caplog.text  # the ordinary difference is still said
    assert SECRET not in caplog.text and "ours" not in caplog.text


def test_a_secret_str_from_python_stays_a_secret() -> None:
    s3 = S3Settings(secret_access_key=SecretStr(SECRET))  # type: ignore[arg-type]
    assert reveal(s3.secret_access_key) == SECRET and SECRET not in repr(s3)
