"""What a step implementation receives besides its parameters: names, notes, lazy figures.

Column names are checked here, before Spark analyses anything, so that a typo reads
``steps[2].cast: unknown column 'int_rat'; available: loan_amnt, int_rate, ...`` instead of
a Spark stack trace.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sparkwing.errors import ConfigError

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, Observation


def quote(name: str) -> str:
    """A column name as a SQL identifier, safe for dots, spaces and backticks."""
    return "`" + name.replace("`", "``") + "`"


def col(name: str) -> Column:
    from pyspark.sql import functions as F

    return F.col(quote(name))


def unknown_column(where: str, name: str, available: Iterable[str], what: str = "column") -> ConfigError:
    names = ", ".join(available) or "(none)"
    message = f"{where}: unknown {what} {name!r}; available: {names}"
    hint = "check the spelling; an earlier step may have renamed or dropped it"
    if what == "input":
        hint = "join with a source or dataset the pipeline defines (its name under 'with')"
    return ConfigError(message, hint=hint)


def resolve_name(df: DataFrame, name: str, where: str, case_sensitive: bool = False) -> str:
    """The DataFrame's own spelling of ``name``, following spark.sql.caseSensitive."""
    columns = df.columns
    if name in columns:
        return name
    if not case_sensitive:
        folded = [c for c in columns if c.lower() == name.lower()]
        if len(folded) == 1:
            return folded[0]
    raise unknown_column(where, name, columns)


@dataclass
class Pending:
    """Figures observed lazily: an Observation filled by the first action on the result."""

    observation: Observation
    fill: Callable[[dict[str, Any], dict[str, Any]], None]  # (metrics, notes) -> None
    keys: list[str]  # the notes this observation will fill


@dataclass
class StepContext:
    """Everything a step needs besides its DataFrame and parameters."""

    where: str  # e.g. "loans_clean.steps[2].cast", used in every message
    inputs: Mapping[str, DataFrame]
    case_sensitive: bool = False
    notes: dict[str, Any] = field(default_factory=dict)
    pending: list[Pending] = field(default_factory=list)

    def name(self, df: DataFrame, column: str) -> str:
        return resolve_name(df, column, self.where, self.case_sensitive)

    def names(self, df: DataFrame, columns: Iterable[str]) -> list[str]:
        return [self.name(df, c) for c in columns]

    def observe(
        self,
        df: DataFrame,
        metrics: Mapping[str, Column],
        fill: Callable[[dict[str, Any], dict[str, Any]], None],
        keys: list[str],
    ) -> DataFrame:
        """Attach cheap aggregate ``metrics`` to ``df``; no Spark job runs now.

        The figures arrive with the first action that runs over the result (the checks'
        aggregate or the write); :func:`resolve_stats` copies them into the notes.
        """
        from pyspark.sql import Observation

        obs = Observation()
        named = [m.alias(k) for k, m in metrics.items()]
        out = df.observe(obs, *named)
        self.pending.append(Pending(obs, fill, keys))
        return out
