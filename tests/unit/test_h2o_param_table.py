"""Algorithm and AutoML parameters are checked by the spec loader, before any JVM.

The table the loader reads (``sparkwing/config/h2o_params.json``) is generated from the installed
PySparkling estimator classes; the first tests fail when the two drift apart (regenerate with
``make h2o-params``). Importing ``pysparkling.ml`` starts no JVM, so they stay in the fast suite.
"""

from __future__ import annotations

import textwrap

import pytest

from sparkwing.config import AutoMLSpec, GlrmParams, parse_spec
from sparkwing.config._h2o_params import ESTIMATORS, camel, check_params, declared, param_table, snake
from sparkwing.errors import ConfigError


def test_shipped_table_matches_the_installed_sparkling_water() -> None:
    from pyspark import SparkContext

    from sparkwing.train._param_table import declared_params, render

    assert render(declared_params()) == render(param_table()), "run `make h2o-params` and commit the table"
    assert SparkContext._gateway is None  # reading the classes started no JVM


def test_every_declared_name_has_a_snake_case_spelling() -> None:
    for entry in param_table()["estimators"].values():
        for name in entry["params"]:
            assert camel(snake(name)) == name


def test_automl_and_glrm_fields_are_sparkling_water_params() -> None:
    automl = declared("automl")
    renamed = {"include": "includeAlgos", "exclude": "excludeAlgos"}
    for field in AutoMLSpec.model_fields:
        assert renamed.get(field, camel(field)) in automl, field
    glrm = declared("glrm")
    for field in ("k", "seed", "max_iterations"):
        assert field in GlrmParams.model_fields and camel(field) in glrm


def spec_with(model: str) -> str:
    head = "name: p\nsources:\n  raw: {uri: data.csv}\nmodels:\n  x:\n    from: raw\n    target: y\n"
    return head + textwrap.indent(textwrap.dedent(model), "    ")


def problems(model: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_spec(spec_with(model), filename="p.yaml")
    return [str(p) for p in info.value.problems]


def test_a_misspelt_parameter_is_an_error_at_its_line_with_a_suggestion() -> None:
    found = problems("""\
        algorithm:
          name: gbm
          params:
            ntrees: 10
            max_dept: 4
        """)
    assert found == [
        "p.yaml:12: models.x.algorithm.params.max_dept: unknown parameter for GBM; did you mean max_depth?"
    ]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ("{ntrees: many}", "params.ntrees: needs an integer, got 'many'"),
        ("{learn_rate: fast}", "params.learn_rate: needs a number, got 'fast'"),
        ("{distribution: bernouli}", "'bernouli' is not a known value; did you mean bernoulli?"),
        ("{ignore_const_cols: 'yes'}", "params.ignore_const_cols: needs true or false, got 'yes'"),
        ("{label_col: y}", "params.label_col: set by sparkwing from the model's target"),
        ("{calibration_data_frame: x}", "params.calibration_data_frame: cannot be set in a spec"),
    ],
)
def test_a_parameter_of_the_wrong_type_is_an_error(params: str, message: str) -> None:
    (found,) = problems(f"algorithm: {{name: gbm, params: {params}}}\n")
    assert message in found


def test_grid_values_are_checked_one_by_one() -> None:
    found = problems("algorithm: {name: xgboost, grid: {hyper_params: {max_depth: [3, 4.5], eta: [0.1]}}}\n")
    assert [p.split(": ", 1)[1] for p in found] == [
        "models.x.algorithm.grid.hyper_params.max_depth: needs an integer, got 4.5",
    ]


def test_automl_algorithms_sort_metric_and_fields_are_checked() -> None:
    found = problems("automl: {max_models: 2, include: [GBM, XGBoos], sort_metric: aucc}\n")
    assert any("automl.include[1]: unknown AutoML algorithm: 'XGBoos'" in p and "XGBoost" in p for p in found)
    assert any("automl.sort_metric: 'aucc' is not a known value; did you mean AUC?" in p for p in found)
    (found,) = problems("automl: {max_models: 2, max_runtime_sec: 60}\n")
    assert found.endswith("models.x.automl.max_runtime_sec: unknown field; did you mean max_runtime_secs?")


def test_the_parameters_users_write_are_accepted() -> None:
    spec = parse_spec(spec_with("""\
        algorithm:
          name: glm
          params: {alpha: 0.5, lambda: [0.01, 0.1], lambda_search: true, family: Binomial,
                   compute_p_values: false, nfolds: 3, seed: 1, ignored_cols: null}
        """))
    assert spec.models["x"].algorithm is not None
    parse_spec(spec_with("automl: {max_models: 2, exclude: [deeplearning], sort_metric: MSE}\n"))
    for algo in ESTIMATORS:
        assert check_params(algo, {"seed": 1, "nfolds": 0}) == []


def test_misspelt_step_check_and_section_fields_get_a_suggestion() -> None:
    text = """\
name: s
sources:
  raw: {uri: d.csv, delimitr: ";"}
datasets:
  d:
    from: raw
    steps:
      - dedupe: {keys: [a], kep: last}
      - join: {with: raw, on: [a], hw: left}
    checks:
      - row_count: {mn: 1}
"""
    with pytest.raises(ConfigError) as info:
        parse_spec(text, filename="s.yaml")
    assert [str(p) for p in info.value.problems] == [
        "s.yaml:3: sources.raw.delimitr: unknown field; did you mean delimiter?",
        "s.yaml:8: datasets.d.steps[0]: dedupe.kep: unknown field; did you mean keep?",
        "s.yaml:9: datasets.d.steps[1]: join.hw: unknown field; did you mean how?",
        "s.yaml:11: datasets.d.checks[0]: row_count.mn: unknown field; did you mean min?",
    ]
