"""Scoring one request: records in, predictions and per-row warnings out."""

from __future__ import annotations

from typing import Any

import numpy as np

from sparkwing.serve._errors import ServeError
from sparkwing.serve._models import LoadedModel
from sparkwing.serve._schemas import PredictRequest

_KINDS = (("unknown level", "unknown_level"), ("not a number", "unparseable"), ("unsupported type", "wrong_type"))


def records_of(req: PredictRequest) -> list[dict[str, Any]]:
    if req.rows is not None:
        return req.rows
    cols = req.columns or []
    return [dict(zip(cols, row, strict=True)) for row in req.data or []]


def score(lm: LoadedModel, req: PredictRequest, *, alias: str | None, max_warnings: int) -> dict[str, Any]:
    """The response body of ``POST /v1/models/{name}:predict`` (see :class:`PredictResponse`)."""
    records = records_of(req)
    features = lm.model.info.feature_names
    feature_set = frozenset(features)
    seen: set[str] = set()
    missing: list[tuple[int, str]] = []
    for r, rec in enumerate(records):
        keys = rec.keys()
        seen.update(keys)
        if not feature_set <= keys:
            missing.extend((r, f) for f in features if f not in rec)
    if missing and req.strict:
        names = sorted({f for _, f in missing})
        raise ServeError(422, "missing_feature", f"rows lack features: {', '.join(names[:20])}",
                         hint="send every feature, or drop strict to score missing ones as NA",
                         details={"missing": names, "rows": sorted({r for r, _ in missing})[:100]})
    warnings: list[dict[str, Any]] = [
        {"row": r, "column": f, "kind": "missing_feature", "message": "feature not given; scored as NA"}
        for r, f in missing[:max_warnings]
    ]
    total = len(missing)
    if records:
        enc = lm.model.encode(records)
        raw = lm.model.score_rows(enc.values)
        predictions = _predictions(lm, raw)
        total += len(enc.warnings)
        for w in enc.warnings[: max(0, max_warnings - len(warnings))]:
            kind = next((k for prefix, k in _KINDS if w.message.startswith(prefix)), "unparseable")
            warnings.append({"row": w.row, "column": w.column, "kind": kind, "message": w.message})
    else:
        predictions = []
    warnings.sort(key=lambda w: w["row"])
    return {
        "model": lm.name,
        "version": lm.version,
        "alias": alias,
        "predictions": predictions,
        "warnings": warnings,
        "warnings_total": total,
        "unknown_columns": sorted(seen - feature_set),
        "missing_features": sorted({f for _, f in missing}),
    }


def _predictions(lm: LoadedModel, raw: np.ndarray) -> list[dict[str, Any]]:
    info = lm.model.info
    names = list(info.output_names)
    block = raw[:, : len(names)]
    values = block.astype(object)
    values[~np.isfinite(block)] = None  # JSON has no NaN/Infinity
    if info.classes is not None:
        labels = np.array(info.classes, dtype=object)
        idx = block[:, 0]
        ok = np.isfinite(idx)
        values[ok, 0] = labels[idx[ok].astype(np.int64)]
    return [dict(zip(names, row)) for row in values.tolist()]


def example_row(lm: LoadedModel) -> dict[str, Any]:
    """A plausible row for the OpenAPI example: the first level or 0 for every feature."""
    return {f.name: (f.domain[0] if f.domain else 0.0) for f in lm.model.info.features}
