"""The batch walk of a :class:`~sparkwing.mojo._tree.Forest` through a table of node decisions.

Every internal node of every tree asks one of few questions of one column: ``x >= split`` (NA
sent left or right), "is ``x`` missing?" (NA-vs-rest) or "is level ``x`` in this bitset?".  Many
nodes ask the same question (a binary factor has few distinct bitsets; DRF trees reuse split
points), so the distinct questions are answered once per chunk of rows, column by column, as
whole-array operations -- a broadcast comparison for a column's split points, a table gather
over the level indices for its bitsets -- into a boolean matrix ``answer[question, row]``.  The
top three levels of every tree are taken at once (:meth:`DecisionTable.decode_top`); below them
the walk moves every (row, tree) pair one level down per step with six cheap array operations
(the node's question, its answer for the row, the chosen child), where the routing of
:meth:`Forest._walk` needs about ten and a separate pass for the categorical ("special") nodes.

The answers are those of §3.4's routing, computed on the same float64 values after the same
"level index beyond the domain is NA" pass; only the order of the work changes, so the leaves
found are the same, bit for bit (checked against the node walk in the unit tests)::

    >>> from sparkwing.mojo._tree import decode_forest
    >>> forest = decode_forest([b"\\x00\\xff\\xff\\x00\\x00\\x80\\x3f"], n_features=1, domain_sizes=[0])
    >>> DecisionTable.build(forest).leaf_values(forest, np.zeros((2, 1))).tolist()
    [[1.0, 1.0]]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

if TYPE_CHECKING:
    from sparkwing.mojo._tree import Forest

# Question kinds, per column.  An NA-vs-rest node sends exactly the NAs right (its NA direction
# byte is the one that says so: the decoder never sets na_left on it; the node walks agree).
_GE_NA_LEFT, _GE_NA_RIGHT, _BITSET, _IS_NA = range(4)


class DecisionTable:
    """Distinct node questions grouped by column, and each node's question (see the module)."""

    #: (row, tree) pairs walked at once, and answers (questions x rows) held at once
    chunk_pairs: ClassVar[int] = 1 << 17
    chunk_answers: ClassVar[int] = 1 << 22
    #: rows per chunk at least (else so many distinct questions that the node walk is cheaper)
    min_chunk_rows: ClassVar[int] = 64
    #: levels (+ the NA slot) of all distinct bitsets together, beyond which the table is not built
    max_levels: ClassVar[int] = 1 << 22
    #: levels walked at once from one code per (row, tree) (see :meth:`decode_top`)
    top_levels: ClassVar[int] = 3

    def __init__(self, n_questions: int, question: np.ndarray, child: np.ndarray,
                 roots: np.ndarray, value: np.ndarray,
                 groups: list[tuple[int, int, int, int, np.ndarray]]) -> None:  # fmt: skip
        self.n_questions = max(1, n_questions)
        self.question = question  # int64 per node (leaves: 0, any row: a leaf's children are itself)
        self.child = child  # int64, child[2 * node + go_right]; a leaf is its own two children
        self.roots = roots
        self.value = value  # float64 leaf value per node (0 for internal nodes)
        #: (first question, end, column, kind, operand): splits (k, 1) or bitset tables (k, levels + 1)
        self.groups = groups
        self.top = 0
        self.slot_question = np.zeros((len(roots), 0), dtype=np.int64)
        self.top_node = roots.reshape(-1, 1)
        self.code_pos = np.zeros(1, dtype=np.int64)

    def decode_top(self, levels: int) -> None:
        """Let the walk take its first ``levels`` (<= 3) steps at once: each (row, tree) pair
        gets a code whose bit ``h`` is the answer of heap slot ``h`` of its tree's top levels
        (read as whole rows of answers: no per-pair gather), and a table maps the code to the
        node reached.  Below a leaf the heap repeats the leaf, whose children are itself, so
        any answer read there leads back to it."""
        levels = max(0, min(levels, 3))
        t = len(self.roots)
        nodes = [self.roots.reshape(t, 1)]
        for _ in range(levels):
            last = nodes[-1]
            nxt = np.empty((t, 2 * last.shape[1]), dtype=np.int64)
            nxt[:, 0::2] = self.child[2 * last]
            nxt[:, 1::2] = self.child[2 * last + 1]
            nodes.append(nxt)
        self.top = levels
        self.slot_question = self.question[np.concatenate(nodes[:levels], axis=1)] if levels else (
            np.zeros((t, 0), dtype=np.int64))
        self.top_node = nodes[levels]
        width = (1 << levels) - 1
        codes = np.arange(1 << width, dtype=np.int64)
        h = np.zeros_like(codes)
        for _ in range(levels):
            h = 2 * h + 1 + ((codes >> h) & 1)
        self.code_pos = h - width

    @classmethod
    def build(cls, f: Forest) -> DecisionTable | None:
        """The table of ``f``, or ``None`` when a bitset node sits on a numeric column, the
        bitsets' domains are too large or the distinct questions too many for a chunk of
        :attr:`min_chunk_rows` (those forests keep the node walk)."""
        ni, nl = len(f.col), len(f.leaves)
        kind = np.select(
            [f.is_bitset, f.na_vs_rest, f.na_left],
            [_BITSET, _IS_NA, _GE_NA_LEFT],
            _GE_NA_RIGHT,
        )
        question = np.zeros(ni + nl, dtype=np.int64)
        groups: list[tuple[int, int, int, int, np.ndarray]] = []
        levels = 0
        n = 0
        key = f.col * 8 + kind
        for k in np.unique(key).tolist():
            j, kd = divmod(k, 8)
            nodes = np.flatnonzero(key == k)
            operand: np.ndarray
            if kd == _BITSET:
                d = int(f.domain_sizes[j])
                levels += (d + 1) * len(nodes)
                if d > cls.max_levels or levels > cls.max_levels:
                    return None  # numeric column (no domain) or enormous domains
                operand, inv = np.unique(_bitset_tables(f, nodes, d), axis=0, return_inverse=True)
            elif kd == _IS_NA:
                operand, inv = np.zeros((1, 1)), np.zeros(len(nodes), dtype=np.int64)
            else:
                splits, inv = np.unique(f.split[nodes], return_inverse=True)
                operand = splits[:, None]
            question[nodes] = n + inv.reshape(-1)
            groups.append((n, n + len(operand), j, kd, operand))
            n += len(operand)
        if n > cls.chunk_answers // cls.min_chunk_rows:
            return None
        # The forest's traversal form (leaves as self-looping nodes after the internal ones).
        table = cls(n, question, f._t_child, f._t_roots, f._t_value, groups)
        table.decode_top(min(cls.top_levels, f.depth))
        return table

    def leaf_values(self, f: Forest, x: np.ndarray) -> np.ndarray:
        """``out[t, r]`` as :meth:`Forest.leaf_values`; ``x``'s out-of-domain levels already NaN."""
        n, t = x.shape[0], len(self.roots)
        out = np.empty((t, n))
        step = max(1, min(self.chunk_pairs // max(t, 1), self.chunk_answers // self.n_questions))
        for lo in range(0, n, step):
            hi = min(n, lo + step)
            out[:, lo:hi] = self._walk(f, x[lo:hi])
        return out

    def answers(self, f: Forest, x: np.ndarray) -> np.ndarray:
        """``answer[question, row]``: True = go right."""
        m = x.shape[0]
        answer = np.empty((self.n_questions, m), dtype=bool)
        answer[0] = False  # the row leaves read when there is no question at all
        for lo, hi, j, kd, operand in self.groups:
            v = x[:, j]
            if kd == _BITSET:
                # Java's (int) cast of a level index in (-1, domain) is trunc; the rest is NA.
                d = operand.shape[1] - 1
                code = np.where((v > -1.0) & (v < d), v, d).astype(np.intp)
                np.take(operand, code, axis=1, out=answer[lo:hi])
            elif kd == _IS_NA:
                np.isnan(v, out=answer[lo])
            else:
                # NA as +inf (sent right) or -inf (sent left): one ">=" routes numbers and NA.
                filled = np.where(np.isnan(v), np.inf if kd == _GE_NA_RIGHT else -np.inf, v)
                np.greater_equal(filled[None, :], operand, out=answer[lo:hi])
        return answer

    def _walk(self, f: Forest, x: np.ndarray) -> np.ndarray:
        m, t = x.shape[0], len(self.roots)
        answer = self.answers(f, x)
        flat = answer.reshape(-1)
        # The top levels: one code per (tree, row) from whole rows of answers, decoded by a table.
        bits = answer.view(np.uint8)
        slots = self.slot_question
        code = np.zeros((t, m), dtype=np.uint8)
        got = np.empty((t, m), dtype=np.uint8)
        for h in range(slots.shape[1]):
            np.take(bits, slots[:, h], axis=0, out=got, mode="clip")
            got <<= h
            code |= got
        width = self.top_node.shape[1]
        pos = np.take(self.code_pos, code, mode="clip")
        pos += (np.arange(t, dtype=np.int64) * width)[:, None]
        node = np.take(self.top_node, pos.reshape(-1), mode="clip")
        if self.top >= f.depth:
            return self.value[node].reshape(t, m)
        rows = np.tile(np.arange(m, dtype=np.int64), t)
        at = np.empty_like(node)
        go = np.empty(len(node), dtype=bool)
        question_at = self.question * m  # offset of each node's answers
        # mode="clip": every index is in range by construction, and "raise" would buffer ``out``.
        for _ in range(f.depth - self.top):
            np.take(question_at, node, out=at, mode="clip")
            at += rows
            np.take(flat, at, out=go, mode="clip")
            node += node
            node += go
            np.take(self.child, node, out=at, mode="clip")
            node, at = at, node
        return self.value[node].reshape(t, m)


def _bitset_tables(f: Forest, nodes: np.ndarray, d: int) -> np.ndarray:
    """One row per bitset node: go-right per level ``0..d-1``, then the NA slot.  A level outside
    the node's bitset goes where NA goes (§3.4)."""
    levels = np.arange(d, dtype=np.int64)
    out = np.empty((len(nodes), d + 1), dtype=bool)
    for i, b in enumerate(nodes.tolist()):
        na_right = not bool(f.na_left[b])
        off = levels - f.bitoff[b]
        inside = (off >= 0) & (off < f.nbits[b])
        row = np.full(d + 1, na_right)
        row[:d][inside] = f.bits[f.bit_start[b] + off[inside]].astype(bool)
        out[i] = row
    return out
