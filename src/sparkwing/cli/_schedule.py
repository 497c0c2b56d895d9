"""``sparkwing scheduler start|status|stop``, ``sparkwing schedules`` and ``sparkwing export``.

Registered on the main app by :func:`register`; the scheduler and exporters are imported
inside the commands so that ``--help`` stays light.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from sparkwing.cli import _console as console
from sparkwing.cli import _emr_package
from sparkwing.cli._context import CliState, state
from sparkwing.errors import ConfigError

scheduler_app = typer.Typer(help="The embedded scheduler: start, status, stop.", no_args_is_help=True)
emr_app = typer.Typer(help="Run a pipeline as an EMR step: submit to a cluster, or create one.",
                      no_args_is_help=True)
SpecsArg = Annotated[list[Path], typer.Argument(
    metavar="SPEC...", help="Pipeline YAML files, or folders of them (*.yaml, */pipeline.yaml).")]


def register(app: typer.Typer) -> None:
    app.add_typer(scheduler_app, name="scheduler")
    app.add_typer(emr_app, name="emr")
    app.command("schedules")(schedules)
    app.command("export")(export)
    app.command("backfill")(backfill)
    _emr_package.register(emr_app)  # emr package


def spec_files(paths: list[Path]) -> list[Path]:
    """The spec files named, folders expanded; the settings file (sparkwing.yaml) is left out."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted({*path.glob("*.yaml"), *path.glob("*.yml"), *path.glob("*/pipeline.yaml")})
            out += [p for p in found if p.name not in ("sparkwing.yaml", "sparkwing.yml")]
        else:
            out.append(path)
    if not out:
        raise ConfigError(f"no pipeline specs in {', '.join(map(str, paths))}")
    return out


def _load(paths: list[Path]) -> list[Any]:
    from sparkwing.config import load_spec

    return [load_spec(p) for p in spec_files(paths)]


def _scheduled(paths: list[Path]) -> list[Any]:
    specs = [s for s in _load(paths) if s.schedule is not None]
    if not specs:
        raise ConfigError("none of these specs has a `schedule:` section",
                          hint="add e.g. schedule: {cron: '0 2 * * *'}")
    return specs


@scheduler_app.command("start")
def scheduler_start(
    ctx: typer.Context,
    specs: SpecsArg,
    foreground: Annotated[bool, typer.Option(
        "--foreground", help="Run in this process (logs to stderr).")] = False,
    poll: Annotated[float, typer.Option("--poll", min=0.1, help="Seconds between two looks.")] = 30.0,
    metrics_port: Annotated[int | None, typer.Option(
        "--metrics-port", min=0, max=65535,
        help="Serve the pipeline metrics on http://127.0.0.1:PORT/metrics (0: a free port).")] = None,
) -> None:
    """Run the due pipelines of SPEC... until stopped (SIGTERM stops after the current step)."""
    st = state(ctx)
    pipelines = _scheduled(specs)
    settings = st.settings()
    if not foreground:
        _start_background(st, specs, poll, settings, metrics_port)
        return
    from sparkwing.schedule import Scheduler

    scheduler = Scheduler(pipelines, settings)

    def _stop(signum: int, _frame: Any) -> None:
        console.err.print(f"{signal.Signals(signum).name}: stopping after the current step", highlight=False)
        scheduler.stop_event.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    names = ", ".join(p.name for p in pipelines)
    console.err.print(f"scheduler pid {os.getpid()} on {scheduler.workspace.root}: {names}", highlight=False)
    if metrics_port is not None:
        # The URL is printed once the server listens (port 0 is chosen then): a thread watches.
        threading.Thread(target=_say_metrics_url, args=(scheduler,), daemon=True).start()
    scheduler.serve(poll, metrics=("127.0.0.1", metrics_port) if metrics_port is not None else None)
    console.err.print("scheduler stopped", highlight=False)


def _say_metrics_url(scheduler: Any) -> None:
    for _ in range(600):
        if scheduler.metrics_url:
            console.err.print(f"metrics on {scheduler.metrics_url}", highlight=False)
            return
        time.sleep(0.05)


def _global_args(st: CliState) -> list[str]:
    args = st.location_args()
    if st.master:
        args += ["--master", st.master]
    for item in st.conf:
        args += ["--conf", item]
    return args


def _start_background(st: CliState, specs: list[Path], poll: float, settings: Any,
                      metrics_port: int | None = None) -> None:
    from sparkwing.schedule import SchedulerLock
    from sparkwing.workspace import Workspace

    workspace = Workspace.from_settings(settings)
    if not workspace.local:
        raise ConfigError("a background scheduler keeps its log in a local workspace",
                          hint="run `sparkwing scheduler start --foreground` under your service manager")
    log_path = Path(workspace.join("schedule", "scheduler.log"))
    log_path.parent.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "sparkwing", *_global_args(st), "scheduler", "start", "--foreground",
            "--poll", str(poll), *(["--metrics-port", str(metrics_port)] if metrics_port is not None else []),
            *map(str, specs)]
    with log_path.open("ab") as log:
        child = subprocess.Popen(argv, stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                                 start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        held = SchedulerLock(workspace).holder()
        if held is not None and held.pid == child.pid:
            console.out.print(f"scheduler started: pid {child.pid}, log {log_path}", highlight=False)
            return
        if child.poll() is not None:
            tail = log_path.read_text(errors="replace").strip().splitlines()[-1:] or ["(no output)"]
            raise ConfigError(f"the scheduler exited at start (code {child.returncode}): {tail[0]}",
                              hint=f"see {log_path}")
        time.sleep(0.2)
    raise ConfigError(f"the scheduler did not take the workspace within 30 s (pid {child.pid})",
                      hint=f"see {log_path}")


@scheduler_app.command("status")
def scheduler_status(ctx: typer.Context) -> None:
    """Whether a scheduler runs on the workspace, and the state of each pipeline it scheduled."""
    from datetime import datetime, timezone

    from sparkwing.schedule import SchedulerLock, StateStore

    workspace = state(ctx).workspace()
    held = SchedulerLock(workspace).holder()
    if held is None:
        console.out.print("no scheduler runs on this workspace")
    else:
        alive = held.alive(datetime.now(timezone.utc), 90.0)
        console.out.print(f"scheduler pid {held.pid} on {held.host}, since {held.started}, last heartbeat "
                          f"{held.heartbeat}{'' if alive else ' [red](not running: stale)[/]'}")
    store = StateStore(workspace)
    for name in sorted(n[:-5] for n in workspace.storage.list(workspace.join("schedule"))
                       if n.endswith(".json") and n != "scheduler.json"):
        saved = store.load(name)
        if saved is not None:
            console.out.print(f"  {name}: last {saved.last_outcome or '-'} (run {saved.last_run_id or '-'}), "
                              f"last fire {saved.last_fire.isoformat() if saved.last_fire else '-'}"
                              + (", running now" if saved.running else ""), highlight=False)


@scheduler_app.command("stop")
def scheduler_stop(ctx: typer.Context) -> None:
    """Ask the workspace's scheduler to stop (SIGTERM): it finishes the current step first."""
    from sparkwing.schedule import stop_scheduler

    held = stop_scheduler(state(ctx).workspace())
    console.out.print("no scheduler runs on this workspace" if held is None
                      else f"asked scheduler pid {held.pid} to stop")


def schedules(
    ctx: typer.Context,
    specs: SpecsArg,
    count: Annotated[int, typer.Option("--next", min=1, max=100, help="Fire times to show.")] = 3,
) -> None:
    """Each scheduled pipeline: its triggers, next fire times, last outcome."""
    from sparkwing.schedule import Scheduler

    pipelines = _scheduled(specs)
    scheduler = Scheduler(pipelines, state(ctx).settings())
    for spec in pipelines:
        sched = spec.schedule
        saved = scheduler.states.load(spec.name)
        what = []
        if sched.cron:
            what.append(f"cron '{sched.cron}' {sched.timezone}")
        if sched.on_data:
            flag = f" ({sched.on_data.done_flag})" if sched.on_data.done_flag else ""
            what.append(f"on_data {sched.on_data.uri}{flag}")
        console.out.print(f"[bold]{spec.name}[/]: {' + '.join(what)}; catch_up {sched.catch_up}; "
                          f"retries {sched.retries.max}", highlight=False)
        for fire in scheduler.next_fires(spec, count):
            console.out.print(f"  next {fire.astimezone(sched.tz).isoformat()}", highlight=False)
        if saved is not None and saved.last_outcome:
            console.out.print(f"  last {saved.last_outcome} (run {saved.last_run_id or '-'}"
                              f"{', ' + saved.last_error if saved.last_error else ''})", highlight=False)


Target = Literal["oozie", "airflow", "emr-steps"]


def export(
    ctx: typer.Context,
    target: Annotated[str, typer.Argument(metavar="oozie|airflow|emr-steps", help="What to write.")],
    spec: Annotated[Path, typer.Argument(metavar="SPEC", help="Pipeline YAML file.")],
    out: Annotated[Path, typer.Option("--output", "-o", help="Folder to write into.")] = Path("."),
    deploy_uri: Annotated[str | None, typer.Option(
        "--deploy-uri", help="Folder the cluster reads the spec and driver script from "
        "(default: <workspace>/deploy/<pipeline>); upload OUTPUT/deploy there.")] = None,
) -> None:
    """Write the files a cluster scheduler runs this pipeline from (Oozie, Airflow/MWAA, EMR steps)."""
    from sparkwing.config import load_spec
    from sparkwing.schedule import EXPORTERS

    if target not in EXPORTERS:
        raise ConfigError(f"unknown export target {target!r}; known: {', '.join(EXPORTERS)}")
    pipeline = load_spec(spec)
    written = EXPORTERS[target](pipeline, state(ctx).settings(), out, deploy_uri=deploy_uri,
                                spec_path=str(spec))
    for path in written:
        console.out.print(f"wrote {path}", highlight=False)


def backfill(
    ctx: typer.Context,
    spec: Annotated[Path, typer.Argument(metavar="SPEC", help="Pipeline YAML file.")],
    start: Annotated[str, typer.Option("--from", help="First date, YYYY-MM-DD.")],
    end: Annotated[str, typer.Option("--to", help="Last date, YYYY-MM-DD (inclusive).")],
    param: Annotated[str, typer.Option("--param", help="The date parameter to set.")] = "ds",
    parallel: Annotated[int, typer.Option(
        "--parallel", min=1, max=16, help="Runs at a time; above 1 each is a child process, which needs "
        "a PostgreSQL or Glue metastore.")] = 1,
    force: Annotated[bool, typer.Option("--force", help="Run dates that already succeeded again.")] = False,
) -> None:
    """Run SPEC once per date from --from to --to, oldest first; resumable, done dates skipped."""
    from datetime import date

    from sparkwing.cli._exit import exit_code
    from sparkwing.errors import StepFailed
    from sparkwing.schedule import BackfillDay, run_backfill

    try:
        first, last = date.fromisoformat(start), date.fromisoformat(end)
    except ValueError as exc:
        raise ConfigError(f"--from/--to: {exc}", hint="dates are YYYY-MM-DD") from None

    total = (last - first).days + 1
    shown: list[BackfillDay] = []

    def show(day: BackfillDay) -> None:
        shown.append(day)
        style = {"succeeded": "green", "failed": "bold red", "skipped": "dim"}[day.outcome]
        console.out.print(f"[{len(shown)}/{total}] {day.day} [{style}]{day.outcome}[/] {day.run_id or ''}"
                          + (f": {day.error}" if day.error else ""), highlight=False)

    st = state(ctx)
    days = run_backfill(spec, st.settings(), first, last, param=param, force=force, parallel=parallel,
                        child_argv=[sys.executable, "-m", "sparkwing", *_global_args(st)], progress=show)
    failed = [d for d in days if d.outcome == "failed"]
    if failed:
        names = ", ".join(d.day for d in failed)
        console.err.print(f"failed: {names}; no new date started after a failure; run the same backfill "
                          "again to resume", highlight=False)
        raise typer.Exit(exit_code(StepFailed(failed[0].error or "failed", step=failed[0].day)))


@emr_app.command("submit")
def emr_submit(
    ctx: typer.Context,
    spec: Annotated[Path, typer.Argument(metavar="SPEC", help="Pipeline YAML file.")],
    cluster_id: Annotated[str | None, typer.Option(
        "--cluster-id", help="Add the step to this cluster.")] = None,
    create: Annotated[bool, typer.Option("--create", help="Create a cluster (bootstrap, configurations) "
                                         "that runs the step.")] = False,
    deploy_uri: Annotated[str | None, typer.Option("--deploy-uri", help="As for `export`.")] = None,
    package: Annotated[Path | None, typer.Option(
        "--package", help="Folder written by `emr package --upload`: its deploy URI and bootstrap.")] = None,
    region: Annotated[str | None, typer.Option("--region", help="AWS region (default: s3.region).")] = None,
    endpoint_url: Annotated[str | None, typer.Option(
        "--endpoint-url", help="EMR endpoint (tests: a moto server); default AWS.")] = None,
) -> None:
    """Add the pipeline's spark-submit step to an EMR cluster (upload `export`'s deploy/ first)."""
    import boto3

    from sparkwing.config import load_spec, reveal
    from sparkwing.schedule import check_uploaded, deployment, load_package, submit_steps
    from sparkwing.workspace import s3_client

    if bool(cluster_id) == create:
        raise ConfigError("give either --cluster-id ID or --create")
    settings = state(ctx).settings()
    pipeline = load_spec(spec)
    if package is not None:
        pkg = load_package(package)
        if pkg.pipeline != pipeline.name:
            raise ConfigError(f"{package} packages pipeline {pkg.pipeline!r}, not {pipeline.name!r}")
        if deploy_uri and deploy_uri.rstrip("/") != pkg.deploy_uri:
            raise ConfigError(f"--deploy-uri {deploy_uri} differs from the package's {pkg.deploy_uri}")
        deploy_uri = pkg.deploy_uri
        if create:
            check_uploaded(pkg, s3_client(settings.s3))
    dep = deployment(pipeline, settings, deploy_uri)
    s3 = settings.s3
    client = boto3.client("emr", region_name=region or s3.region or "us-east-1", endpoint_url=endpoint_url,
                          aws_access_key_id=reveal(s3.access_key_id),
                          aws_secret_access_key=reveal(s3.secret_access_key))
    cluster, steps = submit_steps(dep, client, cluster_id=cluster_id, create=create)
    console.out.print(f"cluster {cluster}: step(s) {', '.join(steps)}", highlight=False)
