"""Scoring one request: the JSON body in, predictions and per-row warnings out.

The body is parsed with orjson (or :func:`json.loads`) and checked here rather than by pydantic: for a
10,000-row request that is several times faster, and the checks are few (the pydantic model
in ``_schemas`` still documents the body in the OpenAPI).
"""

from __future__ import annotations

import heapq
import json
import math
from collections.abc import Callable, Set
from dataclasses import dataclass
from itertools import repeat
from typing import Any

import numpy as np

from sparkwing.mojo import RowWarning, class_column
from sparkwing.monitor import ProfileCounts, count_columns, domains_of
from sparkwing.serve._encode import SMALL, complete_columns, encode_columns, encode_complete, encode_records
from sparkwing.serve._errors import ServeError
from sparkwing.serve._models import LoadedModel

try:  # orjson parses and writes JSON several times faster; the standard library is the fallback
    import orjson

    _loads: Callable[[bytes], Any] = orjson.loads
    dumps: Callable[[Any], bytes] = orjson.dumps
except ImportError:  # pragma: no cover - orjson is a dependency, but keep working without it
    _loads = json.loads

    def dumps(obj: Any) -> bytes:
        return json.dumps(obj, separators=(",", ":")).encode()


_KINDS = (
    ("unknown level", "unknown_level"),
    ("not a number", "unparseable"),
    ("unsupported type", "wrong_type"),
)
_KEYS = frozenset({"rows", "columns", "data", "strict"})


@dataclass
class PredictInput:
    """A checked body: ``rows`` (objects) or ``columns`` + ``data`` (arrays)."""

    rows: list[dict[str, Any]] | None = None
    columns: list[str] | None = None
    data: list[list[Any]] | None = None
    strict: bool = False

    @property
    def count(self) -> int:
        return len(self.rows) if self.rows is not None else len(self.data or [])


def _invalid(where: str, message: str) -> ServeError:
    return ServeError(
        422,
        "invalid_request",
        f"{where}: {message}",
        details=[{"loc": ["body", *where.split(".")[1:]], "msg": message}],
    )


def parse_body(raw: bytes) -> PredictInput:
    """Check the shape of a predict body; a 400/422 :class:`ServeError` says what is wrong."""
    try:
        body = _loads(raw)
    except (ValueError, RecursionError):
        try:  # what orjson refuses but JSON-ish clients send: NaN, Infinity, 1e400
            body = json.loads(raw)
        except (ValueError, RecursionError):
            raise ServeError(400, "invalid_json", "the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise _invalid("body", "must be a JSON object with `rows`, or `columns` and `data`")
    unknown = sorted(set(body) - _KEYS)
    if unknown:
        raise _invalid(f"body.{unknown[0]}", "unknown field (expected rows, columns, data, strict)")
    strict = body.get("strict", False)
    if not isinstance(strict, bool):
        raise _invalid("body.strict", "must be true or false")
    rows, columns, data = body.get("rows"), body.get("columns"), body.get("data")
    if rows is not None:
        if columns is not None or data is not None:
            raise _invalid("body", "give either `rows`, or `columns` and `data`")
        if not isinstance(rows, list):
            raise _invalid("body.rows", "must be an array of objects")
        for i, row in enumerate(rows):
            if not isinstance(row, dict):
                raise _invalid(f"body.rows.{i}", "must be an object of feature -> value")
        return PredictInput(rows=rows, strict=strict)
    if columns is None or data is None:
        raise _invalid("body", "give either `rows`, or `columns` and `data`")
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
        raise _invalid("body.columns", "must be an array of strings")
    if len(set(columns)) != len(columns):
        raise _invalid("body.columns", "has a name more than once")
    if not isinstance(data, list):
        raise _invalid("body.data", "must be an array of arrays")
    width = len(columns)
    for i, row in enumerate(data):
        if not isinstance(row, list) or len(row) != width:
            raise _invalid(f"body.data.{i}", f"must be an array of {width} values (one per column)")
    return PredictInput(columns=columns, data=data, strict=strict)


@dataclass(frozen=True)
class ResponseLimits:
    """What one predict request may ask for and how much its answer lists."""

    max_rows: int = 10_000
    max_warnings: int = 1000
    max_listed: int = 100


def predict_bytes(lm: LoadedModel, raw: bytes, *, strict: bool, alias: str | None,
                  limits: ResponseLimits) -> tuple[bytes, int, list[str], ProfileCounts | None]:
    """Parse, check and score one body; returns the JSON answer, its row count, warning kinds and
    the rows bucketed as the model's training profile (for the drift window; None without one)."""
    body = parse_body(raw)
    n = body.count
    if n > limits.max_rows:
        raise ServeError(413, "too_many_rows", f"{n:,} rows is over the limit of {limits.max_rows:,}",
                         hint="split the request")
    body.strict = body.strict or strict
    try:
        counted: list[ProfileCounts] = []
        result = score(lm, body, alias=alias, max_warnings=limits.max_warnings, max_listed=limits.max_listed,
                       counted=counted)
        out = dumps(result)
    except MemoryError:
        raise ServeError(503, "insufficient_memory", f"not enough memory to score {n:,} rows with this model",
                         hint="send fewer rows per request", headers={"Retry-After": "1"}) from None
    return out, n, [w["kind"] for w in result["warnings"]], (counted[0] if counted else None)


#: a 1-row request takes :func:`_score_one_row` (tests turn it off to compare it with the
#: general path)
ONE_ROW = True


def score(lm: LoadedModel, inp: PredictInput, *, alias: str | None, max_warnings: int,
          max_listed: int = 100, counted: list[ProfileCounts] | None = None) -> dict[str, Any]:
    """The response body of ``POST /v1/models/{name}:predict`` (see ``PredictResponse``); with
    ``counted``, the rows' drift counts are appended to it."""
    if ONE_ROW and inp.rows is not None and len(inp.rows) == 1:
        one = _score_one_row(lm, inp.rows[0], inp.strict, alias, max_warnings, max_listed, counted)
        if one is not None:
            return one
    features = lm.model.info.feature_names
    feature_set = frozenset(features)
    n = inp.count
    missing_rows: list[tuple[int, str]] = []  # (row, feature), in row order
    encoded: tuple[np.ndarray, list[RowWarning]] | None = None
    if inp.rows is not None:
        seen: set[str] = set()
        # A few rows without a drift profile are encoded straight from the objects.
        direct = n <= SMALL and lm.card.profile is None
        profiled = lm.card.profile is not None
        fast = None if direct else encode_complete(lm.model, inp.rows, keep_columns=profiled)
        complete = None if direct or fast is not None else complete_columns(inp.rows, features)
        if fast is not None:  # every row has exactly the features: the usual batch, encoded
            values, row_warnings, kept = fast
            encoded, columns, seen = (values, row_warnings), kept or {}, set(features)
        elif complete is not None:  # the same, with values encode_complete leaves to the columns
            columns, seen = complete, set(features)
        else:
            for r, rec in enumerate(inp.rows):
                keys = rec.keys()
                seen.update(keys)
                if not feature_set <= keys:
                    missing_rows.extend((r, f) for f in features if f not in rec)
            columns = {} if direct else {f: [rec.get(f) for rec in inp.rows] for f in features}
        missing_total = len(missing_rows)
        missing_names = sorted({f for _, f in missing_rows})
    else:
        direct = False
        given = inp.columns or []
        seen = set(given)
        at = {c: i for i, c in enumerate(given)}
        data = inp.data or []
        columns = {f: [row[at[f]] for row in data] for f in features if f in at}
        missing_names = sorted(feature_set - seen) if n else []
        missing_total = n * len(missing_names)
        absent = [f for f in features if f not in at]
        limit = max_warnings // max(1, len(absent)) + 1
        missing_rows = [(r, f) for r in range(min(n, limit)) for f in absent]
    if missing_names and inp.strict:
        raise _missing_error(missing_names, sorted({r for r, _ in missing_rows})[:100], max_listed)
    warnings: list[dict[str, Any]] = [
        {"row": r, "column": f, "kind": "missing_feature", "message": "feature not given; scored as NA"}
        for r, f in missing_rows[:max_warnings]
    ]
    total = missing_total
    predictions: list[dict[str, Any]] = []
    if n:
        if encoded is not None:
            values, row_warnings = encoded
        elif direct:
            values, row_warnings = encode_records(lm.model, inp.rows or [])
        else:
            values, row_warnings = encode_columns(lm.model, n, columns)
        predictions = _predictions(lm, lm.model.score_rows(values))
        if counted is not None and lm.card.profile is not None:
            counted.append(_drift_counts(lm, columns, n, predictions))
        total += len(row_warnings)
        warnings.extend(_warning(w, w.row) for w in row_warnings[: max(0, max_warnings - len(warnings))])
        warnings.sort(key=lambda w: w["row"])
    unknown = seen - feature_set  # can be every key of every row: list only the first names
    return _answer(lm, alias, predictions, warnings, total, unknown, missing_names, max_listed)


def _score_one_row(lm: LoadedModel, rec: dict[str, Any], strict: bool, alias: str | None, max_warnings: int,
                   max_listed: int, counted: list[ProfileCounts] | None) -> dict[str, Any] | None:
    """:func:`score` of one row (the online request) with the model's one-row path and no
    intermediate arrays; ``None`` for the rare row it leaves to the general path."""
    model = lm.model
    features = model.info.feature_names
    missing: list[str] = [] if frozenset(features) <= rec.keys() else [f for f in features if f not in rec]
    missing_names = sorted(missing)
    if missing and strict:
        raise _missing_error(missing_names, [0], max_listed)
    row_warnings: list[RowWarning] = []
    try:
        raw = model.score_record(rec, row_warnings)
    except OverflowError:  # an integer beyond double range: the general path makes it infinite
        return None
    warnings: list[dict[str, Any]] = [
        {"row": 0, "column": f, "kind": "missing_feature", "message": "feature not given; scored as NA"}
        for f in missing[:max_warnings]
    ]
    if row_warnings:
        if len(row_warnings) > 1:  # the general path meets them in feature order
            order = {f: j for j, f in enumerate(features)}
            row_warnings.sort(key=lambda w: order[w.column])
        warnings.extend(_warning(w, 0) for w in row_warnings[: max(0, max_warnings - len(warnings))])
    predictions = [_prediction(lm, list(model.info.output_names), raw)]
    if counted is not None and lm.card.profile is not None:
        counted.append(_drift_counts(lm, {f: [rec.get(f)] for f in features}, 1, predictions))
    unknown = rec.keys() - frozenset(features)
    return _answer(lm, alias, predictions, warnings, len(missing) + len(row_warnings), unknown, missing_names,
                   max_listed)


def _warning(w: RowWarning, row: int) -> dict[str, Any]:
    kind = next((k for prefix, k in _KINDS if w.message.startswith(prefix)), "unparseable")
    return {"row": row, "column": w.column, "kind": kind, "message": w.message}


def _missing_error(missing_names: list[str], rows: list[int], max_listed: int) -> ServeError:
    return ServeError(422, "missing_feature", f"rows lack features: {', '.join(missing_names[:20])}",
                      hint="send every feature, or drop strict to score missing ones as NA",
                      details={"missing": missing_names[:max_listed], "missing_total": len(missing_names),
                               "rows": rows})


def _answer(lm: LoadedModel, alias: str | None, predictions: list[dict[str, Any]],
            warnings: list[dict[str, Any]], total: int, unknown: Set[str], missing_names: list[str],
            max_listed: int) -> dict[str, Any]:
    """The answer of :func:`score` (one key order for every path: the bytes are compared)."""
    return {
        "model": lm.name,
        "version": lm.version,
        "alias": alias,
        "predictions": predictions,
        "warnings": warnings,
        "warnings_total": total,
        "unknown_columns": heapq.nsmallest(max_listed, unknown) if unknown else [],
        "unknown_columns_total": len(unknown),
        "missing_features": missing_names[:max_listed],
        "missing_features_total": len(missing_names),
    }


def _drift_counts(lm: LoadedModel, columns: dict[str, list[Any]], n: int,
                  predictions: list[dict[str, Any]]) -> ProfileCounts:
    """The request's rows in the profile's buckets: features as sent, p1 (binary) or the prediction."""
    card = lm.card
    assert card.profile is not None
    binary = card.task == "binary" and card.classes and len(card.classes) == 2
    key = class_column(str(card.classes[1])) if binary and card.classes else "predict"
    return count_columns(card.profile, columns, n, predictions=[p.get(key) for p in predictions],
                         domains=domains_of(card.features))


def _predictions(lm: LoadedModel, raw: np.ndarray) -> list[dict[str, Any]]:
    info = lm.model.info
    names = list(info.output_names)
    if len(raw) <= SMALL:  # a few rows: plain floats beat the object-array round trip
        return [_prediction(lm, names, row) for row in raw.tolist()]
    block = raw[:, : len(names)]
    finite = np.isfinite(block)
    cols: list[list[Any]] = []
    for j in range(len(names)):
        col, ok = block[:, j], finite[:, j]
        every = bool(ok.all())
        if j == 0 and info.classes is not None:
            labels = np.array(info.classes, dtype=object)
            values = labels[np.clip(np.where(ok, col, 0).astype(np.int64), 0, len(labels) - 1)]
        elif every:
            cols.append(col.tolist())
            continue
        else:
            values = col.astype(object)
        if not every:
            values[~ok] = None  # JSON has no NaN/Infinity
        cols.append(values.tolist())
    # One dict per row: a dict display for the usual widths (a third of the cost of dict(zip)).
    if len(names) == 1:
        (a,) = names
        return [{a: x} for x in cols[0]]
    if len(names) == 2:
        a, b = names
        return [{a: x, b: y} for x, y in zip(*cols, strict=True)]
    if len(names) == 3:
        a, b, c = names
        return [{a: x, b: y, c: z} for x, y, z in zip(*cols, strict=True)]
    return list(map(dict, map(zip, repeat(names), zip(*cols, strict=True))))


def _prediction(lm: LoadedModel, names: list[str], row: list[float]) -> dict[str, Any]:
    """One row of :func:`_predictions` (the same values: None for NaN/inf, the class label)."""
    out: dict[str, Any] = {n: (v if math.isfinite(v) else None) for n, v in zip(names, row, strict=False)}
    if lm.model.info.classes is not None:
        out[names[0]] = lm.model.label(row[0])
    return out


def example_row(lm: LoadedModel) -> dict[str, Any]:
    """A plausible row for the OpenAPI example: the first level or 0 for every feature."""
    return {f.name: (f.domain[0] if f.domain else 0.0) for f in lm.model.info.features}
