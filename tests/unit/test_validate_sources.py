"""`sparkwing validate` finds what fails in minutes before any JVM: missing local sources, and an
``s3://`` workspace that local Spark cannot hold Hive tables in (refused by `run` as well, before
anything is written to the current folder)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sparkwing.cli import main
from sparkwing.config import check_source_paths, load_settings, load_spec
from sparkwing.errors import ConfigError
from sparkwing.lake import check_locations

SPEC = """\
name: p
sources:
  loans: {uri: data/loan.csv}
  daily: {uri: "incoming/*.csv"}
  remote: {uri: "s3://lake/raw/x.csv"}
  folder: {uri: "file://FOLDER", format: parquet}
"""


def write(tmp_path: Path, text: str = SPEC) -> Path:
    (tmp_path / "data").mkdir(exist_ok=True)
    (tmp_path / "part").mkdir(exist_ok=True)
    path = tmp_path / "pipeline.yaml"
    path.write_text(text.replace("FOLDER", str(tmp_path / "part")))
    return path


def test_a_missing_local_source_is_an_error_at_its_line(tmp_path: Path) -> None:
    spec = load_spec(write(tmp_path))
    with pytest.raises(ConfigError) as info:
        check_source_paths(spec)
    (problem,) = info.value.problems
    assert (problem.path, problem.line) == ("sources.loans.uri", 3)
    assert "'data/loan.csv' does not exist" in problem.message and str(tmp_path) in problem.message


def test_an_empty_glob_is_a_warning_and_s3_is_not_looked_at(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "loan.csv").write_text("a\n1\n")
    warnings = check_source_paths(load_spec(write(tmp_path)))
    assert [(w.path, w.line, w.message) for w in warnings] == [
        ("sources.daily.uri", 4, "'incoming/*.csv' matches no file (yet)")
    ]
    (tmp_path / "incoming").mkdir()
    (tmp_path / "incoming" / "2026-12-01.csv").write_text("a\n1\n")
    assert check_source_paths(load_spec(write(tmp_path))) == []


def test_a_source_the_schedule_waits_for_may_be_missing(tmp_path: Path) -> None:
    spec = load_spec(write(tmp_path, SPEC + "schedule: {on_arrival: [loans]}\n"))
    (warning,) = [w for w in check_source_paths(spec) if w.path == "sources.loans.uri"]
    assert "does not exist yet" in warning.message


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    """Run the ``sparkwing`` entry point: its exit code and what it printed."""
    try:
        main(list(argv))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out + out.err


def test_cli_validate_reports_missing_sources_and_empty_globs(tmp_path: Path, monkeypatch, capsys) -> None:
    write(tmp_path)
    monkeypatch.chdir(tmp_path)
    code, output = cli(capsys, "--workspace", str(tmp_path / "ws"), "validate", "pipeline.yaml")
    assert code == 2, output
    assert "pipeline.yaml:3: sources.loans.uri: 'data/loan.csv' does not exist" in output
    (tmp_path / "data" / "loan.csv").write_text("a\n1\n")
    code, output = cli(capsys, "--workspace", str(tmp_path / "ws"), "validate", "pipeline.yaml")
    assert code == 0, output
    assert "warning: pipeline.yaml:4: sources.daily.uri: 'incoming/*.csv' matches no file" in output


TABLES = """\
name: s3ws
sources:
  raw: {uri: d.csv}
tables:
  s3ws.t: {from: raw}
"""


@pytest.mark.parametrize("command", ["validate", "run"])
def test_an_s3_workspace_with_tables_is_refused_in_local_mode_before_any_work(
    tmp_path: Path, monkeypatch, capsys, command: str
) -> None:
    (tmp_path / "d.csv").write_text("id\n1\n")
    (tmp_path / "pipeline.yaml").write_text(TABLES)
    monkeypatch.chdir(tmp_path)
    before = sorted(os.listdir(tmp_path))
    args = ["--workspace", "s3://bucket/ws", "--master", "local[1]", command, "pipeline.yaml"]
    code, output = cli(capsys, *args)
    assert code == 2, output
    assert "an s3:// workspace cannot hold Hive tables with master local[1]" in output
    assert "publishing s3ws.t would fail" in output
    assert "lake.spark_s3: always" in output
    assert sorted(os.listdir(tmp_path)) == before  # no metastore_db/, no derby.log


def test_an_s3_workspace_is_fine_without_tables_or_when_spark_has_s3(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text("id\n1\n")
    (tmp_path / "pipeline.yaml").write_text(TABLES)
    spec = load_spec(tmp_path / "pipeline.yaml")
    local = load_settings({"workspace": "s3://bucket/ws", "spark": {"master": "local[*]"}})
    with pytest.raises(ConfigError):
        check_locations(local, spec)
    says_s3 = local.model_copy(update={"lake": local.lake.model_copy(update={"spark_s3": "always"})})
    check_locations(says_s3, spec)
    (tmp_path / "pipeline.yaml").write_text(TABLES.split("tables:")[0])
    check_locations(local, load_spec(tmp_path / "pipeline.yaml"))
    check_locations(local.model_copy(update={"workspace": str(tmp_path / "ws")}), spec)


def test_a_local_session_on_an_s3_workspace_keeps_derby_out_of_the_current_folder() -> None:
    from sparkwing.engine import spark_conf

    conf = spark_conf(load_settings({"workspace": "s3://bucket/ws", "spark": {"master": "local[2]"}}))
    url = conf["spark.hadoop.javax.jdo.option.ConnectionURL"]
    home = conf["spark.driver.extraJavaOptions"].split("-Dderby.system.home=")[1].split()[0]
    assert os.path.isabs(home) and not home.startswith(os.getcwd())
    assert url == f"jdbc:derby:;databaseName={home}/db;create=true"
