"""GLRM: project each row onto the archetypes by proximal gradient descent (mojo-format §8).

genmodel starts row ``r`` (counted per model object) from ``java.util.Random(seed + r)`` Gaussians,
so results depend on how many rows this model has scored; :meth:`GlrmScorer.reset` restarts the
count.  Only the losses and regulariser that were verified bit-exact are accepted.

Rows are projected by the one-row solver ``_project`` (the reference) compiled with numba
(``_glrm_numba``, imported when a model first scores) or, without numba, by the NumPy lockstep
below (a few rows: ``_project`` itself); all give the reference's bits.

    >>> GlrmScorer(reader, meta).score(rows)   # doctest: +SKIP
"""

from __future__ import annotations

import struct
import threading
from collections.abc import Callable

import numpy as np

from sparkwing.errors import MojoError
from sparkwing.mojo._container import MojoReader, split_lines
from sparkwing.mojo._jrandom import JavaRandom, gaussians
from sparkwing.mojo._meta import Meta

_LOSSES = ("Quadratic", "Categorical")


class GlrmScorer:
    lockstep_rows = 8  # more rows than this: all rows projected together with NumPy
    #: rows per call (MojoModel): the pool bounds the work arrays, and each call ends with a
    #: tail of a few slow rows, so few large calls are cheaper
    batch_rows = 1 << 18
    #: project with the compiled solver (``_glrm_numba``) when numba is installed; off: NumPy
    use_kernel = True
    scalar_starts = 32  # compiled path: up to this many rows, start points from JavaRandom itself

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
        self._yl = self._y.tolist()  # Python floats: the cheapest scalar multipliers
        self._alphas = np.array([0.5 ** (i + 1) for i in range(10)])[:, None]
        self._steps = np.ascontiguousarray(self._alphas[:, 0])  # the compiled solver's copies
        self._levels = np.array(self.levels[: self.n_cat], dtype=np.int64)
        self._norm_sub = np.array(self.norm_sub, dtype=np.float64)
        self._norm_mul = np.array(self.norm_mul, dtype=np.float64)
        width = max(1, (ncol_y + self.n_cat) * (self.k + 2))  # per-row pool data, in doubles
        self._pool = max(64, min(2048, 2_000_000 // width))  # rows projected together (memory)
        self._count = 0
        self._lock = threading.Lock()
        self._compiled: Callable[..., None] | None = None
        self._looked_up = False  # _compiled imported, or found missing
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
        kernel = self._kernel()
        if kernel is not None:
            return self._score_compiled(kernel, x, first)
        if len(x) <= self.lockstep_rows or not self._lockstep:  # a few rows: plain floats are cheaper
            out = np.zeros((len(x), self.k))
            for r in range(len(x)):
                out[r] = self._project(x[r].tolist(), self.seed + first + r)
            return out
        x0 = gaussians([self.seed + first + r for r in range(len(x))], self.k)
        out = x0.copy()  # rows that never move keep their start
        a = np.ascontiguousarray(x[:, self.perm], dtype=np.float64)
        cats = a[:, : self.n_cat]
        with np.errstate(invalid="ignore"):
            cats[cats >= np.array(self.levels[: self.n_cat])] = np.nan  # past the domain: missing
        shifted = np.isnan(cats).any(axis=1)
        # Rows whose categoricals are all present read the archetypes in place (scalar
        # multipliers); the others read shifted columns, gathered per row.
        with np.errstate(all="ignore"):
            for group in (np.flatnonzero(~shifted), np.flatnonzero(shifted)):
                if len(group):
                    self._solve(a[group], x0[group], out, group)
        return out

    def _kernel(self) -> Callable[..., None] | None:
        """The compiled one-row solver (``_glrm_numba``), or None: without numba, or with
        ``use_kernel`` off, rows are projected by the NumPy lockstep below."""
        if not self.use_kernel:
            return None
        if not self._looked_up:
            try:  # numba (LLVM) loads, and the kernel compiles or comes from its cache, here only
                from sparkwing.mojo._glrm_numba import project_rows
            except ImportError:
                pass
            else:
                self._compiled = project_rows
            self._looked_up = True
        return self._compiled

    def _score_compiled(self, kernel: Callable[..., None], x: np.ndarray, first: int) -> np.ndarray:
        """Every row through the compiled reference solver (any archetypes, any number of rows)."""
        a = np.ascontiguousarray(x[:, self.perm], dtype=np.float64)
        cats = a[:, : self.n_cat]
        with np.errstate(invalid="ignore"):
            cats[cats >= self._levels] = np.nan  # past the domain: missing
        seeds = [self.seed + first + r for r in range(len(x))]
        if len(x) <= self.scalar_starts:  # the vectorised generator has a fixed cost of ~0.1 ms
            x0 = np.array([[rnd.next_gaussian() for _ in range(self.k)] for rnd in map(JavaRandom, seeds)])
        else:
            x0 = gaussians(seeds, self.k)
        out = np.empty((len(x), self.k))
        y_t = np.ascontiguousarray(self._y.T)  # (position, k): a position's archetype column in a row
        kernel(a, x0, y_t, self._levels, self._norm_sub, self._norm_mul, self._steps, self.iters, out)
        return out

    # -- all rows in lockstep ----------------------------------------------------------------
    # The same IEEE operations in the same order as the one-row code below (kept as the
    # reference, see tests), each applied to a vector of rows.  The archetype matrix has one
    # column per "position" (each level of each categorical, then each numeric); a row whose
    # categorical is missing reads later positions from shifted archetype columns, as genmodel
    # does, so those rows get their own gathered copy.  Terms that the reference skips (missing
    # cells, zero gradients) are added here as +0.0 (a bitwise AND with an all-zero mask, exact
    # for any value) or as a ±0.0 product: the reference's sums start at +0.0 and are never
    # -0.0, on which adding a zero is the identity.  The ten line-search candidates of an
    # iteration are evaluated in one go, one position at a time on (candidates, rows) arrays
    # small enough to stay in cache; choosing the first minimum gives the reference's choice.
    # Rows are projected in a pool of ``_pool`` rows: finished rows leave it and waiting rows
    # take their places, so the arrays stay full until the last rows.
    def _rows(self, a: np.ndarray, per_row_y: bool) -> dict[str, np.ndarray]:
        """Per-row data of permuted rows ``a``, position-major (last axis = rows)."""
        n = len(a)
        levels = np.array(self.levels[: self.n_cat], dtype=np.int64)
        cats = a[:, : self.n_cat]
        valid = ~np.isnan(cats)
        width = valid * levels  # genmodel advances the offset only past present categoricals
        offset = np.cumsum(width, axis=1) - width
        target = np.trunc(np.where(valid, cats, 0.0))
        has_target = valid & (target >= 0) & (target < np.maximum(levels, 1))
        tgt = np.where(has_target, target, 0).astype(np.int64)
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
            is_target[lo:hi] = has_target[:, j] & (tgt[:, j] == level)
        num = a[:, self.n_cat :]
        present = ~np.isnan(num)
        pos_valid[cut:] = present.T
        col[cut:] = width.sum(axis=1) + np.arange(self.n_num)[:, None]
        col = np.where(pos_valid, col, 0)
        ones = np.uint64(0xFFFFFFFFFFFFFFFF)
        rows = {
            "ytar": self._y[:, np.where(has_target, offset + tgt, 0).T],  # (k, cats, rows)
            "tmask": np.ascontiguousarray(has_target.T) * ones,  # ua kept, else +0.0
            "vmask": np.ascontiguousarray(valid.T) * ones,  # categorical term kept
            "nmask": np.ascontiguousarray(present.T) * ones,  # numeric term kept
            "pmask": pos_valid * ones,  # gradient term kept
            "is_target": is_target,
            "not_target": ~is_target,
            "vnorm": np.ascontiguousarray(((num - np.array(self.norm_sub)) * np.array(self.norm_mul)).T),
        }
        if per_row_y:
            rows["y"] = self._y[:, col]  # (k, positions, rows)
        return rows

    def _solve(self, a: np.ndarray, x0: np.ndarray, out: np.ndarray, index: np.ndarray) -> None:
        """Project the rows ``a`` (all of one kind) from ``x0``; write moved rows to ``out[index]``."""
        cats, num = a[:, : self.n_cat], a[:, self.n_cat :]
        valid = ~np.isnan(cats)
        levels = np.array(self.levels[: self.n_cat])
        target = np.trunc(np.where(valid, cats, 0.0))
        has_target = valid & (target >= 0) & (target < np.maximum(levels, 1))
        flags = {  # which masks this group needs (a mask is skipped when it keeps everything)
            "tmask": ~has_target.all(axis=0),
            "vmask": ~valid.all(axis=0),
            "nmask": np.isnan(num).any(axis=0),
            "pmask": not bool(valid.all() and not np.isnan(num).any()),
        }
        per_row_y = not bool(valid.all())
        size = self._pool
        pending = 0  # next row of ``a`` not yet in the pool
        pool: dict[str, np.ndarray] = {}
        while True:
            n_pool = len(pool["obj"]) if pool else 0
            n_active = int(pool["active"].sum()) if pool else 0
            if pending < len(a) and size - n_active >= min(size // 6, len(a) - pending):
                take = min(size - n_active, len(a) - pending)
                lo, pending = pending, pending + take
                new = self._rows(a[lo:pending], per_row_y)
                xt = np.ascontiguousarray(x0[lo:pending].T)
                obj = self._objective_many(xt[:, None, :], new, flags)[0].copy()
                new.update(xt=xt, obj=obj, it=np.zeros(take, dtype=np.int64),
                           index=index[lo:pending], active=obj != 0)  # fmt: skip
                pool = self._compact(pool, out, new)
            elif n_active == 0:
                break
            elif n_active < 0.8 * n_pool:
                pool = self._compact(pool, out, None)
            self._iterate(pool, flags)
        if pool:
            self._compact(pool, out, None)

    @staticmethod
    def _compact(
        pool: dict[str, np.ndarray], out: np.ndarray, new: dict[str, np.ndarray] | None
    ) -> dict[str, np.ndarray]:
        """Retire the finished rows of ``pool`` (their ``x`` to ``out``) and append ``new``."""
        if pool:
            done = ~pool["active"]
            out[pool["index"][done]] = pool["xt"][:, done].T
            keep = np.flatnonzero(pool["active"])
            if new is None:
                return {key: val[..., keep] for key, val in pool.items()}
            return {key: np.concatenate([val[..., keep], new[key]], axis=-1) for key, val in pool.items()}
        return new if new is not None else pool

    def _dot(
        self, cands: np.ndarray, p: int, rows: dict[str, np.ndarray], u: np.ndarray, tmp: np.ndarray
    ) -> None:
        """``u = sum_t cands[t] * y[t, p]`` per candidate and row, added in ``t`` order."""
        y = rows.get("y")
        # The reference adds to 0.0, which turns a -0.0 product into +0.0; the sign of a zero u
        # changes none of the values made from it (1 + u, 1 - u, d * d).
        if y is None:
            yl = self._yl
            np.multiply(cands[0], yl[0][p], out=u)
            for t in range(1, self.k):
                np.multiply(cands[t], yl[t][p], out=tmp)
                np.add(u, tmp, out=u)
        else:
            np.multiply(cands[0], y[0, p], out=u)
            for t in range(1, self.k):
                np.multiply(cands[t], y[t, p], out=tmp)
                np.add(u, tmp, out=u)

    def _objective_many(self, cands: np.ndarray, rows: dict[str, np.ndarray], flags: dict) -> np.ndarray:
        """The objective of every candidate and row: ``cands`` is ``(k, candidates, rows)``."""
        shape = cands.shape[1:]
        u, tmp, s, ua, b = (np.empty(shape) for _ in range(5))
        zero = np.zeros(shape)  # np.maximum against an array is faster than against 0.0
        f: np.ndarray | None = None  # 0.0 + term is term: no term is -0.0
        ubits, sbits = u.view(np.uint64), s.view(np.uint64)
        starts = self._starts
        for j in range(self.n_cat):
            lo, hi = int(starts[j]), int(starts[j + 1])
            if hi == lo:
                s.fill(0.0)
            for p in range(lo, hi):
                h = s if p == lo else u
                self._dot(cands, p, rows, h, tmp)
                np.add(h, 1.0, out=h)
                np.maximum(h, zero, out=h)  # max(1 + u, 0): never -0.0, so s = 0.0 + h is h
                if p > lo:
                    np.add(s, u, out=s)
            # u at the target level, from the target's archetype column (0.0 without one)
            yt = rows["ytar"][:, j]
            np.multiply(cands[0], yt[0], out=ua)
            for t in range(1, self.k):
                np.multiply(cands[t], yt[t], out=tmp)
                np.add(ua, tmp, out=ua)
            if flags["tmask"][j]:
                np.bitwise_and(ua.view(np.uint64), rows["tmask"][j], out=ua.view(np.uint64))
            np.subtract(1.0, ua, out=b)
            np.maximum(b, zero, out=b)
            np.add(s, b, out=s)  # s + max(1 - ua, 0)
            np.add(ua, 1.0, out=ua)
            np.maximum(ua, zero, out=ua)
            np.subtract(s, ua, out=s)  # ... - max(1 + ua, 0)
            if flags["vmask"][j]:
                np.bitwise_and(sbits, rows["vmask"][j], out=sbits)
            f, s = _accumulate(f, s)
            sbits = s.view(np.uint64)
        cut = int(starts[-1])
        for j in range(self.n_num):
            self._dot(cands, cut + j, rows, u, tmp)
            np.subtract(u, rows["vnorm"][j], out=u)
            np.multiply(u, u, out=u)
            if flags["nmask"][j]:
                np.bitwise_and(ubits, rows["nmask"][j], out=ubits)
            f, u = _accumulate(f, u)
            ubits = u.view(np.uint64)
        if f is None:
            f = np.zeros(shape)
        return f

    def _gradient_many(self, xt: np.ndarray, rows: dict[str, np.ndarray], flags: dict) -> np.ndarray:
        """The gradient, ``(k, rows)``, from ``xt`` ``(k, rows)``."""
        y = rows.get("y")
        yk = [self._y[t][:, None] if y is None else y[t] for t in range(self.k)]
        u = yk[0] * xt[0]  # (positions, rows)
        for t in range(1, self.k):
            u += yk[t] * xt[t]
        cut = int(self._starts[-1])
        grad = np.empty_like(u)
        uc = u[:cut]
        # target level: -1.0 if 1 - u > 0 else 0.0; other levels: 1.0 if 1 + u > 0 else 0.0
        up = (uc + 1 > 0) & rows["not_target"]
        down = (1 - uc > 0) & rows["is_target"]
        np.subtract(up, down, out=grad[:cut], dtype=np.float64)
        np.subtract(u[cut:], rows["vnorm"], out=grad[cut:])
        np.multiply(grad[cut:], 2.0, out=grad[cut:])  # 2 * (u - v)
        if flags["pmask"]:
            gbits = grad.view(np.uint64)
            np.bitwise_and(gbits, rows["pmask"], out=gbits)
        g = np.empty_like(xt)
        terms = np.empty_like(u)
        for t in range(self.k):
            np.multiply(grad, yk[t], out=terms)
            acc = terms[0] + 0.0  # the reference starts from 0.0 and skips zero gradients
            for p in range(1, len(terms)):
                acc += terms[p]
            g[t] = acc
        return g

    def _iterate(self, pool: dict[str, np.ndarray], flags: dict) -> None:
        """One iteration of every active row of the pool (finished rows are computed, not kept)."""
        xt, obj, live = pool["xt"], pool["obj"], pool["active"]
        g = self._gradient_many(xt, pool, flags)
        # alpha / obj when obj > 10, else alpha (alpha / 1.0 is alpha)
        steps = self._alphas / np.where(obj > 10, obj, 1.0)  # (10, rows)
        cands = np.empty((self.k, *steps.shape))
        for t in range(self.k):
            np.multiply(steps, g[t], out=cands[t])
            np.subtract(xt[t], cands[t], out=cands[t])
        c_objs = self._objective_many(cands, pool, flags)
        # The reference tries the 10 steps in order, keeps a candidate only when strictly
        # better than the best so far, and stops at an objective of 0: with no objective below
        # 0 (each term is >= 0), the first of the smallest candidates (NaN never wins).
        if (c_objs < 0).any():  # never for these losses; kept exact anyway
            c_objs[np.isnan(c_objs)] = np.inf
            last = self._first_better(c_objs)
            c_objs[np.arange(10)[:, None] > last] = np.inf
        best = np.fmin.reduce(c_objs, axis=0)
        pick = (c_objs == best).argmax(axis=0)
        moved = live & (best < obj)
        with np.errstate(divide="ignore", invalid="ignore"):
            improvement = 1 - best / obj
        cols = np.flatnonzero(moved)
        xt[:, cols] = cands[:, pick[cols], cols]
        pool["it"] += live
        stop = ~moved | (improvement < 1e-10) | (pool["it"] >= self.iters)
        obj[cols] = best[cols]
        live &= ~stop & (obj != 0)

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


def _accumulate(total: np.ndarray | None, term: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``total + term`` in place; the first term becomes the total (``0.0 + term`` is ``term``: no
    term is -0.0) and a fresh buffer takes its place.  Returns (total, the buffer for the next term)."""
    if total is None:
        return term, np.empty_like(term)
    np.add(total, term, out=total)
    return total, term
