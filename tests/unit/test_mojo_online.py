"""The one-row paths (``predict_row``, ``predict(dict)``, compiled trees) give exactly the batch
path's values on every fixture MOJO: every scoring row, and hostile values in every column."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mojo_parity import FIXTURES, manifest, read_tsv
from sparkwing import mojo
from sparkwing.mojo._rows import RowEncoder
from sparkwing.mojo._tree import Forest
from sparkwing.mojo._tree_row import compile_forest

NAMES = [n for n in sorted(manifest()) if manifest()[n]["algo"] != "glrm"]  # GLRM: stateful seed


def _load(name: str) -> tuple[mojo.MojoModel, list[dict[str, str]]]:
    entry = manifest()[name]
    return mojo.load(FIXTURES / entry["mojo"]), read_tsv(FIXTURES / entry["input"])


def _batch(model: mojo.MojoModel, x: np.ndarray, monkeypatch: pytest.MonkeyPatch) -> np.ndarray:
    """The vectorised path, never the plain-Python one (whatever the batch size)."""
    with monkeypatch.context() as m:
        m.setattr(Forest, "row_cost_limit", -1)
        return model.score_rows(np.repeat(x, 1, axis=0))


def _forest(model: mojo.MojoModel) -> Forest:
    return model._scorer.forest  # type: ignore[no-any-return]


def _as_cells(values: list[object]) -> list[object]:
    return [None if isinstance(v, float) and math.isnan(v) else v for v in values]


@pytest.mark.parametrize("name", NAMES)
def test_predict_row_equals_batch_on_every_row(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    model, rows = _load(name)
    x = model.encode(rows).values
    batch = _batch(model, x, monkeypatch)
    frame = model.predict(rows)
    for r, rec in enumerate(rows):
        assert np.array_equal(model._encoder.encode_one(rec)[0], x[r], equal_nan=True), f"row {r}"
        assert np.array_equal(model.score_rows(x[r : r + 1])[0], batch[r], equal_nan=True), f"row {r}"
        got = model.predict_row(rec)
        assert list(got) == list(model.info.output_names)
        assert _as_cells(list(got.values())) == _as_cells(frame.iloc[r].tolist()), f"row {r}"
    some = model.predict(rows[:3])
    want = frame.iloc[:3].to_numpy().ravel().tolist()
    assert _as_cells(some.to_numpy().ravel().tolist()) == _as_cells(want)
    one = model.predict(rows[7])
    assert list(one.columns) == list(frame.columns)
    assert _as_cells(one.iloc[0].tolist()) == _as_cells(frame.iloc[7].tolist())
    assert list(one.dtypes) == list(frame.dtypes)


def _hostile(model: mojo.MojoModel, n: int = 400) -> np.ndarray:
    """NaN, ±inf, negative, fractional and out-of-domain level indices in every column."""
    rng = np.random.default_rng(5)
    specials = np.array([np.nan, np.inf, -np.inf, -1.0, -0.5, 0.0, -0.0, 0.5, 1.0, 1.5, 2.0, 3.7,
                         1e9, 2.0**31, 2.0**40, -(2.0**40), 1e-300, 5e-324, 17.0, 255.0])  # fmt: skip
    k = model._meta.n_features
    x = rng.choice(specials, size=(n, k))
    x[: n // 2] = np.where(rng.random((n // 2, k)) < 0.5, x[: n // 2], rng.normal(0, 50, (n // 2, k)))
    return x


@pytest.mark.parametrize("name", NAMES)
def test_one_row_equals_batch_on_hostile_values(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """NaN, ±inf, negative, fractional and out-of-domain level indices in every column."""
    model, _ = _load(name)
    x = _hostile(model)
    batch = _batch(model, x, monkeypatch)
    for r in range(len(x)):
        assert np.array_equal(model.score_rows(x[r : r + 1])[0], batch[r], equal_nan=True), f"row {r}: {x[r]}"


@pytest.mark.parametrize("name", NAMES)
def test_plain_float_scoring_equals_batch_on_hostile(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """predict_row's scoring step (plain Python floats where the scorer has that path, NumPy
    exp so that the last bit matches) gives the batch path's values, without a RuntimeWarning."""
    model, _ = _load(name)
    x = _hostile(model)
    batch = _batch(model, x, monkeypatch)
    for r in range(len(x)):
        got = model._score_one(x[r].tolist())
        assert isinstance(got, list) and all(type(v) is float for v in got), f"row {r}"
        assert np.array_equal(np.array(got), batch[r], equal_nan=True), f"row {r}: {x[r]}"


#: the fixtures whose one-row scoring must stay in plain floats (the online-latency targets)
PLAIN = ["gbm_100x6_loan", "gbm_bernoulli_loan", "glm_binomial_loan", "gbm_gaussian_prostate",
         "drf_binomial_prostate", "drf_regression_prostate", "glm_gaussian_prostate", "if_loan"]


@pytest.mark.parametrize("name", PLAIN)
def test_common_models_score_one_row_without_numpy(name: str) -> None:
    model, rows = _load(name)
    assert model._row_scorer is not None
    assert model.predict_row(rows[0]) == model.predict_row(dict(rows[0]))


TREES = [n for n in NAMES if manifest()[n]["algo"] in ("gbm", "drf", "isolationforest")]


@pytest.mark.parametrize("name", TREES)
def test_compiled_trees_route_like_the_walks(name: str) -> None:
    model, rows = _load(name)
    forest = _forest(model)
    compiled = compile_forest(forest)
    assert compiled is not None
    x = model.encode(rows).values
    walked = forest._walk(x)
    for r in range(len(x)):
        assert compiled(x[r].tolist()) == walked[:, r].tolist()


def test_forests_too_deep_or_large_are_walked_not_compiled(monkeypatch: pytest.MonkeyPatch) -> None:
    import sparkwing.mojo._tree_row as tree_row

    model, rows = _load("gbm_100x6_loan")
    forest = _forest(model)
    monkeypatch.setattr(tree_row, "MAX_NODES", 100)
    assert compile_forest(forest) is None
    forest._py = None
    want = [model.predict_row(r) for r in rows[:30]]
    monkeypatch.undo()
    forest._py = None
    assert [model.predict_row(r) for r in rows[:30]] == want


def test_encode_row_matches_the_full_rules() -> None:
    """The inline cases of encode_row give what the full per-value rules give, warnings too."""
    enc = RowEncoder(["x", "c"], [None, ["a", "b", "1"]])
    cells = ["1.5", " 2 ", "1d", "0x1p3", "1_0", "", "1-2", "NaN", "-Infinity", "1e400", "٣", "+.5", "1.e1",
             "e5", ".", "--1", 3, 2.5, True, None, float("nan"), "a", "b", "1", "z", 1]  # fmt: skip
    for v in cells:
        for rec in ({"x": v}, {"c": v}, {"x": v, "c": v, "other": v}):
            want_w: list[object] = []
            want = [math.nan, math.nan]
            for key, value in rec.items():
                if key in enc.index:
                    want[enc.index[key]] = enc._value(enc.index[key], value, 4, want_w)  # type: ignore[arg-type]
            got_w: list[object] = []
            got = enc.encode_row(rec, 4, got_w)  # type: ignore[arg-type]
            assert np.array_equal(np.array(got), np.array(want), equal_nan=True), rec
            assert got_w == want_w, rec
            assert np.array_equal(enc.encode([rec]).values[0], np.array(want), equal_nan=True), rec


def test_warm_up_compiles_the_trees_before_the_first_row() -> None:
    model, rows = _load("gbm_100x6_loan")
    forest = _forest(model)
    assert forest._py is None
    model.warm_up()
    assert forest._py is not None and forest._py[-1] is not None  # the compiled function
    want = model.predict_row(rows[0])
    fresh, _ = _load("gbm_100x6_loan")
    assert fresh.predict_row(rows[0]) == want
    mojo.load(FIXTURES / "glm_binomial_loan.zip").warm_up()  # no trees: nothing to do
