"""Issue 13 item 4: one name check (sparkwing.config.check_name) with a one-line reason."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sparkwing.config import MAX_NAME_LENGTH, check_name, is_name
from sparkwing.errors import InvalidName
from sparkwing.workspace import Workspace

KINDS = ["pipeline", "step", "parameter", "model", "alias", "database", "table", "version", "run id",
         "key", "segment"]  # fmt: skip
#: Classic attacks on a name that becomes a path segment, a URL part or a terminal line.
HOSTILE = [
    "", ".", "..", "../x", "x/..", "a/../../etc", "/etc/passwd", "/", "a/b", "a\\b", "..\\..\\x",
    "C:\\x", "x\x00y", "x\ny", "x\ry", "\t", "\x1b[31mred", "a\u202eb", "a\u200bb", "a\u2028b",
    "x" * (MAX_NAME_LENGTH + 1), "~root/x", "%2e%2e%2f", "a..b",
]  # fmt: skip


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_are_refused_with_one_line(kind: str, name: str) -> None:
    if kind == "segment" and name in ("%2e%2e%2f",):  # a file may be called that: no separator in it
        assert check_name(name, "segment") == name
        return
    with pytest.raises(InvalidName) as info:
        check_name(name, kind)  # type: ignore[arg-type]
    line = info.value.one_line()
    assert "\n" not in line and "\r" not in line and line.startswith("invalid ")
    assert info.value.code == "invalid_name" and info.value.kind == kind


@pytest.mark.parametrize(("kind", "name"), [
    ("pipeline", "loans"), ("step", "loans_raw"), ("model", "loan_default"), ("alias", "prod-2.1"),
    ("database", "credit"), ("table", "loans_clean"), ("version", "20261201T101500Z-ab12"),
    ("run id", "20261201T101500Z-ab12"), ("key", "batch@ops"), ("segment", "part-00000-abc.json"),
])  # fmt: skip
def test_ordinary_names_pass(kind: str, name: str) -> None:
    assert check_name(name, kind) == name and is_name(name, kind)  # type: ignore[arg-type]


@pytest.mark.parametrize(("name", "reason"), [
    ("", "is empty"), ("a/b", "contains a path separator"), ("..", "contains '..'"),
    ("x\x00", "contains a control character"), ("x" * 200, "is longer than 128 characters"),
    ("1abc", "must be letters, digits and _, starting with a letter or _"),
])  # fmt: skip
def test_the_message_says_which_rule(name: str, reason: str) -> None:
    with pytest.raises(InvalidName, match="invalid model name") as info:
        check_name(name, "model")
    assert reason in info.value.message and "at most 128 characters" in (info.value.hint or "")
    assert len(info.value.message) < 200  # a long name is cut in the message


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.text(max_size=200), kind=st.sampled_from(KINDS))
def test_an_accepted_name_is_one_segment_inside_its_folder(name: str, kind: str) -> None:
    """Whatever passes stays one path segment inside its parent, on any system's path rules."""
    try:
        check_name(name, kind)  # type: ignore[arg-type]
    except InvalidName as exc:
        assert "\n" not in exc.one_line()
        return
    root = Path("/srv/ws/runs")
    joined = os.path.normpath(root / name)
    assert os.path.dirname(joined) == str(root) and os.path.basename(joined) == name
    assert len(name) <= MAX_NAME_LENGTH and "/" not in name and "\\" not in name


def test_the_workspace_layout_refuses_a_name_that_would_leave_it(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    for build in (lambda n: ws.runs(n), lambda n: ws.runs("p", n), lambda n: ws.models(n),
                  lambda n: ws.quarantine("p", "r", n), lambda n: ws.staging(n, "r"),
                  lambda n: ws.table_dir("db", n), lambda n: ws.table_version("db", "t", n)):  # fmt: skip
        for name in ("..", "../../etc", "/etc", "a/b", "x\x00"):
            with pytest.raises(InvalidName):
                build(name)
    assert ws.runs("loans", "r1").endswith("/runs/loans/r1")  # unchanged for good names
