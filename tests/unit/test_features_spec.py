"""Learned features (``features:``): the spec, the step graph, resume, the record (no JVM).

tests/integration/test_train_models.py runs one such pipeline on real H2O, with a resume.
"""

from __future__ import annotations

import pytest
import yaml
from pydantic import ValidationError

from sparkwing.config import GlrmParams, PipelineSpec, Step, build_graph, parse_spec, spec_from_text
from sparkwing.errors import ConfigError
from sparkwing.pipeline import DatasetDetails, FeaturesDetails, RunRecord, StepDetails, StepRecord, _runner
from sparkwing.pipeline._details import StepDetailsAdapter

SPEC = """\
name: factors
sources:
  raw: {uri: data/prostate.csv}
datasets:
  clean:
    from: raw
    steps:
      - cast: {AGE: double}
features:
  prostate_glrm:
    from: clean
    glrm: {k: 2, columns: [AGE, PSA, VOL], seed: 7}
tables:
  clinic.factors: {from: prostate_glrm}
models:
  capsule:
    from: clinic.factors
    target: CAPSULE
    algorithm: {name: glm}
"""


def test_a_features_entry_is_a_node_between_its_input_and_its_consumers() -> None:
    spec = spec_from_text(SPEC)
    entry = spec.features["prostate_glrm"]
    assert entry.from_ == "clean" and entry.references == ["clean"]
    assert entry.glrm == GlrmParams(k=2, columns=["AGE", "PSA", "VOL"], seed=7)
    assert entry.output_columns == ["glrm_1", "glrm_2"]
    graph = build_graph(spec)
    node = graph.nodes["prostate_glrm"]
    assert (node.kind, node.depends_on) == ("features", ("clean",))
    assert graph.order == ("raw", "clean", "prostate_glrm", "clinic.factors", "capsule")
    assert graph.upstream("capsule") == {"raw", "clean", "prostate_glrm", "clinic.factors"}
    assert spec.node_kind("prostate_glrm") == "features"


def test_defaults_and_prefix() -> None:
    text = SPEC.replace("glrm: {k: 2, columns: [AGE, PSA, VOL], seed: 7}", "glrm: {prefix: arch_}")
    entry = parse_spec(text).features["prostate_glrm"]
    glrm = entry.glrm
    assert (glrm.k, glrm.columns, glrm.seed, glrm.max_iterations) == (3, None, 42, 100)
    assert entry.output_columns == ["arch_1", "arch_2", "arch_3"]


@pytest.mark.parametrize(("change", "problem"), [
    (("glrm: {k: 2, columns: [AGE, PSA, VOL], seed: 7}", "glrm: {k: 0}"),
     "features.prostate_glrm.glrm.k: Input should be greater than or equal to 1"),
    (("glrm: {k: 2, columns: [AGE, PSA, VOL], seed: 7}", "glrm: {kk: 2}"),
     "features.prostate_glrm.glrm.kk: unknown field; did you mean k?"),
    (("    glrm: {k: 2, columns: [AGE, PSA, VOL], seed: 7}\n", ""),
     "features.prostate_glrm.glrm: Field required"),
    (("  prostate_glrm:\n", "  prostate-glrm:\n"), "features"),
])
def test_bad_entries_name_their_line(change: tuple[str, str], problem: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_spec(SPEC.replace(*change), filename="p.yaml")
    found = [f"{p.path}: {p.message}" for p in info.value.problems]
    assert any(f.startswith(problem) for f in found), found
    assert all(p.line is not None for p in info.value.problems)


def test_graph_errors_cover_features() -> None:
    with pytest.raises(ConfigError) as info:
        spec_from_text(SPEC.replace("from: clean\n    glrm", "from: nowhere\n    glrm"))
    assert "features.prostate_glrm" in str(info.value.problems[0]) and "unknown 'nowhere'" in str(
        info.value.problems[0])
    dup = SPEC.replace("  capsule:\n", "  prostate_glrm:\n")
    with pytest.raises(ConfigError, match="invalid step graph") as info:
        spec_from_text(dup)
    assert "name already used in features" in str(info.value.problems[0])
    scored = SPEC + "scores:\n  clinic.s: {model: prostate_glrm, from: clinic.factors}\n"
    with pytest.raises(ConfigError) as info:
        spec_from_text(scored)
    assert "'prostate_glrm' is not a model" in str(info.value.problems[0])


OLD = """\
name: old
sources:
  raw: {uri: data/prostate.csv}
datasets:
  clean:
    from: raw
    steps:
      - drop: [ID]
      - glrm: {k: 2, columns: [AGE, PSA], model_name: prostate_glrm}
"""


def test_the_old_glrm_step_is_refused_with_the_new_form() -> None:
    with pytest.raises(ConfigError) as info:
        parse_spec(OLD, filename="old.yaml")
    (problem,) = info.value.problems
    assert (problem.path, problem.line) == ("datasets.clean.steps[1]", 9)
    assert problem.message.startswith("glrm is no longer a prep step; declare learned features instead: "
                                      "features: {NAME: {from: DATASET, glrm: {k: 3")
    assert "\n" not in problem.message
    with pytest.raises(ValidationError, match="glrm is no longer a prep step"):
        Step.model_validate({"glrm": {"k": 2}})


def test_the_python_api_has_no_glrm_step() -> None:
    import sparkwing as sw

    assert "glrm" not in dir(sw.steps)
    with pytest.raises(AttributeError, match="sw.steps has no kind 'glrm'"):
        sw.steps.glrm  # noqa: B018


def test_the_schema_describes_features_and_refuses_the_old_step() -> None:
    import jsonschema

    schema = PipelineSpec.model_json_schema(by_alias=True)
    assert "features" in schema["properties"]
    validator = jsonschema.Draft202012Validator(schema)
    assert list(validator.iter_errors(yaml.safe_load(SPEC))) == []
    assert list(validator.iter_errors(yaml.safe_load(OLD)))
    bad = yaml.safe_load(SPEC)
    bad["features"]["prostate_glrm"]["glrm"]["model_name"] = "x"
    assert list(validator.iter_errors(bad))


def _record(statuses: dict[str, str]) -> RunRecord:
    record = RunRecord(run_id="r1", pipeline="factors", spec_hash="h")
    graph = build_graph(spec_from_text(SPEC))
    for name in graph.order:
        status = statuses.get(name, "succeeded")
        record.steps[name] = StepRecord(name=name, kind=graph.nodes[name].kind, status=status)
    return record


def test_resume_projects_features_again_only_for_steps_that_still_need_them() -> None:
    graph = build_graph(spec_from_text(SPEC))
    # The table failed after the features were learned: the features (and what feeds them) run
    # again, so that the table gets its rows; run_features reuses the registered version.
    todo = _runner._steps_to_run(graph, _record({"clinic.factors": "failed", "capsule": "skipped"}), True)
    assert todo == {"raw", "clean", "prostate_glrm", "clinic.factors", "capsule"}
    # The table is published, the model failed: it reads the table back; the features stay done.
    todo = _runner._steps_to_run(graph, _record({"capsule": "failed"}), True)
    assert todo == {"capsule"}
    # The features failed: they train again.
    todo = _runner._steps_to_run(graph, _record({"prostate_glrm": "failed", "clinic.factors": "skipped",
                                                 "capsule": "skipped"}), True)
    assert todo == {"raw", "clean", "prostate_glrm", "clinic.factors", "capsule"}


def test_features_details_in_the_record() -> None:
    details = StepDetailsAdapter.validate_python({
        "kind": "features", "algorithm": "glrm", "version": 2, "uri": "file:///ws/models/f/2",
        "columns": ["glrm_1", "glrm_2"], "input_columns": ["AGE", "PSA"], "reused": True,
    })
    assert isinstance(details, FeaturesDetails) and details.version == 2 and details.reused
    step = StepRecord.model_validate({"name": "f", "kind": "features", "details": {"version": 1}})
    assert isinstance(step.details, FeaturesDetails) and step.details.columns == []
    # A dataset of an older record, from the time GLRM was a prep step: the list is kept, in extra.
    old = StepRecord.model_validate({"name": "d", "kind": "datasets",
                                     "details": {"glrm_models": ["old_d_glrm@1"]}})
    assert isinstance(old.details, DatasetDetails) and old.details.extra == {"glrm_models": ["old_d_glrm@1"]}
    assert FeaturesDetails in StepDetails.__origin__.__args__  # type: ignore[attr-defined]


def test_the_console_says_which_version_and_columns() -> None:
    from sparkwing.cli._console import _notes

    step = StepRecord(name="f", kind="features", status="succeeded")
    step.details = FeaturesDetails(algorithm="glrm", version=3, columns=["glrm_1", "glrm_2"], reused=True)
    assert _notes(step) == "v3 glrm (reused): glrm_1, glrm_2"


def test_the_run_page_lists_the_learned_features(tmp_path) -> None:
    from fastapi.testclient import TestClient

    from sparkwing.pipeline import RunStore
    from sparkwing.ui import UiConfig, create_app
    from sparkwing.workspace import Workspace

    record = RunRecord(run_id="20261201T100000Z-abcd", pipeline="factors", spec_hash="h", status="succeeded")
    record.steps["prostate_glrm"] = StepRecord.model_validate({
        "name": "prostate_glrm", "kind": "features", "status": "succeeded", "rows_out": 380,
        "details": {"kind": "features", "algorithm": "glrm", "version": 2, "reused": True,
                    "columns": ["glrm_1", "glrm_2"], "input_columns": ["AGE", "PSA"]},
    })
    RunStore(Workspace(tmp_path)).save(record)
    client = TestClient(create_app(UiConfig(workspace=str(tmp_path))))
    html = client.get(f"/runs/factors/{record.run_id}").text
    section = html[html.index('id="features"'):]
    assert 'href="/models/prostate_glrm/2"' in section and "(reused)" in section
    assert "glrm_1, glrm_2" in section and "AGE, PSA" in section


def test_features_take_the_publish_turn_under_a_parallel_backfill() -> None:
    """They register a version in the registry, as a model step does; their rows are not durable."""
    from sparkwing.pipeline import _stages

    assert "features" in _stages.PUBLISHING and "features" not in _stages.DURABLE
    assert _stages.RUNNERS["features"] is _stages.run_features
