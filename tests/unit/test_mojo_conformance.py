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
        from sparkwing.mojo._xgboost import XGBoostScorer

        model, rows = _load(name)
        if model.info.algorithm == "glrm":
            pytest.skip("GLRM results depend on how many rows the model has scored")
        x = model.encode(rows).values
        one = model.predict_numpy(x)
        monkeypatch.setattr(XGBoostScorer, "chunk_pairs", 999)
        monkeypatch.setattr(Forest, "chunk_pairs", 999)
        many = model.predict_numpy(np.tile(x, (12, 1)))  # 3,600 rows: several chunks everywhere
        assert _same(many, np.tile(one, (12, 1)))


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
