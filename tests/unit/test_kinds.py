"""One vocabulary each: step and check kinds (config declares, prep implements) and format names."""

from __future__ import annotations

import doctest
import importlib

import pytest
from pydantic import ValidationError

from sparkwing.config import (
    CHECK_KINDS,
    DRIVER_PARSED,
    OUTPUT_FORMATS,
    SOURCE_FORMATS,
    STEP_KINDS,
    TABLE_FORMATS,
    ScoreSpec,
    SourceSpec,
    TableSpec,
    WarehouseSettings,
    canonical_format,
    format_for_path,
    parse_spec,
)
from sparkwing.errors import ConfigError
from sparkwing.prep._checks import CHECKS
from sparkwing.prep._kinds import implement
from sparkwing.prep._steps import STEPS


@pytest.mark.parametrize(("kinds", "implementations"), [(STEP_KINDS, STEPS), (CHECK_KINDS, CHECKS)])
def test_every_kind_has_exactly_one_implementation(kinds, implementations) -> None:
    assert list(implementations) == list(kinds)
    assert all(callable(f) for f in implementations.values())


def test_implement_refuses_unknown_and_missing_kinds() -> None:
    kinds = {"a": None, "b": None}
    with pytest.raises(TypeError, match=r"unknown \['c'\], missing \['b'\]"):
        implement(kinds, "step", a=print, c=print)
    table = implement(kinds, "step", b=len, a=print)
    assert list(table) == ["a", "b"]  # in the kinds' order
    with pytest.raises(TypeError):
        table["c"] = print  # type: ignore[index]


def test_kinds_have_a_summary_and_a_model() -> None:
    for kind in [*STEP_KINDS.values(), *CHECK_KINDS.values()]:
        assert kind.summary.endswith(".") and kind.adapter is not None, kind.name


def test_formats_are_one_vocabulary() -> None:
    assert set(TABLE_FORMATS) <= set(SOURCE_FORMATS)
    assert set(OUTPUT_FORMATS) <= set(SOURCE_FORMATS)
    assert set(DRIVER_PARSED) <= set(SOURCE_FORMATS)
    assert canonical_format("LibSVM") == "svmlight"
    assert format_for_path("s3://b/x/part.JSONL.gz") == "json"
    assert format_for_path("data/x.libsvm") == "svmlight"
    assert format_for_path("data/x.xlsx") is None
    with pytest.raises(ValueError, match="known: csv"):
        canonical_format("xlsx")


def test_spec_models_use_the_vocabulary() -> None:
    assert SourceSpec(uri="a.txt", format="libsvm").resolved_format == "svmlight"
    assert SourceSpec(uri="a.arff").resolved_format == "arff"
    with pytest.raises(ValidationError):
        SourceSpec(uri="a.data")  # no extension to infer from
    with pytest.raises(ValidationError):
        TableSpec.model_validate({"from": "x", "format": "csv"})
    assert ScoreSpec.model_validate({"from": "x", "model": "m", "format": "csv"}).format == "csv"
    with pytest.raises(ValidationError):
        WarehouseSettings(default_format="csv")


def test_unknown_kind_lists_the_registry() -> None:
    with pytest.raises(ConfigError) as info:
        parse_spec("name: x\nsources: {a: {uri: a.csv}}\ndatasets:\n  d:\n    from: a\n    checks:\n"
                   "      - not_nul: [a]\n")
    assert "known: " + ", ".join(sorted(CHECK_KINDS)) in info.value.problems[0].message


@pytest.mark.parametrize("module", ["sparkwing.config._formats", "sparkwing.config._steps",
                                    "sparkwing.config._yaml", "sparkwing.prep._kinds"])
def test_docstring_examples_run(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted and not result.failed
