"""The ``sparkwing`` command line."""

from sparkwing.cli._app import app, main

__all__ = ["app", "main"]
