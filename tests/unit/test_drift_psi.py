"""Drift arithmetic without a JVM: PSI by hand, bucketing, statuses, the card field, the log."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pytest

from sparkwing.config import DriftSpec
from sparkwing.monitor import DriftLog, ProfileCounts, compare, count_columns, count_values, psi
from sparkwing.registry import DataProfile, FeatureProfile, ModelCard
from sparkwing.workspace import Workspace

AGE = FeatureProfile(name="age", kind="numeric", edges=[30.0, 50.0], shares=[0.25, 0.25, 0.5])
STATE = FeatureProfile(name="state", kind="categorical", levels=["CA", "NY"], shares=[0.5, 0.3, 0.2],
                       null_share=0.1)
PROFILE = DataProfile(rows=100, features=[AGE, STATE],
                      prediction=FeatureProfile(name="prediction", kind="numeric", edges=[0.5],
                                                shares=[0.5, 0.5]))


def test_psi_matches_the_sum_worked_by_hand() -> None:
    # (0.5-0.25)ln(0.5/0.25) + (0.25-0.25)ln(1) + (0.25-0.5)ln(0.25/0.5) = 0.5 ln 2
    assert psi([0.25, 0.25, 0.5], [0.5, 0.25, 0.25]) == pytest.approx(0.5 * math.log(2), abs=1e-12)
    assert psi([0.2, 0.8], [0.2, 0.8]) == 0.0
    # An empty bucket counts as EPS = 1e-4: (0.5-1e-4)ln(0.5/1e-4) + (0.5-1)ln(0.5/1)
    by_hand = 0.4999 * math.log(5000) - 0.5 * math.log(0.5)
    assert psi([1.0, 0.0], [0.5, 0.5]) == pytest.approx(by_hand, rel=1e-9)
    with pytest.raises(ValueError, match="2 expected shares, 3 actual"):
        psi([0.5, 0.5], [0.2, 0.3, 0.5])


def test_values_fall_in_the_buckets_the_edges_draw() -> None:
    counts = count_values(AGE, [10, 30, 30.5, 50, 51, None, float("nan"), "x", "45"])
    assert counts.buckets == [2, 3, 1] and counts.nulls == 3
    levels = count_values(STATE, ["CA", "CA", "NY", "TX", "ZZ", None], domain={"CA", "NY", "TX"})
    assert levels.buckets == [2, 1, 2] and levels.nulls == 1 and levels.unseen == 1


def test_an_integer_beyond_double_range_counts_as_null_as_it_scores() -> None:
    # float(10**400) raises OverflowError; the scorer reads it as infinity (not finite: NA)
    counts = count_values(AGE, [10**400, -(10**400), "1e400", 45])
    assert counts.buckets == [0, 1, 0] and counts.nulls == 3


def test_a_shifted_batch_warns_or_fails_and_a_like_one_does_not() -> None:
    like = count_columns(PROFILE, {"age": [20] * 25 + [40] * 25 + [60] * 50,
                                   "state": ["CA"] * 45 + ["NY"] * 27 + ["TX"] * 18 + [None] * 10}, 100,
                         predictions=[0.1] * 50 + [0.9] * 50)
    report = compare(PROFILE, like, DriftSpec(warn=0.1, fail=0.25), model="m@1")
    assert report.status == "ok" and report.max_psi == pytest.approx(0.0, abs=1e-9)
    assert report.features[1].null_share == pytest.approx(0.1) and report.features[1].null_share_change == 0

    shifted = count_columns(PROFILE, {"age": [60] * 100}, 100, predictions=[0.9] * 100)
    report = compare(PROFILE, shifted, DriftSpec(warn=0.1, fail=0.25), model="m@1")
    age = report.features[0]
    assert age.psi == pytest.approx(psi([0.25, 0.25, 0.5], [0.0, 0.0, 1.0]), abs=1e-5)
    assert age.status == "fail"
    state = report.features[1]  # not given: every row null, nothing to compare
    assert state.psi is None and state.null_share == 1.0 and state.null_share_change == pytest.approx(0.9)
    assert report.status == "fail" and report.prediction is not None and report.prediction.status == "fail"
    assert [f.name for f in report.alarms()] == ["prediction", "age"]  # worst first
    assert compare(PROFILE, shifted, DriftSpec(), model="m@1").status == "warn"  # fail is off by default


def test_counts_add_up_and_come_back_out_of_a_window() -> None:
    a = count_columns(PROFILE, {"age": [10, 60], "state": ["CA", "NY"]}, 2, predictions=[0.1, 0.7])
    b = count_columns(PROFILE, {"age": [40], "state": [None]}, 1, predictions=[0.2])
    total = ProfileCounts.empty(PROFILE)
    total.add(a)
    total.add(b)
    assert total.rows == 3 and total.columns["age"].buckets == [1, 1, 1]
    assert total.prediction is not None and total.prediction.buckets == [2, 1]
    total.subtract(a)
    assert total.rows == 1 and total.columns["age"].buckets == [0, 1, 0] and total.columns["state"].nulls == 1


def test_drift_thresholds_are_validated() -> None:
    with pytest.raises(ValueError, match="drift.warn"):
        DriftSpec(warn=0.3, fail=0.2)


def test_the_profile_is_an_optional_card_field() -> None:
    card = ModelCard(task="binary", target="y", profile=PROFILE)
    again = ModelCard.from_json(card.to_json())
    assert again.profile == PROFILE and again.profile.feature("state").buckets() == ["CA", "NY", "(other)"]
    assert ModelCard.load({"card_version": 2, "task": "binary"}).profile is None  # cards before profiles
    with pytest.raises(ValueError, match="shares"):
        FeatureProfile(name="x", kind="numeric", edges=[1.0], shares=[1.0])


def test_the_drift_log_returns_reports_since_a_time(tmp_path) -> None:
    log = DriftLog(Workspace(tmp_path))
    counts = count_columns(PROFILE, {"age": [60] * 10}, 10)
    for version in (1, 2):
        log.append(compare(PROFILE, counts, DriftSpec(), model=f"m@{version}"))
    assert [r.model for r in log.read("m")] == ["m@1", "m@2"]
    assert [r.model for r in log.read("m", version=2)] == ["m@2"]
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)
    assert log.read("m", since=later) == [] and log.read("other") == []


def test_pure_python_file_scoring_reports_drift(tmp_path) -> None:
    import csv

    from sparkwing import mojo
    from sparkwing.monitor import profile_columns
    from sparkwing.score._local import score_file_local

    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "mojo"
    model = mojo.load(fixtures / "glm_binomial_prostate.zip")
    with (Path(__file__).resolve().parents[1] / "data" / "prostate.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    kinds: dict = {"AGE": "numeric", "PSA": "numeric", "RACE": "categorical"}
    profile = profile_columns({k: [r[k] for r in rows] for k in kinds}, kinds, bins=4)
    card = ModelCard(task="binary", target="CAPSULE", classes=["0", "1"], profile=profile)
    src = tmp_path / "in.csv"
    with src.open("w", newline="") as fh:
        out = csv.DictWriter(fh, fieldnames=list(rows[0]))
        out.writeheader()
        out.writerows({**r, "PSA": str(float(r["PSA"]) * 10)} for r in rows)
    report = score_file_local(model, src, tmp_path / "out.csv", card=card, drift_label="prostate@1")
    assert report.drift is not None and report.drift.model == "prostate@1" and report.drift.rows == len(rows)
    psi = {f.name: f.psi for f in report.drift.features}
    assert psi["PSA"] > 0.25 and psi["AGE"] == pytest.approx(0.0, abs=1e-9) and report.drift.status == "warn"
