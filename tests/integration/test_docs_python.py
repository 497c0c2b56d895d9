"""docs/python.md runs: its python blocks execute in order, as one program, on the test session.

The blocks run from a directory holding ``examples/`` and ``sparkwing-home`` (a link to the
session's workspace: one process holds one SparkSession, bound to that metastore).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "python.md"

pytestmark = [pytest.mark.spark, pytest.mark.h2o, pytest.mark.slow]


def python_blocks(text: str) -> list[tuple[int, str]]:
    """(first line number, code) of every ```python block."""
    return [(text.count("\n", 0, m.start(1)) + 1, m.group(1))
            for m in re.finditer(r"^```python\n(.*?)^```", text, re.S | re.M)]


def test_the_doc_has_examples_for_every_section() -> None:
    code = "\n".join(block for _, block in python_blocks(DOC.read_text(encoding="utf-8")))
    for call in ("sw.Workspace(", "sw.spark(", "sw.read(", "sw.prepare(", "sw.check(", "sw.publish(",
                 "sw.fit(", "sw.models(", ".promote(", ".load(", "sw.predict(", "sw.Pipeline"):
        assert call in code, f"docs/python.md has no runnable example of {call}"


def test_docs_python_examples_run(spark, session_workspace: Path, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                  ) -> None:
    (tmp_path / "sparkwing-home").symlink_to(session_workspace)
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "docs_python"}
    blocks = python_blocks(DOC.read_text(encoding="utf-8"))
    assert len(blocks) >= 10
    for line, code in blocks:
        # Padded to the block's line: a failure's traceback points into docs/python.md itself.
        exec(compile("\n" * (line - 1) + code, str(DOC), "exec"), namespace)  # noqa: S102 - our docs
    out = capsys.readouterr().out
    assert "succeeded" in out  # the pipeline block's run status
    assert "checks[0].in_range" in out or "in_range(int_rate)" in out  # the CheckFailed example
