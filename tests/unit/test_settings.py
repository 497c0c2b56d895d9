from __future__ import annotations

import pytest

from sparkwing.config import load_settings
from sparkwing.errors import ConfigError


def test_layers_defaults_file_env_flags(tmp_path, monkeypatch) -> None:
    cfg = tmp_path / "sparkwing.yaml"
    cfg.write_text("workspace: /from/file\nspark:\n  master: local[1]\n  shuffle_partitions: 3\n")
    s = load_settings(settings_file=cfg)
    assert (s.workspace, s.spark.master, s.spark.shuffle_partitions) == ("/from/file", "local[1]", 3)
    assert s.warehouse.keep_versions == 3  # default kept
    monkeypatch.setenv("SPARKWING__SPARK__MASTER", "local[2]")
    monkeypatch.setenv("SPARKWING__WORKSPACE", "/from/env")
    s = load_settings(settings_file=cfg)
    assert (s.workspace, s.spark.master, s.spark.shuffle_partitions) == ("/from/env", "local[2]", 3)
    s = load_settings({"workspace": "/from/flag"}, settings_file=cfg)
    assert s.workspace == "/from/flag" and s.spark.master == "local[2]"


def test_bad_setting_names_the_file_and_key(tmp_path) -> None:
    cfg = tmp_path / "sparkwing.yaml"
    cfg.write_text("spark:\n  shuffle_partitions: zero\n")
    with pytest.raises(ConfigError) as info:
        load_settings(settings_file=cfg)
    assert "spark.shuffle_partitions" in str(info.value)


def test_missing_settings_file_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(ConfigError, match="settings file not found"):
        load_settings(settings_file=tmp_path / "nope.yaml")


def test_a_setting_with_one_underscore_after_the_prefix_is_an_error_not_ignored(monkeypatch) -> None:
    # Before: SPARKWING_H2O__FLOW (one underscore) was ignored without a word, so Flow stayed off.
    monkeypatch.setenv("SPARKWING_H2O__FLOW", "true")
    with pytest.raises(ConfigError) as info:
        load_settings()
    text = str(info.value)
    assert "SPARKWING_H2O__FLOW" in text and "SPARKWING__H2O__FLOW" in text


def test_sparkwings_own_single_underscore_variables_are_not_settings(monkeypatch) -> None:
    for name in ("SPARKWING_AIRFLOW_INSTALL", "SPARKWING_SERVE_CONFIG_FILE", "SPARKWING_DIR"):
        monkeypatch.setenv(name, "1")
    assert load_settings().h2o.flow is False
