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
        x = x.copy()
        if self.standardize:
            for j in range(x.shape[1]):
                col = x[:, j]
                nan = np.isnan(col)
                if self.is_cat[j]:
                    col[nan] = self.modes[j]
                else:
                    col[nan] = self.means[j]
                    x[:, j] = (col - self.means[j]) * self.mults[j]
        return self.distances(x)

    def distances(self, x: np.ndarray) -> np.ndarray:
        n, nf = x.shape
        k = len(self.centers)
        best = np.zeros(n)
        best_d = np.full(n, np.inf)
        present = (~np.isnan(x)).sum(axis=1)
        for c in range(k):
            d = np.zeros(n)
            for j in range(nf):
                v = x[:, j]
                cj = self.centers[c, j]
                if self.is_cat[j]:
                    term = np.where(v != cj, 1.0, 0.0)
                else:
                    term = (v - cj) * (v - cj)
                d += np.where(np.isnan(v), 0.0, term)
            scale = (present > 0) & (present < nf)
            with np.errstate(divide="ignore", invalid="ignore"):
                d = np.where(scale, d * nf / np.maximum(present, 1), d)
            better = d < best_d
            best = np.where(better, c, best)
            best_d = np.where(better, d, best_d)
        return np.column_stack([best, np.zeros(n)])  # genmodel pads with an unused 0
