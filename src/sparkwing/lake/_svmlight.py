"""SVMLight / LibSVM in plain Python: ``<label> [qid:n] <index>:<value> ... [# comment]``.

Runs on the executors.  A first pass over the splits (:meth:`SvmlightReader.stats`) finds the
largest index and how many rows hold index 0, so the driver can fix the width and the index
base (:func:`decide_zero_based`) without seeing a row; the second pass turns blocks of lines
into dense ``label, f1..fn`` columns (absent features are 0.0).

Indices must be strictly increasing non-negative integers; one-based files (the libsvm
convention, the default) cannot hold index 0.  A row breaking either rule, or holding an index
past ``n_features``, is quarantined alone; the other rows are unaffected.

>>> parse_svmlight_line("1 3:1 10:0.5 # note")
(1.0, {3: 1.0, 10: 0.5})
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

MAX_INFERRED_WIDTH = 10_000  # feature columns without n_features; more is a file-level error


def _number(token: str) -> float:
    if "_" in token:  # Python's float() accepts 1_000; no libsvm writer does
        raise ValueError(token)
    return float(token)


def parse_svmlight_line(line: str) -> tuple[float, dict[int, float]] | None:
    """Label and sparse features (in file order) of one line; None for a blank or comment line.

    Raises ValueError whose message is the quarantine reason.
    """
    text = line.split("#", 1)[0].strip()
    if not text:
        return None
    tokens = text.split()
    try:
        label = _number(tokens[0])
    except ValueError:
        raise ValueError(f"label is not a number (got {tokens[0][:40]!r})") from None
    features: dict[int, float] = {}
    last = -1
    for token in tokens[1:]:
        index, sep, value = token.partition(":")
        if not sep:
            raise ValueError(f"feature is not index:value (got {token[:40]!r})")
        if index == "qid":
            continue
        if not (index.isascii() and index.isdigit()):
            raise ValueError(f"feature index is not a non-negative integer (got {index[:40]!r})")
        i = int(index)
        if i == last:
            raise ValueError(f"feature index repeated (got {i})")
        if i < last:
            raise ValueError(f"feature indices not increasing (got {i} after {last})")
        try:
            features[i] = _number(value)
        except ValueError:
            raise ValueError(f"feature value is not a number (got {index}:{value[:40]})") from None
        last = i
    return label, features


@dataclass
class SvmlightStats:
    """What the first pass learns from the rows that parse (one split, or merged)."""

    rows: int = 0  # rows with at least one feature
    rows_with_index_0: int = 0
    max_index: int = -1  # over all rows
    max_line: int = 0  # a line holding max_index
    max_index_no_0: int = -1  # over rows without index 0 (the rows a one-based read accepts)
    max_line_no_0: int = 0

    def add(self, line: int, feats: dict[int, float]) -> None:
        self.rows += 1
        top = next(reversed(feats))
        if 0 in feats:
            self.rows_with_index_0 += 1
        elif top > self.max_index_no_0:
            self.max_index_no_0, self.max_line_no_0 = top, line
        if top > self.max_index:
            self.max_index, self.max_line = top, line

    def merge(self, other: SvmlightStats) -> SvmlightStats:
        self.rows += other.rows
        self.rows_with_index_0 += other.rows_with_index_0
        if other.max_index > self.max_index:
            self.max_index, self.max_line = other.max_index, other.max_line
        if other.max_index_no_0 > self.max_index_no_0:
            self.max_index_no_0, self.max_line_no_0 = other.max_index_no_0, other.max_line_no_0
        return self


@dataclass(frozen=True)
class ZeroBased:
    """How the index base of a source was chosen; stored in the run record."""

    zero_based: bool
    how: Literal["default", "declared", "auto"]
    rows_with_index_0: int | None  # None: not counted (n_features given, base not auto)
    rows_with_features: int | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "zero_based": self.zero_based, "how": self.how,
            "rows_with_index_0": self.rows_with_index_0, "rows_with_features": self.rows_with_features,
        }  # fmt: skip


def decide_zero_based(option: bool | Literal["auto"] | None, stats: SvmlightStats) -> ZeroBased:
    """``None`` → one-based (libsvm); ``True``/``False`` as declared; ``"auto"`` → zero-based
    only when more than half of the rows with features hold index 0."""
    if option == "auto":
        zero = stats.rows_with_index_0 * 2 > stats.rows
        return ZeroBased(zero, "auto", stats.rows_with_index_0, stats.rows)
    how: Literal["default", "declared"] = "default" if option is None else "declared"
    return ZeroBased(bool(option), how, stats.rows_with_index_0, stats.rows)


def feature_names(width: int, *, zero_based: bool, prefix: str) -> list[str]:
    start = 0 if zero_based else 1
    return [f"{prefix}{i}" for i in range(start, start + width)]


def inferred_width(stats: SvmlightStats, zero_based: bool) -> tuple[int, int]:
    """Feature columns implied by the largest index a read accepts, and a line holding it.

    0 columns when no row has a feature.
    """
    if zero_based:
        return stats.max_index + 1, stats.max_line
    return max(stats.max_index_no_0, 0), stats.max_line_no_0


def vector_arrow_type() -> Any:
    """The Arrow type of ``pyspark.ml.linalg.VectorUDT().sqlType()`` (what the parse pass ships)."""
    import pyarrow as pa

    return pa.struct(
        [
            pa.field("type", pa.int8(), nullable=False),
            pa.field("size", pa.int32()),
            pa.field("indices", pa.list_(pa.field("element", pa.int32(), nullable=False))),
            pa.field("values", pa.list_(pa.field("element", pa.float64(), nullable=False))),
        ]
    )


_NUM = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
# A line the vectorised path may take: label, optional qid, index:value pairs with indices of at
# most 15 digits (exact as float64), optional comment.  Anything else takes the exact path.
_PLAIN = re.compile(rf"[ \t]*({_NUM})(?:[ \t]+qid:\d+)?((?:[ \t]+\d{{1,15}}:{_NUM})*)[ \t]*(?:#.*)?")


@dataclass
class SvmlightBlock:
    labels: Any  # float64 array, one per accepted row
    rows: Any  # int64 array: row position of each stored feature
    cols: Any  # int64 array: its column (index minus the index base)
    values: Any  # float64 array
    lines: list[int] = field(default_factory=list)  # line number of each accepted row
    bad: list[tuple[int, str, str]] = field(default_factory=list)  # (line, raw, reason)

    def vectors(self, width: int) -> Any:
        """The features as Spark ML sparse vectors of size ``width``: an Arrow struct array in
        the layout of :func:`vector_arrow_type` (``type`` 0, ``size``, ``indices``, ``values``)."""
        import numpy as np
        import pyarrow as pa

        n = len(self.labels)
        counts = np.bincount(self.rows, minlength=n) if len(self.rows) else np.zeros(n, np.int64)
        offsets = pa.array(np.concatenate([[0], np.cumsum(counts)]).astype(np.int32))
        typ = vector_arrow_type()
        cols = pa.array(np.asarray(self.cols, np.int32))
        values = pa.array(np.asarray(self.values, np.float64))
        return pa.StructArray.from_arrays(
            [
                pa.array(np.zeros(n, np.int8)),
                pa.array(np.full(n, width, np.int32)),
                pa.ListArray.from_arrays(offsets, cols, type=typ[2].type),
                pa.ListArray.from_arrays(offsets, values, type=typ[3].type),
            ],
            fields=list(typ),
        )

    def dense(self, width: int) -> Any:
        """The features as a column-major ``len(labels) x width`` float64 array."""
        import numpy as np

        out = np.zeros((len(self.labels), width), dtype=np.float64, order="F")
        if len(self.values):
            out[self.rows, self.cols] = self.values
        return out


@dataclass(frozen=True)
class SvmlightReader:
    """Built on the driver once the width and index base are known; pickled to the executors."""

    zero_based: bool = False
    width: int = 0  # n_features; rows with a larger index are quarantined

    def stats(self, lines: Iterable[tuple[int, str]]) -> SvmlightStats:
        out = SvmlightStats()
        for line, text in lines:
            try:
                parsed = parse_svmlight_line(text)
            except ValueError:
                continue  # quarantined by the parse pass; it does not vote
            if parsed is None or not parsed[1]:
                continue
            out.add(line, parsed[1])
        return out

    def parse(self, lines: Iterable[tuple[int, str]]) -> SvmlightBlock:
        """Accepted rows as arrays, bad lines with reasons.

        Plain lines are parsed together by numpy (one C parse of all their numbers) and checked
        with array operations; a line that is not plain or fails a check is parsed alone by
        :func:`parse_svmlight_line`, which names the reason.
        """
        import numpy as np

        start = 0 if self.zero_based else 1
        end = start + self.width
        plain: list[tuple[int, str]] = []
        labels: list[str] = []
        bodies: list[str] = []
        counts: list[int] = []
        slow: list[tuple[int, str]] = []
        for line, text in lines:
            m = _PLAIN.fullmatch(text)
            if m is None:
                slow.append((line, text))
                continue
            plain.append((line, text))
            labels.append(m.group(1))
            bodies.append(m.group(2))
            counts.append(m.group(2).count(":"))
        n = len(plain)
        total = sum(counts)
        numbers = np.fromstring(" ".join(bodies).replace(":", " "), sep=" ") if total else np.zeros(0)
        if len(numbers) != 2 * total:  # cannot happen for lines the pattern matched
            raise AssertionError("svmlight: numpy parsed another number of tokens than matched")
        idx = numbers[0::2].astype(np.int64)
        row = np.repeat(np.arange(n, dtype=np.int64), np.asarray(counts, dtype=np.int64))
        ok = np.ones(n, dtype=bool)
        if total:
            same = row[1:] == row[:-1]
            ok[row[1:][same & (idx[1:] <= idx[:-1])]] = False  # not strictly increasing
            ok[row[(idx < start) | (idx >= end)]] = False  # index 0 (one-based) or past the width
        keep = ok[row]
        renumber = np.cumsum(ok) - 1
        block = SvmlightBlock(
            labels=np.asarray(labels, dtype=np.float64)[ok] if n else np.zeros(0),
            rows=renumber[row[keep]],
            cols=idx[keep] - start,
            values=numbers[1::2][keep],
            lines=[plain[i][0] for i in np.flatnonzero(ok)],
        )
        slow += [plain[i] for i in np.flatnonzero(~ok)]
        if slow:
            self._exact(block, slow, start, end)
        return block

    def _exact(self, block: SvmlightBlock, items: list[tuple[int, str]], start: int, end: int) -> None:
        """Parse ``items`` one by one; append the accepted rows to ``block``, the rest to bad."""
        import numpy as np

        labels: list[float] = []
        rows: list[int] = []
        cols: list[int] = []
        values: list[float] = []
        base = len(block.labels)
        for line, text in sorted(items):
            try:
                parsed = parse_svmlight_line(text)
            except ValueError as exc:
                block.bad.append((line, text, str(exc)))
                continue
            if parsed is None:
                continue
            label, feats = parsed
            if feats:
                if start and 0 in feats:
                    block.bad.append(
                        (line, text, "feature index 0 in a one-based file (zero_based: true reads it)")
                    )
                    continue
                top = next(reversed(feats))
                if top >= end:
                    block.bad.append(
                        (line, text, f"feature index beyond n_features {self.width} (got {top})")
                    )
                    continue
            for i, v in feats.items():
                rows.append(base + len(labels))
                cols.append(i - start)
                values.append(v)
            labels.append(label)
            block.lines.append(line)
        if labels:
            block.labels = np.concatenate([block.labels, np.asarray(labels, dtype=np.float64)])
            block.rows = np.concatenate([block.rows, np.asarray(rows, dtype=np.int64)])
            block.cols = np.concatenate([block.cols, np.asarray(cols, dtype=np.int64)])
            block.values = np.concatenate([block.values, np.asarray(values, dtype=np.float64)])
