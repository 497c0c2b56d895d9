"""The ``sparkwing`` command line."""

from sparkwing.cli._app import app, main
from sparkwing.cli._exit import EXIT_CODES, exit_code
from sparkwing.cli._submit import format_command, submit_command

__all__ = ["EXIT_CODES", "app", "exit_code", "format_command", "main", "submit_command"]
