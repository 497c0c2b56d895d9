"""K-means: nearest centre, with H2O's standardisation and NA handling (mojo-format §7).

    >>> KMeansScorer(reader, meta).score(rows)   # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np

from sparkwing.errors import MojoError
from sparkwing.mojo._container import MojoReader
from sparkwing.mojo._meta import Meta


class KMeansScorer:
    def __init__(self, reader: MojoReader, meta: Meta) -> None:
        ini = reader.ini
        nf = meta.n_features
        self.meta = meta
        self.standardize = ini.get_bool("standardize")
        k = ini.get_int("center_num", lo=1, hi=100_000)
        self.centers = np.array([ini.get_floats(f"center_{i}") for i in range(k)], dtype=np.float64)
        if self.centers.shape != (k, nf):
            raise MojoError(f"K-means centres do not have {nf} coordinates", hint="corrupt MOJO")
        self.is_cat = np.array([d is not None for d in meta.feature_domains], dtype=bool)
        if self.standardize:
            self.means = np.array(ini.get_floats("standardize_means"), dtype=np.float64)
            self.mults = np.array(ini.get_floats("standardize_mults"), dtype=np.float64)
            self.modes = np.array(ini.get_ints("standardize_modes"), dtype=np.float64)
            if not (len(self.means) == len(self.mults) == len(self.modes) == nf):
                raise MojoError("K-means standardisation arrays do not match the features")
        self.details = {"clusters": k, "standardize": self.standardize}

    def score(self, x: np.ndarray) -> np.ndarray:
        if len(x) <= 4:
            return self._score_few(x)
        # Feature-major copy: each step below runs down one contiguous column (x is row-major).
        cols = np.array(x.T, dtype=np.float64, order="C")
        if self.standardize:
            for j in range(len(cols)):
                col = cols[j]
                nan = np.isnan(col)
                if self.is_cat[j]:
                    col[nan] = self.modes[j]
                else:
                    col[nan] = self.means[j]
                    cols[j] = (col - self.means[j]) * self.mults[j]
        return self._nearest(cols)

    def distances(self, x: np.ndarray) -> np.ndarray:
        """The nearest centre of each row of ``x`` (already standardised), as ``score`` lays it out."""
        return self._nearest(np.array(x.T, dtype=np.float64, order="C"))

    def _nearest(self, cols: np.ndarray) -> np.ndarray:
        """:meth:`distances` on feature-major ``cols``: per row, the same sum in the same order."""
        nf, n = cols.shape
        missing = np.isnan(cols)
        any_missing = missing.any(axis=1).tolist()
        present = nf - missing.sum(axis=0)
        scale = (present > 0) & (present < nf)
        divisor = np.maximum(present, 1)
        best = np.zeros(n)
        best_d = np.full(n, np.inf)
        d = np.empty(n)
        term = np.empty(n)
        for c in range(len(self.centers)):
            d[:] = 0.0
            for j in range(nf):
                v = cols[j]
                cj = self.centers[c, j]
                if self.is_cat[j]:
                    term[:] = v != cj  # 1.0 or 0.0
                else:
                    np.subtract(v, cj, out=term)
                    np.multiply(term, term, out=term)
                if any_missing[j]:
                    term[missing[j]] = 0.0  # a missing value adds nothing
                d += term
            dist = np.where(scale, d * nf / divisor, d) if scale.any() else d
            better = dist < best_d
            best = np.where(better, c, best)
            best_d = np.where(better, dist, best_d)
        return np.column_stack([best, np.zeros(n)])  # genmodel pads with an unused 0

    def _score_few(self, x: np.ndarray) -> np.ndarray:
        """Plain floats for a handful of rows (online scoring): the same operations, same order."""
        if not hasattr(self, "_py"):
            self._py = (self.centers.tolist(), self.is_cat.tolist(),
                        self.means.tolist() if self.standardize else [],
                        self.mults.tolist() if self.standardize else [],
                        self.modes.tolist() if self.standardize else [])
        centers, is_cat, means, mults, modes = self._py
        out = np.zeros((len(x), 2))
        for r, row in enumerate(x.tolist()):
            if self.standardize:
                for j, v in enumerate(row):
                    if is_cat[j]:
                        row[j] = modes[j] if v != v else v
                    else:
                        row[j] = ((means[j] if v != v else v) - means[j]) * mults[j]
            nf = len(row)
            present = sum(1 for v in row if v == v)
            best, best_d = 0, float("inf")
            for c, center in enumerate(centers):
                d = 0.0
                for j, v in enumerate(row):
                    cj = center[j]
                    if is_cat[j]:
                        term = 1.0 if v != cj else 0.0
                    else:
                        term = (v - cj) * (v - cj)
                    d += 0.0 if v != v else term
                if 0 < present < nf:
                    d = d * nf / max(present, 1)
                if d < best_d:
                    best, best_d = c, d
            out[r, 0] = best
        return out

