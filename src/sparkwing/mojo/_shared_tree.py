"""GBM, DRF/XRT and Isolation Forest: tree sums turned into predictions (mojo-format §3.6).

    >>> scorer = tree_scorer(reader, meta)   # doctest: +SKIP
    >>> scorer.score(rows)                   # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sparkwing.errors import MojoError
from sparkwing.mojo._calibration import read_calibration
from sparkwing.mojo._container import MojoReader
from sparkwing.mojo._labels import binomial_labels, correct_probabilities, multinomial_labels
from sparkwing.mojo._meta import Meta, check_encoding
from sparkwing.mojo._scalar import exp_capped
from sparkwing.mojo._tree import Forest, decode_forest

_EXP_CAP = 1e19
_CLASSIFIER_DISTS = ("bernoulli", "quasibinomial", "modified_huber")
_REGRESSION_DISTS = (
    "gaussian", "poisson", "gamma", "tweedie", "laplace", "quantile", "huber",
)  # fmt: skip
_DEFAULT_LINK = {
    "bernoulli": "logit", "quasibinomial": "logit", "modified_huber": "logit",
    "multinomial": "log", "poisson": "log", "gamma": "log", "tweedie": "log",
}  # fmt: skip


def _exp(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return np.minimum(_EXP_CAP, np.exp(x))


def gbm_link_inverse(link: str, f: np.ndarray) -> np.ndarray:
    if link == "identity":
        return f
    if link == "log":
        return _exp(f)
    if link in ("logit", "ologit"):
        return 1.0 / (1.0 + _exp(-f))
    if link == "ologlog":
        return 1.0 - np.exp(-_exp(f))
    if link == "inverse":
        # GBM's inverse link clamps with max(-1e-5, f) for f >= 0 (sic, unlike GLM).
        xx = np.where(f < 0, np.minimum(-1e-5, f), np.maximum(-1e-5, f))
        return 1.0 / xx
    if link == "oprobit":
        return np.zeros_like(f)  # genmodel returns 0 here
    raise MojoError(f"unsupported GBM link function {link!r}")


def _link_row(link: str, f: float) -> float:
    """:func:`gbm_link_inverse` of one float (the same operations; NumPy's exp)."""
    if link in ("logit", "ologit"):
        return 1.0 / (1.0 + exp_capped(-f, _EXP_CAP))
    if link == "identity":
        return f
    if link == "log":
        return exp_capped(f, _EXP_CAP)
    with np.errstate(all="ignore"):  # the rare links: the array function itself
        return float(gbm_link_inverse(link, np.array([f]))[0])


class TreeScorer:
    """Scores a GBM / DRF / Isolation Forest MOJO."""

    def __init__(self, reader: MojoReader, meta: Meta) -> None:
        check_encoding(reader)
        ini = reader.ini
        self.meta = meta
        self.algo = meta.algo
        limits = reader.limits
        self.n_groups = ini.get_int("n_trees", lo=0, hi=limits.max_trees)
        k = meta.n_classes
        self.double_trees = ini.get_bool("binomial_double_trees", False)
        default_tpc = 1 if (k == 2 and not self.double_trees) else k
        self.per_class = ini.get_int("n_trees_per_class", default_tpc, lo=1, hi=k if k > 1 else 1)
        if self.n_groups * self.per_class > limits.max_trees:
            declared = self.n_groups * self.per_class
            raise MojoError(f"MOJO declares {declared:,} trees (limit {limits.max_trees:,})",
                            hint="corrupt or hostile MOJO; raise Limits.max_trees if it is genuine")
        blobs: list[bytes] = []
        names: list[str] = []
        self.tree_class: list[int] = []
        # Tree order = Java's scoring order: group-major, class inner.  Only the trees present are
        # decoded: an absent tree scores 0 (genmodel skips it), so it must cost nothing either --
        # a declared count cannot make work that the file does not hold.
        for g in range(self.n_groups):
            for c in range(self.per_class):
                name = f"trees/t{c:02d}_{g:03d}.bin"
                if reader.has(name):
                    blobs.append(reader.read(name))
                    names.append(name)
                    self.tree_class.append(c)
        self.targets = [0 if k == 1 else 1 + c for c in range(self.per_class)]
        self.forest: Forest = decode_forest(blobs, meta.n_features, meta.domain_sizes, names)
        #: (output column, tree indices in scoring order) per class that has trees
        self._class_trees = [
            (self.targets[c], [t for t, k in enumerate(self.tree_class) if k == c])
            for c in range(self.per_class)
            if c in self.tree_class
        ]
        #: node steps to score one row (the vectorised walk takes ``depth`` steps for every tree)
        self.row_cost = self.forest.n_trees * max(1, self.forest.depth)
        if self.row_cost > limits.max_row_cost:
            raise MojoError(
                f"MOJO needs {self.row_cost:,} tree steps per row ({self.forest.n_trees:,} trees, depth "
                f"{self.forest.depth}; limit {limits.max_row_cost:,})",
                hint="raise Limits.max_row_cost to score this model")
        self.row_bytes = 8 * (self.forest.n_trees + meta.n_classes + 4)  # leaf values + outputs per row
        self.calibration = read_calibration(reader) if meta.category == "Binomial" else None
        if self.algo == "gbm":
            self.distribution = ini.get_str("distribution")
            self.link = ini.get_str("link_function", _DEFAULT_LINK.get(self.distribution, "identity"))
            self.init_f = ini.get_float("init_f", 0.0)
            ok = _CLASSIFIER_DISTS + _REGRESSION_DISTS + ("multinomial",)
            if self.distribution not in ok:
                raise MojoError(f"unsupported GBM distribution {self.distribution!r}")
        elif self.algo == "isolationforest":
            self.min_len = ini.get_float("min_path_length")
            self.max_len = ini.get_float("max_path_length")
            self.flag = ini.get_bool("output_anomaly_flag", False)

    @property
    def width(self) -> int:
        if self.algo == "isolationforest":
            return 3 if self.flag else 2
        return self.meta.n_classes + 1 if self.meta.n_classes > 1 else 2

    def sums(self, x: np.ndarray) -> np.ndarray:
        n = x.shape[0]
        width = self.meta.n_classes + 1 if self.meta.n_classes > 1 else 2
        forest = self.forest
        if n == 1 and 0 < forest.n_trees * max(1, forest.depth) <= forest.row_cost_limit:
            return self._row_sums(x[0].tolist(), width)
        preds = np.zeros((n, width))
        leaves = self.forest.leaf_values(x)  # (trees, rows), group-major / class-minor
        if n == 0 or not len(leaves):
            return preds
        # A running sum adds the trees of a class one by one, as genmodel's double sum
        # (add.reduce could pair terms up when there is a single row).
        complete = len(self.tree_class) == self.n_groups * self.per_class
        classes = np.asarray(self.tree_class)
        for c in range(self.per_class):
            trees = leaves[c :: self.per_class] if complete else leaves[classes == c]
            if not len(trees):
                continue
            if n <= 256:
                preds[:, self.targets[c]] = np.add.accumulate(trees, axis=0)[-1]
            else:
                acc = trees[0].copy()
                for row in trees[1:]:
                    acc += row
                preds[:, self.targets[c]] = acc
        return preds

    def _row_sums(self, row: list[float], width: int) -> np.ndarray:
        """:meth:`sums` of one row as a one-row array."""
        return np.array([self._row_sum_list(row, width)])

    def _row_sum_list(self, row: list[float], width: int) -> list[float]:
        """:meth:`sums` of one row in plain floats: the same additions in the same order."""
        values = self.forest.row_leaves(row)
        out = [0.0] * width
        for target, trees in self._class_trees:
            acc = values[trees[0]]
            for t in trees[1:]:
                acc += values[t]
            out[target] = acc
        return out

    def row_scorer(self) -> Callable[[list[float]], list[float]] | None:
        """:meth:`score_row` when this model's one row can be scored in plain floats, else ``None``:
        GBM binomial and regression, DRF binomial and regression, Isolation Forest, without
        calibration or class balancing (the others take :meth:`score` on a one-row array)."""
        forest, k = self.forest, self.meta.n_classes
        if not 0 < forest.n_trees * max(1, forest.depth) <= forest.row_cost_limit:
            return None
        if self.calibration is not None or (k > 1 and self.meta.balance_classes):
            return None
        if self.algo == "gbm":
            ok = (k == 2 and self.distribution in _CLASSIFIER_DISTS) or (
                k == 1 and self.distribution in _REGRESSION_DISTS)
        elif self.algo == "drf":
            ok = k == 1 or (k == 2 and not self.double_trees and self.per_class == 1)
        else:
            ok = self.n_groups > 0
        return self.score_row if ok else None

    def score_row(self, row: list[float]) -> list[float]:
        """One row of :meth:`score` in plain floats (the models :meth:`row_scorer` accepts): the
        same additions in the same order, ``exp`` through NumPy.  ``row`` is modified."""
        out = self._row_sum_list(row, 3 if self.meta.n_classes == 2 else 2)
        algo = self.algo
        if algo == "gbm":
            if self.meta.n_classes == 1:
                out[0] = _link_row(self.link, out[0] + self.init_f)
                return out
            p1 = _link_row(self.link, out[1] + self.init_f)
            out[1], out[2] = 1.0 - p1, p1
        elif algo == "drf":
            if self.meta.n_classes == 1:
                out[0] /= self.n_groups
                return out
            out[1] /= self.n_groups
            out[2] = 1.0 - out[1]
        else:
            s = out[0]
            mean_length = s / self.n_groups
            score = (self.max_len - s) / (self.max_len - self.min_len) if self.max_len > self.min_len else 1.0
            if self.flag:
                return [1.0 if score > self.meta.default_threshold else 0.0, score, mean_length]
            return [score, mean_length]
        out[0] = 1.0 if out[2] >= self.meta.default_threshold else 0.0
        return out

    def score(self, x: np.ndarray) -> np.ndarray:
        preds = self.sums(x)
        if self.algo == "gbm":
            preds = self._gbm(preds)
        elif self.algo == "drf":
            preds = self._drf(preds)
        else:
            return self._isolation(preds)
        if self.meta.n_classes > 1:
            preds = self._label(preds, x)
        if self.calibration is not None:
            preds = np.hstack([preds, self.calibration.calibrate(preds)])
        return preds

    def _gbm(self, preds: np.ndarray) -> np.ndarray:
        dist, k = self.distribution, self.meta.n_classes
        if dist in _CLASSIFIER_DISTS:
            if k != 2:
                raise MojoError(f"GBM {dist} MOJO must have 2 classes, has {k}")
            p1 = gbm_link_inverse(self.link, preds[:, 1] + self.init_f)
            preds[:, 1], preds[:, 2] = 1.0 - p1, p1
        elif dist == "multinomial":
            if k < 2:
                raise MojoError("GBM multinomial MOJO must have 2 or more classes")
            if k == 2:
                preds[:, 1] += self.init_f
                preds[:, 2] = -preds[:, 1]
            body = preds[:, 1:]
            body = np.exp(body - body.max(axis=1, keepdims=True))
            preds[:, 1:] = body / body.sum(axis=1, keepdims=True)
        else:
            if k != 1:
                raise MojoError(f"GBM {dist} MOJO must be a regression, has {k} classes")
            preds[:, 0] = gbm_link_inverse(self.link, preds[:, 0] + self.init_f)
        return preds

    def _drf(self, preds: np.ndarray) -> np.ndarray:
        k = self.meta.n_classes
        if k == 1:
            preds[:, 0] /= self.n_groups
        elif k == 2 and not self.double_trees and self.per_class == 1:
            preds[:, 1] /= self.n_groups
            preds[:, 2] = 1.0 - preds[:, 1]
        else:
            total = preds[:, 1:].sum(axis=1, keepdims=True)
            with np.errstate(invalid="ignore", divide="ignore"):
                preds[:, 1:] = np.where(total > 0, preds[:, 1:] / total, preds[:, 1:])
        return preds

    def _label(self, preds: np.ndarray, x: np.ndarray) -> np.ndarray:
        meta = self.meta
        if (
            meta.balance_classes
            and meta.prior_class_distrib is not None
            and meta.model_class_distrib is not None
        ):
            preds[:, 1:] = correct_probabilities(
                preds[:, 1:], meta.prior_class_distrib, meta.model_class_distrib
            )
        if meta.n_classes == 2:
            preds[:, 0] = binomial_labels(preds[:, 2], meta.default_threshold)
        else:
            preds[:, 0] = multinomial_labels(preds[:, 1:], meta.prior_class_distrib, x)
        return preds

    def _isolation(self, preds: np.ndarray) -> np.ndarray:
        s = preds[:, 0]
        mean_length = s / self.n_groups
        if self.max_len > self.min_len:
            score = (self.max_len - s) / (self.max_len - self.min_len)
        else:
            score = np.ones_like(s)
        if self.flag:
            flag = (score > self.meta.default_threshold).astype(np.float64)
            return np.column_stack([flag, score, mean_length])
        return np.column_stack([score, mean_length])
