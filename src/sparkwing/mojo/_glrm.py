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
from sparkwing.mojo._jrandom import JavaRandom, gaussians
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
        self._starts = np.cumsum([0, *self.levels[: self.n_cat]])  # first position per categorical
        # Lockstep adds skipped terms as 0 * y (exact only for finite archetypes).
        self._lockstep = bool(np.isfinite(self._y).all())
        width = max(1, ncol_y * max(self.k, 10))
        self._block = max(64, min(8192, 4_000_000 // width))  # rows per lockstep block (memory)
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
        if len(x) <= self.lockstep_rows or not self._lockstep:  # a few rows: plain floats are cheaper
            out = np.zeros((len(x), self.k))
            for r in range(len(x)):
                out[r] = self._project(x[r].tolist(), self.seed + first + r)
            return out
        x0 = gaussians([self.seed + first + r for r in range(len(x))], self.k)
        step = self._block
        parts = [
            self._project_many(self._rows(x[i : i + step]), x0[i : i + step]) for i in range(0, len(x), step)
        ]
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    # -- all rows in lockstep ----------------------------------------------------------------
    # The same IEEE operations in the same order as the one-row code below (kept as the
    # reference, see tests), each applied to a vector of rows.  The archetype matrix has one
    # column per "position" (each level of each categorical, then each numeric); a row whose
    # categorical is missing reads later positions from shifted archetype columns, as genmodel
    # does, so those rows get their own gathered copy.  Terms that the reference skips (missing
    # cells, zero gradients) are added here as +0.0 or ±0.0: the reference's sums start at +0.0
    # and so are never -0.0, on which adding a zero is the identity.  The ten line-search
    # candidates of an iteration are evaluated in one go; choosing among them in order, masked,
    # gives the reference's choice.
    def _rows(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """Per-row data, position-major (last axis = rows) so each step reads contiguous rows."""
        n = len(x)
        lv = self.levels[: self.n_cat]
        a = np.ascontiguousarray(x[:, self.perm], dtype=np.float64)
        levels = np.array(lv, dtype=np.int64)
        cats = a[:, : self.n_cat]
        with np.errstate(invalid="ignore"):
            cats[cats >= levels] = np.nan  # past the domain: missing (as _columns)
        valid = ~np.isnan(cats)
        width = valid * levels  # genmodel advances the offset only past present categoricals
        offset = np.cumsum(width, axis=1) - width
        target = np.trunc(np.where(valid, cats, 0.0))
        starts = self._starts
        cut = int(starts[-1])
        n_pos = cut + self.n_num
        pos_valid = np.empty((n_pos, n), dtype=bool)
        is_target = np.zeros((cut, n), dtype=bool)
        col = np.empty((n_pos, n), dtype=np.int64)
        for j in range(self.n_cat):
            lo, hi = int(starts[j]), int(starts[j + 1])
            level = np.arange(hi - lo)[:, None]
            pos_valid[lo:hi] = valid[:, j]
            col[lo:hi] = offset[:, j] + level
            is_target[lo:hi] = valid[:, j] & (target[:, j] == level)
        num = a[:, self.n_cat :]
        present = ~np.isnan(num)
        pos_valid[cut:] = present.T
        col[cut:] = width.sum(axis=1) + np.arange(self.n_num)[:, None]
        col = np.where(pos_valid, col, 0)
        in_range = valid & (target >= 0) & (target < np.maximum(levels, 1))
        rows = {
            "target": np.ascontiguousarray(np.where(in_range, target, 0).astype(np.intp).T),
            "has_target": np.ascontiguousarray(in_range.T),
            "valid": np.ascontiguousarray(valid.T),
            "pos_valid": pos_valid,
            "is_target": is_target,
            "present": np.ascontiguousarray(present.T),
            "vnorm": np.ascontiguousarray(((num - np.array(self.norm_sub)) * np.array(self.norm_mul)).T),
        }
        if not bool(valid.all()):  # some rows read shifted archetype columns
            rows["y"] = self._y[:, col]  # (k, positions, rows)
        return rows

    def _u(self, xt: np.ndarray, rows: dict[str, np.ndarray]) -> np.ndarray:
        """``u`` per position: ``sum_t x[t] * y[t, col]``, added in ``t`` order from 0.0.

        ``xt`` is ``(k, rows)`` or ``(k, candidates, rows)``; ``u`` is ``(positions, *that)``.
        """
        y = rows.get("y")
        u = None
        tmp = None
        for t in range(self.k):
            if y is None:
                yt = self._y[t].reshape((-1,) + (1,) * (xt.ndim - 1))
            else:
                yt = y[t][:, None, :] if xt.ndim == 3 else y[t]
            if u is None:
                # The reference adds to 0.0, which turns a -0.0 product into +0.0; the sign of
                # a zero u changes none of the values made from it (1 + u, d * d, 1 - u > 0).
                u = yt * xt[t]
            else:
                tmp = np.multiply(yt, xt[t], out=tmp)
                u += tmp
        assert u is not None
        return u

    def _objective_many(self, xt: np.ndarray, rows: dict[str, np.ndarray]) -> np.ndarray:
        """The objective of every row (``xt`` as in :meth:`_u`)."""
        u = self._u(xt, rows)
        starts = self._starts
        cut = int(starts[-1])
        f = np.zeros(u.shape[1:])
        if self.n_cat:
            hinge = u[:cut] + 1
            np.maximum(hinge, 0.0, out=hinge)
            # u at the target level (0.0 when none): one target at most, the rest add zeros
            lift = (None,) * (u.ndim - 1)
            for j in range(self.n_cat):
                lo, hi = int(starts[j]), int(starts[j + 1])
                s = hinge[lo] + 0.0  # 0.0 + hinge: hinge is never -0.0
                for p in range(lo + 1, hi):
                    s += hinge[p]
                if hi > lo:  # u at the target level; 0.0 when the target is off the levels
                    at = np.take_along_axis(u[lo:hi], rows["target"][j][lift], axis=0)[0]
                    ua = np.where(rows["has_target"][j], at, 0.0)
                else:
                    ua = np.zeros(u.shape[1:])
                term = s + np.maximum(1 - ua, 0.0) - np.maximum(1 + ua, 0.0)
                f = np.where(rows["valid"][j], f + term, f)
        for j in range(self.n_num):
            d = u[cut + j] - rows["vnorm"][j]
            f = np.where(rows["present"][j], f + d * d, f)
        return f

    def _gradient_many(self, xt: np.ndarray, rows: dict[str, np.ndarray]) -> np.ndarray:
        """The gradient, ``(k, rows)``."""
        u = self._u(xt, rows)
        cut = int(self._starts[-1])
        grad = np.empty_like(u)
        uc = u[:cut]
        hinge = np.where(1 - uc > 0, -1.0, 0.0)
        grad[:cut] = np.where(rows["is_target"], hinge, np.where(1 + uc > 0, 1.0, 0.0))
        grad[cut:] = 2 * (u[cut:] - rows["vnorm"])
        grad = np.where(rows["pos_valid"], grad, 0.0)
        y = rows.get("y")
        g = np.empty_like(xt)
        for t in range(self.k):
            terms = grad * (self._y[t][:, None] if y is None else y[t])
            acc = terms[0] + 0.0  # the reference starts from 0.0 and skips zero gradients
            for p in range(1, len(terms)):
                acc += terms[p]
            g[t] = acc
        return g

    def _project_many(self, rows: dict[str, np.ndarray], x0: np.ndarray) -> np.ndarray:
        xt = np.ascontiguousarray(x0.T)  # (k, rows)
        obj = self._objective_many(xt, rows)
        active = obj != 0
        alphas = np.array([0.5 ** (i + 1) for i in range(10)])[:, None]
        work = np.arange(len(x0))  # the rows held in ``sub``: a superset of the active rows
        sub = rows
        for _ in range(self.iters):
            if not active.any():
                break
            if active.sum() < 0.8 * len(work):  # drop finished rows once enough have finished
                work = np.flatnonzero(active)
                sub = {key: val[..., work] for key, val in rows.items()}
            live = active[work]  # finished rows still in ``work`` are computed, never stored
            xa, oa = xt[:, work], obj[work]
            g = self._gradient_many(xa, sub)
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                steps = np.where(oa > 10, alphas / oa, alphas)  # (10, rows)
                cands = xa[:, None, :] - steps * g[:, None, :]  # (k, 10, rows)
                c_objs = self._objective_many(cands, sub)
            # The reference tries the 10 steps in order, keeps a candidate only when strictly
            # better than the best so far, and stops at an objective of 0: the first minimum
            # among the candidates up to the first zero (NaN never wins).
            c_objs[np.isnan(c_objs)] = np.inf
            if (c_objs < 0).any():  # never for these losses (each term is >= 0); kept exact anyway
                last = self._first_better(c_objs)
            else:
                zero = c_objs == 0
                last = np.where(zero.any(axis=0), zero.argmax(axis=0), 9)
            c_objs[np.arange(10)[:, None] > last] = np.inf
            pick = c_objs.argmin(axis=0)
            cols = np.arange(len(work))
            best = c_objs[pick, cols]
            moved = live & (best < oa)
            with np.errstate(divide="ignore", invalid="ignore"):
                improvement = 1 - best / oa
            xt[:, work[moved]] = cands[:, pick[moved], cols[moved]]
            obj[work[moved]] = best[moved]
            stop = live & (~moved | (improvement < 1e-10))
            active[work[stop]] = False
            active &= obj != 0
        return np.ascontiguousarray(xt.T)

    @staticmethod
    def _first_better(c_objs: np.ndarray) -> np.ndarray:
        """The last candidate the reference looks at, per row (it stops once the best is 0)."""
        best = np.full(c_objs.shape[1], np.inf)
        last = np.full(c_objs.shape[1], 9)
        searching = np.ones(c_objs.shape[1], dtype=bool)
        for i in range(10):
            better = searching & (c_objs[i] < best)
            best[better] = c_objs[i][better]
            hit = better & (best == 0)
            last[hit] = i
            searching &= ~hit
        return last

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
