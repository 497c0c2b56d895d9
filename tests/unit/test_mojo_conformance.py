"""The same behaviour checks over every algorithm's MOJO (like scikit-learn's estimator checks)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mojo_parity import FIXTURES, manifest, read_tsv
from sparkwing import mojo
from sparkwing.errors import MojoError

NAMES = sorted(manifest())


def _load(name: str) -> tuple[mojo.MojoModel, list[dict[str, str]]]:
    entry = manifest()[name]
    model = mojo.load(FIXTURES / entry["mojo"])
    return model, read_tsv(FIXTURES / entry["input"])


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.array_equal(a, b, equal_nan=True))


@pytest.mark.parametrize("name", NAMES)
class TestConformance:
    def test_info(self, name: str) -> None:
        model, _ = _load(name)
        info = model.info
        assert info.algorithm == manifest()[name]["algo"]
        assert info.h2o_version.startswith("3.46")
        assert info.features and all(f.type in ("numeric", "categorical") for f in info.features)
        assert info.output_names[0] in ("predict", "cluster", "Arch1")
        if info.category == "Binomial":
            assert info.classes is not None and len(info.classes) == 2
            assert info.default_threshold is not None
        assert info.algorithm in mojo.inspect_text(model)

    def test_frame_records_and_one_dict_agree(self, name: str) -> None:
        model, rows = _load(name)
        rows = rows[:40]
        if model.info.algorithm == "glrm":
            pytest.skip("GLRM results depend on how many rows the model has scored")
        by_records = model.predict_numpy(rows)
        frame = pd.DataFrame(rows)
        assert _same(model.predict_numpy(frame), by_records)
        one = model.predict_numpy(rows[3])
        assert _same(one[0], by_records[3])
        out = model.predict(frame)
        assert list(out.columns) == list(model.info.output_names)
        assert len(out) == len(rows)

    def test_string_frame_and_predict_row_agree_with_records(self, name: str) -> None:
        """All scoring rows as a string DataFrame (the vectorised parser) and one by one through
        predict_row / predict(dict) give exactly what the record path (checked against genmodel)
        gives."""
        model, rows = _load(name)
        reset = getattr(model._scorer, "reset", lambda: None)
        reset()
        by_records = model.predict_numpy(rows)
        reset()
        assert _same(model.predict_numpy(pd.DataFrame(rows)), by_records)
        reset()
        frame = model.predict(pd.DataFrame(rows[:25]))
        reset()
        for r, rec in enumerate(rows[:25]):
            one = model.predict_row(rec)
            assert list(one) == list(model.info.output_names)
            want = frame.iloc[r].tolist()
            assert [None if v != v else v for v in one.values()] == [None if v != v else v for v in want]
        if model.info.algorithm != "glrm":
            got = model.predict(rows[5]).iloc[0].tolist()
            want = frame.iloc[5].tolist()
            assert [None if v != v else v for v in got] == [None if v != v else v for v in want]

    def test_numeric_frame_columns(self, name: str) -> None:
        """Typed pandas columns (floats, ints) score like the same values given as strings."""
        model, rows = _load(name)
        if model.info.algorithm == "glrm":
            pytest.skip("GLRM results depend on how many rows the model has scored")
        frame = pd.DataFrame(rows[:60])
        typed = frame.copy()
        for f in model.info.features:
            if f.type == "numeric" and f.name in typed:
                typed[f.name] = pd.to_numeric(typed[f.name], errors="coerce")
        assert _same(model.predict_numpy(typed), model.predict_numpy(frame))

    def test_all_missing_row_scores(self, name: str) -> None:
        model, _ = _load(name)
        out = model.predict_numpy([{}])
        # Regression and clustering keep genmodel's unused second column; otherwise one column per output.
        width = 2 if model.info.category in ("Regression", "Clustering") else len(model.info.output_names)
        assert out.shape == (1, width)

    def test_unseen_levels_and_bad_numbers_warn(self, name: str) -> None:
        model, _ = _load(name)
        record = {
            f.name: ("zz_never_seen" if f.type == "categorical" else "not-a-number")
            for f in model.info.features
        }
        warnings: list[mojo.RowWarning] = []
        out = model.predict([record, {}], warnings=warnings)
        assert len(warnings) == len(model.info.features)
        assert {w.row for w in warnings} == {0}
        if model.info.algorithm != "glrm":
            # Unseen level / bad number == missing value, as genmodel converts them to NA.
            assert _same(model.predict_numpy([record]), model.predict_numpy([{}]))
        assert len(out) == 2

    def test_empty_input(self, name: str) -> None:
        model, _ = _load(name)
        out = model.predict([])
        assert len(out) == 0 and list(out.columns) == list(model.info.output_names)
        assert model.predict_numpy(np.zeros((0, len(model.info.features)))).shape[0] == 0

    def test_wrong_types(self, name: str) -> None:
        model, _ = _load(name)
        with pytest.raises(MojoError):
            model.predict("not rows")
        with pytest.raises(MojoError):
            model.predict([["a", "list"], "of non-dicts"])
        with pytest.raises(MojoError):
            model.predict_numpy(np.zeros((2, len(model.info.features) + 3)))

    def test_array_fast_path_matches(self, name: str) -> None:
        model, rows = _load(name)
        if model.info.algorithm == "glrm":
            pytest.skip("GLRM results depend on how many rows the model has scored")
        enc = model.encode(rows[:50])
        assert _same(model.predict_numpy(enc.values), model.predict_numpy(rows[:50]))

    def test_chunked_batches_match(self, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
        """Large batches are scored in chunks; the chunking must not change any value."""
        from sparkwing.mojo._tree import Forest
        from sparkwing.mojo._tree_table import DecisionTable
        from sparkwing.mojo._xgboost import XGBoostScorer

        model, rows = _load(name)
        if model.info.algorithm == "glrm":
            pytest.skip("GLRM results depend on how many rows the model has scored")
        x = model.encode(rows).values
        one = model.predict_numpy(x)
        monkeypatch.setattr(XGBoostScorer, "chunk_pairs", 999)
        monkeypatch.setattr(Forest, "chunk_pairs", 999)
        monkeypatch.setattr(DecisionTable, "chunk_pairs", 999)
        many = model.predict_numpy(np.tile(x, (12, 1)))  # 3,600 rows: several chunks everywhere
        assert _same(many, np.tile(one, (12, 1)))


H2O_TREES = [n for n in NAMES if manifest()[n]["algo"] in ("gbm", "drf", "isolationforest")]


@pytest.mark.parametrize("name", H2O_TREES)
def test_decision_table_walk_matches_node_walk(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The decision-table walk finds, bit for bit, the leaves of the node walk on hostile cells:
    distinct numbers near the splits, NaN, unseen levels, level indices past a bitset or the
    domain, fractional and negative level indices, +-inf; in several small chunks; with 0, 2
    or 3 top levels decoded at once."""
    from sparkwing.mojo._tree import Forest
    from sparkwing.mojo._tree_table import DecisionTable

    model, rows = _load(name)
    forest = model._scorer.forest
    x = model.encode(rows).values
    rng = np.random.default_rng(11)
    x = x[rng.integers(0, len(x), 2000)]
    cats = forest.domain_sizes != np.iinfo(np.int64).max
    nums = x[:, ~cats]
    nums += rng.normal(0.0, 0.01, nums.shape) * np.nan_to_num(np.nanstd(nums, axis=0), nan=1.0)
    x[:, ~cats] = nums
    odd = np.array([np.nan, np.inf, -np.inf, -0.5, -1.0, -7.0, 0.5, 1.5, 2.0**31, 999.0, 31.0, 64.0])
    hit = rng.random(x.shape) < 0.08
    x[hit] = rng.choice(odd, int(hit.sum()))
    monkeypatch.setattr(DecisionTable, "chunk_pairs", 5000)
    forest._decided = False
    table = forest.decision_table()
    assert table is not None
    got = []
    for top in (3, 2, 0):  # the top levels decoded from one code, or all stepped
        table.decode_top(min(top, forest.depth))
        got.append(forest.leaf_values(x))
    monkeypatch.setattr(Forest, "table_ratio", 0)
    forest._decided = False
    assert forest.decision_table() is None
    want = forest.leaf_values(x)
    for g in got:
        assert np.array_equal(g.view(np.uint64), want.view(np.uint64))


def test_decision_table_hand_made_forest() -> None:
    """A bitset of 3 levels at offset 1 in a domain of 5 (NA left), NA-vs-rest nodes (NA right;
    hand-made with NA left too, which the node walks also send right), a stump; and no table
    for a bitset on a numeric column."""
    from sparkwing.mojo._tree import Forest
    from sparkwing.mojo._tree_table import DecisionTable

    i64 = np.int64

    def forest(domains: list[int]) -> Forest:
        # tree 0: bitset on col 1 -> leaves 10 / 11; trees 1, 2: NA-vs-rest on col 0 -> 12 / 13,
        # 14 / 15 (na_left set); tree 3: a stump (16)
        return Forest(
            col=np.array([1, 0, 0], i64), split=np.zeros(3), na_left=np.array([True, False, True]),
            na_vs_rest=np.array([False, True, True]), is_bitset=np.array([True, False, False]),
            bit_start=np.zeros(3, i64), bitoff=np.array([1, 0, 0], i64), nbits=np.array([3, 0, 0], i64),
            left=np.array([~0, ~2, ~4], i64), right=np.array([~1, ~3, ~5], i64),
            leaves=np.arange(7, dtype=np.float64) + 10, bits=np.array([1, 0, 1], np.uint8),
            roots=np.array([0, 1, 2, ~6], i64), domain_sizes=np.array(domains, i64), depth=1,
        )  # fmt: skip

    big = np.iinfo(i64).max
    f = forest([big, 5])
    x = np.array([[np.nan, 0], [1, np.nan], [1, 0], [1, 1], [1, 2], [1, 3], [1, 4], [1, 5], [1, -1]])
    table = DecisionTable.build(f)
    assert table is not None
    got = f.leaf_values(np.tile(x, (300, 1)))[:, : len(x)]  # enough rows for the batch walk
    # levels 0 and 4 lie outside the bitset, 5 outside the domain, -1 is no level: all go left (NA)
    assert got[0].tolist() == [10, 10, 10, 11, 10, 11, 10, 10, 10]
    assert got[1].tolist() == [13] + [12] * 8
    assert got[2].tolist() == [15] + [14] * 8
    assert got[3].tolist() == [16] * 9
    assert np.array_equal(got, np.array([f.row_leaves(r) for r in x.tolist()]).T)
    assert DecisionTable.build(forest([big, big])) is None


def test_decision_table_not_built_for_too_many_questions(monkeypatch: pytest.MonkeyPatch) -> None:
    from sparkwing.mojo._tree_table import DecisionTable

    model, rows = _load("drf_creditg")
    forest = model._scorer.forest
    assert DecisionTable.build(forest) is not None
    monkeypatch.setattr(DecisionTable, "min_chunk_rows", DecisionTable.chunk_answers)
    assert DecisionTable.build(forest) is None
    forest._decided = False
    assert forest.decision_table() is None
    x = model.encode(rows).values
    assert model._scorer.forest.leaf_values(x).shape == (forest.n_trees, len(x))


XGB_TREES = [n for n in NAMES if manifest()[n]["algo"] == "xgboost" and "gblinear" not in n]


@pytest.mark.parametrize(("virtual", "top"), [(True, 3), (False, 3), (True, 1)])
@pytest.mark.parametrize("name", XGB_TREES)
def test_xgboost_heap_walk_matches_node_walk(
    name: str, virtual: bool, top: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The level-by-level heap walk finds, bit for bit, the leaves of the node-by-node walk,
    on distinct numbers near the splits, missing cells and unseen levels alike (the top levels
    decoded from a code, the rest stepped; one-hot nodes as virtual columns or XOR tests)."""
    from sparkwing.mojo._xgboost import XGBoostScorer, _HeapForest

    if not virtual:  # the one-hot nodes keep their XOR test instead of virtual columns
        monkeypatch.setattr(XGBoostScorer, "max_virtual", 0)
    monkeypatch.setattr(_HeapForest, "top_levels", top)
    model, rows = _load(name)
    scorer = model._scorer
    x = model.encode(rows).values
    rng = np.random.default_rng(7)
    x = x[rng.integers(0, len(x), 3000)]
    nums = x[:, scorer.cats :]
    nums += rng.normal(0.0, 0.01, nums.shape) * np.nan_to_num(np.nanstd(nums, axis=0), nan=1.0)
    nums[rng.random(nums.shape) < 0.05] = np.nan
    if scorer.cats:
        cats = x[:, : scorer.cats]
        cats[rng.random(cats.shape) < 0.05] = 999.0  # unseen level
    heap = scorer._leaves(x)
    assert scorer._heap
    pairs = scorer._leaves_pairs(x, np.empty_like(heap))
    assert np.array_equal(heap.view(np.uint32), pairs.view(np.uint32))


def test_xgboost_too_deep_or_too_many_tests_falls_back_to_the_node_walk(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sparkwing.mojo._xgboost import _HeapForest

    model, rows = _load("xgb_loan")
    heap = model.predict_numpy(rows)
    assert isinstance(model._scorer._heap, _HeapForest)
    for attr, value in (("max_slots", 0), ("min_chunk_rows", 1 << 22)):
        with monkeypatch.context() as m:
            m.setattr(_HeapForest, attr, value)
            walked, _ = _load("xgb_loan")
            assert _same(walked.predict_numpy(rows), heap)
            assert walked._scorer._heap is False
