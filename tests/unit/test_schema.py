"""The JSON Schema of `sparkwing schema` accepts what the spec loader accepts, as users write it.

Every shipped example and every YAML snippet of the README and docs/ is validated against it
with ``jsonschema``; broken specs are rejected by both the schema and the loader.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from sparkwing.config import CHECK_KINDS, STEP_KINDS, PipelineSpec, Settings, build_graph, parse_spec
from sparkwing.config._yaml import load_yaml
from sparkwing.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(ROOT.glob("examples/*/pipeline.yaml"))
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```yaml\n(.*?)^```", re.S | re.M)
STEP_ROW = re.compile(r"`(- [a-z_]+: [^`]+)`")  # `- cast: {int_rate: double}` in a docs table
SPEC_KEYS = set(PipelineSpec.model_fields)
SETTINGS_KEYS = set(Settings.model_fields)


@cache
def validator(model: type[Any]) -> jsonschema.Draft202012Validator:
    schema = model.model_json_schema(by_alias=True)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def schema_errors(data: Any, model: type[Any] = PipelineSpec) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator(model).iter_errors(data)]


def snippets() -> list[tuple[str, Any]]:
    out = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for match in FENCE.finditer(text):
            line = text[: match.start()].count("\n") + 2
            out.append((f"{doc.name}:{line}", load_yaml(match.group(1))))
    return out


SNIPPETS = snippets()


def test_docs_have_yaml_snippets() -> None:
    assert len(SNIPPETS) >= 5
    assert EXAMPLES


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.parent.name)
def test_examples_match_the_schema(path: Path) -> None:
    data = load_yaml(path.read_text(encoding="utf-8"))
    assert schema_errors(data) == []
    parse_spec(path.read_text(encoding="utf-8"))  # and the loader agrees


@pytest.mark.parametrize(("where", "data"), SNIPPETS, ids=[w for w, _ in SNIPPETS])
def test_docs_snippets_match_the_schema(where: str, data: Any) -> None:
    """A snippet is a whole spec, a few spec sections (a name is added), or settings."""
    assert isinstance(data, dict), f"{where}: not a mapping"
    if set(data) <= SPEC_KEYS:
        spec = {"name": "snippet", **data}
        assert schema_errors(spec) == [], where
        parsed = parse_spec(yaml.safe_dump(spec), filename=where)  # pydantic: params, references, ...
        if "name" in data:  # a whole spec: its step graph holds together too
            build_graph(parsed)
    elif set(data) <= SETTINGS_KEYS:
        assert schema_errors(data, Settings) == [], where
        Settings.model_validate(data)
    else:
        pytest.fail(f"{where}: a yaml block that is neither a spec nor settings: {sorted(data)}")


def doc_step_rows() -> list[tuple[str, str]]:
    text = (ROOT / "docs" / "pipeline.md").read_text(encoding="utf-8")
    section = text.split("## Prep steps", 1)[1].split("\n## ", 1)[0]
    return [(m.group(1).split(":")[0][2:], m.group(1)) for m in STEP_ROW.finditer(section)]


def test_docs_step_table_covers_every_step_and_matches_the_schema() -> None:
    rows = doc_step_rows()
    assert {kind for kind, _ in rows} == set(STEP_KINDS)
    steps = [load_yaml(row)[0] for _, row in rows]
    spec = {"name": "steps", "datasets": {"d": {"from": "d", "steps": steps}}}
    assert schema_errors(spec) == []
    parse_spec(yaml.safe_dump(spec))


INLINE = re.compile(r"`((?:- )?([a-z_]+): [^`]+)`")  # `join: {with: customers, on: [customer_id]}`


def inline_steps() -> list[tuple[str, str]]:
    """Every inline `kind: ...` of the README and docs/ whose key is a step kind."""
    out = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for match in INLINE.finditer(text):
            if match.group(2) in STEP_KINDS:
                out.append((f"{doc.name}:{text[: match.start()].count(chr(10)) + 1}", match.group(1)))
    return out


@pytest.mark.parametrize(("where", "snippet"), inline_steps(), ids=[w for w, _ in inline_steps()])
def test_inline_step_snippets_of_the_docs_validate(where: str, snippet: str) -> None:
    """As users copy them into a spec, read by the spec's YAML loader (``on`` is not ``true``)."""
    text = f"name: s\ndatasets:\n  d:\n    from: d\n    steps:\n      - {snippet.removeprefix('- ')}\n"
    parse_spec(text, filename=where)


def test_every_field_is_described() -> None:
    missing: list[str] = []
    for model in (PipelineSpec, Settings):
        schema = model.model_json_schema(by_alias=True)
        for name, definition in {model.__name__: schema, **schema.get("$defs", {})}.items():
            for field, prop in definition.get("properties", {}).items():
                if "description" not in prop:
                    missing.append(f"{name}.{field}")
    assert missing == []


def test_steps_and_checks_are_one_key_objects() -> None:
    defs = PipelineSpec.model_json_schema(by_alias=True)["$defs"]
    assert [v["required"] for v in defs["Step"]["oneOf"]] == [[k] for k in STEP_KINDS]
    assert [v["required"] for v in defs["Check"]["oneOf"]] == [[k] for k in CHECK_KINDS]
    checks = zip(CHECK_KINDS, defs["Check"]["oneOf"], strict=True)
    assert all(set(v["properties"]) == {k, "severity"} for k, v in checks)


GOOD = {
    "name": "p",
    "sources": {"raw": {"uri": "data/loan.csv"}},
    "datasets": {
        "clean": {
            "from": "raw",
            "steps": [{"cast": {"a": "double"}}, {"python": "mod:fn"}, {"python": {"function": "m:f"}}],
            "checks": [{"not_null": ["a"]}, {"in_range": {"a": [0, None]}, "severity": "warn"}],
        }
    },
    "tables": {"db.t": {"from": "clean", "format": "orc"}},
}


def with_dataset(**changes: Any) -> dict[str, Any]:
    spec = yaml.safe_load(yaml.safe_dump(GOOD))
    spec["datasets"]["clean"].update(changes)
    return spec


BROKEN = {
    "unknown step": with_dataset(steps=[{"derivee": {"x": "y"}}]),
    "two keys in a step": with_dataset(steps=[{"cast": {"a": "int"}, "drop": ["b"]}]),
    "step params of the wrong type": with_dataset(steps=[{"select": "a"}]),
    "unknown step param": with_dataset(steps=[{"dedupe": {"keys": ["a"], "keep": "first", "by": "x"}}]),
    "bad python function": with_dataset(steps=[{"python": "no-colon"}]),
    "check params of the wrong type": with_dataset(checks=[{"row_count": {"min": "ten"}}]),
    "bad severity": with_dataset(checks=[{"not_null": ["a"], "severity": "fatal"}]),
    "unknown source format": {**GOOD, "sources": {"raw": {"uri": "x", "format": "xlsx"}}},
    "csv is not a table format": {**GOOD, "tables": {"db.t": {"from": "clean", "format": "csv"}}},
    "unknown section": {**GOOD, "sauces": {}},
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_schema_and_loader_reject_broken_specs(case: str) -> None:
    spec = BROKEN[case]
    assert schema_errors(spec), f"the schema accepts: {case}"
    with pytest.raises(ConfigError):
        parse_spec(yaml.safe_dump(spec))


def test_good_spec_passes_both() -> None:
    assert schema_errors(GOOD) == []
    parse_spec(yaml.safe_dump(GOOD))


def test_cli_prints_this_schema() -> None:
    import json

    from typer.testing import CliRunner

    from sparkwing.cli._app import app

    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == PipelineSpec.model_json_schema(by_alias=True)


def test_the_readme_spec_in_two_parts_is_one_valid_pipeline() -> None:
    """The README shows a spec, then "the rest of the loop, in the same file": together they hold."""
    parts = [data for where, data in SNIPPETS if where.startswith("README.md") and set(data) <= SPEC_KEYS]
    assert len(parts) == 2 and "name" in parts[0]
    spec = parse_spec(yaml.safe_dump({**parts[0], **parts[1]}), filename="README.md")
    order = build_graph(spec).order
    assert set(order) >= {"loans_raw", "credit.loans_clean", "loan_default", "credit.loan_scores"}
