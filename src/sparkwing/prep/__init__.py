"""Declarative cleaning and feature steps on Spark DataFrames, and quality checks.

>>> df, stats = apply_steps(raw, spec.datasets["loans_clean"].steps, dataset="loans_clean")
>>> gate(run_checks(df, spec.datasets["loans_clean"].checks), dataset="loans_clean")
>>> resolve_stats(stats)  # observed figures (cast failures, rows removed) after the action
"""

from sparkwing.prep._checks import CheckResult, gate, run_checks
from sparkwing.prep._steps import StepStats, apply_steps, resolve_stats

__all__ = ["CheckResult", "StepStats", "apply_steps", "gate", "resolve_stats", "run_checks"]
