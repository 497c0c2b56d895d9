"""``sparkwing emr package``: everything an EMR cluster needs to run a pipeline, in one folder.

The folder is uploaded as it is to the deployment's ``deploy_uri`` (an ``s3://`` prefix):

- the sparkwing wheel (built from the checkout with ``pip wheel --no-deps``, or given);
- ``constraints.txt``: the wheel's runtime requirements pinned to the versions installed here,
  so every node runs what this machine tested;
- ``bootstrap.sh``: installs the wheel under those pins plus Sparkling Water, and puts the
  Sparkling Water jar at :data:`~sparkwing.schedule._submit.NODE_JAR`;
- ``configurations.json`` (``spark-defaults``: the engine's Spark settings, Java 17 flags,
  dynamic allocation off, the ``spark.ext.h2o.*`` settings), ``steps.json``,
  ``run_job_flow.json``, the spec and the driver script;
- ``package.json``: what the folder holds and where it belongs; ``emr submit --package``
  reads it.
"""

from __future__ import annotations

import email.parser
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement

from sparkwing.errors import ConfigError, SourceError
from sparkwing.schedule._emr import (
    BOOTSTRAP,
    ActionOnFailure,
    bootstrap_script,
    emr_configurations,
    emr_steps,
    run_job_flow_args,
)
from sparkwing.schedule._submit import Deployment, copy_deploy_files

MANIFEST = "package.json"
CONSTRAINTS = "constraints.txt"


@dataclass(frozen=True)
class EmrPackage:
    """A packaged pipeline: its folder, where it is (to be) uploaded, and the files in it."""

    folder: Path
    pipeline: str
    version: str
    deploy_uri: str
    wheel: str  # the wheel's file name inside the folder
    files: list[str] = field(default_factory=list)

    @property
    def bootstrap_uri(self) -> str:
        return f"{self.deploy_uri}/{BOOTSTRAP}"

    def to_json(self) -> str:
        doc = asdict(self)
        del doc["folder"]
        return json.dumps(doc, indent=2) + "\n"


def load_package(folder: Path) -> EmrPackage:
    """The package written by :func:`package_emr` into ``folder``."""
    path = folder / MANIFEST
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        return EmrPackage(folder=folder, **doc)
    except FileNotFoundError:
        raise ConfigError(f"{folder} holds no EMR package ({MANIFEST} is missing)",
                          hint="write one with `sparkwing emr package SPEC -o DIR`") from None
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{path} is not a sparkwing EMR package manifest: {exc}") from None


def source_checkout() -> Path:
    """The source tree sparkwing runs from (an editable install or a checkout on PYTHONPATH)."""
    import sparkwing

    root = Path(sparkwing.__file__).resolve().parents[2]
    if not (root / "pyproject.toml").is_file():
        raise ConfigError(f"sparkwing runs from {root / 'sparkwing'}, not from a source checkout",
                          hint="give a built wheel with --wheel PATH")
    return root


def build_wheel(source: Path, out: Path) -> Path:
    """Build sparkwing's wheel from ``source`` into ``out`` (``pip wheel --no-deps``)."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out, prefix=".wheel-") as tmp:  # beside out: a rename
        scratch = Path(tmp)
        done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w",
                               str(scratch), str(source)], capture_output=True, text=True)
        built = sorted(scratch.glob("sparkwing-*.whl"))
        if done.returncode != 0 or len(built) != 1:
            last = (done.stderr.strip().splitlines() or ["no wheel written"])[-1]
            raise ConfigError(f"building the sparkwing wheel from {source} failed: {last}",
                              hint=f"run {sys.executable} -m pip wheel --no-deps {source} to see why")
        target = out / built[0].name
        shutil.move(str(built[0]), target)
    return target


def wheel_requirements(wheel: Path) -> tuple[str, list[Requirement]]:
    """The version and the runtime (non-extra) requirements a wheel declares in its METADATA."""
    try:
        with zipfile.ZipFile(wheel) as zf:
            name = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
            meta = email.parser.Parser().parsestr(zf.read(name).decode("utf-8"))
    except (OSError, zipfile.BadZipFile, StopIteration) as exc:
        raise SourceError(f"{wheel} is not a wheel with METADATA: {exc or 'no METADATA'}") from None
    if meta.get("Name", "").lower() != "sparkwing":
        raise ConfigError(f"{wheel} is the wheel of {meta.get('Name')!r}, not sparkwing")
    reqs = [Requirement(r) for r in meta.get_all("Requires-Dist") or []]
    runtime = [r for r in reqs if r.marker is None or r.marker.evaluate({"extra": ""})]
    return meta["Version"], runtime


def pinned_constraints(requirements: list[Requirement]) -> list[str]:
    """``name==version`` for each requirement, at the version installed here.

    A requirement that is not installed, or installed at a version outside its own range,
    is an error: the nodes would run something this machine never ran.
    """
    lines = []
    for req in requirements:
        try:
            have = metadata.version(req.name)
        except metadata.PackageNotFoundError:
            raise ConfigError(f"sparkwing needs {req} but it is not installed here, so it cannot be pinned",
                              hint=f"pip install '{req}'") from None
        if req.specifier and not req.specifier.contains(have, prereleases=True):
            raise ConfigError(f"{req.name} {have} is installed here, outside sparkwing's range {req}")
        lines.append(f"{req.name}=={have}")
    return sorted(set(lines), key=str.lower)


def package_emr(dep: Deployment, out: Path, *, wheel: Path | None = None,
                action_on_failure: ActionOnFailure = "CONTINUE") -> EmrPackage:
    """Write the EMR package of ``dep`` into ``out`` (see the module docstring)."""
    out.mkdir(parents=True, exist_ok=True)
    if wheel is None:
        built = build_wheel(source_checkout(), out)
    else:
        if not wheel.is_file():
            raise SourceError(f"wheel {wheel} not found")
        built = out / wheel.name
        if built.resolve() != wheel.resolve():
            shutil.copyfile(wheel, built)
    version, requirements = wheel_requirements(built)
    (out / CONSTRAINTS).write_text("\n".join(pinned_constraints(requirements)) + "\n", encoding="utf-8")
    script = out / BOOTSTRAP
    script.write_text(bootstrap_script(version, wheel_uri=f"{dep.deploy_uri}/{built.name}",
                                       constraints_uri=f"{dep.deploy_uri}/{CONSTRAINTS}"), encoding="utf-8")
    script.chmod(0o755)
    documents: dict[str, Any] = {
        "configurations.json": emr_configurations(dep),
        "steps.json": emr_steps(dep, action_on_failure),
        "run_job_flow.json": run_job_flow_args(dep),
    }
    for name, value in documents.items():
        (out / name).write_text(json.dumps(value, indent=2) + "\n", encoding="utf-8")
    # The spec and the driver script go into the same folder: one prefix to upload.
    staged = copy_deploy_files(dep, out)
    for path in staged:
        shutil.move(str(path), out / path.name)
    (out / "deploy").rmdir()
    files = sorted([built.name, CONSTRAINTS, BOOTSTRAP, *documents, *(p.name for p in staged)])
    pkg = EmrPackage(out, dep.spec.name, version, dep.deploy_uri, built.name, files)
    (out / MANIFEST).write_text(pkg.to_json(), encoding="utf-8")
    return pkg


def upload_package(pkg: EmrPackage, client: Any) -> list[str]:
    """Upload every file of ``pkg`` (and its manifest) under ``pkg.deploy_uri``; returns the URIs."""
    from sparkwing.workspace import is_remote, split_s3

    if not is_remote(pkg.deploy_uri):
        raise ConfigError(f"the package's deploy URI {pkg.deploy_uri!r} is not an s3:// prefix")
    bucket, prefix = split_s3(pkg.deploy_uri)
    uris = []
    for name in [*pkg.files, MANIFEST]:
        key = f"{prefix.rstrip('/')}/{name}" if prefix else name
        try:
            client.upload_file(str(pkg.folder / name), bucket, key)
        except Exception as exc:  # botocore's errors: no bucket, denied, unreachable endpoint
            raise SourceError(f"uploading {name} to s3://{bucket}/{key} failed: {exc}") from None
        uris.append(f"s3://{bucket}/{key}")
    return uris


def check_uploaded(pkg: EmrPackage, client: Any) -> None:
    """Refuse to create a cluster whose bootstrap script is not where the cluster will look."""
    from sparkwing.workspace import split_s3

    bucket, key = split_s3(pkg.bootstrap_uri)
    try:
        client.head_object(Bucket=bucket, Key=key)
    except Exception:  # botocore ClientError (404, 403) or no endpoint: either way, not usable
        raise ConfigError(f"the package's bootstrap script is not at {pkg.bootstrap_uri}",
                          hint="upload it with `sparkwing emr package SPEC -o DIR --upload`") from None
