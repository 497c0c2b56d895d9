"""Which one-hot input each categorical column sets, as Deep Learning and XGBoost MOJOs lay them out."""

from __future__ import annotations

import numpy as np


def one_hot_index(x: np.ndarray, cats: int, offsets: np.ndarray, all_levels: bool) -> np.ndarray:
    """``(rows, cats)`` indices of the input set to 1.0 for each categorical column (-1: none).

    Column ``i``'s inputs are ``offsets[i]..offsets[i+1]-1``; a missing or out-of-domain level
    sets the last one (the NA input), and without ``all_levels`` level 0 sets none.
    """
    hot = np.full((len(x), cats), -1, dtype=np.int64)
    for i in range(cats):
        lo, hi = int(offsets[i]), int(offsets[i + 1])
        if hi <= lo:
            continue
        v = x[:, i]
        nan = np.isnan(v)
        vi = np.trunc(np.clip(np.where(nan, 0, v), -(2.0**31), 2.0**31 - 1)).astype(np.int64)
        h = vi + lo if all_levels else vi - 1 + lo
        h = np.where(nan | (h >= hi), hi - 1, h)
        hot[:, i] = np.where(h >= lo, h, -1)
    return hot


def set_one_hot(out: np.ndarray, hot: np.ndarray) -> None:
    """Write 1.0 into ``out`` at every index of :func:`one_hot_index`'s result."""
    rows = np.arange(len(out))
    for i in range(hot.shape[1]):
        idx = hot[:, i]
        keep = idx >= 0
        out[rows[keep], idx[keep]] = 1.0
