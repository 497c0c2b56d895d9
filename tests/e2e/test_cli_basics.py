"""CLI behaviour that needs no JVM: validation, schema, errors and exit codes.

The commands run through the real entry point in this process (``cli_here``); the two ``sql``
tests run a child process, where "no JVM started" is the child's own.
"""

from __future__ import annotations

import json

from sparkwing.cli import EXIT_CODES
from sparkwing.errors import ConfigError, RunNotFound, WarehouseError


def test_validate_examples(cli_here, tmp_path) -> None:
    for spec in ("examples/loans/pipeline.yaml", "examples/credit/pipeline.yaml",
                 "examples/mushrooms/pipeline.yaml"):
        result = cli_here("validate", spec, workspace=tmp_path)
        assert result.returncode == 0, result.stderr
        assert "ok" in result.stdout


def test_validate_shows_a_features_node_and_refuses_the_old_glrm_step(cli_here, tmp_path) -> None:
    result = cli_here("validate", "examples/prostate_factors/pipeline.yaml", workspace=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "feature  prostate_glrm <- prostate_clean" in result.stdout
    assert "table    clinic.prostate_factors <- prostate_glrm" in result.stdout
    spec = tmp_path / "old.yaml"
    spec.write_text("name: old\nsources:\n  a: {uri: x.csv}\ndatasets:\n  b:\n    from: a\n"
                    "    steps:\n      - glrm: {k: 2}\n")
    result = cli_here("validate", str(spec), workspace=tmp_path)
    assert result.returncode == EXIT_CODES[ConfigError]
    assert (f"{spec}:8: datasets.b.steps[0]: glrm is no longer a prep step; declare learned features"
            in result.stderr)


def test_invalid_spec_is_one_line_per_problem_with_exit_2(cli_here, tmp_path) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text("name: bad\nsources:\n  a: {uri: x.csv}\ndatasets:\n  b:\n    from: a\n"
                    "    steps:\n      - derivee: {x: y}\n")
    result = cli_here("run", str(spec), workspace=tmp_path / "ws")
    assert result.returncode == EXIT_CODES[ConfigError]
    assert f"{spec}:8: datasets.b.steps[0]: unknown step 'derivee'" in result.stderr
    assert "Traceback" not in result.stderr
    assert "resume with" not in result.stderr and result.stderr.count("error:") == 1
    assert not (tmp_path / "ws").exists()  # failed before any work


def test_unknown_reference_fails_validation(cli_here, tmp_path) -> None:
    spec = tmp_path / "ref.yaml"
    spec.write_text("name: r\nsources:\n  a: {uri: x.csv}\ntables:\n  db.t: {from: nothing}\n")
    result = cli_here("validate", str(spec), workspace=tmp_path)
    assert result.returncode == 2
    assert "refers to unknown 'nothing'" in result.stderr


def test_schema_is_json_schema(cli_here, tmp_path) -> None:
    result = cli_here("schema", workspace=tmp_path)
    schema = json.loads(result.stdout)
    assert {"sources", "datasets", "tables", "models", "scores"} <= set(schema["properties"])


def test_runs_on_empty_workspace(cli_here, tmp_path) -> None:
    result = cli_here("runs", workspace=tmp_path)
    assert result.returncode == 0, result.stderr


def test_usage_mistakes_are_usage_errors(cli_here, tmp_path) -> None:
    for args, says in ((["run"], "Missing argument 'SPEC'"), (["sql"], "Missing argument 'query'"),
                       (["rnu", "x.yaml"], "No such command 'rnu'. Did you mean 'run'?"),
                       (["models", "shwo"], "Did you mean 'show'?"),
                       (["run", "x.yaml", "--fail-fats"], "No such option: --fail-fats (Possible options: "
                        "--fail-fast)")):
        result = cli_here(*args, workspace=tmp_path)
        assert result.returncode == 2, (args, result.stderr)
        assert "Usage: sparkwing" in result.stderr and says in result.stderr
        assert "internal error" not in result.stderr


def test_version(cli_here, tmp_path) -> None:
    from sparkwing import __version__

    result = cli_here("--version", workspace=tmp_path)
    assert result.returncode == 0 and result.stdout.strip() == f"sparkwing {__version__}"


def test_a_missing_run_has_its_own_exit_code(cli_here, tmp_path) -> None:
    shown = cli_here("runs", "show", "NOPE", workspace=tmp_path)
    assert shown.returncode == EXIT_CODES[RunNotFound], shown.stderr
    assert shown.stderr.count("error:") == 1 and "no run 'NOPE'" in shown.stderr

    spec = tmp_path / "p.yaml"
    spec.write_text("name: p\nsources:\n  a: {uri: a.csv}\n")
    resumed = cli_here("run", str(spec), "--fail-fast", "--resume", "NOPE", workspace=tmp_path / "ws")
    assert resumed.returncode == EXIT_CODES[RunNotFound], resumed.stderr
    assert resumed.stderr.count("error:") == 1 and "no run 'NOPE' of pipeline 'p'" in resumed.stderr
    assert "resume with" not in resumed.stderr and "internal error" not in resumed.stderr


def test_sql_refuses_a_writing_query_before_any_jvm(run_cli, tmp_path) -> None:
    result = run_cli("sql", "DROP TABLE credit.loans_clean", workspace=tmp_path)
    assert result.returncode == EXIT_CODES[WarehouseError], result.stderr
    assert result.stderr.count("error:") == 1
    assert "would change the warehouse (DROP)" in result.stderr and "--allow-write" in result.stderr
    assert not (tmp_path / "metastore").exists()  # refused before Spark started


def test_sql_with_duckdb_answers_without_a_jvm(run_cli, tmp_path) -> None:
    result = run_cli("sql", "--engine", "duckdb", "SELECT 40 + 2 AS answer", workspace=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "answer" in result.stdout and "42" in result.stdout
    both = run_cli("sql", "-e", "duckdb", "--allow-write", "SELECT 1", workspace=tmp_path)
    assert both.returncode == 2 and "--allow-write needs --engine spark" in both.stderr
