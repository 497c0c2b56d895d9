"""Bucket values as a profile does, in plain Python (pure-Python scoring, the REST service).

A numeric value that is missing, not finite or not a number counts as null (it scores as NA);
a categorical value is compared as text, as the MOJO compares levels.

>>> from sparkwing.registry import FeatureProfile
>>> fp = FeatureProfile(name="x", kind="numeric", edges=[1.0, 2.0], shares=[0.2, 0.5, 0.3])
>>> count_values(fp, [0.5, 1.0, 1.5, 9, None, "oops"]).buckets
[2, 1, 1]
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any, Literal

import numpy as np

from sparkwing.monitor._drift import ColumnCounts, ProfileCounts
from sparkwing.registry import BINS, TOP_K, DataProfile, Feature, FeatureProfile

Kind = Literal["numeric", "categorical"]


def _number(v: Any) -> float:
    if v is None or isinstance(v, bool):
        return float("nan") if v is None else float(v)
    if isinstance(v, float):
        return v
    if isinstance(v, int):
        try:
            return float(v)
        except OverflowError:  # beyond double range: ±infinity, as the scorer reads it (null here)
            return math.inf if v > 0 else -math.inf
    try:
        return float(str(v).strip())
    except ValueError:
        return float("nan")


def count_values(fp: FeatureProfile, values: Iterable[Any],
                 domain: Collection[str] | None = None) -> ColumnCounts:
    """Counts of ``values`` in ``fp``'s buckets; ``domain``: the training levels (for unseen)."""
    if fp.kind == "numeric":
        arr = np.fromiter((_number(v) for v in values), dtype=float)
        ok = np.isfinite(arr)
        idx = np.searchsorted(np.asarray(fp.edges, dtype=float), arr[ok], side="left")
        binned = np.bincount(idx, minlength=len(fp.edges) + 1)
        return ColumnCounts([int(x) for x in binned], nulls=int((~ok).sum()))
    seen = Counter(None if v is None else str(v) for v in values)
    nulls = seen.pop(None, 0)
    at = {level: i for i, level in enumerate(fp.levels)}
    buckets = [0] * (len(fp.levels) + 1)
    unseen = 0
    for level, n in seen.items():
        buckets[at.get(level, len(fp.levels))] += n  # type: ignore[arg-type]
        if domain is not None and level not in domain:
            unseen += n
    return ColumnCounts(buckets, nulls=nulls, unseen=unseen)


def domains_of(features: Sequence[Feature]) -> dict[str, frozenset[str]]:
    """Categorical feature -> its training levels (from the card)."""
    return {f.name: frozenset(f.domain) for f in features if f.domain}


def count_columns(profile: DataProfile, columns: Mapping[str, Sequence[Any]], rows: int, *,
                  predictions: Sequence[Any] | None = None,
                  domains: Mapping[str, Collection[str]] | None = None) -> ProfileCounts:
    """Counts of ``rows`` rows given as feature -> values; a feature not given is all null."""
    domains = domains or {}
    out = ProfileCounts(rows=rows)
    for fp in profile.features:
        values = columns.get(fp.name)
        if values is None:
            out.columns[fp.name] = ColumnCounts([0] * len(fp.buckets()), nulls=rows)
        else:
            out.columns[fp.name] = count_values(fp, values, domains.get(fp.name))
    if profile.prediction is not None and predictions is not None:
        out.prediction = count_values(profile.prediction, predictions)
    return out


def profile_columns(columns: Mapping[str, Sequence[Any]], kinds: Mapping[str, Kind], *, bins: int = BINS,
                    top_k: int = TOP_K) -> DataProfile:
    """A profile of in-memory columns (the pure-Python twin of ``profile_dataframe``: the same
    quantile edges, as the inverted CDF, and the same top-K levels), e.g. for a hand-made card."""
    rows = max((len(v) for v in columns.values()), default=0)
    features = []
    for name, kind in kinds.items():
        values = list(columns.get(name, [None] * rows))
        if kind == "numeric":
            arr = np.fromiter((_number(v) for v in values), dtype=float)
            arr = arr[np.isfinite(arr)]
            probs = [i / bins for i in range(1, bins)]
            cuts = np.quantile(arr, probs, method="inverted_cdf") if arr.size else []
            edges = sorted({float(x) for x in cuts})
            fp = FeatureProfile(name=name, kind=kind, edges=edges)
        else:
            seen = Counter(str(v) for v in values if v is not None)
            top = sorted(seen.items(), key=lambda kv: (-kv[1], kv[0]))[:top_k]
            fp = FeatureProfile(name=name, kind=kind, levels=[level for level, _ in top])
        counts = count_values(fp, values)
        present = sum(counts.buckets)
        shares = [round(b / present, 6) for b in counts.buckets] if present else []
        features.append(fp.model_copy(update={"shares": shares,
                                              "null_share": round(counts.nulls / rows, 6) if rows else 0.0}))
    return DataProfile(rows=rows, features=features, top_k=top_k)
