"""Spark failures surface the Java exception's own message, not the Py4J call (real JVM)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sparkwing.config import SourceSpec
from sparkwing.errors import SourceError, describe, first_line, java_cause
from sparkwing.lake import SourceContext, read_source
from sparkwing.workspace import Workspace

pytestmark = pytest.mark.spark
DATA = Path(__file__).resolve().parents[1] / "data"


def _raised(call) -> BaseException:
    try:
        call()
    except Exception as exc:  # noqa: BLE001 - the exception is the subject
        return exc
    raise AssertionError("expected an exception")


def test_a_corrupt_file_read_shows_the_java_cause(spark, settings, tmp_path):
    (tmp_path / "broken.parquet").write_bytes(b"PAR1" + b"not a parquet file at all")
    ctx = SourceContext(settings, Workspace(tmp_path / "ws"), "p", "r1", tmp_path)
    with pytest.raises(SourceError) as info:
        read_source(spark, "broken", SourceSpec(uri="broken.parquet", format="parquet"), ctx)
    msg = str(info.value)
    assert msg.startswith("source 'broken': cannot read ")
    assert "java.lang.RuntimeException: " in msg and "is not a Parquet file" in msg
    assert "An error occurred while calling" not in msg and "\n" not in msg


def test_a_job_failure_names_the_innermost_java_exception(spark):
    exc = _raised(lambda: spark.sql("SELECT raise_error('boom in a task')").collect())
    assert "collectToPython" in str(exc)  # the Py4J text leads with the call...
    assert java_cause(exc) == "java.lang.RuntimeException: boom in a task"  # ...the cause is this
    assert describe(exc) == java_cause(exc)
    # The text form alone (the JVM object gone) gives the same line.
    assert java_cause(Exception(str(exc))) == "java.lang.RuntimeException: boom in a task"


def test_a_converted_spark_error_gets_its_java_class(spark):
    exc = _raised(lambda: spark._jvm.java.lang.Integer.parseInt("x"))
    assert first_line(exc) == 'For input string: "x"'
    assert java_cause(exc) == 'java.lang.NumberFormatException: For input string: "x"'
