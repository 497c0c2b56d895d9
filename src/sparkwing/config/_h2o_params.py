"""H2O parameters as Sparkling Water declares them, checked without a JVM.

A spec writes an algorithm's parameters as H2O's names in snake_case (``max_depth``); training
turns each into a PySparkling setter (``setMaxDepth``) with :func:`param_name`. The names, types
and enum values of every estimator's parameters are in ``h2o_params.json``, generated from the
installed PySparkling classes by ``sparkwing.train._param_table`` (config may not import
pysparkling); a unit test keeps the two in step. So ``max_dept: 4`` is a spec error at its line,
not a failure after the data is read, cleaned and published.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

ESTIMATORS = {
    "xgboost": "H2OXGBoost", "gbm": "H2OGBM", "drf": "H2ODRF", "glm": "H2OGLM",
    "deeplearning": "H2ODeepLearning",
}  # fmt: skip
AUTOML, GLRM, GRID = "H2OAutoML", "H2OGLRM", "H2OGridSearch"
AUTOML_ALGOS = {
    "xgboost": "XGBoost", "gbm": "GBM", "drf": "DRF", "glm": "GLM",
    "deeplearning": "DeepLearning", "stackedensemble": "StackedEnsemble",
}  # fmt: skip
RENAMED = {"alpha": "alpha_value", "lambda": "lambda_value"}  # PySparkling avoids Python's `lambda`
# Set by sparkwing from other spec fields; setting them in params would fight with those.
RESERVED = {"labelCol": "the model's target", "weightCol": "weight_column", "featuresCol": "ignore"}
_NOT_IN_YAML = {"dataframe", "estimator", "list[vector]", "list[matrix]"}


def camel(name: str) -> str:
    """``lambda_search`` → ``lambdaSearch`` (PySparkling's parameter names)."""
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def snake(name: str) -> str:
    """``computePValues`` → ``compute_p_values``: what a spec writes for a PySparkling name."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def param_name(key: str) -> str:
    """The PySparkling parameter a spec's ``params`` key sets (``alpha`` → ``alphaValue``)."""
    return camel(RENAMED.get(key, key))


def automl_algo(name: str) -> str | None:
    """H2O's name of an AutoML algorithm as a spec may write it (``xgboost``, ``XGBoost``)."""
    return AUTOML_ALGOS.get(re.sub(r"[^a-z]", "", name.lower()))


@cache
def param_table() -> dict[str, Any]:
    """The shipped table: ``{"sparkling_water": version, "estimators": {name: {class, params}}}``."""
    text = resources.files("sparkwing.config").joinpath("h2o_params.json").read_text(encoding="utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


def declared(estimator: str) -> dict[str, Any]:
    """``{PySparkling param name: type or {type, values}}`` of one table entry (``gbm``, ``automl``)."""
    return param_table()["estimators"][estimator]["params"]  # type: ignore[no-any-return]


def check_params(algo: str, params: Mapping[str, Any], *, grid: bool = False) -> list[tuple[str, str, Any]]:
    """Problems of an algorithm's ``params`` (or a grid's ``hyper_params``): ``(key, message, value)``.

    >>> check_params("gbm", {"max_dept": 4})
    [('max_dept', 'unknown parameter for GBM; did you mean max_depth?', 4)]
    """
    table = declared(algo)
    label = ESTIMATORS[algo].removeprefix("H2O")
    problems = []
    for key, value in params.items():
        name = param_name(str(key))
        if name not in table:
            problems.append((key, _unknown(str(key), label, table), value))
            continue
        if name in RESERVED:
            problems.append(
                (key, f"set by sparkwing from {RESERVED[name]}; not a parameter to set here", value)
            )
            continue
        spec = table[name]
        type_ = spec if isinstance(spec, str) else spec["type"]
        values = value if grid else [value]
        if grid and not isinstance(value, list):
            problems.append((key, "a grid searches a list of values", value))
            continue
        for one in values:
            message = check_value(
                type_, one, spec.get("values") if isinstance(spec, dict) else None, scalar_list=key in RENAMED
            )
            if message:
                problems.append((key, message, one))
                break
    return problems


def _unknown(key: str, label: str, table: Mapping[str, Any]) -> str:
    names = [snake(n) for n in table if n not in RESERVED]
    names += [k for k, v in RENAMED.items() if camel(v) in table]
    close = difflib.get_close_matches(key.lower(), names, n=1, cutoff=0.75)
    hint = f"; did you mean {close[0]}?" if close else "; parameters are H2O's names in snake_case"
    return f"unknown parameter for {label}{hint}"


def check_value(
    type_: str, value: Any, values: list[str] | None = None, *, scalar_list: bool = False
) -> str | None:
    """Why ``value`` is not a ``type_`` of the table (``"int?"``, ``"list[float]"``...), or None."""
    base = type_.removesuffix("?")
    if value is None:
        return None if type_.endswith("?") else f"needs {_a(base)}, not null"
    if base in _NOT_IN_YAML:
        return "cannot be set in a spec"
    if scalar_list and base == "list[float]" and _fits("float", value):
        return None  # training wraps a single alpha/lambda in a list
    if not _fits(base, value):
        return f"needs {_a(base)}, got {value!r}"
    if values is not None:
        for one in value if isinstance(value, list) else [value]:
            if one.lower() not in {v.lower() for v in values}:
                close = difflib.get_close_matches(one.lower(), [v.lower() for v in values], n=1, cutoff=0.6)
                match = next((v for v in values if close and v.lower() == close[0]), None)
                hint = f"did you mean {match}?" if match else "one of " + ", ".join(values)
                return f"{one!r} is not a known value; {hint}"
    return None


def _fits(base: str, value: Any) -> bool:
    if base.startswith("list[") or base.startswith("pair["):
        inner = base[5:-1]
        if not isinstance(value, list) or (base.startswith("pair") and len(value) != 2):
            return False
        return all(_fits(inner, v) for v in value)
    if base.startswith("dict["):
        return isinstance(value, dict) and (
            base == "dict[any]" or all(_fits("float", v) for v in value.values())
        )
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if base == "int":
        return number and (isinstance(value, int) or (math.isfinite(value) and value == int(value)))
    if base == "float":
        return number
    if base == "boolean":
        return isinstance(value, bool)
    if base in ("string", "enum"):
        return isinstance(value, str)
    return True  # any


def _a(base: str) -> str:
    words = {"int": "an integer", "float": "a number", "boolean": "true or false", "string": "a string",
             "enum": "a string", "any": "a value"}  # fmt: skip
    if base in words:
        return words[base]
    if base.startswith("dict["):
        return "a mapping" + ("" if base == "dict[any]" else " of numbers")
    if base.startswith("pair["):
        return "a pair of " + _a(base[5:-1]).removeprefix("a ").removeprefix("an ") + "s"
    inner = _a(base[5:-1])
    plurals = {
        "an integer": "integers", "a number": "numbers", "true or false": "booleans", "a string": "strings",
    }  # fmt: skip
    plural = plurals.get(inner, inner.removeprefix("a ").removeprefix("an ") + "s")
    return "a list of " + plural
