from __future__ import annotations

import pytest

from sparkwing.config import build_graph, parse_spec
from sparkwing.errors import ConfigError

GOOD = """\
name: loans
sources:
  loans_raw: {uri: data/loan.csv}
datasets:
  loans_clean:
    from: loans_raw
    steps:
      - cast: {int_rate: double}
      - fill_missing: {emp_length: median}
      - derive: {loan_to_income: "loan_amnt / annual_inc"}
    checks:
      - not_null: [bad_loan]
      - in_range: {int_rate: [0, 40]}
        severity: warn
tables:
  credit.loans_clean: {from: loans_clean, format: parquet}
"""


def test_good_spec_parses_and_orders_graph() -> None:
    spec = parse_spec(GOOD)
    assert spec.sources["loans_raw"].resolved_format == "csv"
    steps = spec.datasets["loans_clean"].steps
    assert [s.kind for s in steps] == ["cast", "fill_missing", "derive"]
    assert spec.datasets["loans_clean"].checks[1].severity == "warn"
    graph = build_graph(spec)
    assert graph.order == ("loans_raw", "loans_clean", "credit.loans_clean")


def test_unknown_step_names_line_and_path() -> None:
    bad = GOOD.replace("- derive:", "- derivee:")
    with pytest.raises(ConfigError) as info:
        parse_spec(bad, filename="p.yaml")
    (problem,) = info.value.problems
    assert problem.line == 10
    assert problem.path == "datasets.loans_clean.steps[2]"
    assert "unknown step 'derivee'" in problem.message


def test_bad_cast_type_is_reported() -> None:
    with pytest.raises(ConfigError) as info:
        parse_spec(GOOD.replace("int_rate: double", "int_rate: dubble"))
    assert "unknown type 'dubble'" in info.value.problems[0].message
    assert info.value.problems[0].line == 8


def test_unknown_reference_and_cycle() -> None:
    spec = parse_spec(GOOD.replace("from: loans_raw", "from: nowhere"))
    with pytest.raises(ConfigError) as info:
        build_graph(spec)
    assert "unknown 'nowhere'" in str(info.value)
    cyc = parse_spec(GOOD.replace("from: loans_raw", "from: credit.loans_clean"))
    with pytest.raises(ConfigError, match="cycle"):
        build_graph(cyc)


def test_yaml_syntax_error_has_line() -> None:
    with pytest.raises(ConfigError) as info:
        parse_spec("name: x\nsources: [\n")
    assert info.value.problems[0].line is not None


def test_source_columns_short_and_long_form_with_formats() -> None:
    from sparkwing.config import SourceSpec

    columns = {"id": "int", "day": {"type": "date", "format": "M/d/yy"}, "other": "date", "ts": "timestamp"}
    spec = SourceSpec.model_validate(
        {
            "uri": "x.csv",
            "date_format": "d.M.yyyy",
            "timestamp_format": "yyyy-MM-dd HH:mm",
            "columns": columns,
        },
    )
    assert spec.column_types == {"id": "int", "day": "date", "other": "date", "ts": "timestamp"}
    assert spec.column_formats == {"day": "M/d/yy", "other": "d.M.yyyy", "ts": "yyyy-MM-dd HH:mm"}
    assert SourceSpec(uri="x.csv", columns={"id": "int"}).column_formats == {}
    with pytest.raises(ValueError, match="format applies to date and timestamp"):
        SourceSpec.model_validate({"uri": "x.csv", "columns": {"n": {"type": "int", "format": "x"}}})
    with pytest.raises(ValueError, match="columns 'id' and 'ID' differ only in case"):
        SourceSpec(uri="x.jsonl", columns={"id": "int", "ID": "bigint"})


def test_yaml_1_1_booleans_stay_strings() -> None:
    """``on`` is a join key, not True (PyYAML's YAML 1.1 default read it as a boolean)."""
    spec = parse_spec(
        "name: j\nsources:\n  a: {uri: a.csv, header: no}\n  b: {uri: b.csv}\n"
        "datasets:\n  d:\n    from: a\n    steps:\n      - join: {with: b, on: [id]}\n"
        "      - map_values: {column: flag, mapping: {Y: yes, N: off}}\n"
    )
    join, mapping = spec.datasets["d"].steps
    assert join.params.on == ["id"]
    assert mapping.params.mapping == {"Y": "yes", "N": "off"}
    assert spec.sources["a"].header is False  # pydantic still reads yes/no for a boolean field
