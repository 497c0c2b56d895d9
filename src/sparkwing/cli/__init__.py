"""The ``sparkwing`` command line."""

from sparkwing.cli._app import app, main
from sparkwing.cli._exit import EXIT_CODES, exit_code

__all__ = ["EXIT_CODES", "app", "exit_code", "main"]
