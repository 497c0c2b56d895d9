"""Local source paths checked when a spec is validated: a missing file fails in seconds, not minutes.

Only local paths are looked at (plain paths and ``file://``); ``s3://`` and other URIs are left to
the run, since validating makes no network calls. The work is bounded: a directory is only
checked to exist, and a glob stops at its first match.
"""

from __future__ import annotations

import glob
import os
import re
from pathlib import Path

from sparkwing.config._spec import PipelineSpec
from sparkwing.errors import ConfigError, Problem

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_GLOB = set("*?[")


def local_path(uri: str, base_dir: Path) -> Path | None:
    """The local path a source URI names (relative to the spec's folder), or None for a remote URI."""
    if uri.startswith("file://"):
        uri = uri[len("file://") :]
    elif _SCHEME.match(uri):
        return None
    path = Path(os.path.expanduser(uri))
    return path if path.is_absolute() else base_dir / path


def check_source_paths(spec: PipelineSpec) -> list[Problem]:
    """Raise ``ConfigError`` for local sources that do not exist; return warnings (empty globs).

    A source the schedule waits for (``schedule.on_arrival``) may be missing: that is a warning.
    """
    file = os.path.relpath(spec._path) if spec._path else None
    waiting = set(spec.schedule.on_arrival) if spec.schedule else set()
    errors: list[Problem] = []
    warnings: list[Problem] = []
    for name, source in spec.sources.items():
        path = local_path(source.uri, spec.base_dir)
        if path is None:
            continue
        loc, line = f"sources.{name}.uri", spec.line_of("sources", name, "uri")
        if _GLOB & set(str(path)):
            if next(glob.iglob(str(path), recursive=True), None) is None:
                warnings.append(Problem(loc, f"{source.uri!r} matches no file (yet)", file, line))
        elif not path.exists():
            if name in waiting:
                warnings.append(Problem(loc, f"{source.uri!r} does not exist yet ({path})", file, line))
            else:
                errors.append(Problem(loc, f"{source.uri!r} does not exist ({path})", file, line))
    if errors:
        raise ConfigError(
            f"{len(errors)} source path(s) do not exist",
            problems=errors,
            hint=f"relative paths resolve against the spec's folder, {spec.base_dir}",
        )
    return warnings
