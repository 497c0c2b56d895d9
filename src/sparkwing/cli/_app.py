"""The ``sparkwing`` command.  Heavy modules (pyspark) are imported inside commands only."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Annotated, Any

import typer

from sparkwing.cli import _audit, _drift, _flow, _history, _predict, _reports, _schedule, _sql, _tables, _ui
from sparkwing.cli import _console as console
from sparkwing.cli._cards import show_card
from sparkwing.cli._context import CliState, state
from sparkwing.cli._errors import SparkwingGroup, print_error
from sparkwing.cli._exit import exit_code
from sparkwing.cli._shell import shell
from sparkwing.config import check_name
from sparkwing.errors import SparkwingError

app = typer.Typer(
    name="sparkwing", cls=SparkwingGroup, no_args_is_help=True, add_completion=False,
    pretty_exceptions_enable=False,
    help="Raw data-lake files to models in production: Spark, Hive, H2O, MOJO.",
)
runs_app = typer.Typer(help="Run records: list, show, unlock.", invoke_without_command=True)
tables_app = typer.Typer(help="Warehouse tables: list, show, rollback.", invoke_without_command=True)
models_app = typer.Typer(help="Model registry: list, show, promote, export.", invoke_without_command=True)
mojo_app = typer.Typer(help="Read and score MOJO files in pure Python (no JVM).", no_args_is_help=True)
app.add_typer(runs_app, name="runs")
app.add_typer(tables_app, name="tables")
app.add_typer(models_app, name="models")
app.add_typer(mojo_app, name="mojo")


def _print_version(value: bool) -> None:
    if value:
        from sparkwing import __version__

        typer.echo(f"sparkwing {__version__}")
        raise typer.Exit()


@app.callback()
def _global(
    ctx: typer.Context,
    workspace: Annotated[
        str | None, typer.Option("--workspace", "-w", help="Workspace dir or s3:// URI.")
    ] = None,
    config: Annotated[
        str | None, typer.Option("--config", help="Settings file (default ./sparkwing.yaml).")
    ] = None,
    master: Annotated[str | None, typer.Option("--master", help="Spark master, e.g. local[*], yarn.")] = None,
    conf: Annotated[list[str] | None, typer.Option("--conf", help="Extra Spark setting key=value.")] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Full tracebacks and debug logs.")] = False,
    verbose: Annotated[bool, typer.Option(
        "--verbose", "-v", help="Also stream engine logs (JVM, Spark, H2O, XGBoost) to the console; "
        "they always go to <workspace>/logs/.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the result and errors.")] = False,
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.",
                                          callback=_print_version, is_eager=True)] = False,
) -> None:
    if verbose and quiet:
        raise typer.BadParameter("--verbose and --quiet exclude each other")
    ctx.obj = CliState(workspace_uri=workspace, config_file=config, master=master, conf=conf or [],
                       debug=debug, verbose=verbose, quiet=quiet)
    console.setup_logging(debug, quiet=quiet)


# --- pipeline -------------------------------------------------------------------------------


@app.command()
def run(
    ctx: typer.Context,
    spec: Annotated[Path, typer.Argument(metavar="SPEC", help="Pipeline YAML file.")],
    resume: Annotated[str | None, typer.Option("--resume", help="Run id to resume.")] = None,
    fail_fast: Annotated[bool, typer.Option(
        "--fail-fast", help="Stop at the first failing step (default: run every step that does "
        "not depend on a failure).")] = False,
    param: Annotated[list[str] | None, typer.Option(
        "--param", "-p", help="A parameter of the spec's params:, name=value (repeatable).")] = None,
    backfill: Annotated[str | None, typer.Option(
        "--under-backfill", hidden=True, help="Set by `backfill --parallel`: its lock holder.")] = None,
) -> None:
    """Run a pipeline; with --resume, only the steps that did not finish."""
    from sparkwing.config import load_spec, parse_assignments
    from sparkwing.pipeline import run_pipeline

    if resume is not None:
        check_name(resume, "run id")
    st = state(ctx)
    pipeline = load_spec(spec, parse_assignments(param or []))
    settings = st.settings()
    reporter = console.Recording(console.reporter(quiet=st.quiet))
    try:
        record = run_pipeline(pipeline, settings, resume=resume, reporter=reporter,
                              fail_fast=fail_fast, echo_engine_logs=st.verbose,
                              **backfill_run(backfill, pipeline.param_values))
    except SparkwingError as exc:
        if reporter.record is None:  # refused before a run began (busy, unknown run, spec)
            raise
        console.print_summary(reporter.record, show_error=False)
        print_error(exc, debug=st.debug)
        if not exc.in_spec:  # a fixed spec makes a resume refuse: no hint then
            again = _resume_command(st, spec, reporter.record.run_id, pipeline.param_values)
            console.err.print(f"resume with: {again}",
                              highlight=False, markup=False)
        raise typer.Exit(exit_code(exc)) from None
    console.print_summary(record)


def backfill_run(backfill: str | None, params: dict[str, str]) -> dict[str, Any]:
    """The run options of one date of a parallel backfill (none for a plain run)."""
    if backfill is None:
        return {}
    from sparkwing.pipeline import Trigger

    check_name(backfill, "run id", what="backfill id")
    values = ", ".join(f"{k}={v}" for k, v in sorted(params.items()))
    return {"under_lock": backfill, "trigger": Trigger(kind="backfill", detail=f"{values} ({backfill})")}


def _resume_command(st: CliState, spec: Path, run_id: str, params: dict[str, str] | None = None) -> str:
    """The command line that resumes ``run_id``, with the options that locate its workspace."""
    given = [w for k, v in (params or {}).items() for w in ("-p", f"{k}={v}")]
    return shlex.join(["sparkwing", *st.location_args(), "run", str(spec), *given, "--resume", run_id])


@app.command()
def validate(ctx: typer.Context,
             spec: Annotated[Path, typer.Argument(help="Pipeline YAML file.")]) -> None:
    """Check a spec, its step graph, parameters, local sources and settings, without running anything."""
    from sparkwing.config import build_graph, check_source_paths, load_spec
    from sparkwing.lake import check_locations

    pipeline = load_spec(spec)
    graph = build_graph(pipeline)
    check_locations(state(ctx).settings(), pipeline)  # what run refuses before any work
    warnings = check_source_paths(pipeline)  # a missing local file is an error; s3:// is not looked at
    for problem in warnings:
        console.err.print(f"warning: {problem}", highlight=False, markup=False)
    console.out.print(f"[green]ok[/] {spec}: pipeline {pipeline.name!r}, {len(graph.order)} steps")
    for name in graph.order:
        node = graph.nodes[name]
        deps = f" <- {', '.join(node.depends_on)}" if node.depends_on else ""
        console.out.print(f"  {node.kind[:-1]:<8} {name}{deps}")


@app.command()
def schema() -> None:
    """Print the JSON Schema of the pipeline spec (for editor completion)."""
    from sparkwing.config import PipelineSpec

    typer.echo(json.dumps(PipelineSpec.model_json_schema(by_alias=True), indent=2))


# --- runs -----------------------------------------------------------------------------------


def _run_store(ctx: typer.Context) -> Any:
    from sparkwing.pipeline import RunStore

    return RunStore(state(ctx).workspace())


@runs_app.callback()
def runs_list(
    ctx: typer.Context,
    pipeline: Annotated[str | None, typer.Option("--pipeline", "-p")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n")] = 20,
) -> None:
    """List recent runs."""
    if ctx.invoked_subcommand:
        return
    from rich.table import Table

    table = Table(title="runs")
    for col in ("run id", "pipeline", "status", "started", "seconds", "attempts", "error"):
        table.add_column(col)
    for r in _run_store(ctx).list(pipeline, limit):
        table.add_row(r.run_id, r.pipeline, r.status, r.started, f"{r.seconds or 0:.1f}",
                      str(r.attempts), (r.error or "")[:60])
    console.out.print(table)


@runs_app.command("show")
def runs_show(
    ctx: typer.Context,
    run_id: str, as_json: Annotated[bool, typer.Option("--json", help="Print the raw record.")] = False
) -> None:
    """Show one run: steps, counts, checks."""
    check_name(run_id, "run id")
    record = _run_store(ctx).find(run_id)
    if as_json:
        typer.echo(record.model_dump_json(indent=2))
    else:
        console.print_summary(record)


@runs_app.command("unlock")
def runs_unlock(ctx: typer.Context, pipeline: str) -> None:
    """Clear the lock of a pipeline whose run died (check it is not running first)."""
    from sparkwing.pipeline import PipelineLock

    check_name(pipeline, "pipeline")

    store = _run_store(ctx)
    lock = PipelineLock(store.workspace, pipeline)
    held = lock.holder()
    if held is None:
        console.out.print(f"pipeline {pipeline!r} is not locked")
        return
    lock.release()
    console.out.print(f"cleared lock of run {held.run_id} (pid {held.pid} on {held.host})")


# --- warehouse ------------------------------------------------------------------------------


_tables.register(tables_app)


@tables_app.command("rollback")
def tables_rollback(
    ctx: typer.Context,
    name: str, to: Annotated[str | None, typer.Option("--to", help="Version to go back to.")] = None
) -> None:
    """Switch a table back to its previous (or a given) version (recorded in the audit log)."""
    from sparkwing.warehouse import TableName, rollback_table

    TableName.parse(name)  # bad names are usage errors before any JVM starts
    if to is not None:
        check_name(to, "version", what="table version")
    st = state(ctx)
    info = rollback_table(st.spark(), name, st.workspace(), to)
    _audit.record(ctx, "rolled_back", table=name, version=info.version)
    console.out.print(f"{name} now at version {info.version}")


_sql.register(app)  # sql --engine spark|duckdb, read-only unless --allow-write
_audit.register(app)  # audit: sign-ins, failures, key changes, promotions, rollbacks


# --- models -------------------------------------------------------------------------------


@models_app.callback()
def models_list(ctx: typer.Context) -> None:
    """List registered models with their versions and aliases."""
    if ctx.invoked_subcommand:
        return
    from rich.table import Table

    reg = state(ctx).registry()
    table = Table(title="models")
    for col in ("model", "versions", "latest", "aliases", "holdout metric (latest)"):
        table.add_column(col)
    for name in reg.models():
        versions = reg.versions(name)
        latest = versions[-1] if versions else None
        aliases = ", ".join(f"{a}→v{v}" for a, v in sorted(reg.aliases(name).items()))
        headline = latest.card.headline() if latest is not None else None
        metric = f"{headline[0]}={headline[1]:.4f}" if headline else ""
        table.add_row(name, str(len(versions)), f"v{latest.version}" if latest else "", aliases, metric)
    console.out.print(table)


@models_app.command("show")
def models_show(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="NAME, NAME@VERSION or NAME@ALIAS")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole card.")] = False,
) -> None:
    """Show a model version's card: task, features, metrics, leaderboard, artifacts."""
    mv = state(ctx).registry().get(ref)
    card = mv.card
    if as_json:
        typer.echo(card.to_json().decode())
        return
    show_card(mv)


@models_app.command("promote")
def models_promote(ctx: typer.Context, name: str, version: int, alias: str,
                   reason: Annotated[str, typer.Option("--reason")] = "manual promotion") -> None:
    """Point ALIAS of model NAME at VERSION (checksums verified; recorded in the audit log)."""
    state(ctx).registry().promote(name, version, alias, reason=reason)
    _audit.record(ctx, "promoted", model=name, alias=alias, version=version, reason=reason)
    console.out.print(f"{name}@{alias} -> v{version}")


@models_app.command("export")
def models_export(ctx: typer.Context, ref: str, dest: Path) -> None:
    """Copy a model version's artifacts (MOJO, genmodel jar, POJO, card) to DEST."""
    path = state(ctx).registry().export(ref, dest)
    console.out.print(f"exported {ref} to {path}")


# --- mojo -----------------------------------------------------------------------------------


@mojo_app.command("inspect")
def mojo_inspect(path: Path) -> None:
    """Describe a MOJO: algorithm, versions, features with types and domains, classes."""
    from sparkwing import mojo

    typer.echo(mojo.inspect_text(mojo.load(path)))


_predict.register(app, mojo_app)
_reports.register(runs_app, models_app)  # runs report, models report: offline HTML


# --- serve (REST scoring; sparkwing.serve is imported inside the commands) -----------------

keys_app = typer.Typer(help="API keys of the scoring service: create, list, revoke.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


@app.command()
def serve(
    ctx: typer.Context,
    model: Annotated[
        list[str] | None,
        typer.Option(
            "--model", "-m", help="NAME or NAME@ALIAS; repeat. Default: every model with a production alias."
        ),
    ] = None,
    workspace: Annotated[
        str | None, typer.Option("--workspace", "-w", help="Workspace dir or s3:// URI.")
    ] = None,
    host: Annotated[
        str, typer.Option("--host", help="Address to bind; beyond loopback, sign-in is required.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8080,
    workers: Annotated[int, typer.Option("--workers", help="Worker processes.")] = 1,
    poll: Annotated[float, typer.Option("--poll", help="Seconds between registry polls (0 = never).")] = 5.0,
    require_keys: Annotated[
        bool, typer.Option("--require-keys", help="Require sign-in (API key or LDAP) on loopback too.")
    ] = False,
    rate_limit: Annotated[
        float, typer.Option("--rate-limit", help="Requests/s per identity (0 = off).")
    ] = 1000.0,
    max_rows: Annotated[int, typer.Option("--max-rows")] = 10_000,
    max_body_mb: Annotated[float, typer.Option("--max-body-mb")] = 10.0,
    rate_burst: Annotated[
        int | None, typer.Option("--rate-burst", help="Burst per key (default: 2 s of --rate-limit).")
    ] = None,
    header_timeout: Annotated[
        float, typer.Option("--header-timeout", help="Seconds to send a request's headers.")
    ] = 10.0,
    body_timeout: Annotated[
        float, typer.Option("--body-timeout", help="Seconds to send a request's body.")
    ] = 30.0,
    max_connections: Annotated[
        int, typer.Option("--max-connections", help="Open connections per worker; beyond: 503.")
    ] = 1000,
    score_workers: Annotated[
        int, typer.Option("--score-workers", help="Scoring processes per worker (0 = one per core).")
    ] = 0,
    score_queue: Annotated[
        int, typer.Option("--score-queue", help="Batch requests that may wait; beyond: 503.")
    ] = 16,
    access_log: Annotated[
        bool | None,
        typer.Option("--access-log/--no-access-log", help="Log every request (default: on beyond loopback)."),
    ] = None,
    tls_cert: Annotated[Path | None, typer.Option("--tls-cert")] = None,
    tls_key: Annotated[Path | None, typer.Option("--tls-key")] = None,
) -> None:
    """Serve registered models over REST, scoring in pure Python (no JVM)."""
    from sparkwing.config import ModelRef
    from sparkwing.serve import DEFAULT_ALIAS, ServeConfig, run

    st = state(ctx)
    st.use_workspace(workspace)
    settings = st.settings()
    run(ServeConfig(
        workspace=settings.workspace, s3=settings.s3,
        models=[ModelRef.parse(m, default_alias=DEFAULT_ALIAS) for m in model or []],
        host=host, port=port, workers=workers, poll_interval=poll, require_keys=require_keys,
        rate_limit=rate_limit, max_rows=max_rows, max_body_bytes=int(max_body_mb * 1024 * 1024),
        rate_burst=rate_burst, header_timeout=header_timeout, body_timeout=body_timeout,
        max_connections=max_connections, score_workers=score_workers, score_queue=score_queue,
        access_log=access_log, auth=settings.auth,
        tls_cert=str(tls_cert) if tls_cert else None, tls_key=str(tls_key) if tls_key else None,
    ))


def _keys(ctx: typer.Context) -> Any:
    from sparkwing.auth import KeyStore

    return KeyStore(state(ctx).workspace())


@keys_app.command("create")
def keys_create(
    ctx: typer.Context,
    scope: Annotated[
        str, typer.Option("--scope", help="predict or admin (admin includes predict).")
    ] = "predict",
    name: Annotated[str, typer.Option("--name")] = "",
) -> None:
    """Create an API key; the key is printed once and stored only as a hash."""
    if name:
        check_name(name, "key")
    token, key = _keys(ctx).create(scope, name=name)
    console.err.print(f"created key {key.id} ({key.name}, scope {key.scope}); it is shown only once:")
    typer.echo(token)


@keys_app.command("list")
def keys_list(ctx: typer.Context) -> None:
    """List API keys (never their secrets)."""
    from rich.table import Table

    table = Table(title="API keys")
    for col in ("id", "name", "scope", "created", "revoked"):
        table.add_column(col)
    for k in _keys(ctx).keys():
        table.add_row(k.id, k.name, k.scope, k.created, k.revoked or "")
    console.out.print(table)


@keys_app.command("revoke")
def keys_revoke(ctx: typer.Context, key: Annotated[str, typer.Argument(help="Key id or name.")]) -> None:
    """Revoke an API key (services pick it up at their next registry poll)."""
    check_name(key, "key")
    revoked = _keys(ctx).revoke(key)
    console.out.print(f"revoked key {revoked.id} ({revoked.name})")


app.command("shell")(shell)
app.command(name="ui")(_ui.ui)  # web pages: src/sparkwing/cli/_ui.py
app.command(name="history")(_history.history)  # Spark History Server: src/sparkwing/cli/_history.py
app.command(name="flow")(_flow.flow)  # H2O Flow, login on: src/sparkwing/cli/_flow.py
_schedule.register(app)  # scheduler start|status|stop, schedules, export, backfill, emr submit
_drift.register(models_app)  # models drift NAME@REF --since 7d: src/sparkwing/cli/_drift.py


def main(argv: list[str] | None = None) -> None:
    """Entry point: sparkwing errors become one line and a documented exit code.

    Usage mistakes (a missing argument, an unknown command or option) are typer's: its usage
    line, a did-you-mean, and exit code 2.  See :class:`~sparkwing.cli._errors.SparkwingGroup`.
    """
    app(args=argv, prog_name="sparkwing")
