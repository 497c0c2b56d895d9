"""The ``python: module:function`` step: the boundary between sparkwing and user code.

The user's function receives the DataFrame and ``params`` as keyword arguments and must
return a DataFrame.  If it raises, the error is a :class:`~sparkwing.errors.StepFailed`
with a one-line message and ``user_traceback`` holding the user's own frames only.
"""

from __future__ import annotations

import importlib
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sparkwing.errors import ConfigError, StepFailed, describe, is_transient
from sparkwing.prep._context import StepContext

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

_SPARKWING_DIR = Path(__file__).resolve().parent.parent


def load_function(reference: str, where: str) -> Callable[..., Any]:
    """Import ``module:function``; a missing module or name is a ConfigError."""
    module_name, _, attr = reference.partition(":")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # noqa: BLE001 - any import-time failure is a spec problem here
        msg = f"{where}: cannot import {module_name!r}: {describe(exc)}"
        raise ConfigError(
            msg,
            hint="put the module on PYTHONPATH (or next to the spec) and check its import-time code",
        ) from exc
    function = getattr(module, attr, None)
    if not callable(function):
        msg = f"{where}: module {module_name!r} has no function {attr!r}"
        raise ConfigError(msg, hint="write it as module:function")
    return function


def _framework_dirs() -> tuple[Path, ...]:
    """Where frames a user did not write live: sparkwing, and pyspark/py4j once loaded."""
    dirs = [_SPARKWING_DIR]
    for name in ("pyspark", "py4j"):
        module = sys.modules.get(name)
        if module is not None and module.__file__:
            dirs.append(Path(module.__file__).resolve().parent)
    return tuple(dirs)


def _is_framework(filename: str, dirs: tuple[Path, ...]) -> bool:
    path = Path(filename).resolve()
    return any(path.is_relative_to(d) for d in dirs)


def user_traceback(exc: BaseException) -> str:
    """The traceback of ``exc`` (and its causes) with sparkwing's and pyspark's frames removed."""
    te = traceback.TracebackException(type(exc), exc, exc.__traceback__)
    dirs = _framework_dirs()
    seen: set[int] = set()
    node: traceback.TracebackException | None = te
    while node is not None and id(node) not in seen:
        seen.add(id(node))
        kept = [f for f in node.stack if not _is_framework(f.filename, dirs)]
        node.stack = traceback.StackSummary.from_list(kept)
        node = node.__cause__ or (None if node.__suppress_context__ else node.__context__)
    return "".join(te.format())


def run_python(df: DataFrame, params: Any, ctx: StepContext) -> DataFrame:
    from pyspark.sql import DataFrame as SparkDataFrame

    function = load_function(params.function, ctx.where)
    try:
        result = function(df, **params.params)
    except Exception as exc:  # noqa: BLE001 - KeyboardInterrupt/SystemExit pass through
        raise StepFailed(
            f"{ctx.where} ({params.function}) raised {describe(exc)}",
            step=ctx.where,
            user_traceback=user_traceback(exc),
            hint="see the user traceback",
            transient=is_transient(exc),  # e.g. the user's own TimeoutError: the scheduler may retry
        ) from exc
    if not isinstance(result, SparkDataFrame):
        raise StepFailed(
            f"{ctx.where} ({params.function}) returned {type(result).__name__}, not a DataFrame",
            step=ctx.where,
            hint="a python step takes a DataFrame and returns a DataFrame",
        )
    return result
