"""``sparkwing emr package``: the wheel, bootstrap script and EMR JSON in one folder, optionally uploaded.

Registered on the ``emr`` sub-app by :func:`register`; the packaging code is imported inside
the command so that ``--help`` stays light.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from sparkwing.cli import _console as console
from sparkwing.cli._context import state

Action = Literal["TERMINATE_JOB_FLOW", "TERMINATE_CLUSTER", "CANCEL_AND_WAIT", "CONTINUE"]


def register(emr_app: typer.Typer) -> None:
    emr_app.command("package")(emr_package)


def emr_package(
    ctx: typer.Context,
    spec: Annotated[Path, typer.Argument(metavar="SPEC", help="Pipeline YAML file.")],
    out: Annotated[Path, typer.Option("--output", "-o", help="Folder to write the package into.")],
    deploy_uri: Annotated[str | None, typer.Option(
        "--deploy-uri", help="s3:// prefix the cluster reads the package from "
        "(default: <workspace>/deploy/<pipeline>).")] = None,
    wheel: Annotated[Path | None, typer.Option(
        "--wheel", help="A sparkwing wheel built already (default: build one from this checkout).")] = None,
    upload: Annotated[bool, typer.Option("--upload", help="Upload the folder to the deploy URI.")] = False,
    action_on_failure: Annotated[Action, typer.Option(
        "--action-on-failure", help="The step's ActionOnFailure.")] = "CONTINUE",
) -> None:
    """Build the wheel, bootstrap script, Configurations and step JSON an EMR cluster runs SPEC from."""
    from sparkwing.config import load_spec
    from sparkwing.schedule import deployment, package_emr, upload_package
    from sparkwing.workspace import s3_client

    settings = state(ctx).settings()
    dep = deployment(load_spec(spec), settings, deploy_uri)
    pkg = package_emr(dep, out, wheel=wheel, action_on_failure=action_on_failure)
    for name in pkg.files:
        console.out.print(f"wrote {out / name}", highlight=False)
    if upload:
        for uri in upload_package(pkg, s3_client(settings.s3)):
            console.out.print(f"uploaded {uri}", highlight=False)
    else:
        console.out.print(f"upload {out}/* to {pkg.deploy_uri}/ (or run again with --upload), then "
                          f"`sparkwing emr submit {spec} --package {out} --create`", highlight=False)
