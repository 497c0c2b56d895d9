"""Calibration bins (``sparkwing.train._reliability``) and their SVG (``sparkwing.ui._svg``), no JVM."""

from __future__ import annotations

import math
import re

import pytest

from sparkwing.registry import ModelCard, Reliability
from sparkwing.train._reliability import BINS, BinSums, bin_of, bin_sums, reliability_from_sums
from sparkwing.ui import _pages, _svg


def _binned(pairs, kind="positive_class") -> Reliability:
    sums, missing = bin_sums(pairs)
    return reliability_from_sums(sums, missing=missing, on="holdout", kind=kind, positive_class="1")


def test_equal_width_bins_edges_included_in_the_right_bin() -> None:
    assert [bin_of(p) for p in (0.0, 0.0999, 0.1, 0.5, 0.9, 0.99, 1.0)] == [0, 0, 1, 5, 9, 9, 9]
    assert bin_of(-0.01) == 0 and bin_of(1.2) == BINS - 1  # out of range is clamped, never lost


def test_counts_means_observed_brier_and_ece() -> None:
    pairs = [(0.05, 0.0), (0.15, 0.0), (0.15, 1.0), (0.85, 1.0), (0.95, 1.0), (0.95, 0.0)]
    r = _binned(pairs)
    assert [b.count for b in r.bins] == [1, 2, 0, 0, 0, 0, 0, 0, 1, 2]
    assert sum(b.count for b in r.bins) == r.rows == 6 and r.missing == 0
    assert r.bins[1].mean_predicted == pytest.approx(0.15) and r.bins[1].observed == 0.5
    assert r.bins[9].mean_predicted == pytest.approx(0.95) and r.bins[9].observed == 0.5
    assert r.brier == pytest.approx(sum((p - y) ** 2 for p, y in pairs) / 6)
    gaps = [(1, 0.05, 0.0), (2, 0.15, 0.5), (1, 0.85, 1.0), (2, 0.95, 0.5)]
    assert r.ece == pytest.approx(sum(n * abs(p - o) for n, p, o in gaps) / 6)
    assert [(b.lower, b.upper) for b in r.bins][:2] == [(0.0, 0.1), (0.1, 0.2)]


def test_empty_bins_are_kept_with_no_means() -> None:
    r = _binned([(0.42, 1.0)])
    assert len(r.bins) == BINS and sum(1 for b in r.bins if b.count == 0) == BINS - 1
    empty = r.bins[0]
    assert empty.count == 0 and empty.mean_predicted is None and empty.observed is None
    assert r.ece == pytest.approx(0.58)


def test_all_one_class() -> None:
    r = _binned([(p / 10, 1.0) for p in range(10)])
    assert all(b.observed == 1.0 for b in r.bins) and r.rows == 10
    r = _binned([(0.3, 0.0)] * 4)
    assert r.bins[3].observed == 0.0 and r.bins[3].count == 4 and r.brier == pytest.approx(0.09)


def test_nan_probabilities_are_counted_apart_not_binned() -> None:
    r = _binned([(math.nan, 1.0), (0.5, None), (0.7, 1.0)])  # type: ignore[list-item]
    assert r.missing == 2 and r.rows == 3 and sum(b.count for b in r.bins) == 1


def test_no_rows_at_all() -> None:
    r = _binned([])
    assert r.rows == 0 and r.ece is None and r.brier is None and all(b.count == 0 for b in r.bins)


def test_top_class_bins_have_no_brier_and_bins_out_of_range_are_refused() -> None:
    r = _binned([(0.6, 1.0), (0.65, 0.0)], kind="top_class")
    assert r.kind == "top_class" and r.brier is None and r.bins[6].observed == 0.5
    with pytest.raises(ValueError, match="bins are 0..9"):
        reliability_from_sums({-1: BinSums(1, 0.0, 0.0, 0.0)}, missing=0, on="cv", kind="top_class")


def test_a_card_without_bins_still_loads_and_one_with_bins_round_trips() -> None:
    old = ModelCard.from_json(b'{"card_version": 2, "task": "binary", "curves": {"roc": null}}')
    assert old.curves.reliability is None and _pages.calibration(old) is None
    card = ModelCard(task="binary", curves={"reliability": _binned([(0.2, 0.0), (0.8, 1.0)])})
    again = ModelCard.from_json(card.to_json())
    assert again.curves.reliability == card.curves.reliability


def test_reliability_svg_draws_diagonal_points_sized_by_count_and_a_count_strip() -> None:
    buckets = [
        _svg.Bucket(i / 10, (i + 1) / 10, n, (i + 0.5) / 10 if n else None, (i + 0.4) / 10 if n else None)
        for i, n in enumerate([5, 50, 0, 500, 0, 0, 0, 0, 0, 1])
    ]
    svg = str(_svg.reliability(buckets, label="reliability <b>", y_label="share of class <i>"))
    assert svg.startswith("<svg") and 'role="img"' in svg and "reliability &lt;b&gt;" in svg
    assert svg.count('class="diagonal"') == 1 and svg.count("<polyline") == 1
    assert svg.count("<circle") == 4 and svg.count('class="bar"') == 4 and "share of class &lt;i&gt;" in svg
    radii = [float(r) for r in re.findall(r'<circle[^>]* r="([0-9.]+)"', svg)]
    assert radii[2] == max(radii) and radii[3] == min(radii)  # 500 rows: the largest dot; 1 row: the smallest
    heights = [float(h) for h in re.findall(r'class="bar"[^>]* height="([0-9.]+)"', svg)]
    assert all(h > 0 for h in heights) and heights[2] == max(heights)
    assert all(v == v for v in map(float, re.findall(r'c[xy]="([-0-9.]+)"', svg)))  # no NaN coordinates


def test_reliability_svg_of_a_card_with_only_empty_bins_is_a_frame_without_marks() -> None:
    card = ModelCard(task="binary", curves={"reliability": _binned([])})
    svg = str(_pages.calibration(card))
    assert svg.startswith("<svg") and 'class="diagonal"' in svg
    assert "<circle" not in svg and "<polyline" not in svg
