"""The sparkwing exception tree.

Every error a user can see is one of these, with a one-line message and a hint::

    SparkwingError
    ├── ConfigError        spec or settings invalid (carries the YAML locations)
    ├── SourceError        input missing, unreadable or over its quarantine limit
    ├── CheckFailed        a quality gate with severity ``error`` failed
    ├── StepFailed         a pipeline step raised (keeps the user's traceback)
    ├── WorkspaceBusy      another run holds the pipeline lock
    ├── WarehouseError     publishing, listing or rolling back a table failed
    ├── TrainingError      H2O training could not run or produced nothing usable
    ├── RegistryError      model version / alias missing, immutable, or checksum mismatch
    ├── MojoError          a MOJO file is bad or uses something unsupported
    ├── ScoringError       batch or online scoring failed (e.g. a missing feature)
    └── EngineError        Java / Spark / H2O could not start

``transient`` marks errors that a scheduler may retry (a busy workspace, an engine
that did not start); everything else is terminal.  The CLI maps each class to an
exit code (see ``EXIT_CODES``) and the REST service to a stable ``code`` string.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class SparkwingError(Exception):
    """Base of every sparkwing error: a one-line ``message`` and an optional ``hint``."""

    code = "sparkwing_error"
    transient = False

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message

    def one_line(self) -> str:
        """The message and the hint on one line, as the CLI prints them."""
        return f"{self.message} (hint: {self.hint})" if self.hint else self.message


@dataclass(frozen=True)
class Problem:
    """One problem found in a spec or settings file: where it is and what is wrong."""

    path: str  # dotted YAML path, e.g. "datasets.loans_clean.steps[2].cast"
    message: str
    file: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = self.file or "<spec>"
        if self.line is not None:
            where = f"{where}:{self.line}"
        return f"{where}: {self.path or '<root>'}: {self.message}"


class ConfigError(SparkwingError):
    """A pipeline spec or settings file is invalid; ``problems`` lists each location."""

    code = "config_error"

    def __init__(
        self, message: str, *, problems: Sequence[Problem] = (), hint: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.problems = list(problems)

    def __str__(self) -> str:
        if not self.problems:
            return self.message
        return self.message + "\n" + "\n".join(f"  {p}" for p in self.problems)


class SourceError(SparkwingError):
    """An input is missing, unreadable, or quarantined more rows than allowed."""

    code = "source_error"

    def __init__(self, message: str, *, source: str | None = None, hint: str | None = None):
        super().__init__(message, hint=hint)
        self.source = source


class CheckFailed(SparkwingError):
    """One or more quality checks with severity ``error`` failed."""

    code = "check_failed"

    def __init__(self, message: str, *, results: Sequence[object] = (), hint: str | None = None):
        super().__init__(message, hint=hint)
        self.results = list(results)


class StepFailed(SparkwingError):
    """A pipeline step raised; ``__cause__`` is the original exception."""

    code = "step_failed"

    def __init__(
        self, message: str, *, step: str, user_traceback: str | None = None, hint: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.step = step
        self.user_traceback = user_traceback


class WorkspaceBusy(SparkwingError):
    """Another run of the same pipeline holds the lock."""

    code = "workspace_busy"
    transient = True

    def __init__(self, message: str, *, run_id: str | None = None, hint: str | None = None):
        super().__init__(message, hint=hint)
        self.run_id = run_id


class WarehouseError(SparkwingError):
    code = "warehouse_error"


class TrainingError(SparkwingError):
    code = "training_error"


class RegistryError(SparkwingError):
    code = "registry_error"


class MojoError(SparkwingError):
    code = "mojo_error"


class ScoringError(SparkwingError):
    code = "scoring_error"


class EngineError(SparkwingError):
    code = "engine_error"
    transient = True


#: CLI exit codes, documented in the README.  0 = success, 1 = unexpected bug.
EXIT_CODES: dict[type[SparkwingError], int] = {
    ConfigError: 2,
    SourceError: 3,
    CheckFailed: 4,
    StepFailed: 5,
    WorkspaceBusy: 6,
    WarehouseError: 7,
    TrainingError: 8,
    RegistryError: 9,
    MojoError: 10,
    ScoringError: 11,
    EngineError: 12,
}


def exit_code_for(error: SparkwingError) -> int:
    for cls in type(error).__mro__:
        if cls in EXIT_CODES:
            return EXIT_CODES[cls]  # type: ignore[index]
    return 1


__all__ = [
    "EXIT_CODES",
    "CheckFailed",
    "ConfigError",
    "EngineError",
    "MojoError",
    "Problem",
    "RegistryError",
    "ScoringError",
    "SourceError",
    "SparkwingError",
    "StepFailed",
    "TrainingError",
    "WarehouseError",
    "WorkspaceBusy",
    "exit_code_for",
]
