"""XGBoost MOJOs: the legacy binary booster parsed here, scored in float32 (mojo-format §5).

No xgboost dependency: current releases cannot read H2O's booster format anyway.

    >>> booster = parse_booster(reader.read("boosterBytes"))   # doctest: +SKIP
    >>> booster.name_obj, booster.name_gbm                      # doctest: +SKIP
    ('binary:logistic', 'gbtree')
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass, field

import numpy as np

from sparkwing.errors import MojoError
from sparkwing.mojo._calibration import read_calibration
from sparkwing.mojo._container import MojoReader
from sparkwing.mojo._labels import binomial_labels, multinomial_labels
from sparkwing.mojo._meta import Meta
from sparkwing.mojo._onehot import one_hot_index, set_one_hot

f32 = np.float32
_MAX_NODES = 1 << 24


class _Buf:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise MojoError("XGBoost booster bytes are truncated", hint="corrupt MOJO")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def unpack(self, fmt: str) -> tuple:
        s = struct.Struct("<" + fmt)
        return s.unpack(self.take(s.size))

    def string(self) -> str:
        (n,) = self.unpack("Q")
        if n > 1024:
            raise MojoError("XGBoost booster has an implausible name length", hint="corrupt MOJO")
        return self.take(n).decode("utf-8", "replace")


@dataclass
class Booster:
    base_score: float
    num_feature: int
    num_class: int
    major: int
    minor: int
    name_obj: str
    name_gbm: str
    # trees (gbtree / dart): flat node arrays
    left: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    right: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    feature: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    default_left: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    value: np.ndarray = field(default_factory=lambda: np.zeros(0, f32))
    roots: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    tree_group: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    weight_drop: np.ndarray | None = None
    depth: int = 0
    # gblinear
    weights: np.ndarray | None = None


def _parse_trees(buf: _Buf, b: Booster) -> None:
    num_trees, _roots, _nf, _pad, _pbuf, num_group, _leafvec = buf.unpack("iiiiqii")
    buf.take(31 * 4 + 4)
    if not 0 <= num_trees <= 1_000_000:
        raise MojoError(f"XGBoost booster declares {num_trees} trees", hint="corrupt MOJO")
    left, right, feat, dleft, value, roots = [], [], [], [], [], []
    base = 0
    depth = 0
    for t in range(num_trees):
        params = buf.unpack("37i")
        num_nodes = params[1]
        if not 1 <= num_nodes <= _MAX_NODES or base + num_nodes > _MAX_NODES:
            raise MojoError(f"XGBoost tree {t} declares {num_nodes} nodes", hint="corrupt MOJO")
        raw = np.frombuffer(buf.take(20 * num_nodes), dtype=np.dtype([
            ("parent", "<i4"), ("cleft", "<i4"), ("cright", "<i4"), ("sindex", "<u4"), ("value", "<f4"),
        ]))  # fmt: skip
        buf.take(16 * num_nodes)  # node statistics: not needed for scoring
        cl = raw["cleft"].astype(np.int64)
        cr = raw["cright"].astype(np.int64)
        leaf = cl == -1
        bad = ~leaf & ((cl < 0) | (cl >= num_nodes) | (cr < 0) | (cr >= num_nodes))
        if bad.any():
            raise MojoError(f"XGBoost tree {t} has child indices outside the tree", hint="corrupt MOJO")
        depth = max(depth, _tree_depth(cl, cr, leaf, t))
        left.append(np.where(leaf, -1, cl + base))
        right.append(np.where(leaf, -1, cr + base))
        feat.append((raw["sindex"] & 0x7FFFFFFF).astype(np.int64))
        dleft.append((raw["sindex"] >> 31).astype(bool))
        value.append(raw["value"].astype(f32))
        roots.append(base)
        base += num_nodes
    groups = np.array(buf.unpack(f"{num_trees}i"), dtype=np.int64) if num_trees else np.zeros(0, np.int64)
    if np.any((groups < 0) | (groups >= max(num_group, b.num_class, 1))):
        raise MojoError("XGBoost tree_info names an unknown output group", hint="corrupt MOJO")

    def cat(xs: list[np.ndarray], d: type) -> np.ndarray:
        return np.concatenate(xs) if xs else np.zeros(0, d)

    b.left, b.right = cat(left, np.int64), cat(right, np.int64)
    b.feature, b.default_left = cat(feat, np.int64), cat(dleft, bool)
    b.value, b.roots, b.tree_group, b.depth = cat(value, f32), np.array(roots, np.int64), groups, depth
    if b.name_gbm == "dart":
        (n,) = buf.unpack("Q")
        if n != num_trees:
            raise MojoError("XGBoost DART weight_drop does not match the trees", hint="corrupt MOJO")
        b.weight_drop = np.frombuffer(buf.take(4 * n), dtype="<f4").astype(f32)


def _tree_depth(cl: np.ndarray, cr: np.ndarray, leaf: np.ndarray, t: int) -> int:
    """Depth from node 0; a node reached twice means a cycle or a DAG, not a tree."""
    seen = np.zeros(len(cl), dtype=bool)
    frontier, depth = [0], 0
    while frontier:
        nxt = []
        for node in frontier:
            if seen[node]:
                raise MojoError(f"XGBoost tree {t} is not a tree (a node is reached twice)")
            seen[node] = True
            if not leaf[node]:
                nxt += [int(cl[node]), int(cr[node])]
        frontier = nxt
        depth += 1
    return depth


def parse_booster(data: bytes) -> Booster:
    buf = _Buf(data)
    if data[:4] == b"binf":
        buf.take(4)
    base_score, num_feature, num_class, _extra, _evals, major, minor = buf.unpack("fIiiiII")
    buf.take(27 * 4)
    b = Booster(float(base_score), num_feature, num_class, major, minor, buf.string(), buf.string())
    if b.name_gbm in ("gbtree", "dart"):
        _parse_trees(buf, b)
    elif b.name_gbm == "gblinear":
        nf, ng = buf.unpack("Ii")
        buf.take(32 * 4)
        # Newer xgboost leaves these 0 and keeps the sizes in the learner parameters.
        nf = nf or b.num_feature
        ng = ng or max(b.num_class, 1)
        (n,) = buf.unpack("Q")
        if ng < 1 or n != (nf + 1) * ng:
            raise MojoError("XGBoost gblinear weights do not match features x groups", hint="corrupt MOJO")
        b.weights = np.frombuffer(buf.take(4 * n), dtype="<f4").astype(f32).reshape(nf + 1, ng)
        b.num_feature = nf
    else:
        raise MojoError(f"unsupported XGBoost booster {b.name_gbm!r}", hint="gbtree, dart or gblinear")
    return b


def _prob_to_margin(obj: str, p: float) -> np.float32:
    if obj in ("binary:logistic", "reg:logistic"):
        t = f32(1.0) / f32(p) - f32(1.0)
        return f32(-math.log(float(t))) if t > 0 else f32(-math.inf if t == 0 else math.nan)
    if obj in ("reg:gamma", "reg:tweedie", "count:poisson"):
        return f32(math.log(p)) if p > 0 else f32(math.nan)
    return f32(p)


_OBJECTIVES = (
    "binary:logistic", "reg:logistic", "multi:softprob", "multi:softmax", "reg:squarederror",
    "reg:linear", "count:poisson", "reg:gamma", "reg:tweedie",
)  # fmt: skip


def _softmax(m: np.ndarray) -> np.ndarray:
    """Softmax over the groups of ``m`` (``(groups, rows)``, float32) as genmodel computes it:
    exp in double of the float32 difference to the row maximum, float32 terms summed in double."""
    if len(m) >= 8:  # NumPy's sum over 8+ terms is pairwise: keep its exact order
        t = m.T
        z = t - t.max(axis=1, keepdims=True)
        e = np.exp(z.astype(np.float64)).astype(f32)
        total = e.astype(np.float64).sum(axis=1, keepdims=True).astype(f32)
        return (e / total).T
    top = m[0].copy()
    for g in range(1, len(m)):
        np.maximum(top, m[g], out=top)
    e = np.exp((m - top).astype(np.float64)).astype(f32)
    total = e[0].astype(np.float64)
    for g in range(1, len(m)):  # below 8 terms NumPy's sum is this sequential one
        total += e[g]
    return e / total.astype(f32)


class XGBoostScorer:
    chunk_pairs = 1 << 17
    compact = True
    walk_rows = 4  # up to this many rows: the plain-Python walk (no per-step NumPy overhead)
    max_virtual = 4096  # level-dependent one-hot nodes compiled to virtual 0/1 columns at most
    _py: tuple | None = None
    _heap: _HeapForest | bool | None = None  # None: not built yet; False: trees too deep

    def __init__(self, reader: MojoReader, meta: Meta) -> None:
        ini = reader.ini
        self.meta = meta
        self.cats = ini.get_int("cats", lo=0, hi=meta.n_features)
        self.nums = ini.get_int("nums", lo=0, hi=meta.n_features)
        self.cat_offsets = np.array(ini.get_ints("cat_offsets"), dtype=np.int64)
        self.all_levels = ini.get_bool("use_all_factor_levels", True)
        self.sparse = ini.get_bool("sparse", False)
        if self.cats + self.nums != meta.n_features or len(self.cat_offsets) != self.cats + 1:
            raise MojoError("XGBoost cats/nums/cat_offsets do not match the features", hint="corrupt MOJO")
        if np.any(np.diff(self.cat_offsets) < 0) or (len(self.cat_offsets) and self.cat_offsets[0] != 0):
            raise MojoError("XGBoost cat_offsets are malformed", hint="corrupt MOJO")
        self.width = int(self.cat_offsets[-1]) + self.nums
        self.booster = parse_booster(reader.read("boosterBytes"))
        b = self.booster
        if b.name_obj not in _OBJECTIVES:
            raise MojoError(f"unsupported XGBoost objective {b.name_obj!r}")
        if len(b.feature) and int(b.feature.max()) >= self.width:
            raise MojoError("XGBoost tree splits on a feature outside the input vector", hint="corrupt MOJO")
        if b.weights is not None and b.weights.shape[0] - 1 > self.width:
            raise MojoError("XGBoost gblinear has more weights than input features", hint="corrupt MOJO")
        self.groups = max(b.num_class, 1)
        self.new_base = (b.major, b.minor) >= (1, 3)
        self.base = _prob_to_margin(b.name_obj, b.base_score) if b.major >= 1 else f32(b.base_score)
        if ini.get_bool("has_offset", False):
            self.base = f32(0.0)  # the (absent) offset replaces the base margin
        self.calibration = read_calibration(reader) if meta.category == "Binomial" else None
        self.row_cost = len(b.roots) * max(1, b.depth)  # node steps per row (see TreeScorer)
        if self.row_cost > reader.limits.max_row_cost:
            raise MojoError(f"XGBoost MOJO needs {self.row_cost:,} tree steps per row "
                            f"({len(b.roots):,} trees, "
                            f"depth {b.depth}; limit {reader.limits.max_row_cost:,})",
                            hint="raise Limits.max_row_cost to score this model")
        self.row_bytes = 8 * (len(b.roots) + meta.n_classes + 4)
        self.details = {"booster": b.name_gbm, "objective": b.name_obj}

    def features(self, x: np.ndarray) -> np.ndarray:
        n = len(x)
        fill = np.nan if self.sparse else 0.0
        out = np.full((n, self.width), fill, dtype=f32)
        set_one_hot(out, one_hot_index(x, self.cats, self.cat_offsets, self.all_levels))
        nums = x[:, self.cats :].astype(f32)
        if self.sparse:
            nums = np.where(nums == 0, f32(np.nan), nums)
        out[:, int(self.cat_offsets[-1]) :] = nums
        return out

    def margins(self, x: np.ndarray) -> np.ndarray:
        """``out[g, r]``: the margin of output group ``g`` for row ``r`` (float32, group-major)."""
        b = self.booster
        n = len(x)
        out = np.empty((self.groups, n), dtype=f32)
        if b.weights is not None:
            feats = self.features(x)
            w = b.weights
            nf = w.shape[0] - 1
            for g in range(self.groups):
                s = np.full(n, w[nf, g] + self.base, dtype=f32)
                for j in range(min(nf, feats.shape[1])):
                    v = feats[:, j]
                    s = np.where(np.isnan(v), s, s + v * w[j, g]).astype(f32)
                out[g] = s
            return out
        leaves = self._leaves(x)  # (trees, rows)
        if b.weight_drop is not None:
            leaves = leaves * b.weight_drop[:, None]
        groups = b.tree_group
        start = self.base if self.new_base else f32(0)
        for g in range(self.groups):
            # The trees are added in order, one float32 addition per tree and row, starting from
            # the base (new format) or from 0 with the base added last: the same operations as
            # genmodel.  A running vector sum does that with one NumPy op per tree.
            trees = np.flatnonzero(groups == g)
            if n <= self.walk_rows:  # one strictly sequential accumulate: cheapest for a few rows
                s = np.add.accumulate(np.vstack([np.full((1, n), start, f32), leaves[trees]]), axis=0)[-1]
            else:
                s = out[g]
                s[:] = start
                for t in trees.tolist():
                    s += leaves[t]
            out[g] = s if self.new_base else s + self.base
        return out

    def _compile_nodes(self) -> None:
        """Map each tree node to a raw input column, so the one-hot vector is never built.

        A node on a one-hot slot sees 1.0 when the row's level is that slot's level (or the NA
        slot for a missing level) and 0.0 (NaN if ``sparse``) otherwise, so its direction for
        "hot" and "cold" is fixed at load time.  Per step a node then needs one comparison:
        ``go_left = (v' < split) XOR (v == level AND flip)`` where ``v'`` reads a copy of the
        rows with NaN as -inf (node sends NA left) or +inf (NA right).
        """
        b = self.booster
        f = b.feature
        nf = self.cats + self.nums
        ncat = int(self.cat_offsets[-1])
        leaf = b.left < 0
        onehot = (f < ncat) & ~leaf
        block = np.clip(np.searchsorted(self.cat_offsets, f, side="right") - 1, 0, max(self.cats - 1, 0))
        if self.cats:
            slot = f - self.cat_offsets[block]
            width = self.cat_offsets[block + 1] - self.cat_offsets[block]
        else:
            slot, width = np.zeros_like(f), np.ones_like(f)
        level = np.where(slot == width - 1, -1, slot + (0 if self.all_levels else 1))
        src = np.where(onehot, block, self.cats + (f - ncat))
        src = np.where(leaf, 0, src)
        # Copy 0 has NaN -> +inf (NA goes right), copy 1 has NaN -> -inf (NA goes left).
        self._col = (src + nf * b.default_left.astype(np.int64)).astype(np.int64)
        left_hot = f32(1.0) < b.value
        left_cold = b.default_left.copy() if self.sparse else (f32(0.0) < b.value)
        inf = f32(np.inf)
        split = np.where(onehot, np.where(left_cold, inf, -inf), b.value).astype(f32)
        split = np.where(leaf, -inf, split).astype(f32)
        self._split = np.where(leaf, -inf, split).astype(f32)
        self._level = np.where(onehot, level, np.nan).astype(f32)
        self._flip = onehot & (left_hot != left_cold)
        # Nodes whose direction depends on the level get a virtual 0/1 column u per (column,
        # level, polarity), built per chunk with one broadcast comparison; the node then goes
        # left iff u < 0.5.  u = hot when a cold row goes left, else u = cold.
        flips = np.flatnonzero(self._flip)
        self._virtual = None
        if 0 < len(flips) <= self.max_virtual:
            keys = np.stack([src[flips], level[flips], left_cold[flips].astype(np.int64)], axis=1)
            uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
            self._virtual = (uniq[:, 0], uniq[:, 1].astype(f32), ~uniq[:, 2].astype(bool))
            self._col[flips] = 2 * nf + inverse.reshape(-1)
            split[flips] = f32(0.5)
            self._split = np.where(leaf, -inf, split).astype(f32)
            self._flip = np.zeros_like(self._flip)
        n_nodes = len(f)
        ids = np.arange(n_nodes, dtype=np.int64)
        child = np.empty(2 * n_nodes, dtype=np.int64)  # [2i] = right, [2i+1] = left
        child[0::2] = np.where(leaf, ids, b.right)
        child[1::2] = np.where(leaf, ids, b.left)
        self._child = child
        self._levels_per_cat = (np.diff(self.cat_offsets) - 1 + (0 if self.all_levels else 1)).astype(
            np.float64
        )
        self._levels_list = self._levels_per_cat.tolist()
        self._virtual_list = (
            []
            if self._virtual is None
            else list(zip(*(a.tolist() for a in self._virtual), strict=True))
        )

    def _raw32(self, x: np.ndarray) -> np.ndarray:
        """Rows as float32, twice (NaN as +inf, then as -inf); categoricals hold level or -1."""
        v = x.astype(f32)
        for i in range(self.cats):
            v[:, i] = self._level32(x[:, i], i)
        if self.sparse and self.nums:
            nums = v[:, self.cats :]
            nums[nums == 0] = np.nan
        nan = np.isnan(v)
        return np.hstack([np.where(nan, f32(np.inf), v), np.where(nan, f32(-np.inf), v)])

    def _raw_columns(self, x: np.ndarray, need: np.ndarray) -> np.ndarray:
        """``(columns, rows)``: the compiled columns ``need`` of :meth:`_raw32`'s copies and the
        virtual columns after them (``_col`` numbering), built from ``x`` alone."""
        nf = self.cats + self.nums
        out = np.empty((len(need), len(x)), dtype=f32)
        levels: dict[int, np.ndarray] = {}  # each categorical column's levels, once per chunk

        def level32(j: int) -> np.ndarray:
            got = levels.get(j)
            if got is None:
                got = levels[j] = self._level32(x[:, j], j)
            return got

        for i, c in enumerate(need.tolist()):
            if c >= 2 * nf:
                assert self._virtual is not None
                vcol, vlevel, cold = self._virtual
                v = c - 2 * nf
                hot = level32(int(vcol[v]))
                (np.not_equal if cold[v] else np.equal)(hot, vlevel[v], out=out[i])  # (== level) ^ cold
                continue
            j = c % nf
            if j < self.cats:
                out[i] = level32(j)  # never NaN
                continue
            col = x[:, j].astype(f32)
            if self.sparse:
                col[col == 0] = np.nan
            out[i] = np.where(np.isnan(col), f32(np.inf if c < nf else -np.inf), col)
        return out

    def _level32(self, col: np.ndarray, i: int) -> np.ndarray:
        """Categorical column ``i`` as :meth:`_raw32` has it: the level, or -1 past the domain."""
        v = np.trunc(col)  # Java's (int) cast; past the block = the NA slot
        bad = ~((v >= 0) & (v < self._levels_per_cat[i]))
        return np.where(bad, f32(-1.0), v).astype(f32)

    def _raw32_row(self, row: list[float], v: list[float]) -> list[float]:
        """:meth:`_raw32` of one row in plain floats (``v`` = the row as float32 values).

        The same values but for the sign of a zero level (``-0.5`` gives level ``0.0`` here,
        ``-0.0`` there), which no comparison of the walk tells apart.
        """
        levels = self._levels_list
        for i in range(self.cats):
            c = row[i]  # Java's (int) cast; past the block = the NA slot
            v[i] = float(f32(math.trunc(c))) if -1.0 < c < levels[i] else -1.0
        if self.sparse:
            for j in range(self.cats, self.cats + self.nums):
                if v[j] == 0:
                    v[j] = math.nan
        return [math.inf if z != z else z for z in v] + [-math.inf if z != z else z for z in v]

    def _leaves(self, x: np.ndarray) -> np.ndarray:
        """``out[t, r]``: leaf value of tree ``t`` for row ``r`` (float32, tree-major)."""
        b = self.booster
        if not hasattr(self, "_col"):
            self._compile_nodes()
        n, t = len(x), len(b.roots)
        out = np.empty((t, n), dtype=f32)
        if n == 0 or t == 0:
            return out
        if n <= self.walk_rows:
            for r, (row, row32) in enumerate(zip(x.tolist(), x.astype(f32).tolist(), strict=True)):
                out[:, r] = self._walk_one(self._raw32_row(row, row32))
            return out
        if self._heap is None:
            self._heap = _HeapForest.build(self) or False
        if isinstance(self._heap, _HeapForest):
            return self._heap.leaves(self, x, out)
        return self._leaves_pairs(x, out)

    def _leaves_pairs(self, x: np.ndarray, out: np.ndarray) -> np.ndarray:
        """:meth:`_leaves` by walking (row, tree) pairs node by node (any tree shape)."""
        b = self.booster
        n, t = len(x), len(b.roots)
        raw = self._raw32(x)
        rows_per_chunk = max(1, self.chunk_pairs // max(t, 1))
        col, split, level, flip, child = self._col, self._split, self._level, self._flip, self._child
        any_flip = bool(flip.any())
        is_leaf = b.left < 0
        for lo in range(0, n, rows_per_chunk):
            hi = min(n, lo + rows_per_chunk)
            m = hi - lo
            cols = raw[lo:hi].T
            if self._virtual is not None:
                vcol, vlevel, cold = self._virtual
                u = (raw[lo:hi, vcol] == vlevel) ^ cold  # (rows, virtual columns)
                cols = np.vstack([cols, u.T.astype(f32)])
            flat = np.ascontiguousarray(cols).ravel()  # column-major: neighbours per tree
            node = np.repeat(b.roots, m)
            row = np.tile(np.arange(m, dtype=np.int64), t)
            colm = col * m
            res = np.empty(m * t, dtype=f32)
            slot: np.ndarray | None = None
            steps = b.depth - 1  # depth counts levels; a root-only tree needs no step
            for k in range(steps):
                v = flat[colm[node] + row]
                go_left = v < split[node]
                if any_flip:
                    go_left ^= (v == level[node]) & flip[node]
                node = child[2 * node + go_left]
                if self.compact and k % 2 == 1 and k + 1 < steps:
                    done = is_leaf[node]  # stop carrying pairs that reached a leaf
                    if int(np.count_nonzero(done)) * 4 > len(node):
                        fin = np.flatnonzero(done)
                        res[fin if slot is None else slot[fin]] = b.value[node[fin]]
                        keep = np.flatnonzero(~done)
                        node, row = node[keep], row[keep]
                        slot = keep if slot is None else slot[keep]
                        if node.size == 0:
                            break
            res[slice(None) if slot is None else slot] = b.value[node]
            out[:, lo:hi] = res.reshape(t, m)
        return out

    def _walk_one(self, raw_row: list[float]) -> np.ndarray:
        """One row's leaf per tree by a plain-Python walk over the compiled nodes (few rows).

        The values are float32 numbers held exactly in Python floats, so ``<`` and ``==`` decide
        as the float32 comparisons of the vectorised walk do.
        """
        if self._py is None:
            b = self.booster
            self._py = (self._col.tolist(), self._split.tolist(), self._level.tolist(), self._flip.tolist(),
                        self._child.tolist(), (b.left < 0).tolist(), b.roots.tolist())
        col, split, level, flip, child, is_leaf, roots = self._py
        v_all = raw_row
        if self._virtual is not None:  # (value == level) ^ cold, as 0.0 / 1.0
            v_all = raw_row + [float((raw_row[c] == lv) != cold) for c, lv, cold in self._virtual_list]
        found = []
        for node in roots:
            while not is_leaf[node]:
                v = v_all[col[node]]
                left = v < split[node]
                if flip[node] and v == level[node]:
                    left = not left
                node = child[2 * node + left]
            found.append(node)
        return self.booster.value[found]

    def score(self, x: np.ndarray) -> np.ndarray:
        obj = self.booster.name_obj
        m = self.margins(x)  # (groups, rows)
        n = len(x)
        k = self.meta.n_classes
        with np.errstate(over="ignore"):
            if obj in ("binary:logistic", "reg:logistic"):
                p = f32(1.0) / (f32(1.0) + np.exp(-m.astype(np.float64)).astype(f32))
            elif obj in ("count:poisson", "reg:gamma", "reg:tweedie"):
                p = np.exp(m.astype(np.float64)).astype(f32)
            elif obj.startswith("multi:"):
                p = _softmax(m)
            else:
                p = m
        p = p.T  # (rows, groups)
        if k == 2 and p.shape[1] == 1:
            p1 = p[:, 0].astype(np.float64)
            preds = np.column_stack(
                [binomial_labels(p1, self.meta.default_threshold), (f32(1) - p[:, 0]).astype(np.float64), p1]
            )
        elif k > 2:
            probs = p.astype(np.float64)
            preds = np.column_stack([multinomial_labels(probs, self.meta.prior_class_distrib, x), probs])
        elif k == 1:
            preds = np.column_stack([p[:, 0].astype(np.float64), np.zeros(n)])
        else:
            raise MojoError("XGBoost output groups do not match the response classes")
        if self.calibration is not None:
            preds = np.hstack([preds, self.calibration.calibrate(preds)])
        return preds


class _HeapForest:
    """The trees as complete binary heaps, level by level, over a table of precomputed tests.

    Every internal node is a test ``go right = v >= split`` (``^ (v == level)`` for a one-hot
    node whose direction depends on the level, see :meth:`XGBoostScorer._compile_nodes`) on one
    column of the raw rows.  Per chunk of rows each distinct test is evaluated once for all rows
    with contiguous comparisons (``tests[k, r]``, 0/1; test 0 is "go left" for padding).  The
    trees are padded to complete heaps (a leaf above the last level goes left, to itself, until
    the last level) and laid out level-major: slot ``q`` of level ``k`` is ``tree * 2**k +
    position``, so one step for every (tree, row) pair at once is ``q = 2 * q + tests[test_k[q],
    row]``, and the last level holds the leaf values.  The same leaf as the node-by-node walk
    (the same float32 comparisons), in five array operations per level instead of eight.
    """

    #: trees padded to heaps only up to this many last-level slots (trees x 2**(depth - 1))
    max_slots = 1 << 20
    #: bytes of the per-chunk test table at most, and rows per chunk at least (else node walk)
    table_bytes = 1 << 22
    min_chunk_rows = 64
    #: levels decoded at once from one code of their 2**top - 1 tests (at most 3: uint8 codes)
    top_levels = 3

    def __init__(self, col: np.ndarray, split: np.ndarray, level: np.ndarray, flip: np.ndarray,
                 levels: list[np.ndarray], values: np.ndarray, trees: int) -> None:
        self.split, self.level = split, level
        self.flip_rows = np.flatnonzero(flip)
        self.levels, self.values, self.trees = levels, values, trees
        self.top = min(self.top_levels, len(levels))
        self.slots, self.pos, self.by_code = self._top_tables(self.top)
        # The compiled columns the tests read; the tests are sorted by column, so the tests of
        # each one are a run [start, stop) compared in one broadcast.
        self.need, self.test_col = np.unique(col, return_inverse=True)
        bounds = np.searchsorted(self.test_col, np.arange(len(self.need) + 1))
        self.runs = list(zip(range(len(self.need)), bounds[:-1].tolist(), bounds[1:].tolist(), strict=True))
        self.n_tests = len(col)

    @classmethod
    def build(cls, sc: XGBoostScorer) -> _HeapForest | None:
        b = sc.booster
        t, depth = len(b.roots), max(b.depth, 1)
        if depth > 21 or t << (depth - 1) > cls.max_slots:
            return None
        internal = np.flatnonzero(b.left >= 0)
        # NaN never reaches a test (the raw copies hold +-inf), and v < NaN is False: go right,
        # which v >= -inf says for every v.
        split = np.where(np.isnan(sc._split), f32(-np.inf), sc._split).astype(f32)
        flip = sc._flip[internal]
        level = np.where(flip, sc._level[internal], 0.0)
        keys = np.stack([sc._col[internal].astype(np.float64), split[internal].astype(np.float64),
                         flip.astype(np.float64), level.astype(np.float64)], axis=1)
        uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
        if len(uniq) + 1 > cls.table_bytes // cls.min_chunk_rows:
            return None  # so many distinct tests that a chunk would hold only a few rows
        test = np.zeros(len(b.left), dtype=np.int64)
        test[internal] = inverse.reshape(-1) + 1
        node = b.roots.astype(np.int64)
        levels = []
        for _ in range(depth - 1):
            levels.append(test[node])
            leaf = b.left[node] < 0
            nxt = np.empty(2 * len(node), dtype=np.int64)
            nxt[0::2] = np.where(leaf, node, b.left[node])
            nxt[1::2] = np.where(leaf, node, b.right[node])
            node = nxt
        return cls(uniq[:, 0].astype(np.int64), uniq[:, 1].astype(f32), uniq[:, 3].astype(f32),
                   uniq[:, 2].astype(bool), levels, b.value[node], t)

    def _top_tables(self, top: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """The tests of the top ``top`` levels per tree, in heap order (``(trees, 2**top - 1)``),
        the position at level ``top`` of every code (bit ``j`` = heap slot ``j`` goes right),
        and, when those are all the levels, each tree's leaf value of every code."""
        t = self.trees
        if top == 0:  # every tree is a single leaf: nothing to decode
            return np.zeros((t, 0), dtype=np.int64), np.zeros(1, dtype=np.int64), None
        slots = np.concatenate([self.levels[k].reshape(t, 1 << k) for k in range(top)], axis=1)
        codes = np.arange(1 << slots.shape[1], dtype=np.int64)
        h = np.zeros_like(codes)
        for _ in range(top):
            h = 2 * h + 1 + ((codes >> h) & 1)
        pos = h - (slots.shape[1])
        by_code = None
        if top == len(self.levels):
            by_code = np.ascontiguousarray(self.values.reshape(t, 1 << top)[:, pos])
        return slots, pos, by_code


    def leaves(self, sc: XGBoostScorer, x: np.ndarray, out: np.ndarray) -> np.ndarray:
        n, t = len(x), self.trees
        k = self.n_tests + 1
        if not self.levels:  # every tree is a single leaf
            out[:] = self.values[:, None]
            return out
        top, slots, pos, by_code = self.top, self.slots, self.pos, self.by_code
        m_max = max(1, min(sc.chunk_pairs // t, self.table_bytes // k, n))
        row_all = np.tile(np.arange(m_max, dtype=np.int64), t)
        tests = np.empty((k, m_max), dtype=np.uint8)
        idx = np.empty(t * m_max, dtype=np.int64)
        bit = np.empty(t * m_max, dtype=np.uint8)
        code_all = np.empty((t, m_max), dtype=np.uint8)
        got_all = np.empty((t, m_max), dtype=np.uint8)
        tree_first = (np.arange(t, dtype=np.int64) << top)[:, None]
        tree_code = (np.arange(t, dtype=np.int64) * len(pos))[:, None]
        split, fr = self.split, self.flip_rows
        for lo in range(0, n, m_max):
            hi = min(n, lo + m_max)
            m = hi - lo
            full = m == m_max
            cols = sc._raw_columns(x[lo:hi], self.need)
            tab = tests[:, :m] if full else np.empty((k, m), dtype=np.uint8)
            tab[0] = 0
            tb = tab[1:].view(bool)
            for i, a, z in self.runs:
                np.greater_equal(cols[i], split[a:z, None], out=tb[a:z])
            if len(fr):
                tab[1 + fr] ^= (cols[self.test_col[fr]] == self.level[fr, None]).view(np.uint8)
            # The top levels: one code per (tree, row) from its slots' tests, decoded by a table.
            code = code_all if full else np.empty((t, m), dtype=np.uint8)
            got = got_all if full else np.empty((t, m), dtype=np.uint8)
            np.take(tab, slots[:, 0], axis=0, out=code, mode="clip")
            for j in range(1, slots.shape[1]):
                np.take(tab, slots[:, j], axis=0, out=got, mode="clip")
                got <<= j
                code |= got
            if by_code is not None:
                out[:, lo:hi] = np.take(by_code, tree_code + code, mode="clip")
                continue
            q = (tree_first + np.take(pos, code, mode="clip")).ravel()
            flat = tab.ravel()
            pairs = t * m
            row = row_all[:pairs] if full else np.tile(np.arange(m, dtype=np.int64), t)
            ix, bt = idx[:pairs], bit[:pairs]
            for lev in self.levels[top:]:
                np.take(lev * m, q, out=ix, mode="clip")
                ix += row
                np.take(flat, ix, out=bt, mode="clip")
                q += q
                q += bt
            out[:, lo:hi] = np.take(self.values, q, mode="clip").reshape(t, m)
        return out
