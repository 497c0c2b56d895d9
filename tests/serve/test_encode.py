"""The service's column encoder gives exactly sparkwing.mojo's values and warnings."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from conftest import FIXTURES

from sparkwing import mojo
from sparkwing.serve._encode import encode_columns, encode_records


def _rows(dataset: str) -> list[dict[str, Any]]:
    lines = (FIXTURES / "inputs" / f"{dataset}.tsv").read_text().split("\n")
    header = lines[0].split("\t")
    return [
        {h: c for h, c in zip(header, line.split("\t"), strict=False) if c != ""}
        for line in lines[1:]
        if line
    ]


def _number(v: str, *, ints: bool = False) -> float | int | None:
    """A JSON client's number for the cell text (an int for plain digits with ``ints``), or None."""
    try:
        return int(v) if ints and v.isdigit() else float(v)
    except ValueError:
        return None


def _typed(row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in row.items():
        try:
            out[k] = int(v) if v.isdigit() else float(v)
        except ValueError:
            out[k] = v
    return out


ODD = [1, 1.0, True, "1", None, math.nan, "x", [1], {"a": 1}, 10**400, -(10**400), "1e3", " 2.5 ",
       "Infinity", 2.0]  # fmt: skip


@pytest.mark.parametrize(
    ("fixture", "dataset"),
    [
        ("gbm_bernoulli_loan", "loan"),
        ("glm_binomial_prostate", "prostate"),
        ("xgb_loan", "loan"),
        ("drf_multinomial_iris", "iris"),
    ],
)
@pytest.mark.parametrize("typed", [False, True])
def test_same_values_and_warnings_as_mojo(fixture: str, dataset: str, typed: bool) -> None:
    model = mojo.load(FIXTURES / f"{fixture}.zip")
    rows = _rows(dataset)
    if typed:
        rows = [_typed(r) for r in rows]
    # Odd values everywhere: every type in every column, cycling over the rows.
    for i, row in enumerate(rows[:60]):
        row[model.info.feature_names[i % len(model.info.feature_names)]] = ODD[i % len(ODD)]
    numeric = {f.name for f in model.info.features if f.domain is None}

    def reference(k: str, v: Any) -> Any:
        if k in numeric and v == 10**400:
            return math.inf
        if k in numeric and v == -(10**400):
            return -math.inf
        return v

    ref_rows = [{k: reference(k, v) for k, v in r.items()} for r in rows]
    expected = model.encode(ref_rows)
    columns = {f: [r.get(f) for r in rows] for f in model.info.feature_names}
    values, warnings = encode_columns(model, len(rows), columns)
    np.testing.assert_array_equal(values, expected.values)
    assert sorted(warnings, key=lambda w: (w.row, w.column)) == sorted(
        expected.warnings, key=lambda w: (w.row, w.column)
    )
    for start in (0, 14, 28):  # small requests take the record path: same answers
        few = {f: col[start:start + 5] for f, col in columns.items()}
        values, warnings = encode_columns(model, 5, few)
        np.testing.assert_array_equal(values, expected.values[start:start + 5])
        assert {(w.row + start, w.column, w.message) for w in warnings} == {
            (w.row, w.column, w.message) for w in expected.warnings if start <= w.row < start + 5}
        # Objects straight in (a small request without a drift profile): the same values, and the
        # same warnings in the same order as through the columns.
        direct, direct_warnings = encode_records(model, rows[start:start + 5])
        np.testing.assert_array_equal(direct, values)
        assert direct_warnings == warnings


@pytest.mark.parametrize("fixture", ["gbm_bernoulli_loan", "drf_multinomial_iris", "gbm_gaussian_prostate"])
def test_few_row_answers_equal_the_batch_ones(fixture: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A small answer built from plain floats equals the object-array one (NaN/inf -> null, labels)."""
    from types import SimpleNamespace

    import sparkwing.serve._predict as predict

    model = mojo.load(FIXTURES / f"{fixture}.zip")
    raw = model.predict_numpy([{}] * 3 + _rows("prostate")[:3])
    raw[1, :] = np.nan
    raw[2, 1:] = np.inf
    lm: Any = SimpleNamespace(model=model)
    few = predict._predictions(lm, raw)
    monkeypatch.setattr(predict, "SMALL", -1)
    assert few == predict._predictions(lm, raw)


@pytest.mark.parametrize(
    ("fixture", "dataset"),
    [("gbm_bernoulli_loan", "loan"), ("glm_binomial_prostate", "prostate"), ("xgb_loan", "loan"),
     ("drf_multinomial_iris", "iris"), ("gbm_gaussian_prostate", "prostate")],
)
@pytest.mark.parametrize(("max_warnings", "max_listed"), [(1000, 100), (1, 1), (0, 0)])
def test_one_row_answer_equals_the_general_one(fixture: str, dataset: str, max_warnings: int, max_listed: int,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """A 1-row request (no drift profile) takes its own short path: the same answer, byte for byte,
    as the general path -- values, warnings and their order, missing and unknown columns, strict."""
    from types import SimpleNamespace

    import sparkwing.serve._predict as predict
    from sparkwing.serve._errors import ServeError

    model = mojo.load(FIXTURES / f"{fixture}.zip")
    lm: Any = SimpleNamespace(model=model, name="m", version=3, card=SimpleNamespace(profile=None))
    rows = _rows(dataset)[:40] + [_typed(r) for r in _rows(dataset)[:40]]
    names = model.info.feature_names
    for i, row in enumerate(rows):  # odd values, several per row (so warnings must be ordered)
        for k in range(i % 4):
            row[names[(i + 5 * k) % len(names)]] = ODD[(i + k) % len(ODD)]
        if i % 5 == 0:
            row.pop(names[i % len(names)], None)
        if i % 7 == 0:
            row[f"zz_extra_{i}"] = 1
    rows += [{}, {"other": 1}, {n: ODD[j % len(ODD)] for j, n in enumerate(names)}]

    def answer(row: dict[str, Any], strict: bool) -> Any:
        body = predict.PredictInput(rows=[dict(row)], strict=strict)
        try:
            return predict.dumps(predict.score(lm, body, alias="production", max_warnings=max_warnings,
                                               max_listed=max_listed))
        except ServeError as exc:
            return (exc.status, exc.body(), exc.headers)

    taken: list[bool] = []
    short = predict._score_one_row
    with monkeypatch.context() as m:
        m.setattr(predict, "_score_one_row", lambda *a: taken.append(True) or short(*a))
        fast = [answer(r, s) for r in rows for s in (False, True)]
    assert len(taken) >= len(rows)  # the short path answered (strict + missing raises in it)
    monkeypatch.setattr(predict, "ONE_ROW", False)
    assert fast == [answer(r, s) for r in rows for s in (False, True)]


def test_one_row_drift_counts_equal_the_general_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    """With a drift profile (every trained model has one) a 1-row request takes the short path
    too, and counts the row in the profile's buckets exactly as the general path does."""
    import json
    from types import SimpleNamespace

    from conftest import card_for

    import sparkwing.serve._predict as predict
    from sparkwing.monitor import profile_columns
    from sparkwing.registry import ModelCard
    from sparkwing.serve._predict import ResponseLimits

    model = mojo.load(FIXTURES / "glm_binomial_prostate.zip")
    rows = _rows("prostate")[:60]
    kinds = {f.name: ("categorical" if f.domain else "numeric") for f in model.info.features}
    typed = [{k: (v if kinds.get(k) != "numeric" else _number(v)) for k, v in r.items()} for r in rows]
    profile = profile_columns({k: [r.get(k) for r in typed] for k in kinds}, kinds, bins=4)
    card = ModelCard.load(card_for("glm_binomial_prostate")).model_copy(update={"profile": profile})
    lm: Any = SimpleNamespace(model=model, name="m", version=1, card=card)
    odd = [v for v in ODD if not (isinstance(v, int) and abs(v) > 2**64)]  # see the note below
    for i, row in enumerate(rows[:20]):
        row[model.info.feature_names[i % 7]] = odd[i % len(odd)]
    # (An integer beyond double range in a profiled model's request fails in the drift counts,
    # monitor._count, on the general path too: not the short path's to fix.)
    bodies = [json.dumps({"rows": [r]}).encode() for r in rows]
    bodies += [b'{"rows": [{}]}', b'{"rows": [{"AGE": "x"}]}']
    limits = ResponseLimits()

    def answers() -> list[Any]:
        return [predict.predict_bytes(lm, b, strict=False, alias=None, limits=limits) for b in bodies]

    fast = answers()
    assert all(counts is not None and counts.rows == 1 for *_, counts in fast)
    monkeypatch.setattr(predict, "ONE_ROW", False)
    assert fast == answers()


@pytest.mark.parametrize("fixture", ["gbm_bernoulli_loan", "glm_binomial_loan", "xgb_loan"])
def test_all_string_columns_with_unknown_levels_and_bad_numbers(fixture: str) -> None:
    """Columns holding only strings take the dictionary shortcut: the same values and warnings."""
    model = mojo.load(FIXTURES / f"{fixture}.zip")
    rows = _rows("loan")[:200]
    for i, row in enumerate(rows):
        for f in model.info.features:
            if i % 7 == 0:
                row[f.name] = "no such level" if f.domain else "1.5x"
            elif i % 11 == 0:
                row[f.name] = " 2" if f.domain is None else f.domain[-1]
            else:
                row.setdefault(f.name, f.domain[0] if f.domain else "3")
    expected = model.encode(rows)
    columns = {f: [r[f] for r in rows] for f in model.info.feature_names}
    assert all(type(v) is str for col in columns.values() for v in col)
    values, warnings = encode_columns(model, len(rows), columns)
    np.testing.assert_array_equal(values, expected.values)
    assert sorted(warnings, key=lambda w: (w.row, w.column)) == sorted(
        expected.warnings, key=lambda w: (w.row, w.column)
    )


@pytest.mark.parametrize("typed", [False, True])
def test_complete_rows_shortcut_gives_the_same_answer(typed: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows with exactly the features are turned into columns without a per-cell loop: the answer
    (predictions, warnings, unknown and missing columns) equals the general path's."""
    from types import SimpleNamespace

    import sparkwing.serve._predict as predict
    from sparkwing.serve._encode import complete_columns

    model = mojo.load(FIXTURES / "glm_binomial_loan.zip")
    features = model.info.feature_names
    rows = [r for r in _rows("loan") if set(features) <= r.keys()][:100]
    rows = [{f: r[f] for f in features} for r in rows]
    if typed:
        rows = [_typed(r) for r in rows]
    rows[3]["addr_state"] = "nowhere"
    lm: Any = SimpleNamespace(model=model, name="m", version=1, card=SimpleNamespace(profile=None))
    cases = [rows, [*rows[:50], {**rows[50], "extra": 1}], [*rows[:40], {k: v for k, v in rows[40].items()
                                                                   if k != "dti"}, *rows[41:]]]
    cases.append([*rows[:30], {**{k: v for k, v in rows[30].items() if k != "dti"}, "other": 2}])
    assert complete_columns(cases[0], features) is not None
    assert all(complete_columns(c, features) is None for c in cases[1:])
    fast = [predict.score(lm, predict.PredictInput(rows=c), alias=None, max_warnings=1000) for c in cases]
    monkeypatch.setattr(predict, "complete_columns", lambda rows, features: None)
    slow = [predict.score(lm, predict.PredictInput(rows=c), alias=None, max_warnings=1000) for c in cases]
    assert fast == slow
    assert {"row": 3, "column": "addr_state", "kind": "unknown_level"}.items() <= next(
        w for w in fast[0]["warnings"] if w["row"] == 3 and w["column"] == "addr_state").items()
    assert fast[1]["unknown_columns"] == ["extra"]
    assert fast[3]["missing_features"] == ["dti"] and fast[3]["unknown_columns"] == ["other"]


@pytest.mark.parametrize(
    ("fixture", "dataset"),
    [("glm_binomial_loan", "loan"), ("gbm_bernoulli_loan", "loan"), ("drf_multinomial_iris", "iris"),
     ("gbm_gaussian_prostate", "prostate")],
)
def test_complete_batch_block_encoding_answers_byte_for_byte(fixture: str, dataset: str,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch of complete rows whose numeric cells are JSON numbers is encoded in one block
    (``encode_complete``): the JSON answer is byte for byte the column path's, and a batch with
    any other value (a numeric string, a bool, an integer beyond double range, null, an unknown
    level) gives the same bytes too."""
    import json
    from types import SimpleNamespace

    import sparkwing.serve._predict as predict
    from sparkwing.serve._predict import ResponseLimits

    model = mojo.load(FIXTURES / f"{fixture}.zip")
    lm: Any = SimpleNamespace(model=model, name="m", version=1, card=SimpleNamespace(profile=None))
    features = model.info.feature_names
    numeric = [f.name for f in model.info.features if f.domain is None]

    base = [{f: (_number(r[f], ints=True) if f in numeric else r[f]) for f in features}
            for r in _rows(dataset) if set(features) <= r.keys()][:40]
    categorical = [f.name for f in model.info.features if f.domain is not None]
    batches = [base]
    for odd in (None, "2.5", True, 10**400, 3, 2**63 + 1, "x", math.nan, [1]):
        rows = [dict(r) for r in base]
        rows[7][numeric[0]] = odd
        rows[8][numeric[-1]] = odd
        batches.append(rows)
    if categorical:
        rows = [dict(r) for r in base]
        rows[2][categorical[0]] = "no such level"
        rows[5][categorical[-1]] = 1
        batches.append(rows)
    limits = ResponseLimits()

    def answers() -> list[Any]:
        out = []
        for rows in batches:
            raw = json.dumps({"rows": rows}).encode()
            out.append(predict.predict_bytes(lm, raw, strict=False, alias="a", limits=limits)[:3])
        return out

    taken: list[bool] = []
    fast_encode = predict.encode_complete
    with monkeypatch.context() as m:
        m.setattr(predict, "encode_complete", lambda *a, **k: taken.append(True) or fast_encode(*a, **k))
        fast = answers()
    assert len(taken) == len(batches)
    monkeypatch.setattr(predict, "encode_complete", lambda *a, **k: None)
    assert fast == answers()
    import sparkwing.serve._encode as encode

    monkeypatch.setattr(encode, "_encode_columns", None)  # the first batch never reaches the columns
    assert fast_encode(model, base) is not None


def test_complete_batch_drift_counts_equal_the_column_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """With a drift profile the block path keeps the columns: the same answer and the same counts."""
    import json
    from types import SimpleNamespace

    from conftest import card_for

    import sparkwing.serve._predict as predict
    from sparkwing.monitor import profile_columns
    from sparkwing.registry import ModelCard
    from sparkwing.serve._predict import ResponseLimits

    model = mojo.load(FIXTURES / "glm_binomial_loan.zip")
    features = model.info.feature_names
    kinds = {f.name: ("categorical" if f.domain else "numeric") for f in model.info.features}

    rows = [{f: (_number(r[f]) if kinds[f] == "numeric" else r[f]) for f in features}
            for r in _rows("loan") if set(features) <= r.keys()][:60]
    profile = profile_columns({k: [r[k] for r in rows] for k in kinds}, kinds, bins=4)
    card = ModelCard.load(card_for("glm_binomial_loan")).model_copy(update={"profile": profile})
    lm: Any = SimpleNamespace(model=model, name="m", version=1, card=card)
    odd = [dict(r) for r in rows]
    odd[4]["dti"] = "7.5"
    bodies = [json.dumps({"rows": rows}).encode(), json.dumps({"rows": odd}).encode()]
    limits = ResponseLimits()

    def answers() -> list[Any]:
        return [predict.predict_bytes(lm, b, strict=False, alias=None, limits=limits) for b in bodies]

    fast = answers()
    assert all(counts is not None and counts.rows == 60 for *_, counts in fast)
    monkeypatch.setattr(predict, "encode_complete", lambda *a, **k: None)
    assert fast == answers()
