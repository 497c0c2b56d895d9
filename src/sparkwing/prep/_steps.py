"""``apply_steps``: run a dataset's declarative steps, in order, on a DataFrame.

Nothing here runs a Spark job except ``fill_missing`` (one aggregate for its statistics).
Figures such as cast failures or rows removed by a filter are *observed* while the first
action over the result runs; :func:`resolve_stats` copies them into ``StepStats.notes``.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sparkwing.config import STEP_KINDS
from sparkwing.errors import ConfigError, SparkwingError, StepFailed, describe, first_line
from sparkwing.prep import _columns, _features, _fill, _rows
from sparkwing.prep._context import Pending, StepContext, unknown_column
from sparkwing.prep._custom import run_python
from sparkwing.prep._kinds import implement

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from sparkwing.config import Step

StepFunction = Callable[["DataFrame", Any, StepContext], "DataFrame"]


STEPS: Mapping[str, StepFunction] = implement(
    STEP_KINDS, "step",
    select=_columns.select,
    drop=_columns.drop,
    rename=_columns.rename,
    cast=_columns.cast,
    trim=_columns.trim,
    lower=_columns.lower,
    upper=_columns.upper,
    fill_missing=_fill.fill_missing,
    filter=_rows.filter_rows,
    derive=_columns.derive,
    dedupe=_rows.dedupe,
    date_parts=_features.date_parts,
    bucketize=_features.bucketize,
    clip=_columns.clip,
    map_values=_columns.map_values,
    join=_rows.join,
    python=run_python,
)  # fmt: skip


# Observations waiting for an action, kept outside the StepStats so that ``vars(stats)``
# stays plain JSON-able data (index, kind, notes).
_PENDING: weakref.WeakKeyDictionary[StepStats, list[Pending]] = weakref.WeakKeyDictionary()


@dataclass(eq=False)
class StepStats:
    """What one step did: cheap figures only (no extra Spark job per step).

    ``notes`` examples: ``{"cast_failures": {"int_rate": 3}}``, ``{"rows_in": 10,
    "rows_out": 8, "rows_removed": 2}``, ``{"fill_values": {"emp_length": 5}}``.
    Observed figures appear after the first action over the result and
    :func:`resolve_stats`; until then their names are listed in ``pending``.
    """

    index: int
    kind: str
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def pending(self) -> list[str]:
        return [key for p in _PENDING.get(self, []) for key in p.keys]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"index": self.index, "kind": self.kind, "notes": dict(self.notes)}
        if self.pending:
            out["pending"] = self.pending
        return out


def resolve_stats(stats: Sequence[StepStats], *, timeout: float = 5.0) -> bool:
    """Copy observed figures into ``notes`` once an action has run over the steps' result.

    Call it after the checks or the write (the first action that reads all the data; a
    ``show()`` or ``limit`` first would report partial figures).  Waits at most ``timeout``
    seconds in all, as Spark reports the figures just after the action ends; returns True
    when nothing is left pending, False (after the timeout) if no action ran yet.
    """
    deadline = time.monotonic() + timeout
    for stat in stats:
        waiting = _PENDING.get(stat, [])
        for pending in list(waiting):
            jo = pending.observation._jo  # the JVM Observation; its future answers without blocking
            future = jo.future() if jo is not None else None
            while future is not None and not future.isCompleted() and time.monotonic() < deadline:
                time.sleep(0.01)
            if future is not None and future.isCompleted():
                pending.fill(pending.observation.get, stat.notes)
                waiting.remove(pending)
    return not any(s.pending for s in stats)


def _where(dataset: str, index: int, kind: str) -> str:
    return f"{dataset}.steps[{index}].{kind}" if dataset else f"steps[{index}].{kind}"


def _translate(exc: Exception, df: DataFrame, where: str) -> Exception:
    """Spark's analysis errors as one-line sparkwing errors naming the step."""
    from pyspark.errors import AnalysisException, ParseException

    if isinstance(exc, ParseException):
        msg = f"{where}: cannot parse the SQL expression: {first_line(exc)}"
        return ConfigError(msg, hint="check the expression's syntax")
    if isinstance(exc, AnalysisException):
        if (exc.getErrorClass() or "").startswith("UNRESOLVED_COLUMN"):
            name = (exc.getMessageParameters() or {}).get("objectName", "?").strip("`")
            return unknown_column(where, name, df.columns)
        first = first_line(exc)
        return StepFailed(f"{where}: {first}", step=where, hint="check the step's expressions and types")
    return exc


def apply_steps(
    df: DataFrame,
    steps: Sequence[Step],
    *,
    inputs: Mapping[str, DataFrame] = {},  # noqa: B006 - read only
    dataset: str = "",
) -> tuple[DataFrame, list[StepStats]]:
    """Apply ``steps`` in order; pure (no reading or writing) and lazy except fill_missing.

    >>> out, stats = apply_steps(df, [Step.model_validate({"cast": {"int_rate": "double"}})])

    ``inputs`` holds the other named DataFrames a ``join`` step may use.  A column a step
    names that does not exist is a ConfigError naming the step and the available columns.
    """
    from pyspark.errors import AnalysisException

    case_sensitive = str(df.sparkSession.conf.get("spark.sql.caseSensitive", "false")).lower() == "true"
    stats: list[StepStats] = []
    for index, step in enumerate(steps):
        where = _where(dataset, index, step.kind)
        function = STEPS.get(step.kind)
        if function is None:
            raise ConfigError(f"{where}: unknown step kind {step.kind!r}", hint=f"known: {', '.join(STEPS)}")
        ctx = StepContext(where=where, inputs=inputs, case_sensitive=case_sensitive)
        try:
            df_out = function(df, step.params, ctx)
        except AnalysisException as exc:
            raise _translate(exc, df, where) from exc
        except SparkwingError:
            raise
        except Exception as exc:  # noqa: BLE001 - e.g. a Spark failure in fill_missing's aggregate
            raise StepFailed(f"{where}: {describe(exc)}", step=where) from exc
        stat = StepStats(index, step.kind, ctx.notes)
        if ctx.pending:
            _PENDING[stat] = ctx.pending
        stats.append(stat)
        df = df_out
    return df, stats
