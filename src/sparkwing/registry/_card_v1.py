"""Card version 1 → 2: the unversioned dict that sparkwing wrote before the card was typed.

Version 1 kept everything at the top level: holdout ``metrics`` mixed with the confusion matrix
and the row count, the software versions both flat (``h2o_version``) and nested (``versions``),
lineage as ``run_id``/``pipeline``/``spec_hash``/``training_data``, GLRM's ``k`` and
``output_columns``, and ``pojo_reason`` next to ``pojo``.  Keys with no place in version 2 go to
``extra``, so an upgrade never drops what a card said.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

KNOWN = (
    "name", "version", "created", "task", "target", "algorithm", "model_id", "classes", "threshold",
    "features", "leaderboard", "variable_importance", "params", "warnings", "artifacts",
)  # fmt: skip
VERSION_KEYS = {
    "sparkwing_version": "sparkwing", "h2o_version": "h2o",
    "sparkling_water_version": "sparkling_water", "spark_version": "spark",
}  # fmt: skip


def upgrade_v1(old: Mapping[str, Any]) -> dict[str, Any]:
    """The version-2 form of a version-1 card (a plain dict, validated by the caller)."""
    rest = dict(old)
    rest.pop("card_version", None)
    card: dict[str, Any] = {k: rest.pop(k) for k in KNOWN if k in rest}
    card["card_version"] = 2

    metrics = rest.pop("metrics", None) or {}
    rows = dict(rest.pop("rows", None) or {})
    if isinstance(metrics.get("rows"), int):
        rows.setdefault("holdout", metrics["rows"])
    card["metrics"] = {
        "holdout": {k: float(v) for k, v in metrics.items() if _is_number(v) and k != "rows"},
        "confusion_matrix": metrics.get("confusion_matrix"),
    }
    card["rows"] = rows

    nested = rest.pop("versions", None) or {}
    versions = {new: rest.pop(old_key, nested.get(old_key)) for old_key, new in VERSION_KEYS.items()}
    versions["sparkwing"] = versions["sparkwing"] or "unknown"
    card["versions"] = versions

    data = rest.pop("training_data", None) or {}
    card["lineage"] = {
        "run_id": rest.pop("run_id", None),
        "pipeline": rest.pop("pipeline", None),
        "spec_hash": rest.pop("spec_hash", None),
        "sources": data.get("sources") or [],
        "tables": data.get("tables") or [],
    }

    if card.get("task") == "glrm" or "output_columns" in rest:
        card["glrm"] = {"k": rest.pop("k", None), "output_columns": rest.pop("output_columns", [])}

    reason = rest.pop("pojo_reason", None)
    card["pojo"] = rest.pop("pojo", None) or {"available": False, "reason": reason}
    card["extra"] = rest
    return card


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)
