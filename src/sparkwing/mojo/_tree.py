"""H2O tree blobs (GBM, DRF, Isolation Forest) decoded once into flat arrays, scored vectorised.

A blob is a pre-order serialisation (mojo-format §3.3).  :func:`decode_forest` walks every blob
exactly once with an explicit stack (no recursion), checking that each subtree ends where the
next begins, so a hostile blob can neither point outside itself nor make us loop.  Scoring moves
all (row, tree) pairs one level down per step (§3.4 routing), so a batch costs ``max_depth``
NumPy passes instead of ``rows × trees`` Python walks::

    >>> forest = decode_forest([b"\\x00\\xff\\xff\\x00\\x00\\x80\\x3f"], n_features=1, domain_sizes=[0])
    >>> forest.leaf_values(np.zeros((2, 1))).tolist()
    [[1.0, 1.0]]
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from sparkwing.errors import MojoError
from sparkwing.mojo._tree_row import compile_forest
from sparkwing.mojo._tree_table import DecisionTable

MAX_DEPTH = 4096
_NUMERIC = np.iinfo(np.int64).max  # "domain size" of a numeric column: never out of range
_I32_MIN, _I32_MAX = -(2.0**31), 2.0**31 - 1
_F32 = struct.Struct("<f")


@dataclass
class Forest:
    """All trees of a model as node arrays; a child < 0 is the leaf ``~child``."""

    col: np.ndarray  # int64 feature index per internal node
    split: np.ndarray  # float64 (float32 split widened)
    na_left: np.ndarray  # bool: NA goes left
    na_vs_rest: np.ndarray  # bool: every non-NA value goes left
    is_bitset: np.ndarray  # bool
    bit_start: np.ndarray  # int64 offset into ``bits``
    bitoff: np.ndarray  # int64
    nbits: np.ndarray  # int64
    left: np.ndarray  # int64
    right: np.ndarray  # int64
    leaves: np.ndarray  # float64 (float32 leaf widened)
    bits: np.ndarray  # uint8, one entry per bit
    roots: np.ndarray  # int64, one per tree (may be a leaf)
    domain_sizes: np.ndarray  # int64 per feature; _NUMERIC for numeric columns
    depth: int

    @property
    def n_trees(self) -> int:
        return len(self.roots)

    def __post_init__(self) -> None:
        # Traversal form: leaves become self-looping nodes after the internal ones, so a batch
        # can step every (row, tree) pair together without branching; value[] holds leaf values.
        ni, nl = len(self.col), len(self.leaves)
        leaf_ids = np.arange(ni, ni + nl, dtype=np.int64)

        def ref(child: np.ndarray) -> np.ndarray:
            return np.where(child >= 0, child, ni + ~child)

        # Children interleaved: child[2 * node + go_right] is one gather instead of two.
        child = np.empty(2 * (ni + nl), dtype=np.int64)
        child[0::2] = np.concatenate([ref(self.left), leaf_ids])
        child[1::2] = np.concatenate([ref(self.right), leaf_ids])
        self._t_child = child
        self._t_col = np.concatenate([self.col, np.zeros(nl, np.int64)])
        # A leaf "splits" at -inf: every value goes right, i.e. stays on the leaf.
        self._t_split = np.concatenate([self.split, np.full(nl, -np.inf)])
        nf = len(self.domain_sizes)
        self._t_eff_col = np.concatenate([self.col + nf * self.na_left, np.zeros(nl, np.int64)])
        special = self.is_bitset | self.na_vs_rest
        self._t_special = np.concatenate([special, np.zeros(nl, bool)])
        self._any_special = bool(special.any())
        self._any_na_vs_rest = bool(self.na_vs_rest.any())
        self._t_value = np.concatenate([np.zeros(ni), self.leaves])
        self._t_roots = ref(self.roots).astype(np.int64)
        self._py: tuple | None = None  # type: ignore[type-arg]  # one-row tables, built on first use
        # Level indices beyond a domain are made NaN up front (see leaf_values), so only bitset
        # nodes need more than a comparison: a per-node lookup table over levels + an NA slot.
        self._categorical = np.flatnonzero(self.domain_sizes != _NUMERIC)
        self._tables: np.ndarray | None = None
        if self.is_bitset.any():
            self._build_tables()
        self._decisions: DecisionTable | None = None  # built on the first batch
        self._decided = False

    #: the decision-table walk is taken while its distinct questions are at most this many times
    #: the node steps of one row (answering all questions costs about 1/30 of a step each)
    table_ratio: ClassVar[int] = 32

    def decision_table(self) -> DecisionTable | None:
        """The :class:`DecisionTable` walk when it is expected to beat :meth:`_walk`, else None."""
        if not self._decided:
            table = DecisionTable.build(self)
            steps = self.n_trees * max(self.depth, 1)
            ok = table is not None and table.n_questions <= self.table_ratio * steps
            self._decisions, self._decided = (table if ok else None), True
        return self._decisions

    def _build_tables(self, max_entries: int = 1 << 25) -> None:
        nodes = np.flatnonzero(self.is_bitset)
        sizes = self.domain_sizes[self.col[nodes]]
        if np.any(sizes == _NUMERIC) or int(sizes.sum()) + len(nodes) > max_entries:
            return  # fall back to the general routing (hostile or enormous domains)
        offsets = np.zeros(len(self._t_split), dtype=np.int64)
        table = np.zeros(int(sizes.sum()) + len(nodes), dtype=bool)
        self._t_na_slot = np.zeros(len(self._t_split), dtype=np.int64)
        pos = 0
        for b, size in zip(nodes.tolist(), sizes.tolist(), strict=True):
            levels = np.arange(size, dtype=np.int64)
            inside = (levels >= self.bitoff[b]) & (levels < self.bitoff[b] + self.nbits[b])
            na_right = not self.na_left[b]
            bits = np.full(size, na_right)
            sel = levels[inside] - self.bitoff[b]
            bits[inside] = self.bits[self.bit_start[b] + sel].astype(bool)
            table[pos : pos + size] = bits
            table[pos + size] = na_right  # the NA slot
            offsets[b] = pos
            self._t_na_slot[b] = size
            pos += size + 1
        self._tables, self._t_table_off = table, offsets

    chunk_pairs: ClassVar[int] = 1 << 17  # (row, tree) pairs walked at once
    #: rows x trees x depth up to which rows are walked in plain Python (NumPy's per-call
    #: overhead dominates below)
    row_cost_limit: ClassVar[int] = 6000

    def leaf_values(self, x: np.ndarray) -> np.ndarray:
        """``out[t, r]`` = leaf value of tree ``t`` for row ``r`` (float64, tree-major).

        Tree-major so that ``out.sum(axis=0)`` adds trees one after another, in genmodel's order.
        """
        n, t = x.shape[0], self.n_trees
        if n == 0 or t == 0:
            return np.empty((t, n))
        if n * t * max(self.depth, 1) <= self.row_cost_limit:
            return self._walk_rows(x)  # online scoring: plain Python beats NumPy's call overhead
        out = np.empty((t, n))
        if len(self._categorical):
            # H2O routes a level index >= the domain size like NA; make it NaN once here.
            x = x.copy()
            for j in self._categorical.tolist():
                col = x[:, j]
                vi = np.trunc(np.clip(np.where(np.isnan(col), 0.0, col), _I32_MIN, _I32_MAX))
                col[vi >= self.domain_sizes[j]] = np.nan
        table = self.decision_table()
        if table is not None:
            return table.leaf_values(self, x)
        step = max(1, self.chunk_pairs // t)
        for lo in range(0, n, step):
            hi = min(n, lo + step)
            out[:, lo:hi] = self._walk(x[lo:hi])
        return out

    def _walk(self, x: np.ndarray) -> np.ndarray:
        n, t = x.shape[0], self.n_trees
        # Column-major rows (pairs of one tree read neighbouring cells), twice: NaN as +inf for
        # nodes sending NA right and as -inf for nodes sending it left, so a single ">=" routes
        # numbers and NA alike.  Bitset and NA-vs-rest nodes take the full routing.
        xt = np.ascontiguousarray(x.T)
        nan = np.isnan(xt)
        flat = np.concatenate([np.where(nan, np.inf, xt).ravel(), np.where(nan, -np.inf, xt).ravel()])
        orig = xt.ravel()
        colofs = self._t_eff_col * n
        node = np.repeat(self._t_roots, n)
        base = np.tile(np.arange(n, dtype=np.int64), t)
        out = np.empty(n * t)
        slot: np.ndarray | None = None  # which output cell each live pair fills
        child, split, ni = self._t_child, self._t_split, len(self.col)
        for step in range(self.depth):
            go_right = flat[base + colofs[node]] >= split[node]
            if self._any_special:
                sp = np.flatnonzero(self._t_special[node])
                if sp.size:
                    nsp = node[sp]
                    go_right[sp] = self._route(nsp, orig[base[sp] + self._t_col[nsp] * n])
            node = child[2 * node + go_right]
            if step % 2 == 1 and step + 1 < self.depth:
                # Deep, unbalanced trees: once many pairs sit on leaves, stop carrying them.
                done = node >= ni
                n_done = int(np.count_nonzero(done))
                if n_done * 4 > len(node):
                    finished = np.flatnonzero(done)
                    out[finished if slot is None else slot[finished]] = self._t_value[node[finished]]
                    keep = np.flatnonzero(~done)
                    node, base = node[keep], base[keep]
                    slot = keep if slot is None else slot[keep]
                    if node.size == 0:
                        break
        out[slice(None) if slot is None else slot] = self._t_value[node]
        return out.reshape(t, n)

    def _walk_rows(self, x: np.ndarray) -> np.ndarray:
        """The same routing, one row at a time in plain Python (for a few rows)."""
        out = np.empty((self.n_trees, len(x)))
        for r, row in enumerate(x.tolist()):
            out[:, r] = self.row_leaves(row)
        return out

    def prepare_rows(self) -> None:
        """Build the one-row tables (and compile the trees) now rather than on the first row, and
        the batch walk's decision table (~2-20 ms) rather than on the first batch."""
        if self._py is None:
            self._py = self._row_tables()
        self.decision_table()

    def row_leaves(self, row: list[float]) -> list[float]:
        """The leaf value of every tree for one row (a list in feature order; it is modified).

        The trees compiled to Python expressions (:mod:`sparkwing.mojo._tree_row`) when the
        forest is small enough, else walked node by node on tuples; both route exactly as
        :meth:`leaf_values`.
        """
        py = self._py
        if py is None:
            py = self._py = self._row_tables()
        ni, nodes, bits, value, roots, cats, compiled = py
        for j, size in cats:  # a level index past the domain is routed as NA
            # (int) cast then compare, without the cast: size is a positive int (NaN compares false)
            if row[j] >= size:
                row[j] = math.nan
        if compiled is not None:
            return compiled(row)
        out = []
        for node in roots:
            while node < ni:
                c, split, left, right, na_right, kind, bitoff, nbits, bit_start = nodes[node]
                v = row[c]
                if v != v:
                    go = na_right
                elif kind == 0:
                    go = v >= split
                elif kind == 2:
                    go = False
                else:
                    # Java's saturating (int) cast: -inf may still sit in a categorical column.
                    off = int(max(min(v, _I32_MAX), _I32_MIN)) - bitoff
                    go = bits[bit_start + off] if 0 <= off < nbits else na_right
                node = right if go else left
            out.append(value[node])
        return out

    def _row_tables(self) -> tuple:  # type: ignore[type-arg]
        ni = len(self.col)
        child = self._t_child.tolist()
        kinds = np.where(self.na_vs_rest, 2, np.where(self.is_bitset, 1, 0))
        nodes = [
            (c, sp, child[2 * i], child[2 * i + 1], not nl, k, bo, nb, bs)
            for i, (c, sp, nl, k, bo, nb, bs) in enumerate(zip(
                self.col.tolist(), self.split.tolist(), self.na_left.tolist(), kinds.tolist(),
                self.bitoff.tolist(), self.nbits.tolist(), self.bit_start.tolist(), strict=True))
        ]  # fmt: skip
        cats = [(j, d) for j, d in enumerate(self.domain_sizes.tolist()) if d != _NUMERIC]
        return (ni, nodes, self.bits.astype(bool).tolist(), self._t_value.tolist(),
                self._t_roots.tolist(), cats, compile_forest(self))  # fmt: skip

    def _route(self, node: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Bitset nodes by table lookup; NA-vs-rest nodes send exactly the NAs right."""
        if self._tables is None:
            return self._special(node, v)
        nan = np.isnan(v)
        skip = nan
        nvr = None
        if self._any_na_vs_rest:
            nvr = self.na_vs_rest[node]
            skip = nan | nvr
        # Bitset values are already < domain size; -inf (a hand-made array) must not reach the cast.
        vi = np.where(skip, -1.0, np.maximum(v, -1.0)).astype(np.int64)
        slot = np.where(vi < 0, self._t_na_slot[node], vi)
        go = self._tables[self._t_table_off[node] + slot]
        return go if nvr is None else np.where(nvr, nan, go)

    def _special(self, node: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Full H2O routing (bitsets, NA-vs-rest, level out of range) for some nodes."""
        nan = np.isnan(v)
        go_right = v >= self.split[node]
        # Java casts with (int): truncation toward zero, saturating at the int range.
        vi = np.trunc(np.clip(np.where(nan, 0.0, v), _I32_MIN, _I32_MAX)).astype(np.int64)
        na = nan | (vi >= self.domain_sizes[self.col[node]])
        bs = self.is_bitset[node]
        if bs.any():
            off = vi - self.bitoff[node]
            inside = (off >= 0) & (off < self.nbits[node])
            na |= bs & ~inside
            pick = bs & inside
            go_right[bs] = False
            go_right[pick] = self.bits[self.bit_start[node[pick]] + off[pick]].astype(bool)
        go_right &= ~self.na_vs_rest[node]
        return np.where(na, ~self.na_left[node], go_right)


class _Builder:
    def __init__(self, n_features: int, domain_sizes: Sequence[int]) -> None:
        self.n_features = n_features
        self.domain_sizes = domain_sizes
        self.col: list[int] = []
        self.split: list[float] = []
        self.na_left: list[bool] = []
        self.na_vs_rest: list[bool] = []
        self.is_bitset: list[bool] = []
        self.bit_start: list[int] = []
        self.bitoff: list[int] = []
        self.nbits: list[int] = []
        self.left: list[int] = []
        self.right: list[int] = []
        self.leaves: list[float] = []
        self.bits: list[np.ndarray] = []
        self.n_bits = 0
        self.depth = 0

    def leaf(self, value: float) -> int:
        self.leaves.append(value)
        return ~(len(self.leaves) - 1)

    def tree(self, blob: bytes, name: str) -> int:
        """Decode one blob; returns its root (a node id, or ``~leaf``)."""
        size = len(blob)

        def need(pos: int, n: int) -> None:
            if pos + n > size:
                raise MojoError(f"tree {name} is truncated at byte {pos}", hint="corrupt MOJO")

        root = 0
        cursor = 0
        # Tasks: (expected start, is_leaf, parent node id or -1, side 0=left 1=right, depth)
        stack: list[tuple[int, bool, int, int, int]] = [(0, False, -1, 0, 0)]
        while stack:
            start, is_leaf, parent, side, depth = stack.pop()
            if start != cursor:
                raise MojoError(f"tree {name}: subtree sizes are inconsistent", hint="corrupt MOJO")
            if depth > MAX_DEPTH:
                raise MojoError(f"tree {name} is deeper than {MAX_DEPTH}", hint="corrupt MOJO")
            self.depth = max(self.depth, depth)
            if is_leaf:
                need(cursor, 4)
                ref = self.leaf(_F32.unpack_from(blob, cursor)[0])
                cursor += 4
            else:
                need(cursor, 3)
                node_type = blob[cursor]
                col = blob[cursor + 1] | (blob[cursor + 2] << 8)
                if col == 0xFFFF:  # a single-leaf tree (stump)
                    need(cursor + 3, 4)
                    ref = self.leaf(_F32.unpack_from(blob, cursor + 3)[0])
                    cursor += 7
                else:
                    ref, cursor, left_leaf, right_leaf, right_start = self._node(
                        blob, cursor, node_type, col, name, need
                    )
                    stack.append((right_start, right_leaf, ref, 1, depth + 1))
                    stack.append((cursor, left_leaf, ref, 0, depth + 1))
            if parent < 0:
                root = ref
            elif side == 0:
                self.left[parent] = ref
            else:
                self.right[parent] = ref
        if cursor != size:
            raise MojoError(f"tree {name} has {size - cursor} trailing bytes", hint="corrupt MOJO")
        return root

    def _node(self, blob: bytes, pos: int, node_type: int, col: int, name: str, need):  # type: ignore[no-untyped-def]
        if col >= self.n_features:
            raise MojoError(
                f"tree {name} splits on column {col}, the model has {self.n_features} features",
                hint="corrupt MOJO",
            )
        need(pos, 4)
        na_dir = blob[pos + 3]
        if na_dir > 5:
            raise MojoError(f"tree {name}: unknown NA direction {na_dir}", hint="corrupt MOJO")
        pos += 4
        equal = node_type & 0x0C
        na_vs_rest = na_dir == 1
        split, bit_start, bitoff, nbits = 0.0, 0, 0, 0
        if equal == 4:
            raise MojoError(f"tree {name}: the old '==' split is not supported", hint="re-export the model")
        if not na_vs_rest:
            if equal == 0:
                need(pos, 4)
                split = _F32.unpack_from(blob, pos)[0]
                pos += 4
            else:
                if equal == 8:
                    nbits, nbytes = 32, 4
                else:
                    need(pos, 6)
                    bitoff = blob[pos] | (blob[pos + 1] << 8)
                    nbits = int.from_bytes(blob[pos + 2 : pos + 6], "little", signed=True)
                    pos += 6
                    if nbits < 0:
                        raise MojoError(f"tree {name}: negative bitset size", hint="corrupt MOJO")
                    nbytes = (nbits + 7) >> 3
                need(pos, nbytes)
                raw = np.frombuffer(blob, dtype=np.uint8, count=nbytes, offset=pos)
                expanded = np.unpackbits(raw, bitorder="little")[:nbits]
                bit_start = self.n_bits
                self.bits.append(expanded)
                self.n_bits += nbits
                pos += nbytes
        lmask = node_type & 0x33
        left_leaf = (lmask & 0x30) == 0x30
        right_leaf = (node_type & 0xC0) == 0xC0
        if left_leaf:
            right_start = pos + 4
        else:
            width = (lmask & 3) + 1
            need(pos, width)
            skip = int.from_bytes(blob[pos : pos + width], "little", signed=width == 4)
            pos += width
            if skip < 0:
                raise MojoError(f"tree {name}: negative subtree size", hint="corrupt MOJO")
            right_start = pos + skip
        self.col.append(col)
        self.split.append(split)
        self.na_left.append(na_dir in (2, 4))
        self.na_vs_rest.append(na_vs_rest)
        self.is_bitset.append(equal != 0 and not na_vs_rest)
        self.bit_start.append(bit_start)
        self.bitoff.append(bitoff)
        self.nbits.append(nbits)
        self.left.append(0)
        self.right.append(0)
        return len(self.col) - 1, pos, left_leaf, right_leaf, right_start

    def build(self, roots: list[int]) -> Forest:
        i64 = np.int64
        sizes = np.array(
            [s if s > 0 else _NUMERIC for s in self.domain_sizes], dtype=i64
        ).reshape(-1)
        return Forest(
            col=np.array(self.col, dtype=i64),
            split=np.array(self.split, dtype=np.float64),
            na_left=np.array(self.na_left, dtype=bool),
            na_vs_rest=np.array(self.na_vs_rest, dtype=bool),
            is_bitset=np.array(self.is_bitset, dtype=bool),
            bit_start=np.array(self.bit_start, dtype=i64),
            bitoff=np.array(self.bitoff, dtype=i64),
            nbits=np.array(self.nbits, dtype=i64),
            left=np.array(self.left, dtype=i64),
            right=np.array(self.right, dtype=i64),
            leaves=np.array(self.leaves, dtype=np.float64),
            bits=np.concatenate(self.bits) if self.bits else np.zeros(0, np.uint8),
            roots=np.array(roots, dtype=i64),
            domain_sizes=sizes if len(sizes) else np.zeros(0, i64),
            depth=self.depth,
        )


def decode_forest(
    blobs: Sequence[bytes | None],
    n_features: int,
    domain_sizes: Sequence[int],
    names: Sequence[str] | None = None,
) -> Forest:
    """Decode tree blobs (``None`` = an absent tree, scored as 0) into one :class:`Forest`.

    ``domain_sizes[j]`` is the number of levels of feature ``j`` (0 for numeric features).
    """
    b = _Builder(n_features, domain_sizes)
    roots = []
    for i, blob in enumerate(blobs):
        label = names[i] if names else str(i)
        roots.append(b.leaf(0.0) if blob is None else b.tree(blob, label))
    return b.build(roots)
