"""The error tree's one-line helpers, and the edges' tables (exit codes, HTTP statuses)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import sparkwing.errors as errors
from sparkwing.errors import SparkwingError, describe, first_line, java_cause

ROOT = Path(__file__).resolve().parents[2]

# What Py4J's str() of a Spark job failure looks like (shortened from a real one).
PY4J_TEXT = (
    "An error occurred while calling o519.collectToPython.\n"
    ": org.apache.spark.SparkException: Job aborted due to stage failure: Task 0 in stage 3.0 "
    "failed 1 times, most recent failure: Lost task 0.0 (TID 3) (localhost executor driver): "
    "org.apache.spark.SparkUpgradeException: outer\n"
    "\tat org.apache.spark.sql.errors.ExecutionErrors.failToParse(ExecutionErrors.scala:51)\n"
    "\t... 19 more\n"
    "Driver stacktrace:\n"
    "\tat org.apache.spark.scheduler.DAGScheduler.failJobAndIndependentStages(DAGScheduler.scala:2856)\n"
    "Caused by: java.time.DateTimeException: Invalid date 'MONTH 13'\n"
    "\tat java.base/java.time.LocalDate.create(LocalDate.java:459)\n"
)


class Raising(Exception):
    def __str__(self) -> str:  # like a Py4J error whose JVM is gone
        raise RuntimeError("gateway closed")


@pytest.mark.parametrize("exc", [ValueError(), ValueError(""), ValueError("  \n \n"), KeyError(), Raising()])
def test_first_line_of_an_empty_message_is_the_class_name(exc: BaseException) -> None:
    assert first_line(exc) == type(exc).__name__
    assert java_cause(exc) == type(exc).__name__
    assert describe(exc) == type(exc).__name__


def test_first_line_skips_noise() -> None:
    assert first_line(ValueError("\n  bad value \nmore")) == "bad value"
    assert first_line(Exception(PY4J_TEXT)).startswith("org.apache.spark.SparkException: Job aborted")
    tb = ('Traceback (most recent call last):\n  File "x.py", line 1, in f\n    1/0\n'
          "ZeroDivisionError: division by zero\n")
    assert first_line(Exception(tb)) == "ZeroDivisionError: division by zero"
    assert first_line(Exception("at least 3 rows are needed")) == "at least 3 rows are needed"
    assert first_line(Exception(":\n: java.io.IOException: x")) == "java.io.IOException: x"
    assert len(first_line(Exception("x" * 1000))) == 300
    assert first_line(Exception("x" * 1000), limit=20) == "x" * 17 + "..."


def test_java_cause_of_the_text_form_is_the_innermost_java_exception() -> None:
    assert java_cause(Exception(PY4J_TEXT)) == "java.time.DateTimeException: Invalid date 'MONTH 13'"
    assert java_cause(Exception("plain message\nmore")) == "plain message"
    assert java_cause(Exception(": java.lang.NullPointerException\n\tat a.B.c(B.java:1)")) == (
        "java.lang.NullPointerException")
    # a dotted word that is not a throwable is not taken for one
    assert java_cause(Exception("conf.Settings: bad value")) == "conf.Settings: bad value"


class JavaThrowable:
    """Stands in for a Py4J JavaObject of a throwable: the three methods java_cause calls."""

    def __init__(self, name: str, message: str | None, cause: JavaThrowable | None = None) -> None:
        self.name, self.message, self.cause = name, message, cause

    def getCause(self) -> JavaThrowable | None:  # noqa: N802 - Java's names
        return self.cause

    def equals(self, other: object) -> bool:
        return other is self

    def getClass(self) -> JavaThrowable:  # noqa: N802
        return self

    def getName(self) -> str:  # noqa: N802
        return self.name

    def getMessage(self) -> str | None:  # noqa: N802
        return self.message


class Py4JLike(Exception):
    def __init__(self, java_exception: object) -> None:
        super().__init__("An error occurred while calling o12.load.\n")
        self.java_exception = java_exception


def test_java_cause_walks_the_java_cause_chain() -> None:
    root = JavaThrowable("java.time.DateTimeException", "Invalid date 'MONTH 13'\nsecond line")
    middle = JavaThrowable("x.YException", "y", root)
    outer = JavaThrowable("org.apache.spark.SparkException", "Job aborted", middle)
    assert java_cause(Py4JLike(outer)) == "java.time.DateTimeException: Invalid date 'MONTH 13'"
    assert java_cause(Py4JLike(JavaThrowable("java.lang.NullPointerException", None))) == (
        "java.lang.NullPointerException")
    loop = JavaThrowable("a.LoopException", "round")
    loop.cause = JavaThrowable("a.OtherException", "and round", loop)
    assert java_cause(Py4JLike(loop)).startswith("a.")  # a cycle ends, it does not hang


def test_java_cause_walks_the_python_cause_chain() -> None:
    try:
        try:
            raise Py4JLike(JavaThrowable("java.io.IOException", "disk full"))
        except Exception as inner:
            raise errors.SourceError("source 'a': cannot read x") from inner
    except errors.SourceError as exc:
        assert java_cause(exc) == "java.io.IOException: disk full"
        assert first_line(exc) == "source 'a': cannot read x"


def test_dead_jvm_falls_back_to_the_text() -> None:
    class Dead:
        def getCause(self) -> None:  # noqa: N802
            raise ConnectionError("the JVM is gone")

    exc = Py4JLike(Dead())
    assert java_cause(exc) == "Py4JLike"  # its only line is Py4J's call line: noise
    assert describe(ValueError("bad")) == "ValueError: bad"


def test_no_ad_hoc_first_line_copies_are_left() -> None:
    """One helper: ``str(exc).splitlines()[0]`` raises IndexError on an empty message."""
    pattern = re.compile(r"splitlines\(\)\[0\]|def _first_line|def java_cause")
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in (ROOT / "src" / "sparkwing").rglob("*.py")
        if path.name != "errors.py"
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert offenders == []


def _tree() -> list[type[SparkwingError]]:
    out, todo = [], [SparkwingError]
    while todo:
        cls = todo.pop()
        out.append(cls)
        todo.extend(c for c in cls.__subclasses__() if c.__module__ == "sparkwing.errors")
    return out


def test_every_error_class_has_a_documented_exit_code() -> None:
    from sparkwing.cli import EXIT_CODES, exit_code

    tree = _tree()
    assert set(tree) == set(EXIT_CODES), "every class of the tree is in the cli's table"
    codes = [EXIT_CODES[c] for c in tree if c is not SparkwingError]
    assert len(codes) == len(set(codes)) and 1 not in codes, "one code each, never 'internal'"
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    documented = {int(m.group(1)): m.group(2) for m in re.finditer(r"^\| (\d+) \| (.+) \|$", section, re.M)}
    for cls, code in EXIT_CODES.items():
        assert code in documented, f"{cls.__name__} (exit {code}) is not in the README table"
        if cls is not SparkwingError:
            assert f"`{cls.__name__}`" in documented[code], f"README row {code} should name {cls.__name__}"
    assert set(documented) == {0, 130, *EXIT_CODES.values()}, "the README lists no code the cli lacks"

    class Sub(errors.RegistryError):
        pass

    assert exit_code(Sub("x")) == EXIT_CODES[errors.RegistryError]  # resolved by class hierarchy
    assert exit_code(ValueError("x")) == 1


def test_http_status_is_resolved_by_class_hierarchy() -> None:
    from sparkwing.serve._errors import HTTP_STATUS, ServeError, from_sparkwing, http_status

    class Sub(errors.MojoError):
        pass

    assert http_status(Sub("x")) == HTTP_STATUS[errors.MojoError] == 503
    assert http_status(errors.ConfigError("x")) == 400
    assert http_status(errors.TrainingError("x")) == 500
    answer = from_sparkwing(errors.ScoringError("missing feature x", hint="h"))
    assert (answer.status, answer.code, answer.body()["hint"]) == (422, "scoring_error", "h")
    same = ServeError(404, "unknown_model", "no model")
    assert from_sparkwing(same) is same
    for cls in _tree():
        assert 400 <= http_status(cls.__new__(cls)) < 600


def test_a_missing_run_is_a_typed_error(tmp_path) -> None:
    from sparkwing.pipeline import RunStore
    from sparkwing.workspace import Workspace

    store = RunStore(Workspace(tmp_path))
    with pytest.raises(errors.RunNotFound) as info:
        store.find("NOPE")
    assert info.value.run_id == "NOPE" and info.value.code == "run_not_found"
    with pytest.raises(errors.RunNotFound, match="no run 'NOPE' of pipeline 'loans'"):
        store.load("loans", "NOPE")


def test_errors_module_imports_no_jvm_bridge() -> None:
    source = (ROOT / "src" / "sparkwing" / "errors.py").read_text()
    assert not re.search(r"^\s*(import|from) (pyspark|py4j)", source, re.M)
