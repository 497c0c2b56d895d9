"""Fast kernels against the exact paths they replace, on hostile input.

The column-at-a-time tie count of multiclass labels (few classes, many rows) against the row
sums, multiclass models scored in one batch against the same rows one at a time (which take the
row-sum path), and the Arrow number parse on hostile cells with missing cells and slices.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sparkwing.mojo._labels import _tie_counts, multinomial_labels
from sparkwing.mojo._numbers import parse_arrow_numbers, parse_java_double


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_arrow_parse_of_hostile_cells_with_nulls_and_slices(seed: int) -> None:
    import pyarrow as pa

    rnd = np.random.default_rng(seed)
    pieces = ["1", "2.5", "-3e2", ".5", "+7", "e", "-", "x", "inf", "nan", "NaN", "Infinity", " ", "\n",
              "_", "0x1p3", "\u0661", ",", "/", "\x00", "é", "1e400", "", "1.5d"]  # fmt: skip
    cells: list[str | None] = ["".join(rnd.choice(pieces, rnd.integers(0, 4))) for _ in range(3000)]
    for i in rnd.integers(0, len(cells), 300).tolist():
        cells[i] = None
    for batch in (cells, cells[:1], [None], [""], ["1.5"], ["x"], [None, "x", None, ""]):
        whole = pa.array(batch, type=pa.string())
        # a sliced array (offsets not starting at 0 in its data buffer) after concat, like the caller
        for arr in (whole, pa.concat_arrays([whole.slice(len(batch) // 3)])):
            got = parse_arrow_numbers(arr)
            assert got is not None
            values, rejected = got
            for text, v, bad in zip(arr.to_pylist(), values.tolist(), rejected.tolist(), strict=True):
                want = math.nan if text is None else parse_java_double(text)
                assert bad == (want is None), repr(text)
                if want is not None:
                    assert (math.isnan(v) and math.isnan(want)) or v == want, repr(text)


def _hostile_probs(rnd: np.random.Generator, n: int, k: int) -> np.ndarray:
    pool = np.array([0.0, -0.0, 0.5, 0.5, 1.0, np.nan, np.inf, -np.inf, 1e-300, 5e-324])
    p = rnd.choice(pool, (n, k))  # ties (0.5, 0.0 and -0.0), NaN, infinities, subnormals
    mix = rnd.random((n, k)) < 0.4
    p[mix] = rnd.random(int(mix.sum()))
    return p


@pytest.mark.parametrize("k", [1, 2, 3, 8, 9])
@pytest.mark.parametrize("n", [0, 1, 63, 64, 65, 3000])
def test_tie_counts_by_column_are_the_row_sums(n: int, k: int) -> None:
    rnd = np.random.default_rng(n * 10 + k)
    base = _hostile_probs(rnd, n, k + 1)
    for probs in (base[:, 1:], np.ascontiguousarray(base[:, 1:]), base[:, 1:].astype(np.float32)):
        top = probs[np.arange(n), np.argmax(probs, axis=1)] if n else np.zeros(0, probs.dtype)
        assert _tie_counts(probs, top).tolist() == (probs == top[:, None]).sum(axis=1).tolist()


def _old_multinomial_labels(probs: np.ndarray, priors: np.ndarray | None, rows: np.ndarray) -> np.ndarray:
    from sparkwing.mojo._labels import _tie_break

    labels = np.argmax(probs, axis=1)
    top = probs[np.arange(len(probs)), labels]
    for r in np.flatnonzero((probs == top[:, None]).sum(axis=1) > 1):
        labels[r] = _tie_break(probs[r], priors, rows[r])
    return labels.astype(np.float64)


@pytest.mark.parametrize("k", [2, 3, 4, 8, 9])
@pytest.mark.parametrize("priors", [None, "given"])
def test_multinomial_labels_column_path_is_the_row_path(k: int, priors: str | None) -> None:
    rnd = np.random.default_rng(k)
    n = 2000
    probs = _hostile_probs(rnd, n, k)
    rows = rnd.normal(0, 1, (n, 5))
    rows[rnd.random(rows.shape) < 0.2] = np.nan
    pri = None if priors is None else rnd.random(k) + 0.1
    got = multinomial_labels(probs, pri, rows)
    assert got.tolist() == _old_multinomial_labels(probs, pri, rows).tolist()
    one = [multinomial_labels(probs[r : r + 1], pri, rows[r : r + 1])[0] for r in range(0, n, 37)]
    assert one == got[::37].tolist()


@pytest.mark.parametrize(
    "name", ["xgb_multinomial_iris", "gbm_multinomial_iris", "drf_multinomial_iris", "dl_rectdrop_iris"]
)
def test_multiclass_batch_is_the_rows_one_at_a_time(name: str) -> None:
    """A batch (column tie counts) scores every row as that row alone does (row sums), on
    hostile rows: missing, infinite, huge and out-of-domain cells, and duplicated rows."""
    from mojo_parity import FIXTURES, manifest, read_tsv
    from sparkwing import mojo

    entry = manifest()[name]
    model = mojo.load(FIXTURES / entry["mojo"])
    x = model.encode(read_tsv(FIXTURES / entry["input"])).values
    rnd = np.random.default_rng(3)
    hostile = x[rnd.integers(0, len(x), 400)].copy()
    cells = rnd.random(hostile.shape)
    hostile[cells < 0.05] = np.nan
    hostile[(cells >= 0.05) & (cells < 0.08)] = np.inf
    hostile[(cells >= 0.08) & (cells < 0.11)] = -np.inf
    hostile[(cells >= 0.11) & (cells < 0.13)] = 1e308
    hostile[(cells >= 0.13) & (cells < 0.15)] = -1e308
    rows = np.vstack([x, hostile, hostile[:50]])
    batch = model.predict_numpy(rows)
    one = np.vstack([model.predict_numpy(rows[r : r + 1]) for r in range(len(rows))])
    assert batch.tobytes() == one.tobytes()
