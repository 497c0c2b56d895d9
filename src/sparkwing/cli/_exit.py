"""What an error becomes at the command line: an exit code, as documented in the README."""

from __future__ import annotations

from sparkwing.errors import (
    AuthError,
    CheckFailed,
    ConfigError,
    EngineError,
    InvalidName,
    MojoError,
    NoNewData,
    RegistryError,
    RunNotFound,
    RunStopped,
    ScoringError,
    SourceError,
    SparkwingError,
    StepFailed,
    TrainingError,
    WarehouseError,
    WorkspaceBusy,
)

#: 0 is success; 1 an unexpected (internal) error; 2 also covers usage mistakes (click's own).
#: An error class not listed takes the code of its nearest listed base class.
EXIT_CODES: dict[type[SparkwingError], int] = {
    SparkwingError: 1,
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
    RunNotFound: 13,
    RunStopped: 14,
    AuthError: 15,
    NoNewData: 16,
    InvalidName: 17,
}
INTERNAL_ERROR = 1
USAGE_ERROR = 2
INTERRUPTED = 130


def exit_code(error: BaseException) -> int:
    """The exit code of ``error``: that of the first class in its MRO that has one."""
    for cls in type(error).__mro__:
        code = EXIT_CODES.get(cls)  # type: ignore[call-overload]
        if code is not None:
            return code
    return INTERNAL_ERROR
