"""Class labels from probabilities, as ``GenModel.getPrediction`` (incl. its tie-break).

    >>> binomial_labels(np.array([0.2, 0.7]), 0.5).tolist()
    [0.0, 1.0]
"""

from __future__ import annotations

import numpy as np

from sparkwing.mojo._jrandom import JavaRandom, to_long


def binomial_labels(p1: np.ndarray, threshold: float) -> np.ndarray:
    """1 where ``p1 >= threshold`` (NaN → 0, as Java's comparison is false)."""
    return (p1 >= threshold).astype(np.float64)


def _row_hash(row: np.ndarray) -> int:
    # Every NaN becomes Java's canonical Double.NaN (0x7ff8000000000000) before taking the bits.
    bits = np.where(np.isnan(row), np.float64(np.nan), row).astype(np.float64).view(np.int64)
    h = 0
    for b in bits.tolist():
        h ^= b >> 6  # arithmetic shift of a signed long
    return to_long(h)


def _tie_break(probs: np.ndarray, priors: np.ndarray | None, row: np.ndarray) -> int:
    k = len(probs)
    ties = [0]
    best, tie_cnt = 0, 0
    for c in range(1, k):
        if probs[best] < probs[c]:
            best, tie_cnt = c, 0
        elif probs[best] == probs[c]:
            tie_cnt += 1
            ties.append(c)
    if tie_cnt == 0:
        return best
    h = _row_hash(row)
    if priors is not None:
        total = 0.0
        for i in ties:
            total += priors[i]
        tie = JavaRandom(h).next_double()
        partial = 0.0
        for i in ties:
            partial += priors[i] / total
            if tie <= partial:
                return i
    res = probs[best]
    low = h & 0xFFFFFFFF
    low = low - (1 << 32) if low >= (1 << 31) else low  # (int) hash
    idx = abs(low) % (tie_cnt + 1) * (1 if low >= 0 else -1)  # Java remainder keeps the sign
    for c in range(k):
        if res == probs[c]:
            idx -= 1
            if idx < 0:
                return c
    return best  # pragma: no cover - unreachable in Java too


def multinomial_labels(probs: np.ndarray, priors: np.ndarray | None, rows: np.ndarray) -> np.ndarray:
    """Argmax per row; rows with tied maxima use H2O's seeded, prior-weighted tie-break."""
    if probs.shape[0] == 0:
        return np.zeros(0)
    labels = np.argmax(probs, axis=1)
    top = probs[np.arange(len(probs)), labels]
    tied = np.flatnonzero(_tie_counts(probs, top) > 1)
    for r in tied:
        labels[r] = _tie_break(probs[r], priors, rows[r])
    return labels.astype(np.float64)


#: tie counts one class column at a time for up to this many classes (and at least
#: ``_COLUMN_ROWS`` rows): ``sum(axis=1)`` of a few bools per row is a slow per-row loop
#: (16,384 rows, 3 classes: ~0.45 ms against ~0.09 ms for three vector comparisons)
_COLUMN_CLASSES = 8
_COLUMN_ROWS = 64


def _tie_counts(probs: np.ndarray, top: np.ndarray) -> np.ndarray:
    """Per row, how many classes equal ``top`` (the row's maximum; NaN equals nothing)."""
    n, k = probs.shape
    if k > _COLUMN_CLASSES or n < _COLUMN_ROWS:
        return (probs == top[:, None]).sum(axis=1)
    count = (probs[:, 0] == top).astype(np.intp)
    for c in range(1, k):
        count += probs[:, c] == top
    return count


def argmax_labels(probs: np.ndarray) -> np.ndarray:
    """First index of the maximum (GLM's simple argmax)."""
    if probs.shape[0] == 0:
        return np.zeros(0)
    return np.argmax(probs, axis=1).astype(np.float64)


def correct_probabilities(probs: np.ndarray, prior: np.ndarray, model_dist: np.ndarray) -> np.ndarray:
    """``balance_classes`` prior correction (GenModel.correctProbabilities)."""
    out = probs.copy()
    for c in range(out.shape[1]):
        if prior[c] != 0 and model_dist[c] != 0:
            out[:, c] *= prior[c] / model_dist[c]
    total = out.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return out / total
