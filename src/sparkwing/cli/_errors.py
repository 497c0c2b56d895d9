"""How a failed command ends: one error line (and hint), and the documented exit code.

The root command group catches what a command raises, while the invocation's context (and so
its ``--debug``) is still at hand.  Usage mistakes stay typer's: its usage line and exit code 2.
"""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup
from typer.exceptions import TyperException

from sparkwing.cli import _console as console
from sparkwing.cli._context import CliState
from sparkwing.cli._exit import INTERNAL_ERROR, INTERRUPTED, exit_code
from sparkwing.errors import SparkwingError, describe


def print_error(exc: SparkwingError, *, debug: bool = False) -> None:
    """The error's one line and its hint on stderr (with the traceback under ``--debug``)."""
    if debug:
        console.err.print_exception()
    console.err.print(f"[red]error:[/] {console.escape(str(exc))}"
                      + (f"\n[dim]hint: {console.escape(exc.hint)}[/]" if exc.hint else ""),
                      highlight=False)


class SparkwingGroup(TyperGroup):
    """The root group: a sparkwing error becomes one line and its exit code; anything else
    unexpected is an internal error (exit 1); Ctrl-C exits 130."""

    def invoke(self, ctx: Any) -> Any:  # typer's (vendored) click Context
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, TyperException):
            raise  # typer's own: --help, usage errors, explicit exit codes
        except SparkwingError as exc:
            print_error(exc, debug=_debug(ctx))
            raise typer.Exit(exit_code(exc)) from None
        except KeyboardInterrupt:
            console.err.print("interrupted")
            raise typer.Exit(INTERRUPTED) from None
        except Exception as exc:
            if _debug(ctx):
                console.err.print_exception()
            else:
                console.err.print(f"[red]internal error:[/] {console.escape(describe(exc))}\n"
                                  "[dim]hint: rerun with --debug for the traceback[/]", highlight=False)
            raise typer.Exit(INTERNAL_ERROR) from None


def _debug(ctx: Any) -> bool:
    found = ctx.find_object(CliState)
    return bool(found and found.debug)
