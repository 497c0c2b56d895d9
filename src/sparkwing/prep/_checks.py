"""Quality checks: every check of a dataset in ONE aggregate query, then a gate.

Null semantics: ``in_range``, ``in_set`` and ``regex`` judge non-null values only (use
``not_null`` or ``max_null_share`` for nulls); NaN is out of any range.  ``regex`` must
match the whole value.  ``unique`` compares keys null-safely (two null keys are equal) and
reports ``duplicate_rows``: rows beyond the first of each key.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from sparkwing.config import CHECK_KINDS
from sparkwing.errors import CheckFailed, ConfigError
from sparkwing.prep._columns import count_where, is_numeric, is_string
from sparkwing.prep._context import col, resolve_name
from sparkwing.prep._kinds import implement

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame
    from pyspark.sql.types import DataType

    from sparkwing.config import Check

log = logging.getLogger("sparkwing.prep")


@dataclass
class CheckResult:
    """The outcome of one check: what was measured and whether it passed."""

    kind: str
    columns: list[str]
    severity: str
    passed: bool
    observed: dict[str, Any]
    message: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Plan:
    """The aggregate expressions of all checks, named ``a0, a1, ...``, and how to read them."""

    def __init__(self) -> None:
        from pyspark.sql import functions as F

        self.exprs: list[Column] = [F.count(F.lit(1)).alias("rows")]

    def add(self, expr: Column) -> str:
        alias = f"a{len(self.exprs)}"
        self.exprs.append(expr.alias(alias))
        return alias


Reader = Callable[[dict[str, Any]], tuple[bool, dict[str, Any], str]]


def _per_column(plan: _Plan, columns: dict[str, Column]) -> dict[str, str]:
    return {name: plan.add(expr) for name, expr in columns.items()}


def _counts(row: dict[str, Any], aliases: dict[str, str]) -> dict[str, int]:
    return {name: int(row[alias] or 0) for name, alias in aliases.items()}


def _bad_summary(counts: dict[str, int], what: str) -> str:
    return ", ".join(f"{n} {what} in {c}" for c, n in counts.items() if n)


def _not_null(plan: _Plan, names: list[str], _: Any, __: dict[str, DataType]) -> Reader:
    aliases = _per_column(plan, {c: count_where(col(c).isNull()) for c in names})

    def read(row: dict[str, Any]) -> tuple[bool, dict[str, Any], str]:
        nulls = _counts(row, aliases)
        observed = {"null_count": nulls, "rows": row["rows"]}
        return not any(nulls.values()), observed, _bad_summary(nulls, "null(s)")

    return read


def _unique(plan: _Plan, names: list[str], _: Any, __: dict[str, DataType]) -> Reader:
    from pyspark.sql import functions as F

    alias = plan.add(F.count_distinct(F.struct(*[col(c) for c in names])))

    def read(row: dict[str, Any]) -> tuple[bool, dict[str, Any], str]:
        distinct = int(row[alias] or 0)
        duplicates = row["rows"] - distinct
        observed = {"rows": row["rows"], "distinct_keys": distinct, "duplicate_rows": duplicates}
        return duplicates == 0, observed, f"{duplicates} duplicate row(s) by key" if duplicates else ""

    return read


def _in_range(plan: _Plan, names: list[str], params: dict[str, Any], types: dict[str, DataType]) -> Reader:
    from pyspark.sql import functions as F

    bounds = {n: getattr(b, "root", b) for n, b in params.items()}
    outside: dict[str, Column] = {}
    for name, (low, high) in bounds.items():
        c = col(name)
        cond = F.isnan(c) if types[name].typeName() in ("double", "float") else F.lit(False)
        cond = cond | (c < low) if low is not None else cond
        cond = cond | (c > high) if high is not None else cond
        outside[name] = count_where(c.isNotNull() & cond)
    aliases = _per_column(plan, outside)
    lows = _per_column(plan, {n: F.min(col(n)).cast("double") for n in names})
    highs = _per_column(plan, {n: F.max(col(n)).cast("double") for n in names})

    def read(row: dict[str, Any]) -> tuple[bool, dict[str, Any], str]:
        bad = _counts(row, aliases)
        observed = {
            "out_of_range": bad,
            "min": {n: row[a] for n, a in lows.items()},
            "max": {n: row[a] for n, a in highs.items()},
            "bounds": {n: list(b) for n, b in bounds.items()},
        }
        return not any(bad.values()), observed, _bad_summary(bad, "value(s) out of range")

    return read


def _set_literal(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _in_set(plan: _Plan, names: list[str], params: dict[str, Any], types: dict[str, DataType]) -> Reader:
    outside: dict[str, Column] = {}
    for name, values in params.items():
        c, dtype = col(name), types[name]
        if is_numeric(dtype) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            test = c.isin(values)
        else:  # compare as text so that "1" and 1, or "abc" in an int column, never pass silently
            test = c.cast("string").isin([_set_literal(v) for v in values])
        outside[name] = count_where(c.isNotNull() & ~test)
    aliases = _per_column(plan, outside)

    def read(row: dict[str, Any]) -> tuple[bool, dict[str, Any], str]:
        bad = _counts(row, aliases)
        return not any(bad.values()), {"not_in_set": bad}, _bad_summary(bad, "value(s) not in the set")

    return read


def _regex(plan: _Plan, names: list[str], params: dict[str, str], _: dict[str, DataType]) -> Reader:
    # Java regex; \A...\z anchors it to the whole value (a trailing newline does not slip through).
    mismatch = {
        n: count_where(col(n).isNotNull() & ~col(n).cast("string").rlike(f"\\A(?:{p})\\z"))
        for n, p in params.items()
    }
    aliases = _per_column(plan, mismatch)

    def read(row: dict[str, Any]) -> tuple[bool, dict[str, Any], str]:
        bad = _counts(row, aliases)
        return not any(bad.values()), {"not_matching": bad}, _bad_summary(bad, "value(s) not matching")

    return read


def _row_count(plan: _Plan, names: list[str], params: Any, _: dict[str, DataType]) -> Reader:
    def read(row: dict[str, Any]) -> tuple[bool, dict[str, Any], str]:
        rows = row["rows"]
        low = params.min if params.min is not None else 0
        high = params.max
        ok = rows >= low and (high is None or rows <= high)
        wanted = f"[{low}, {high if high is not None else 'inf'}]"
        return ok, {"rows": rows, "min": params.min, "max": params.max}, f"{rows} rows, expected {wanted}"

    return read


def _max_null_share(plan: _Plan, names: list[str], params: dict[str, float], _: Any) -> Reader:
    aliases = _per_column(plan, {c: count_where(col(c).isNull()) for c in names})

    def read(row: dict[str, Any]) -> tuple[bool, dict[str, Any], str]:
        nulls = _counts(row, aliases)
        rows = row["rows"]
        shares = {c: (n / rows if rows else 0.0) for c, n in nulls.items()}
        over = {c: s for c, s in shares.items() if s > params[c]}
        observed = {"null_share": shares, "null_count": nulls, "rows": rows, "max_share": dict(params)}
        text = ", ".join(f"{c} {s:.2%} null > {params[c]:.2%}" for c, s in over.items())
        return not over, observed, text

    return read


CHECKS: Mapping[str, Callable[..., Reader]] = implement(
    CHECK_KINDS, "check",
    not_null=_not_null, unique=_unique, in_range=_in_range, in_set=_in_set,
    regex=_regex, row_count=_row_count, max_null_share=_max_null_share,
)  # fmt: skip


def _check_columns(df: DataFrame, check: Check, where: str, case_sensitive: bool) -> tuple[list[str], Any]:
    """The check's columns in the DataFrame's spelling, and its parameters keyed by them."""
    params = check.params
    if check.kind == "row_count":
        return [], params
    given = list(params)
    names = [resolve_name(df, c, where, case_sensitive) for c in given]
    if isinstance(params, dict):
        params = {n: params[g] for n, g in zip(names, given, strict=True)}
    return names, params


def _validate(check: Check, names: list[str], params: Any, types: dict[str, DataType], where: str) -> None:
    def fail(msg: str, hint: str) -> ConfigError:
        return ConfigError(f"{where}: {msg}", hint=hint)

    if check.kind == "in_range":
        for n in names:
            if not is_numeric(types[n]):
                dtype = types[n].simpleString()
                raise fail(f"column {n!r} is {dtype}, in_range needs a number", "cast it first")
    if check.kind == "regex":
        for n, pattern in params.items():
            try:
                re.compile(pattern)
            except re.error as exc:
                raise fail(f"invalid regex for {n!r}: {exc}", "regex uses Java syntax, anchored") from None
            if not (is_string(types[n]) or is_numeric(types[n])):
                raise fail(f"column {n!r} is {types[n].simpleString()}, regex needs text", "cast it first")


def run_checks(df: DataFrame, checks: Sequence[Check]) -> list[CheckResult]:
    """Run all ``checks`` on ``df`` in one aggregate query; results in the checks' order.

    >>> results = run_checks(df, [Check.model_validate({"not_null": ["bad_loan"]})])
    """
    if not checks:
        return []
    case_sensitive = str(df.sparkSession.conf.get("spark.sql.caseSensitive", "false")).lower() == "true"
    types = {f.name: f.dataType for f in df.schema.fields}
    plan = _Plan()
    readers: list[tuple[Check, list[str], Reader]] = []
    for i, check in enumerate(checks):
        where = f"checks[{i}].{check.kind}"
        names, params = _check_columns(df, check, where, case_sensitive)
        _validate(check, names, params, types, where)
        readers.append((check, names, CHECKS[check.kind](plan, names, params, types)))
    row = df.agg(*plan.exprs).first()
    values = row.asDict() if row is not None else {}
    results = []
    for check, names, read in readers:
        passed, observed, detail = read(values)
        label = f"{check.kind}({', '.join(names)})" if names else check.kind
        message = f"{label}: passed" if passed else f"{label}: {detail}"
        results.append(CheckResult(check.kind, names, check.severity, passed, observed, message))
    return results


def gate(results: Sequence[CheckResult], *, dataset: str = "") -> None:
    """Raise CheckFailed if an ``error`` check failed; ``warn`` failures are only logged."""
    on = f" on {dataset}" if dataset else ""
    for r in results:
        if not r.passed and r.severity == "warn":
            log.warning("check warning%s: %s", on, r.message)
    failed = [r for r in results if not r.passed and r.severity == "error"]
    if failed:
        raise CheckFailed(
            f"{len(failed)} quality check(s) failed{on}: " + "; ".join(r.message for r in failed),
            results=failed,
            hint="fix the data or the steps, or set 'severity: warn' on the check",
        )
