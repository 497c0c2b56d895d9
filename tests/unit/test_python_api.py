"""The Python API without a JVM: step/check builders speak the spec's vocabulary; workspaces."""

from __future__ import annotations

from pathlib import Path

import pytest

import sparkwing as sw
from sparkwing.config import load_spec
from sparkwing.errors import ConfigError
from sparkwing.workspace import Workspace as Layout

ROOT = Path(__file__).resolve().parents[2]


def test_builders_give_the_steps_and_checks_of_the_loans_example() -> None:
    spec = load_spec(ROOT / "examples" / "loans" / "pipeline.yaml").datasets["loans_clean"]
    steps = [
        sw.steps.cast(int_rate="double", annual_inc="double", revol_util="double", dti="double",
                      emp_length="int", bad_loan="int"),
        sw.steps.trim("term", "home_ownership", "purpose", "addr_state", "verification_status"),
        sw.steps.lower("home_ownership", "verification_status"),
        sw.steps.fill_missing(emp_length="median", revol_util="median", annual_inc="median"),
        sw.steps.filter("annual_inc > 0"),
        sw.steps.derive(loan_to_income="loan_amnt / annual_inc",
                        term_months="cast(regexp_extract(term, '([0-9]+)', 1) as int)"),
        sw.steps.clip(revol_util=(0, 150)),
    ]
    checks = [
        sw.checks.not_null("bad_loan", "loan_amnt", "term_months"),
        sw.checks.in_set(bad_loan=[0, 1]),
        sw.checks.in_range(int_rate=(0, 40)),
        sw.checks.row_count(min=500),
        sw.checks.max_null_share(longest_credit_length=0.05, severity="warn"),
    ]
    assert steps == spec.steps
    assert checks == spec.checks


def test_every_kind_is_a_call_and_only_those() -> None:
    from sparkwing.config import CHECK_KINDS, STEP_KINDS

    assert dir(sw.steps) == sorted(STEP_KINDS) and dir(sw.checks) == sorted(CHECK_KINDS)
    assert sw.steps.cast.__doc__ == STEP_KINDS["cast"].summary
    assert sw.steps.join(with_="states", on=["addr_state"]).params.with_ == "states"
    with pytest.raises(AttributeError, match="no kind 'casts'; known: select"):
        sw.steps.casts  # noqa: B018


def test_bad_parameters_fail_at_once_with_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"sw.steps.cast: cast: unknown type 'nope'"):
        sw.steps.cast(int_rate="nope")
    with pytest.raises(ConfigError, match="positional values or keywords, not both"):
        sw.checks.not_null("a", b=1)
    with pytest.raises(ConfigError, match=r"sw.read"):
        sw.read("x.csv", workspace="/tmp/sw-unit", no_such_key=1)  # validated before Spark starts


def test_a_workspace_is_a_layout_with_settings(tmp_path: Path) -> None:
    ws = sw.Workspace(tmp_path / "home", spark={"master": "local[2]"}, warehouse={"keep_versions": 5})
    assert isinstance(ws, Layout) and ws.root == str((tmp_path / "home").resolve())
    assert ws.settings.spark.master == "local[2]" and ws.settings.warehouse.keep_versions == 5
    assert ws.models("m") == f"{ws.root}/models/m"
    again = sw.Workspace(settings=ws.settings)
    assert again == ws and again.settings is ws.settings
    with pytest.raises(ConfigError, match="not both"):
        sw.Workspace(tmp_path, settings=ws.settings)
    assert sw.models(ws).names() == []


def test_the_shell_turns_the_spark_ui_on_unless_told_otherwise() -> None:
    from sparkwing.cli._shell import _with_ui
    from sparkwing.config import load_settings

    assert _with_ui(load_settings({})).spark.conf["spark.ui.enabled"] == "true"
    off = load_settings({"spark": {"conf": {"spark.ui.enabled": "false"}}})
    assert _with_ui(off).spark.conf["spark.ui.enabled"] == "false"
