"""`sw.Pipeline(...).run(params=...)` fills the spec's params: as `sparkwing run -p` does."""

from __future__ import annotations

from datetime import date

import pytest

from sparkwing.api import Pipeline
from sparkwing.errors import ConfigError

SPEC = """
name: daily
params:
  ds: {type: date, default: "2026-01-01"}
  limit: {type: int, default: 5}
sources:
  raw: {uri: "lake/${ds}/loan.csv"}
datasets:
  clean:
    from: raw
    steps:
      - filter: "loan_amnt > ${limit}"
tables:
  credit.daily: {from: clean}
"""


def test_defaults_then_given_values_replace_the_placeholders():
    pipeline = Pipeline.from_text(SPEC)
    assert pipeline.spec.sources["raw"].uri.endswith("lake/2026-01-01/loan.csv")
    again = pipeline.spec.with_params({"ds": "2026-11-30", "limit": "100"})
    assert again.sources["raw"].uri.endswith("lake/2026-11-30/loan.csv")
    assert again.param_values == {"ds": "2026-11-30", "limit": "100"}
    assert pipeline.spec.param_values == {"ds": "2026-01-01", "limit": "5"}  # the original is unchanged


def test_python_values_are_accepted_as_their_text():
    pipeline = Pipeline.from_text(SPEC, params={"ds": date(2026, 11, 30), "limit": 7})
    assert pipeline.spec.param_values == {"ds": "2026-11-30", "limit": "7"}
    assert pipeline.spec.sources["raw"].uri.endswith("lake/2026-11-30/loan.csv")


def test_a_wrong_or_unknown_param_is_a_config_error_before_any_run():
    pipeline = Pipeline.from_text(SPEC)
    with pytest.raises(ConfigError, match="not a date"):
        pipeline.spec.with_params({"ds": "30/11/2026"})
    with pytest.raises(ConfigError, match="unknown"):
        pipeline.spec.with_params({"nope": "1"})


def test_from_yaml_keeps_the_file_for_relative_uris(tmp_path):
    path = tmp_path / "daily.yaml"
    path.write_text(SPEC)
    spec = Pipeline.from_yaml(path).spec.with_params({"ds": "2026-02-03"})
    assert spec.sources["raw"].uri == "lake/2026-02-03/loan.csv" and spec.base_dir == tmp_path
