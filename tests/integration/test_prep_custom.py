"""The ``python: module:function`` step: user code in, the user's own traceback out."""

from __future__ import annotations

import sys
import textwrap
import uuid

import pytest

from sparkwing.config import Step
from sparkwing.errors import ConfigError, StepFailed
from sparkwing.prep import apply_steps

pytestmark = pytest.mark.spark

USER_CODE = """
from pyspark.sql import functions as F


def add_flag(df, column="flag", value=1):
    return df.withColumn(column, F.lit(value))


def _helper(df):
    raise ValueError("amount must be positive\\nsecond line")


def explode(df, **kwargs):
    return _helper(df)


def not_a_frame(df):
    return 42
"""


@pytest.fixture()
def user_module(tmp_path, monkeypatch):
    name = f"user_steps_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(USER_CODE))
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    sys.modules.pop(name, None)


@pytest.fixture(scope="module")
def df(spark):
    return spark.createDataFrame([(1,), (2,)], "a int")


def python_step(function: str, **params) -> Step:
    return Step.model_validate({"python": {"function": function, "params": params}})


def test_params_are_kwargs(df, user_module):
    out, stats = apply_steps(df, [python_step(f"{user_module}:add_flag", column="f", value=7)])
    assert [r.f for r in out.collect()] == [7, 7]
    assert stats[0].kind == "python"
    short = Step.model_validate({"python": f"{user_module}:add_flag"})
    assert apply_steps(df, [short])[0].columns == ["a", "flag"]


def test_user_exception_keeps_only_user_frames(df, user_module):
    with pytest.raises(StepFailed) as err:
        apply_steps(df, [python_step(f"{user_module}:explode")], dataset="loans")
    exc = err.value
    where = f"loans.steps[0].python ({user_module}:explode)"
    assert exc.message == f"{where} raised ValueError: amount must be positive"
    assert exc.step == "loans.steps[0].python"
    assert isinstance(exc.__cause__, ValueError)
    tb = exc.user_traceback
    assert tb.startswith("Traceback (most recent call last):")
    assert f"{user_module}.py" in tb and "in explode" in tb and "in _helper" in tb
    assert "sparkwing" not in tb.replace(user_module, "")  # no sparkwing frames
    assert tb.rstrip().endswith("second line")


def test_non_dataframe_result(df, user_module):
    with pytest.raises(StepFailed, match=r"returned int, not a DataFrame"):
        apply_steps(df, [python_step(f"{user_module}:not_a_frame")])


def test_import_problems_are_config_errors(df, user_module):
    expected = r"steps\[0\].python: cannot import 'no_such_mod_xyz': ModuleNotFoundError"
    with pytest.raises(ConfigError, match=expected):
        apply_steps(df, [python_step("no_such_mod_xyz:f")])
    with pytest.raises(ConfigError, match=f"module '{user_module}' has no function 'missing'"):
        apply_steps(df, [python_step(f"{user_module}:missing")])
