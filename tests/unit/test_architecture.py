"""The house rules of ARCHITECTURE.md, checked."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
JVM_BRIDGES = ("pyspark", "py4j", "pysparkling", "h2o")


def _imports_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys; print(','.join(sorted(sys.modules)))"],
        capture_output=True, text=True, check=True, cwd=ROOT,
    )
    return set(out.stdout.strip().splitlines()[-1].split(","))


@pytest.mark.parametrize(
    "module", ["sparkwing", "sparkwing.config", "sparkwing.errors", "sparkwing.workspace", "sparkwing.lake",
               "sparkwing.registry", "sparkwing.mojo", "sparkwing.pipeline"]
)
def test_light_modules_do_not_load_a_jvm_bridge(module: str) -> None:
    loaded = _imports_after(f"import {module}")
    assert not {m for m in loaded if m.split(".")[0] in JVM_BRIDGES}


def test_cli_help_does_not_load_spark() -> None:
    loaded = _imports_after(
        "import sys\nfrom sparkwing.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass"
    )
    assert not {m for m in loaded if m.split(".")[0] in JVM_BRIDGES}


def test_import_layers_hold() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint)], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_is_clean() -> None:
    """The `make lint` ruff rules (pyproject.toml) hold, so a full test run shows a lapse too."""
    ruff = Path(sys.executable).with_name("ruff")
    assert ruff.exists(), "ruff is missing: pip install -e '.[test]'"
    result = subprocess.run([str(ruff), "check", "src", "tests", "bench"], capture_output=True, text=True,
                            cwd=ROOT)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr
