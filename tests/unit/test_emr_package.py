"""`sparkwing emr package`: one folder with the wheel, pinned constraints, bootstrap script and the EMR
JSON, all pointing at the same deploy prefix.  The wheel here is a small stand-in with real
METADATA; tests/integration/test_export_emr.py builds the real one and uploads it to moto."""

from __future__ import annotations

import json
import subprocess
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

from sparkwing.cli import main
from sparkwing.config import load_settings, load_spec
from sparkwing.errors import ConfigError
from sparkwing.schedule import deployment, emr_steps, load_package, package_emr

SPEC = """\
name: emr_nightly
sources:
  drops: {uri: "s3://lake/drops/", format: csv}
tables:
  sales.drops: {from: drops}
"""


def fake_wheel(folder: Path, requires: list[str], name: str = "sparkwing") -> Path:
    path = folder / f"{name}-0.1.0-py3-none-any.whl"
    meta = f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1.0\n" + "".join(
        f"Requires-Dist: {r}\n" for r in requires)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(f"{name}-0.1.0.dist-info/METADATA", meta)
    return path


@pytest.fixture()
def dep(tmp_path: Path):
    path = tmp_path / "emr_nightly.yaml"
    path.write_text(SPEC)
    return deployment(load_spec(path), load_settings({"workspace": "s3://warehouse/ws"}, settings_file=None))


def test_the_package_folder_holds_everything_pointing_at_one_prefix(dep, tmp_path: Path) -> None:
    wheel = fake_wheel(tmp_path, ["pyspark<3.6,>=3.5", "h2o-pysparkling-3-5==3.46.0.6.post1",
                                  "pyyaml>=6", "ipython>=8; extra == 'shell'"])
    out = tmp_path / "pkg"
    pkg = package_emr(dep, out, wheel=wheel, action_on_failure="CANCEL_AND_WAIT")
    assert sorted(p.name for p in out.iterdir()) == sorted([*pkg.files, "package.json"])
    assert (out / wheel.name).read_bytes() == wheel.read_bytes()
    assert (out / "emr_nightly.yaml").read_text() == SPEC
    # Runtime requirements pinned to what is installed here; extras left out.
    pins = (out / "constraints.txt").read_text().split()
    assert pins == [f"{n}=={metadata.version(n)}" for n in ("h2o-pysparkling-3-5", "pyspark", "pyyaml")]
    script = (out / "bootstrap.sh").read_text()
    prefix = "s3://warehouse/ws/deploy/emr_nightly"
    assert f"aws s3 cp --quiet {prefix}/{wheel.name}" in script
    assert f"aws s3 cp --quiet {prefix}/constraints.txt" in script
    assert '--constraint "$work/constraints.txt"' in script and "/home/hadoop/sparkwing/" in script
    subprocess.run(["bash", "-n", str(out / "bootstrap.sh")], check=True)  # the shell parses it
    props = json.loads((out / "configurations.json").read_text())[0]["Properties"]
    assert props["spark.dynamicAllocation.enabled"] == "false"
    assert props["spark.ext.h2o.backend.cluster.mode"] == "internal"
    assert props["spark.ext.h2o.cloud.timeout"] == "300000"
    flag = "--add-exports=java.base/sun.net.www.protocol.http=ALL-UNNAMED"
    assert flag in props["spark.executor.extraJavaOptions"]
    # No port picked free on this machine: it says nothing about the cluster's nodes.
    assert not {"spark.ext.h2o.base.port", "spark.ext.h2o.client.web.port"} & set(props)
    steps = json.loads((out / "steps.json").read_text())
    assert steps == emr_steps(dep, "CANCEL_AND_WAIT")
    flow = json.loads((out / "run_job_flow.json").read_text())
    assert flow["BootstrapActions"][0]["ScriptBootstrapAction"]["Path"] == f"{prefix}/bootstrap.sh"
    again = load_package(out)
    assert (again.pipeline, again.deploy_uri, again.wheel) == ("emr_nightly", prefix, wheel.name)
    assert again.bootstrap_uri == f"{prefix}/bootstrap.sh"


def test_a_wrong_wheel_or_an_unpinnable_requirement_is_refused(dep, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="the wheel of 'other', not sparkwing"):
        package_emr(dep, tmp_path / "a", wheel=fake_wheel(tmp_path, [], name="other"))
    with pytest.raises(ConfigError, match="needs no-such-dist-xyz>=1 but it is not installed here"):
        package_emr(dep, tmp_path / "b", wheel=fake_wheel(tmp_path, ["no-such-dist-xyz>=1"]))
    with pytest.raises(ConfigError, match="outside sparkwing's range"):
        package_emr(dep, tmp_path / "c", wheel=fake_wheel(tmp_path, ["pyyaml<1"]))
    with pytest.raises(ConfigError, match="holds no EMR package"):
        load_package(tmp_path / "a")


def test_the_cli_writes_a_package_and_submit_refuses_another_pipelines(tmp_path: Path, capsys) -> None:
    spec = tmp_path / "emr_nightly.yaml"
    spec.write_text(SPEC)
    wheel = fake_wheel(tmp_path, ["pyyaml>=6"])
    with pytest.raises(SystemExit) as info:
        main(["--workspace", "s3://warehouse/ws", "emr", "package", str(spec), "-o", str(tmp_path / "pkg"),
              "--wheel", str(wheel)])
    assert info.value.code in (0, None)
    printed = capsys.readouterr().out
    assert "bootstrap.sh" in printed and "--package" in printed
    other = tmp_path / "other.yaml"
    other.write_text(SPEC.replace("emr_nightly", "other"))
    with pytest.raises(SystemExit) as info:
        main(["--workspace", "s3://warehouse/ws", "emr", "submit", str(other), "--package",
              str(tmp_path / "pkg"), "--create"])
    assert info.value.code != 0
    assert "packages pipeline 'emr_nightly', not 'other'" in capsys.readouterr().err
