"""GLM: single-output families, multinomial and ordinal (mojo-format §4).

Sums follow genmodel's order (categoricals, numerics, intercept) so results match to the bit.
Rows genmodel rejects (a missing categorical without mean imputation) score as NaN.

    >>> scorer = GlmScorer(reader, meta)   # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from sparkwing.errors import MojoError
from sparkwing.mojo._container import MojoReader
from sparkwing.mojo._labels import binomial_labels
from sparkwing.mojo._meta import Meta
from sparkwing.mojo._scalar import exp

_BINOMIAL = ("binomial", "fractionalbinomial", "quasibinomial")
_SINGLE = (*_BINOMIAL, "gaussian", "poisson", "gamma", "tweedie", "negativebinomial")


class GlmScorer:
    def __init__(self, reader: MojoReader, meta: Meta) -> None:
        ini = reader.ini
        self.meta = meta
        self.family = ini.get_str("family")
        self.link = ini.get_str("link", "identity")
        self.all_levels = ini.get_bool("use_all_factor_levels")
        self.cats = ini.get_int("cats", lo=0, hi=meta.n_features)
        self.nums = ini.get_int("nums", lo=0, hi=meta.n_features)
        self.cat_offsets = np.array(ini.get_ints("cat_offsets"), dtype=np.int64)
        self.beta = np.array(ini.get_floats("beta"), dtype=np.float64)
        self.mean_imputation = ini.get_bool("mean_imputation", False)
        self.tweedie_power = ini.get_float("tweedie_link_power", 0.0) if self.link == "tweedie" else 0.0
        self.details = {"family": self.family, "link": self.link}
        if self.cats + self.nums != meta.n_features:
            raise MojoError(f"GLM cats + nums = {self.cats + self.nums}, n_features = {meta.n_features}")
        if len(self.cat_offsets) != self.cats + 1 or np.any(np.diff(self.cat_offsets) < 0) or (
            len(self.cat_offsets) and self.cat_offsets[0] != 0
        ):
            raise MojoError("GLM cat_offsets are malformed", hint="corrupt MOJO")
        if self.family in ("multinomial", "ordinal"):
            self.blocks = meta.n_classes
        elif self.family in _SINGLE:
            self.blocks = 1
        else:
            raise MojoError(f"unsupported GLM family {self.family!r}")
        if self.blocks < 1 or len(self.beta) % self.blocks:
            raise MojoError("GLM beta length does not fit the number of classes")
        self.p = len(self.beta) // self.blocks
        if self.p != int(self.cat_offsets[-1]) + self.nums + 1:
            raise MojoError(
                f"GLM beta has {self.p} coefficients per class, layout needs "
                f"{int(self.cat_offsets[-1]) + self.nums + 1}",
                hint="corrupt MOJO",
            )
        if self.mean_imputation:
            self.num_means = np.array(ini.get_floats("num_means", []), dtype=np.float64)
            self.cat_modes = np.array(ini.get_ints("cat_modes", []), dtype=np.float64)
            if len(self.num_means) != self.nums or len(self.cat_modes) != self.cats:
                raise MojoError("GLM num_means / cat_modes do not match the columns")
        if self.family not in ("multinomial", "ordinal") and self.link not in (
            "identity", "logit", "log", "inverse", "tweedie"
        ):
            raise MojoError(f"unsupported GLM link {self.link!r}")
        self.category = meta.category
        # Python lists for the few-rows path (indexing a list beats indexing an array).
        self._beta_list = self.beta.tolist()
        self._offsets_list = [int(o) for o in self.cat_offsets]
        self._means_list = self.num_means.tolist() if self.mean_imputation else []
        self._modes_list = self.cat_modes.tolist() if self.mean_imputation else []

    # -- linear predictor ----------------------------------------------------------------------
    def _columns(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Feature-major imputed copy of the rows ``x`` (each step runs down a contiguous column),
        per-categorical coefficient indices (``idx[i]``, -1 = none) and the bad-row mask."""
        cols = np.array(x.T, dtype=np.float64, order="C")
        n = len(x)
        if self.mean_imputation:
            for i in range(self.cats):
                col = cols[i]
                col[np.isnan(col)] = self.cat_modes[i]
            for j in range(self.nums):
                col = cols[self.cats + j]
                col[np.isnan(col)] = self.num_means[j]
        bad = np.zeros(n, dtype=bool)
        idx = np.full((self.cats, n), -1, dtype=np.int64)
        for i in range(self.cats):
            v = cols[i]
            ok = np.isfinite(v) & (v == np.trunc(v)) & (np.abs(v) < 2**31)
            vi = np.where(ok, v, 0).astype(np.int64)
            if self.all_levels:
                k = vi + self.cat_offsets[i]
                use = ok & (k < self.cat_offsets[i + 1]) & (k >= self.cat_offsets[i])
                bad |= ~ok
            else:
                k = vi - 1 + self.cat_offsets[i]
                use = ok & (vi != 0) & (k < self.cat_offsets[i + 1]) & (k >= self.cat_offsets[i])
                bad |= ~ok & (v != 0)
            idx[i] = np.where(use, k, -1)
        return cols, idx, bad

    def _eta(self, cols: np.ndarray, idx: np.ndarray, block: int) -> np.ndarray:
        """The linear predictor of class ``block`` on :meth:`_columns`' output, genmodel's order."""
        beta = self.beta[block * self.p : (block + 1) * self.p]
        eta = np.zeros(cols.shape[1])
        for i in range(self.cats):
            k = idx[i]
            eta += np.where(k >= 0, beta[np.maximum(k, 0)], 0.0)
        noff = int(self.cat_offsets[-1])
        for j in range(self.nums):
            eta += beta[noff + j] * cols[self.cats + j]
        eta += beta[-1]
        return eta

    def _link_inv(self, eta: np.ndarray) -> np.ndarray:
        link = self.link
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            if link == "identity":
                return eta
            if link == "logit":
                return 1.0 / (np.exp(-eta) + 1.0)
            if link == "log":
                return np.exp(eta)
            if link == "inverse":
                xx = np.where(eta < 0, np.minimum(-1e-5, eta), np.maximum(1e-5, eta))
                return 1.0 / xx
            if self.tweedie_power == 0:
                return np.maximum(2e-16, np.exp(eta))
            return np.power(eta, 1.0 / self.tweedie_power)

    # -- scoring -------------------------------------------------------------------------------
    def score(self, x: np.ndarray) -> np.ndarray:
        if len(x) <= 4 and self.family not in ("multinomial", "ordinal"):
            return self._score_few(x)
        n = len(x)
        cols, idx, bad = self._columns(x)
        if self.family == "multinomial":
            preds = self._multinomial(cols, idx)
        elif self.family == "ordinal":
            preds = self._ordinal(cols, idx)
        else:
            mu = self._link_inv(self._eta(cols, idx, 0))
            if self.family in _BINOMIAL:
                preds = np.column_stack([binomial_labels(mu, self.meta.default_threshold), 1.0 - mu, mu])
            else:
                preds = np.column_stack([mu, np.zeros(n)])
        preds[bad] = np.nan
        return preds

    def _score_few(self, x: np.ndarray) -> np.ndarray:
        """Plain-float path for a handful of rows (online scoring): same operations, same order."""
        width = 3 if self.family in _BINOMIAL else 2
        return np.array([self.score_row(row) for row in x.tolist()], dtype=np.float64).reshape(len(x), width)

    def row_scorer(self) -> Callable[[list[float]], list[float]] | None:
        """:meth:`score_row` for the single-output families (multinomial/ordinal: ``None``)."""
        return None if self.family in ("multinomial", "ordinal") else self.score_row

    def score_row(self, row: list[float]) -> list[float]:
        """One row of :meth:`score` in plain floats (single-output families): the same operations
        in the same order, ``exp`` through NumPy (so the last bit matches the batch path)."""
        beta = self._beta_list
        offs = self._offsets_list
        all_levels = self.all_levels
        eta = 0.0
        bad = False
        for i in range(self.cats):
            v = row[i]
            if v != v and self.mean_imputation:
                v = self._modes_list[i]
            if not (v == v and abs(v) < 2**31 and v == int(v)):  # inf: no int()
                if all_levels or v != 0:
                    bad = True
                continue
            k = int(v) + offs[i] if all_levels else int(v) - 1 + offs[i]
            if (all_levels or v != 0) and offs[i] <= k < offs[i + 1]:
                eta += beta[k]
        noff = offs[-1]
        cats = self.cats
        if self.mean_imputation:
            means = self._means_list
            for j in range(self.nums):
                v = row[cats + j]
                eta += beta[noff + j] * (means[j] if v != v else v)
        else:
            for j in range(self.nums):
                eta += beta[noff + j] * row[cats + j]
        eta += beta[-1]
        binomial = self.family in _BINOMIAL
        if bad:
            return [math.nan] * (3 if binomial else 2)
        link = self.link
        if link == "logit":
            mu = 1.0 / (exp(-eta) + 1.0)
        elif link == "identity":
            mu = eta
        elif link == "log":
            mu = exp(eta)
        else:  # inverse, tweedie: rare online; the array function itself
            mu = float(self._link_inv(np.array([eta]))[0])
        if binomial:
            return [1.0 if mu >= self.meta.default_threshold else 0.0, 1.0 - mu, mu]
        return [mu, 0.0]

    def _multinomial(self, cols: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """Softmax as genmodel's ``glmScore0``: shift by max(0, etas), then the sum of the
        exponentials class by class (a row-wise ``sum`` pairs terms up from 8 classes on)."""
        k = self.blocks
        n = cols.shape[1]
        out = np.empty((n, k + 1))
        etas = [self._eta(cols, idx, c) for c in range(k)]
        max_row = np.zeros(n)
        for eta in etas:
            np.maximum(max_row, eta, out=max_row)
        e = out[:, 1:]
        with np.errstate(over="ignore", invalid="ignore"):
            for c, eta in enumerate(etas):
                e[:, c] = np.exp(eta - max_row)
            total = e[:, 0].copy()
            for c in range(1, k):
                total += e[:, c]
            s = 1.0 / total  # genmodel multiplies by the reciprocal
        out[:, 0] = np.argmax(e, axis=1)
        e *= s[:, None]
        return out

    def _ordinal(self, cols: np.ndarray, idx: np.ndarray) -> np.ndarray:
        k = self.blocks
        n = cols.shape[1]
        probs = np.zeros((n, k))
        prev = np.zeros(n)
        with np.errstate(over="ignore"):
            for c in range(k - 1):
                cdf = 1.0 / (1.0 + np.exp(-self._eta(cols, idx, c)))
                probs[:, c] = cdf if c == 0 else cdf - prev
                prev = cdf
        probs[:, k - 1] = 1.0 - prev
        # genmodel: argmax over [0, p_0, ...] (first max wins), minus 1.
        full = np.column_stack([np.zeros(n), probs])
        label = (np.argmax(full, axis=1) - 1).astype(np.float64) if n else np.zeros(0)
        return np.column_stack([label, probs])
