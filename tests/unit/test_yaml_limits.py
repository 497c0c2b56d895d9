"""Issue 14 item 7: YAML alias bombs and oversized specs fail fast with a ConfigError."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sparkwing.config import parse_spec
from sparkwing.errors import ConfigError

SRC = Path(__file__).resolve().parents[2] / "src"


def laughs(levels: int, width: int, *, flow: bool = True) -> str:
    """The classic billion laughs: each anchor is a list of ``width`` aliases of the one before."""
    lines = ["name: bomb", 'a0: &a0 "lol"']
    for i in range(1, levels):
        items = ", ".join([f"*a{i - 1}"] * width)
        lines.append(
            f"a{i}: &a{i} [{items}]"
            if flow
            else f"a{i}: &a{i}\n" + "".join(f"  - *a{i - 1}\n" for _ in range(width)).rstrip()
        )
    lines.append(f"sources: *a{levels - 1}")
    return "\n".join(lines) + "\n"


BOMBS = {
    "laughs_9x9": laughs(9, 9),  # ~350 bytes, 9^8 = 43M leaves
    "laughs_10x10_block": laughs(10, 10, flow=False),
    "mapping_bomb": "name: b\nx0: &x0 {k: v}\n"
    + "".join(f"x{i}: &x{i} {{{', '.join(f'k{j}: *x{i - 1}' for j in range(8))}}}\n" for i in range(1, 10))
    + "datasets: *x9\n",
    "merge_keys": "name: b\nm0: &m0 {k: v}\n"
    + "".join(
        f"m{i}: &m{i} {{<<: [*m{i - 1}], " + ", ".join(f"k{i}_{j}: *m{i - 1}" for j in range(6)) + "}\n"
        for i in range(1, 10)
    )
    + "sources: *m9\n",
    "recursive": "name: b\nsources: &r [*r]\n",
}

SCRIPT = """
import sys, time
from sparkwing.config import parse_spec
from sparkwing.errors import ConfigError
text = sys.stdin.read()
t = time.perf_counter()
try:
    parse_spec(text)
    print("accepted", time.perf_counter() - t)
except ConfigError as exc:
    print("ConfigError", time.perf_counter() - t, exc.one_line()[:200])
"""


@pytest.mark.parametrize("name", sorted(BOMBS))
def test_alias_bombs_are_refused_fast(name: str) -> None:
    # Before: a 351-byte bomb took 48.8 s and 1.1 GB.  A child process, so a regression cannot
    # hang or swamp the test run (killed after 30 s, 2 GB of address space).
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import resource; resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))\n" + SCRIPT,
        ],
        input=BOMBS[name],
        capture_output=True,
        text=True,
        timeout=30,
        env=env,
    )
    assert out.returncode == 0, out.stderr[-1000:]
    kind, seconds, *message = out.stdout.split(" ", 2)
    print(name, f"{len(BOMBS[name])} bytes", kind, f"{float(seconds):.3f} s", *message)
    assert kind == "ConfigError" and "alias" in message[0]


def test_small_aliases_still_work() -> None:
    text = """
name: shared
sources:
  loans: &src {format: csv, uri: data/loans.csv}
  loans_copy: *src
"""
    spec = parse_spec(text)
    assert set(spec.sources) == {"loans", "loans_copy"}


def test_spec_size_is_capped() -> None:
    with pytest.raises(ConfigError, match="larger than"):
        parse_spec("name: big\n" + "#" * (2 << 20))


def test_deep_nesting_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        parse_spec("name: deep\nsources: " + "[" * 5000 + "]" * 5000 + "\n")
