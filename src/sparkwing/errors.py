"""The sparkwing exception tree.

Every error a user can see is one of these, with a one-line message and a hint::

    SparkwingError
    ├── ConfigError        spec or settings invalid (carries the YAML locations)
    │   └── InvalidName    a pipeline/model/table/run/... name that could not be a path segment
    ├── SourceError        input missing, unreadable or over its quarantine limit
    ├── CheckFailed        a quality gate with severity ``error`` failed
    ├── StepFailed         a pipeline step raised (keeps the user's traceback)
    ├── WorkspaceBusy      another run holds the pipeline lock
    ├── RunStopped         asked to stop (SIGTERM) between two steps; the run is resumable
    ├── RunNotFound        no run (or no single run) has the id asked for
    ├── WarehouseError     publishing, listing or rolling back a table failed
    ├── TrainingError      H2O training could not run or produced nothing usable
    ├── RegistryError      model version / alias missing, immutable, or checksum mismatch
    ├── MojoError          a MOJO file is bad or uses something unsupported
    ├── ScoringError       batch or online scoring failed (e.g. a missing feature)
    ├── EngineError        Java / Spark / H2O could not start
    └── AuthError          sign-in refused (401), a role missing (403), the directory unreachable (503)

``transient`` marks errors that a scheduler may retry: each raise site says so when it knows
(a lost executor, an H2O cloud that lost a node, S3 throttling, a start-up timeout, a busy
workspace); everything else is terminal (an invalid spec, a failed check, a missing install,
bad data over the quarantine limit).  :func:`is_transient` decides for any exception, a
foreign one by its text (:func:`looks_transient`).  ``in_spec`` marks errors whose fix is a
change to the spec (every ``ConfigError``; a model's ``target`` that is not a column): resuming
a run cannot help there, since a resume refuses a changed spec.  The edges own what an error becomes:
the CLI maps each class to an exit code (``sparkwing.cli.EXIT_CODES``), the REST service
to an HTTP status (``sparkwing.serve``), both by class hierarchy.

Foreign exceptions (Spark, Py4J, H2O, the OS) are turned into one-line messages by
:func:`first_line`, :func:`java_cause` and :func:`describe`; they never raise, and this
module stays free of pyspark/py4j (a Py4J error is recognised by its ``java_exception``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any


class SparkwingError(Exception):
    """Base of every sparkwing error: a one-line ``message`` and an optional ``hint``."""

    code = "sparkwing_error"
    transient = False  # the class default; a raise site may say otherwise
    in_spec = False

    def __init__(self, message: str, *, hint: str | None = None, in_spec: bool | None = None,
                 transient: bool | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        if in_spec is not None:
            self.in_spec = in_spec
        if transient is not None:
            self.transient = transient

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
    in_spec = True

    def __init__(
        self, message: str, *, problems: Sequence[Problem] = (), hint: str | None = None
    ) -> None:
        super().__init__(message, hint=hint, transient=False)  # a spec never heals by itself
        self.problems = list(problems)

    def __str__(self) -> str:
        if not self.problems:
            return self.message
        return self.message + "\n" + "\n".join(f"  {p}" for p in self.problems)


class InvalidName(ConfigError):
    """A name (pipeline, model, alias, table, version, run id, key) breaks the name rules.

    Raised by :func:`sparkwing.config.check_name` wherever a name comes in: the spec, the CLI,
    the REST and UI path parameters, the workspace layout.  ``kind`` says which sort of name.
    """

    code = "invalid_name"

    def __init__(self, message: str, *, kind: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.kind = kind


class SourceError(SparkwingError):
    """An input is missing, unreadable, or quarantined more rows than allowed."""

    code = "source_error"

    def __init__(self, message: str, *, source: str | None = None, hint: str | None = None,
                 transient: bool | None = None):
        super().__init__(message, hint=hint, transient=transient)
        self.source = source


class NoNewData(SparkwingError):
    """An incremental source has no file that an earlier successful run did not consume.

    Not a failure: the source and the steps that need it are skipped and the run succeeds.
    """

    code = "no_new_data"

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
        self, message: str, *, step: str, user_traceback: str | None = None, hint: str | None = None,
        transient: bool | None = None,
    ) -> None:
        super().__init__(message, hint=hint, transient=transient)
        self.step = step
        self.user_traceback = user_traceback


class WorkspaceBusy(SparkwingError):
    """Another run of the same pipeline holds the lock."""

    code = "workspace_busy"
    transient = True

    def __init__(self, message: str, *, run_id: str | None = None, hint: str | None = None):
        super().__init__(message, hint=hint)
        self.run_id = run_id


class RunStopped(SparkwingError):
    """The run was asked to stop (e.g. the scheduler got SIGTERM); it stopped between two steps."""

    code = "run_stopped"

    def __init__(self, message: str, *, run_id: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.run_id = run_id


class RunNotFound(SparkwingError):
    """No run has the id asked for (``sparkwing runs show``, ``--resume``), or a prefix is ambiguous."""

    code = "run_not_found"

    def __init__(self, message: str, *, run_id: str, hint: str | None = None) -> None:
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
    """Java / Spark / H2O could not start or broke; terminal unless the raise site says transient."""

    code = "engine_error"


class AuthError(SparkwingError):
    """Who is asking could not be established or may not do this; ``status`` is the HTTP answer.

    401: no, malformed or wrong credentials; 403: signed in, but no role that allows it;
    429: too many failed sign-ins from one address; 503: the identity provider (LDAP, KDC) could
    not be asked (429 and 503 are transient).  ``challenges`` are
    the ``WWW-Authenticate`` values a 401 offers (``Bearer``, ``Basic realm=...``, ``Negotiate``).
    """

    code = "unauthorized"

    def __init__(self, message: str, *, status: int = 401, hint: str | None = None,
                 challenges: Sequence[str] = ()) -> None:
        super().__init__(message, hint=hint, transient=status in (429, 503))
        self.status = status
        codes = {401: "unauthorized", 403: "forbidden", 429: "rate_limited"}
        self.code = codes.get(status, "auth_unavailable")
        self.challenges = list(challenges)


# --- one-line messages from foreign exceptions ------------------------------------------------

_LIMIT = 300
# A Java exception line: "java.time.DateTimeException: Invalid date 'MONTH 13'", optionally
# after "Caused by: " or Py4J's ": " prefix.  Only class names ending like a throwable count,
# so a dotted word at the start of an ordinary message is not mistaken for one.
_JAVA_LINE = re.compile(
    r"^\s*(?:Caused by:\s*|:\s*)?"
    r"((?:[a-z_$][\w$]*\.)+[A-Z][\w$]*(?:Exception|Error|Throwable|Failure))\b(?::\s?(.*))?$"
)
# Lines that say where, not what: Py4J's call line, JVM stack frames, section titles.
_NOISE = ("An error occurred while calling", "JVM stacktrace:", "Driver stacktrace:")
_JVM_FRAME = re.compile(r"^(?:at [\w$.<>/-]+\(.*\)|\.\.\. \d+ more)$")


def _text(exc: BaseException) -> str:
    try:  # a Py4J error's str() asks the JVM, which may be gone
        return str(exc)
    except Exception:  # noqa: BLE001 - the message is best effort, the error is the point
        return ""


def _clip(line: str, limit: int) -> str:
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _meaningful_line(text: str) -> str | None:
    in_traceback = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("Traceback (most recent call last)"):
            in_traceback = True  # frames are indented; the exception line is not
            continue
        if in_traceback and raw[:1].isspace():
            continue
        in_traceback = False
        line = line[1:].strip() if line.startswith(":") else line  # Py4J's ": java.x.Y..."
        if line and not line.startswith(_NOISE) and not _JVM_FRAME.match(line):
            return line
    return None


def first_line(exc: BaseException, *, limit: int = _LIMIT) -> str:
    """The first line of ``exc``'s message that says what went wrong, at most ``limit`` chars.

    Skips blank lines, Python ``Traceback`` frames, JVM ``at ...`` frames and Py4J's
    ``An error occurred while calling o519.collectToPython`` line; an empty message gives
    the class name.  Never raises::

        first_line(ValueError(""))             # 'ValueError'
        first_line(ValueError("bad\\nmore"))    # 'bad'
    """
    line = _meaningful_line(_text(exc))
    return _clip(line, limit) if line else type(exc).__name__


def _python_chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    node: BaseException | None = exc
    while node is not None and id(node) not in seen:
        seen.add(id(node))
        yield node
        node = node.__cause__ or (None if node.__suppress_context__ else node.__context__)


def _java_root(jexc: Any, limit: int) -> str | None:
    """Class and first message line of the innermost cause of a Py4J ``JavaObject`` throwable."""
    try:
        for _ in range(50):  # cause chains are short; a cycle must not hang the error path
            cause = jexc.getCause()
            if cause is None or cause.equals(jexc):
                break
            jexc = cause
        name = str(jexc.getClass().getName())
        message = jexc.getMessage()
    except Exception:  # noqa: BLE001 - the JVM may be gone: fall back to the text form
        return None
    line = _meaningful_line(str(message)) if message is not None else None
    return _clip(f"{name}: {line}" if line else name, limit)


def _java_in_text(text: str, limit: int) -> str | None:
    """The last Java exception line of a stack-trace text (the innermost ``Caused by:``)."""
    found: str | None = None
    for raw in text.splitlines():
        m = _JAVA_LINE.match(raw)
        if m:
            found = f"{m.group(1)}: {m.group(2).strip()}" if (m.group(2) or "").strip() else m.group(1)
    return _clip(found, limit) if found else None


def _find_java_cause(exc: BaseException, limit: int) -> str | None:
    for node in _python_chain(exc):
        # Py4JJavaError keeps the throwable as ``java_exception``; pyspark's converted
        # errors (AnalysisException, DateTimeException, ...) as ``_origin``.
        jexc = getattr(node, "java_exception", None) or getattr(node, "_origin", None)
        if jexc is not None and hasattr(jexc, "getCause"):
            found = _java_root(jexc, limit)
            if found:
                return found
        found = _java_in_text(_text(node), limit)
        if found:
            return found
    return None


def java_cause(exc: BaseException, *, limit: int = _LIMIT) -> str:
    """For a Spark/Py4J error, the Java exception's own class and first message line.

    Walks the cause chain (Python ``__cause__``, then the Java ``getCause()``) to the
    innermost Java exception, e.g. ``java.time.DateTimeException: Invalid date 'MONTH 13'``
    rather than ``An error occurred while calling o519.collectToPython``.  Without a Java
    exception anywhere in the chain, :func:`first_line`.  Never raises.
    """
    return _find_java_cause(exc, limit) or first_line(exc, limit=limit)


def describe(exc: BaseException, *, limit: int = _LIMIT) -> str:
    """One line naming what failed: the Java cause of a Spark error, else ``Type: first line``."""
    found = _find_java_cause(exc, limit)
    if found:
        return found
    name = type(exc).__name__
    line = first_line(exc, limit=limit)
    return name if line == name else f"{name}: {line}"


# --- transient or terminal ---------------------------------------------------------------------

# Words of foreign errors that pass with time: lost executors and nodes, throttling, time-outs.
_TRANSIENT_TEXT = re.compile(
    r"ExecutorLostFailure|Lost executor|executor lost|FetchFailed|lost a node|"
    r"SlowDown|Throttl|TooManyRequests|RequestLimitExceeded|ServiceUnavailable|"
    r"Please reduce your request rate|\b503\b|"
    r"TimeoutException|timed out|Read timeout|Connect timeout|Connection reset|"
    r"EndpointConnectionError|Could not connect to the endpoint",
    re.IGNORECASE,
)
_AWS_TRANSIENT_CODES = frozenset({
    "SlowDown", "Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException",
    "ServiceUnavailable", "InternalError", "RequestTimeout", "RequestTimeTooSkewed", "503", "500",
})


def looks_transient(exc: BaseException) -> bool:
    """Whether a foreign error (Spark, Py4J, boto, the OS) reads like one that passes with time.

    An AWS error counts by its error code (``SlowDown``, ``Throttling``, ...); any other by
    the text of its cause chain::

        looks_transient(RuntimeError("ExecutorLostFailure (executor 2 exited)"))  # True
        looks_transient(ValueError("column x not found"))                         # False
    """
    for node in _python_chain(exc):
        response = getattr(node, "response", None)
        if isinstance(response, dict):
            code = str(response.get("Error", {}).get("Code", ""))
            if code in _AWS_TRANSIENT_CODES:
                return True
        if isinstance(node, TimeoutError | ConnectionResetError):
            return True
        if _TRANSIENT_TEXT.search(_text(node)[:20_000]) or _TRANSIENT_TEXT.search(describe(node)):
            return True
    return False


def is_transient(exc: BaseException) -> bool:
    """Whether retrying may help: a sparkwing error's own mark, else :func:`looks_transient`."""
    if isinstance(exc, SparkwingError):
        return bool(exc.transient)
    if isinstance(exc, KeyboardInterrupt | SystemExit | MemoryError):
        return False
    return looks_transient(exc)


__all__ = [
    "AuthError",
    "CheckFailed",
    "NoNewData",
    "ConfigError",
    "EngineError",
    "InvalidName",
    "MojoError",
    "Problem",
    "RegistryError",
    "RunNotFound",
    "RunStopped",
    "ScoringError",
    "SourceError",
    "SparkwingError",
    "StepFailed",
    "TrainingError",
    "WarehouseError",
    "WorkspaceBusy",
    "describe",
    "first_line",
    "is_transient",
    "java_cause",
    "looks_transient",
]
