"""GLRM: project each row onto the archetypes by proximal gradient descent (mojo-format §8).

genmodel starts row ``r`` (counted per model object) from ``java.util.Random(seed + r)`` Gaussians,
so results depend on how many rows this model has scored; :meth:`GlrmScorer.reset` restarts the
count.  Only the losses and regulariser that were verified bit-exact are accepted.

    >>> GlrmScorer(reader, meta).score(rows)   # doctest: +SKIP
"""

from __future__ import annotations

import struct
import threading

import numpy as np

from sparkwing.errors import MojoError
from sparkwing.mojo._container import MojoReader, split_lines
from sparkwing.mojo._jrandom import JavaRandom
from sparkwing.mojo._meta import Meta

_LOSSES = ("Quadratic", "Categorical")


class GlrmScorer:
    lockstep_rows = 8  # more rows than this: all rows projected together with NumPy

    def __init__(self, reader: MojoReader, meta: Meta) -> None:
        ini = reader.ini
        self.meta = meta
        reg_x = ini.get_str("regularizationX", "None")
        if reg_x != "None":
            raise MojoError(f"unsupported GLRM regularizationX {reg_x!r}", hint="only None is supported")
        self.k = ini.get_int("ncolX", lo=1, hi=10_000)
        self.seed = ini.get_int("seed", lo=-(2**63), hi=2**63 - 1)
        self.iters = 100
        self.perm = ini.get_ints("cols_permutation")
        self.n_cat = ini.get_int("num_categories", lo=0, hi=meta.n_features)
        self.n_num = ini.get_int("num_numeric", lo=0, hi=meta.n_features)
        ncol_a = ini.get_int("ncolA", lo=0, hi=meta.n_features)
        self.norm_sub = ini.get_floats("norm_sub", [])
        self.norm_mul = ini.get_floats("norm_mul", [])
        self.levels = ini.get_ints("num_levels_per_category")
        ncol_y = ini.get_int("ncolY", lo=0, hi=10_000_000)
        nrow_y = ini.get_int("nrowY", lo=1, hi=10_000)
        if (
            self.n_cat + self.n_num != ncol_a
            or len(self.perm) != ncol_a
            or any(not 0 <= p < meta.n_features for p in self.perm)
            or len(self.norm_sub) != self.n_num
            or len(self.norm_mul) != self.n_num
            or nrow_y != self.k
        ):
            raise MojoError("GLRM column metadata is inconsistent", hint="corrupt MOJO")
        if len(self.levels) < self.n_cat or any(lv < 0 for lv in self.levels[: self.n_cat]):
            raise MojoError("GLRM num_levels_per_category is malformed", hint="corrupt MOJO")
        if sum(self.levels[: self.n_cat]) + self.n_num != ncol_y:
            raise MojoError("GLRM archetype width does not match the columns", hint="corrupt MOJO")
        losses = split_lines(reader.read_text("losses"))
        if len(losses) != ncol_a:
            raise MojoError("GLRM losses file does not list one loss per column")
        for name in losses:
            if name not in _LOSSES:
                raise MojoError(f"unsupported GLRM loss {name!r}", hint="supported: Quadratic, Categorical")
        self.losses = losses
        blob = reader.read("archetypes")
        if len(blob) != 8 * nrow_y * ncol_y:
            raise MojoError("GLRM archetypes blob has the wrong size", hint="corrupt MOJO")
        y = struct.unpack(f">{nrow_y * ncol_y}d", blob)
        self.y = [list(y[r * ncol_y : (r + 1) * ncol_y]) for r in range(nrow_y)]
        self._y = np.array(self.y, dtype=np.float64).reshape(nrow_y, ncol_y)
        self._count = 0
        self._lock = threading.Lock()
        self.details = {"k": self.k, "losses": sorted(set(losses))}

    def reset(self) -> None:
        """Restart the per-model row counter (genmodel: a freshly loaded model)."""
        with self._lock:
            self._count = 0

    def score(self, x: np.ndarray) -> np.ndarray:
        with self._lock:
            first = self._count
            self._count += len(x)
        if len(x) == 0:
            return np.zeros((0, self.k))
        if len(x) <= self.lockstep_rows:  # a few rows: the plain-float solver has less overhead
            out = np.zeros((len(x), self.k))
            for r in range(len(x)):
                out[r] = self._project(x[r].tolist(), self.seed + first + r)
            return out
        x0 = np.empty((len(x), self.k))
        for r in range(len(x)):
            rnd = JavaRandom(self.seed + first + r)
            x0[r] = [rnd.next_gaussian() for _ in range(self.k)]
        return self._project_many(self._rows(x), x0)

    # -- all rows in lockstep ----------------------------------------------------------------
    # The same IEEE operations in the same order as the one-row code below (kept as the
    # reference, see tests), each applied to a vector of rows; a row whose loop would have
    # stopped is masked out, so its values never change again.
    def _rows(self, x: np.ndarray) -> dict[str, np.ndarray]:
        a = np.ascontiguousarray(x[:, self.perm], dtype=np.float64)
        levels = np.array(self.levels[: self.n_cat], dtype=np.int64)
        cats = a[:, : self.n_cat]
        with np.errstate(invalid="ignore"):
            cats[cats >= levels] = np.nan  # past the domain: missing (as _columns)
        valid = ~np.isnan(cats)
        width = valid * levels  # genmodel advances the offset only past present categoricals
        offset = np.cumsum(width, axis=1) - width
        return {
            "cat_valid": valid,
            "cat_target": np.trunc(np.where(valid, cats, 0.0)),
            "cat_offset": offset,
            "num_offset": width.sum(axis=1),
            "num": a[:, self.n_cat :],
        }

    def _objective_many(self, x: np.ndarray, rows: dict[str, np.ndarray]) -> np.ndarray:
        y, k = self._y, self.k
        f = np.zeros(len(x))
        for j in range(self.n_cat):
            valid, target, idx = rows["cat_valid"][:, j], rows["cat_target"][:, j], rows["cat_offset"][:, j]
            s = np.zeros(len(x))
            ua = np.zeros(len(x))
            for level in range(self.levels[j]):
                col = idx + level
                u = np.zeros(len(x))
                for t in range(k):
                    u = u + x[:, t] * y[t, col]
                s = s + np.maximum(1 + u, 0.0)
                ua = np.where(target == level, u, ua)
            f = np.where(valid, f + (s + np.maximum(1 - ua, 0.0) - np.maximum(1 + ua, 0.0)), f)
        for j in range(self.n_num):
            v = rows["num"][:, j]
            col = rows["num_offset"] + j
            u = np.zeros(len(x))
            for t in range(k):
                u = u + x[:, t] * y[t, col]
            d = u - (v - self.norm_sub[j]) * self.norm_mul[j]
            f = np.where(np.isnan(v), f, f + d * d)
        return f

    def _gradient_many(self, x: np.ndarray, rows: dict[str, np.ndarray]) -> np.ndarray:
        y, k = self._y, self.k
        g = np.zeros_like(x)
        for j in range(self.n_cat):
            valid, target, idx = rows["cat_valid"][:, j], rows["cat_target"][:, j], rows["cat_offset"][:, j]
            for level in range(self.levels[j]):
                col = idx + level
                u = np.zeros(len(x))
                for t in range(k):
                    u = u + x[:, t] * y[t, col]
                hinge = np.where(1 - u > 0, -1.0, 0.0)
                grad = np.where(target == level, hinge, np.where(1 + u > 0, 1.0, 0.0))
                use = valid & (grad != 0.0)
                for t in range(k):
                    g[:, t] = np.where(use, g[:, t] + grad * y[t, col], g[:, t])
        for j in range(self.n_num):
            v = rows["num"][:, j]
            col = rows["num_offset"] + j
            u = np.zeros(len(x))
            for t in range(k):
                u = u + x[:, t] * y[t, col]
            grad = 2 * (u - (v - self.norm_sub[j]) * self.norm_mul[j])
            present = ~np.isnan(v)
            for t in range(k):
                g[:, t] = np.where(present, g[:, t] + grad * y[t, col], g[:, t])
        return g

    def _project_many(self, rows: dict[str, np.ndarray], x0: np.ndarray) -> np.ndarray:
        x = x0.copy()
        obj = self._objective_many(x, rows)
        active = np.ones(len(x), dtype=bool)
        for _ in range(self.iters):
            active &= obj != 0
            act = np.flatnonzero(active)
            if len(act) == 0:
                break
            sub = {key: val[act] for key, val in rows.items()}
            xa, oa = x[act], obj[act]
            g = self._gradient_many(xa, sub)
            best_x, best = xa.copy(), np.full(len(act), np.inf)
            searching = np.ones(len(act), dtype=bool)
            for i in range(10):
                alpha = 0.5 ** (i + 1)
                step = np.where(oa > 10, alpha / oa, alpha)
                cand = xa - step[:, None] * g
                c_obj = self._objective_many(cand, sub)
                better = searching & (c_obj < best)
                best_x[better] = cand[better]
                best[better] = c_obj[better]
                searching &= ~(better & (best == 0))
                if not searching.any():
                    break
            with np.errstate(divide="ignore", invalid="ignore"):
                improvement = 1 - best / oa
            moved = best < oa
            x[act[moved]] = best_x[moved]
            obj[act[moved]] = best[moved]
            stop = ~moved | (improvement < 1e-10)
            active[act[stop]] = False
        return x

    # -- one row ---------------------------------------------------------------------------
    def _columns(self, row: list[float]) -> list[float]:
        a = [row[p] for p in self.perm]
        for i in range(self.n_cat):
            if a[i] == a[i] and a[i] >= self.levels[i]:
                a[i] = float("nan")
        return a

    def _objective(self, x: list[float], a: list[float]) -> float:
        y, k = self.y, self.k
        f = 0.0
        idx = 0
        for j in range(self.n_cat):
            if a[j] != a[j]:
                continue  # genmodel does not advance the offset past a missing categorical
            lv = self.levels[j]
            target = int(a[j])
            s = 0.0
            ua = 0.0
            for level in range(lv):
                u = 0.0
                for t in range(k):
                    u += x[t] * y[t][idx + level]
                s += max(1 + u, 0.0)
                if level == target:
                    ua = u
            f += s + max(1 - ua, 0.0) - max(1 + ua, 0.0)
            idx += lv
        for j in range(self.n_num):
            v = a[self.n_cat + j]
            if v != v:
                continue
            u = 0.0
            for t in range(k):
                u += x[t] * y[t][idx + j]
            d = u - (v - self.norm_sub[j]) * self.norm_mul[j]
            f += d * d
        return f

    def _gradient(self, x: list[float], a: list[float]) -> list[float]:
        y, k = self.y, self.k
        g = [0.0] * k
        idx = 0
        for j in range(self.n_cat):
            if a[j] != a[j]:
                continue
            lv = self.levels[j]
            target = int(a[j])
            for level in range(lv):
                u = 0.0
                for t in range(k):
                    u += x[t] * y[t][idx + level]
                if level == target:
                    grad = -1.0 if 1 - u > 0 else 0.0
                else:
                    grad = 1.0 if 1 + u > 0 else 0.0
                if grad != 0.0:
                    for t in range(k):
                        g[t] += grad * y[t][idx + level]
            idx += lv
        for j in range(self.n_num):
            v = a[self.n_cat + j]
            if v != v:
                continue
            u = 0.0
            for t in range(k):
                u += x[t] * y[t][idx + j]
            grad = 2 * (u - (v - self.norm_sub[j]) * self.norm_mul[j])
            for t in range(k):
                g[t] += grad * y[t][idx + j]
        return g

    def _project(self, row: list[float], seed: int) -> list[float]:
        a = self._columns(row)
        rnd = JavaRandom(seed)
        x = [rnd.next_gaussian() for _ in range(self.k)]
        obj = self._objective(x, a)
        for _ in range(self.iters):
            if obj == 0:
                break
            g = self._gradient(x, a)
            best_x, best = x, float("inf")
            for i in range(10):
                alpha = 0.5 ** (i + 1)
                if obj > 10:
                    alpha /= obj
                cand = [x[t] - alpha * g[t] for t in range(self.k)]
                c_obj = self._objective(cand, a)
                if c_obj < best:
                    best_x, best = cand, c_obj
                    if best == 0:
                        break
            if best < obj:
                improvement = 1 - best / obj
                x, obj = best_x, best
                if improvement < 1e-10:
                    break
            else:
                break
        return x
