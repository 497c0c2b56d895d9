"""SVMLight / LibSVM in plain Python: ``<label> [qid:n] <index>:<value> ... [# comment]``.

Runs on the executors.  A first pass over the splits (:meth:`SvmlightReader.stats`) finds the
largest index and how many rows hold index 0, so the driver can fix the width and the index
base (:func:`decide_zero_based`) without seeing a row; the second pass turns blocks of lines
into a label and one sparse vector per row (:meth:`SvmlightBlock.vectors`), which the reader
expands into dense ``label, f1..fn`` columns (absent features are 0.0).

Both passes read whole blocks of raw lines with array operations (:func:`scan_raw`); a line
that path cannot vouch for (non-ASCII, ``nan``, a 16-digit index, a bad token, an index out of
order or out of range, ...) is decoded and parsed alone by :func:`parse_svmlight_line`, which
accepts it or names the reason.  The result is the line-by-line parser's, value for value.

Indices must be strictly increasing non-negative integers; one-based files (the libsvm
convention, the default) cannot hold index 0.  A row breaking either rule, or holding an index
past ``n_features``, is quarantined alone; the other rows are unaffected.

>>> parse_svmlight_line("1 3:1 10:0.5 # note")
(1.0, {3: 1.0, 10: 0.5})
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
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
    # Whether every line is one Spark's own libsvm reader reads as the exact parser does
    # (:func:`libsvm_plain`), and the records then (rows with or without features).  Only the
    # raw pass (:meth:`SvmlightReader.stats_raw`) vouches; the line-by-line reference does not.
    plain: bool = field(default=False, compare=False)
    records: int = field(default=0, compare=False)

    def clean_for(self, zero_based: bool, width: int) -> bool:
        """Whether a read with this index base and width quarantines nothing and Spark's
        libsvm reader (one-based only) gives the same rows: every line plain, no index 0, no
        index past ``width``."""
        return (
            self.plain and not zero_based and self.rows_with_index_0 == 0 and self.max_index <= width
        )

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
        self.plain = self.plain and other.plain
        self.records += other.records
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




# --- the vectorised path over raw bytes ------------------------------------------------------

# Byte classes of the vectorised path.  Anything it does not know (other letters, control
# characters, non-ASCII bytes: Python's ``str.split`` treats \x0b, \x0c, \x1c-\x1f as spaces)
# sends the line to the exact parser.
_W, _D, _P, _S, _E, _C, _Q, _H, _X = range(9)  # space, digit, '.', sign, e/E, ':', q/i/d, '#', other
_ASCII_SAFE = {"utf-8", "utf-8-sig", "ascii", "iso8859-1", "cp1252"}  # ASCII bytes decode as ASCII
MAX_EXPONENT_DIGITS = 4  # longer exponents (1e99999) take the exact path
MAX_INDEX_DIGITS = 15  # exact as float64; longer indices take the exact path


@cache
def _classes() -> Any:
    import numpy as np

    lut = np.full(256, _X, np.uint8)
    for ch, k in ((b" \t\r\n", _W), (b"0123456789", _D), (b".", _P), (b"+-", _S), (b"eE", _E),
                  (b":", _C), (b"qid", _Q), (b"#", _H)):  # fmt: skip
        lut[list(ch)] = k
    return lut


def ascii_safe(encoding: str) -> bool:
    """Whether ASCII bytes decode to the same ASCII text in ``encoding`` (the vectorised path's premise)."""
    import codecs

    try:
        return codecs.lookup(encoding).name in _ASCII_SAFE
    except LookupError:
        return False


@dataclass
class RawScan:
    """The vectorised path's result for a list of physical lines (rows in line order)."""

    lines: Any  # int64: line number of each plain row
    labels: Any  # float64
    offsets: Any  # int64, len(lines) + 1: the row's features are indices[offsets[k]:offsets[k+1]]
    indices: Any  # int64, as in the file (strictly increasing within a row)
    values: Any  # float64
    others: Any  # int64: the pieces the exact parser must read (in order)


def scan_raw(numbers: Any, pieces: list[bytes], encoding: str, start: int, end: int) -> RawScan:
    """Split lines (``pieces``, each with its line break, or none at the end of a file; their
    line numbers ``numbers``) into plain rows, parsed here by array operations, and the others,
    left to :func:`parse_svmlight_line`.

    A plain row: ASCII; label, then ``index:value`` pairs (``qid:...`` skipped) separated by
    spaces or tabs, an optional ``#`` comment; numbers in the grammar of :data:`_NUM` (which
    ``float`` accepts; Arrow's parser rounds them exactly as ``float`` does); indices of at
    most 15 digits, strictly increasing, within ``[start, end)``.  Blank and comment-only lines
    are not records.  Everything else -- every line the exact parser would reject or report,
    and every line it might read differently -- is in ``others``.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(pieces)
    data = b"".join(pieces)
    arr = np.frombuffer(data, np.uint8)
    size = len(arr)
    ends = np.cumsum(np.fromiter(map(len, pieces), np.int64, n))
    cls = _classes()[arr] if ascii_safe(encoding) else np.full(size, _X, np.uint8)
    cls = np.append(cls, np.uint8(_W))  # a separator past the end: cls[b] is defined for every token end
    if b"#" in data:  # a comment runs from the first '#' of a line to its end: separators
        h = np.flatnonzero(cls == _H)
        hl = np.searchsorted(ends, h, side="right")
        first_h = np.r_[True, hl[1:] != hl[:-1]]
        h, hl = h[first_h], hl[first_h]
        mark = np.bincount(h, minlength=size + 1) - np.bincount(ends[hl], minlength=size + 1)
        cls[np.cumsum(mark) > 0] = _W
    other = np.zeros(n, bool)  # lines for the exact parser
    other[np.searchsorted(ends, np.flatnonzero(cls == _X), side="right")] = True
    word = (cls != _W).view(np.int8)
    edge = np.diff(word, prepend=np.int8(0))
    ts = np.flatnonzero(edge == 1)  # token starts
    te = np.flatnonzero(edge == -1)  # token ends (exclusive); cls[size] is a separator
    tl = np.searchsorted(ends, ts, side="right")  # line of each token
    label = np.r_[True, tl[1:] != tl[:-1]] if len(ts) else np.zeros(0, bool)

    def cum(k: int) -> Any:  # cum(k)[p]: bytes of class k before p
        out = np.zeros(size + 2, np.int32)
        np.cumsum(cls == k, dtype=np.int32, out=out[1:])
        return out

    cp, cs, ce, cc = cum(_P), cum(_S), cum(_E), cum(_C)
    ok = np.ones(len(ts), bool)
    qid = np.zeros(len(ts), bool)
    if (cls == _Q).any():
        q = np.flatnonzero(cls == _Q)
        has_q = np.zeros(len(ts), bool)
        has_q[np.searchsorted(ts, q, side="right") - 1] = True
        s4 = np.minimum(ts, max(size - 4, 0))
        prefix = (te - ts) >= 4
        for k, byte in enumerate(b"qid:"):
            prefix &= arr[np.minimum(s4 + k, size - 1)] == byte
        qid = has_q & prefix & ~label
        ok &= ~has_q | qid
    colons = cc[te] - cc[ts]
    feat = ~label & ~qid
    ok &= np.where(label, colons == 0, np.where(qid, True, colons == 1))
    pos_c = np.flatnonzero(cls == _C)
    c = np.where(feat & ok, pos_c[np.minimum(cc[ts], len(pos_c) - 1)] if len(pos_c) else ts, ts)
    # index: 1..15 digits
    width = c - ts
    nondigit = (cp[c] - cp[ts]) + (cs[c] - cs[ts]) + (ce[c] - ce[ts])
    ok &= ~feat | ((width >= 1) & (width <= MAX_INDEX_DIGITS) & (nondigit == 0))
    # the number of a label or a value: [a, b)
    a = np.where(feat, c + 1, ts)
    b = te
    pos_e = np.flatnonzero(cls == _E)
    n_e = ce[b] - ce[a]
    pe = np.where(n_e == 1, pos_e[np.minimum(ce[a], len(pos_e) - 1)] if len(pos_e) else b, b)
    m0 = a + (cls[a] == _S)
    n_p = cp[pe] - cp[m0]
    num = (b > a) & (n_e <= 1) & (n_p <= 1) & (cs[pe] - cs[m0] == 0) & (pe - m0 - n_p >= 1)
    x0 = np.minimum(pe + 1, size)
    d0 = x0 + ((x0 < b) & (cls[x0] == _S))
    exp_digits = b - d0
    exp_ok = (exp_digits >= 1) & (exp_digits <= MAX_EXPONENT_DIGITS)
    exp_ok &= (cp[b] - cp[d0]) + (cs[b] - cs[d0]) + (ce[b] - ce[d0]) == 0
    num &= (n_e == 0) | exp_ok
    ok &= qid | num
    other[tl[~ok]] = True
    # parse the numbers of the candidate rows: labels and (index, value) pairs, in file order
    use = ~other[tl] & ~qid
    tu, fu = np.flatnonzero(use), feat[use]
    seg_a = np.stack([ts[tu], np.where(fu, c[tu] + 1, -1)], 1).ravel()
    seg_b = np.stack([np.where(fu, c[tu], te[tu]), np.where(fu, te[tu], -1)], 1).ravel()
    keep = seg_a >= 0
    seg_a, seg_b = seg_a[keep], seg_b[keep]
    if len(tu) == len(ts):  # every token is a number or index:value: drop separators and colons
        text = arr[(cls[:size] != _W) & (cls[:size] != _C)]
    else:
        mark = np.bincount(seg_a, minlength=size + 1) - np.bincount(seg_b, minlength=size + 1)
        text = arr[np.cumsum(mark[:size]) > 0]
    offsets = np.concatenate([[0], np.cumsum(seg_b - seg_a)])
    if len(text) >= 2**31:  # pragma: no cover - blocks are far smaller
        raise AssertionError("svmlight: block too large for 32-bit offsets")
    strings = pa.StringArray.from_buffers(
        len(seg_a), pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(text.tobytes())
    )
    parsed = pc.cast(strings, pa.float64()).to_numpy(zero_copy_only=False)
    kind = np.stack([np.where(fu, 1, 0), np.where(fu, 2, -1)], 1).ravel()[keep]  # 0 label, 1 index, 2 value
    labels = parsed[kind == 0]
    indices = parsed[kind == 1].astype(np.int64)
    values = parsed[kind == 2]
    rows_l = tl[tu][~fu]  # the line (piece) of each candidate row, in order
    feat_l = tl[tu][fu]
    # strictly increasing indices within a row
    if len(indices) > 1:
        same = feat_l[1:] == feat_l[:-1]
        other[feat_l[1:][same & (indices[1:] <= indices[:-1])]] = True
    other[feat_l[(indices < start) | (indices >= end)]] = True  # index 0 (one-based), past n_features
    good_row = ~other[rows_l]
    good_feat = ~other[feat_l]
    lines_k = rows_l[good_row]
    counts = np.bincount(np.searchsorted(lines_k, feat_l[good_feat]), minlength=len(lines_k))
    return RawScan(
        lines=np.asarray(numbers, np.int64)[lines_k],
        labels=labels[good_row],
        offsets=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
        indices=indices[good_feat],
        values=values[good_feat],
        others=np.flatnonzero(other),
    )


def libsvm_plain(pieces: list[bytes]) -> bool:
    """Whether lines that :func:`scan_raw` read without the exact parser are also read so by
    Spark's libsvm reader (``trim``, split on single spaces, ``toDouble``): no tab, comment or
    ``qid`` (Spark splits on spaces only and knows neither)."""
    data = b"".join(pieces)
    return b"\t" not in data and b"#" not in data and b"q" not in data


def _strip_break(raw: bytes) -> bytes:
    if raw.endswith(b"\n"):
        return raw[:-2] if raw.endswith(b"\r\n") else raw[:-1]
    return raw[:-1] if raw.endswith(b"\r") else raw


@dataclass
class SvmlightBlock:
    """Accepted rows (in line order) as compressed sparse rows, and the bad lines."""

    labels: Any  # float64 array, one per accepted row
    offsets: Any  # int64 array, len(labels) + 1: row k's features are cols/values[offsets[k]:offsets[k+1]]
    cols: Any  # int64 array: each stored feature's column (index minus the index base)
    values: Any  # float64 array
    lines: list[int] = field(default_factory=list)  # line number of each accepted row
    bad: list[tuple[int, str, str]] = field(default_factory=list)  # (line, raw, reason)

    def vectors(self, width: int) -> Any:
        """The features as Spark ML sparse vectors of size ``width``: an Arrow struct array in
        the layout of :func:`vector_arrow_type` (``type`` 0, ``size``, ``indices``, ``values``)."""
        import numpy as np
        import pyarrow as pa

        n = len(self.labels)
        typ = vector_arrow_type()
        offsets = pa.array(np.asarray(self.offsets, np.int32))
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
        rows = np.repeat(np.arange(len(self.labels)), np.diff(self.offsets))
        if len(self.values):
            out[rows, self.cols] = self.values
        return out


_NO_LIMIT = 1 << 62


@dataclass(frozen=True)
class SvmlightReader:
    """Built on the driver once the width and index base are known; pickled to the executors."""

    zero_based: bool = False
    width: int = 0  # n_features; rows with a larger index are quarantined

    def stats_exact(self, lines: Iterable[tuple[int, str]]) -> SvmlightStats:
        """:meth:`stats` line by line with :func:`parse_svmlight_line` (the reference)."""
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

    def stats(self, lines: Iterable[tuple[int, str]]) -> SvmlightStats:
        """The first pass over decoded lines (see :meth:`stats_raw`)."""
        records = list(lines)
        scan = scan_raw(*_as_pieces(records), "utf-8", 0, _NO_LIMIT)
        return _stats(_Spans.of(scan), [records[k] for k in scan.others])

    def stats_raw(self, first: int, pieces: list[bytes], encoding: str) -> SvmlightStats:
        """The first pass over physical lines ``first, first + 1, ...`` (with their breaks).

        Lines of the plain grammar Spark's reader shares (:func:`plain_spans`) are counted
        without parsing their values; the rest go through :func:`scan_raw` and the exact parser.
        """
        import numpy as np

        numbers = first + np.arange(len(pieces))
        if ascii_safe(encoding):
            spans, rest = plain_spans(numbers, pieces)
        else:
            spans, rest = _Spans.empty(), np.arange(len(pieces))
        if not len(rest):
            return _stats(spans, [], plain=True, records=spans.records)
        sub = [pieces[k] for k in rest]
        scan = scan_raw(numbers[rest], sub, encoding, 0, _NO_LIMIT)
        others, _ = decode_lines(rest[scan.others], first, pieces, encoding)
        plain = not len(scan.others) and libsvm_plain(sub)
        spans = spans.join(_Spans.of(scan))
        return _stats(spans, others, plain=plain, records=spans.records)

    def parse(self, lines: Iterable[tuple[int, str]]) -> SvmlightBlock:
        """Accepted rows as arrays, bad lines with reasons, from decoded ``(line, text)``."""
        records = list(lines)
        start = 0 if self.zero_based else 1
        scan = scan_raw(*_as_pieces(records), "utf-8", start, start + self.width)
        return self._finish(scan, [records[k] for k in scan.others])

    def parse_raw(self, first: int, pieces: list[bytes], encoding: str) -> SvmlightBlock:
        """:meth:`parse` of physical lines ``first, first + 1, ...`` (with their breaks), as
        :class:`~sparkwing.lake._lines.LineFormat` would decode them: blank lines are not
        records, an undecodable line is bad (``not valid <encoding> text``)."""
        import numpy as np

        start = 0 if self.zero_based else 1
        scan = scan_raw(first + np.arange(len(pieces)), pieces, encoding, start, start + self.width)
        others, undecodable = decode_lines(scan.others, first, pieces, encoding)
        block = self._finish(scan, others)
        block.bad.extend(undecodable)
        return block

    def _finish(self, scan: RawScan, others: list[tuple[int, str]]) -> SvmlightBlock:
        """The vectorised rows, plus the ``others`` parsed one by one by the exact parser."""

        start = 0 if self.zero_based else 1
        block = SvmlightBlock(scan.labels, scan.offsets, scan.indices - start, scan.values)
        lines = scan.lines
        if others:
            exact = self._exact(others, start, start + self.width)
            block, lines = _merge(block, lines, exact)
        block.lines = lines.tolist()
        if others:
            block.bad = exact.bad
        return block

    def _exact(self, items: list[tuple[int, str]], start: int, end: int) -> _Exact:
        """Parse ``items`` one by one with :func:`parse_svmlight_line`."""
        out = _Exact()
        for line, text in items:
            try:
                parsed = parse_svmlight_line(text)
            except ValueError as exc:
                out.bad.append((line, text, str(exc)))
                continue
            if parsed is None:
                continue
            label, feats = parsed
            if feats:
                if start and 0 in feats:
                    out.bad.append(
                        (line, text, "feature index 0 in a one-based file (zero_based: true reads it)")
                    )
                    continue
                top = next(reversed(feats))
                if top >= end:
                    out.bad.append((line, text, f"feature index beyond n_features {self.width} (got {top})"))
                    continue
            out.lines.append(line)
            out.labels.append(label)
            out.counts.append(len(feats))
            out.cols.extend(i - start for i in feats)
            out.values.extend(feats.values())
        return out


@dataclass
class _Exact:
    lines: list[int] = field(default_factory=list)
    labels: list[float] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)
    cols: list[int] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    bad: list[tuple[int, str, str]] = field(default_factory=list)


def _merge(block: SvmlightBlock, lines: Any, exact: _Exact) -> tuple[SvmlightBlock, Any]:
    """The rows of ``block`` and ``exact`` together, in line order."""
    import numpy as np

    all_lines = np.concatenate([lines, np.asarray(exact.lines, np.int64)])
    order = np.argsort(all_lines, kind="stable")
    counts = np.concatenate([np.diff(block.offsets), np.asarray(exact.counts, np.int64)])[order]
    firsts = np.concatenate([block.offsets[:-1], len(block.cols) + np.cumsum([0, *exact.counts])[:-1]])[order]
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    take = np.repeat(firsts - offsets[:-1], counts) + np.arange(offsets[-1])
    cols = np.concatenate([block.cols, np.asarray(exact.cols, np.int64)])[take]
    values = np.concatenate([block.values, np.asarray(exact.values, np.float64)])[take]
    labels = np.concatenate([block.labels, np.asarray(exact.labels, np.float64)])[order]
    return SvmlightBlock(labels, offsets, cols, values), all_lines[order]


@dataclass
class _Spans:
    """The rows with at least one feature of a vectorised pass: line, first and last index."""

    lines: Any  # int64
    firsts: Any  # int64
    tops: Any  # int64: the largest index of the row (indices increase)
    records: int = 0  # the records counted with them (rows with or without features)

    @staticmethod
    def empty() -> _Spans:
        import numpy as np

        none = np.zeros(0, np.int64)
        return _Spans(none, none, none)

    @staticmethod
    def of(scan: RawScan) -> _Spans:
        import numpy as np

        has = np.diff(scan.offsets) > 0
        return _Spans(
            scan.lines[has], scan.indices[scan.offsets[:-1][has]], scan.indices[scan.offsets[1:][has] - 1],
            len(scan.lines),
        )

    def join(self, other: _Spans) -> _Spans:
        import numpy as np

        return _Spans(
            np.concatenate([self.lines, other.lines]),
            np.concatenate([self.firsts, other.firsts]),
            np.concatenate([self.tops, other.tops]),
            self.records + other.records,
        )


# A line both the exact parser and Spark's libsvm reader read alike, and the vectorised parse
# too (:func:`scan_raw`'s plain rows, less tabs, comments and ``qid``: :func:`libsvm_plain`):
# spaces, a label, then ``index:value`` pairs of 1-15 digit indices; numbers in the grammar
# :func:`scan_raw` checks byte by byte.  RE2 (Arrow's regex engine) matches it in linear time.
_PLAIN_NUM = rf"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]{{1,{MAX_EXPONENT_DIGITS}}})?"
_PLAIN_LINE = (
    rf"^ *(?:{_PLAIN_NUM}(?: +[0-9]{{1,{MAX_INDEX_DIGITS}}}:{_PLAIN_NUM})*)? *(?:\r\n|\n|\r)?$"
)


def plain_spans(numbers: Any, pieces: list[bytes]) -> tuple[_Spans, Any]:
    """The survey's fast path: which lines (``pieces`` with their breaks, numbered ``numbers``)
    match :data:`_PLAIN_LINE` with strictly increasing indices, and their spans; and the
    positions of the other lines, left to :func:`scan_raw`.  Only the indices are parsed (from
    the digits before each ``:``); a matching line's values are numbers by the grammar alone."""
    import numpy as np
    import pyarrow.compute as pc

    from sparkwing.lake._lines import arrow_lines

    n = len(pieces)
    lines, lengths, data = arrow_lines(pieces)
    ends = np.cumsum(lengths)
    plain = pc.match_substring_regex(lines, _PLAIN_LINE).to_numpy(zero_copy_only=False)
    arr = np.frombuffer(data, np.uint8)
    colons = np.flatnonzero(arr == ord(":"))
    index = np.zeros(len(colons), np.int64)  # the digits before each colon (garbage off plain lines)
    alive = np.ones(len(colons), bool)
    for k in range(1, MAX_INDEX_DIGITS + 1):
        digit = arr[np.maximum(colons - k, 0)] - np.uint8(ord("0"))
        alive &= (digit < 10) & (colons - k >= 0)
        if not alive.any():
            break
        index += np.where(alive, digit.astype(np.int64) * 10 ** (k - 1), 0)
    counts = np.diff(np.searchsorted(colons, ends), prepend=0)  # colons per line
    line_of = np.repeat(np.arange(n), counts)
    if len(index) > 1:  # not strictly increasing within a line: not plain
        row_start = np.ones(len(index), bool)
        row_start[1:] = line_of[1:] != line_of[:-1]
        plain[line_of[~row_start & (np.r_[0, index[:-1]] >= index)]] = False
    first = np.cumsum(counts) - counts
    has = plain & (counts > 0)
    # a plain line is blank (no record) when its first byte past any spaces is its break
    starts = ends - lengths
    lead = arr[np.minimum(starts, max(len(arr) - 1, 0))] if len(arr) else np.zeros(n, np.uint8)
    blank = plain & (counts == 0) & ((ends == starts) | np.isin(lead, list(b" \r\n")))
    for j in np.flatnonzero(blank & (ends > starts) & (lead == ord(" "))):
        blank[j] = not pieces[j].strip(b" \r\n")
    spans = _Spans(
        np.asarray(numbers, np.int64)[has], index[first[has]], index[first[has] + counts[has] - 1],
        int(plain.sum() - blank.sum()),
    )
    return spans, np.flatnonzero(~plain)


def _stats(
    spans: _Spans, others: list[tuple[int, str]], *, plain: bool = False, records: int = 0
) -> SvmlightStats:
    """:class:`SvmlightStats` of the vectorised rows and the ``others`` (exact parser); of the
    rows holding the largest index, the first line is kept, as the line-by-line count does."""
    firsts, tops, lines = spans.firsts, spans.tops, spans.lines
    out = SvmlightStats(rows=len(tops), rows_with_index_0=int((firsts == 0).sum()))
    out.plain, out.records = plain, records
    if len(tops):
        out.max_index = int(tops.max())
        out.max_line = int(lines[tops == out.max_index].min())
        no_0 = firsts != 0
        if no_0.any():
            out.max_index_no_0 = int(tops[no_0].max())
            out.max_line_no_0 = int(lines[no_0][tops[no_0] == out.max_index_no_0].min())
    slow = SvmlightReader().stats_exact(sorted(others))
    out.rows += slow.rows
    out.rows_with_index_0 += slow.rows_with_index_0
    for attr, line_attr in (("max_index", "max_line"), ("max_index_no_0", "max_line_no_0")):
        mine, theirs = getattr(out, attr), getattr(slow, attr)
        earlier = getattr(slow, line_attr) < getattr(out, line_attr)
        if theirs > mine or (theirs == mine and theirs >= 0 and earlier):
            setattr(out, attr, theirs)
            setattr(out, line_attr, getattr(slow, line_attr))
    return out


def _as_pieces(records: Sequence[tuple[int, str]]) -> tuple[Any, list[bytes]]:
    import numpy as np

    numbers = np.fromiter((line for line, _ in records), np.int64, len(records))
    return numbers, [text.encode("utf-8", "surrogatepass") + b"\n" for _, text in records]


def decode_lines(
    which: Any, first: int, pieces: list[bytes], encoding: str
) -> tuple[list[tuple[int, str]], list[tuple[int, str, str]]]:
    """Pieces ``which`` as :class:`~sparkwing.lake._lines.LineFormat` hands lines to a parser:
    ``(line, text)`` without the break (blank ones dropped), or bad when undecodable."""
    good: list[tuple[int, str]] = []
    bad: list[tuple[int, str, str]] = []
    for k in which:
        raw = _strip_break(pieces[k])
        if not raw:
            continue
        try:
            good.append((first + int(k), raw.decode(encoding)))
        except UnicodeDecodeError:
            text = raw.decode(encoding, "backslashreplace")
            bad.append((first + int(k), text, f"not valid {encoding} text"))
    return good, bad
