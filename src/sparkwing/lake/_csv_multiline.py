"""Pass 1b for a CSV with multi-line records: prove that the record reader would reject no row.

A file whose quoted fields hold line breaks cannot be read by Spark's line-based parser, so
it goes to the record reader (:class:`sparkwing.lake._delimited.CsvFormat`), whose result is
cached, counted and typed by one aggregate (:func:`sparkwing.lake._quarantine.settle`).  When
this pass proves that the record reader would accept every record, with the same column types
and values as Spark's own ``multiLine`` parser gives them, the file is read lazily by that
parser instead (``FAILFAST``, neither cached nor counted), like a clean single-line file.

The proof, per split (executors), from the split's first record (known from pass 1's quote
parity) to the next split's; pass 1 already makes it in its own task for most multi-line
splits, from the start it guesses, and the driver keeps it where the guess is the placed start
(:func:`pass1_proofs`), so this pass's own job only proves the rest:

* the bytes are cut into chunks of whole records by quote parity (vectorised) and every chunk
  must pass the record reader's own vectorised check (``CsvFormat._arrow_chunk``: every quote
  opens a field and closes before a delimiter, quote or line break, right field count, valid
  UTF-8, no NUL, not the header again, records within the size limits) -- so the record reader
  reads every record as Arrow does and rejects none;
* no CR anywhere (Spark's ``multiLine`` parser rewrites a CR LF inside quotes) and no BOM;
* the cells of every inferred column are classified by :class:`CellKinds` into classes for
  which the record reader's inference (``_rank``/``_pick``) and cast (``cast(trim(v) AS t)``)
  give exactly what Spark's typed parse of the raw cell gives, or the column holds a cell that
  makes it a string column whatever else it holds.

Nulls: the record reader reads ``""``, a quoted ``""`` and the null marker as null; Spark's
parse does the same with ``emptyValue`` set to the null marker, so the proof needs ``""``
among the null values and at most one other marker.

>>> CellKinds.rank_type(0, 2), CellKinds.rank_type(3, 3), CellKinds.rank_type(0, 3)
('double', 'boolean', 'string')
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sparkwing.lake._lines import Split, open_range

if TYPE_CHECKING:
    import pyarrow as pa

    from sparkwing.config import S3Settings

PROOF_CHUNK_BYTES = 4 << 20  # bytes of whole records per Arrow parse
MAX_CARRY_BYTES = 64 << 20  # a record longer than this: no proof (the record reader decides)

# Cell classes, as bit flags; a rank is the index of the type in the record reader's _INFER.
INT9, INT18, DBL, BOOL, STR, UNSURE = 1, 2, 4, 8, 16, 32
_RANK = {INT9: 0, INT18: 1, DBL: 2, BOOL: 3}
_INFER = ("int", "bigint", "double", "boolean")

# Every pattern is anchored at both ends where it decides a type (RE2: ``$`` is the end of the
# text, never before a final line break), and a cell none of them decides is UNSURE.
_INT9 = r"^[+-]?[0-9]{1,9}$"
_INT18 = r"^[+-]?[0-9]{1,18}$"
_DBL = r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"
_BOOL = r"^(?i:true|false)$"
# Text the record reader's inference can only call a string (rank 6): its first character is
# printable ASCII that starts no number, sign, ``NaN``/``Infinity`` or space-trimmed value, or
# it is a run of digits followed by printable ASCII that continues no number and makes no
# ``yyyy-`` date prefix (``01/31/2015``, ``12:30``, ``3x``), or by spaces or tabs and a letter
# (``36 months``: a number may only end in spaces, a date or timestamp needs a ``-`` there).
_STR = (
    r"^(?:[A-HJ-MO-Za-z!-*,/:-@\[-`{-~]"
    r"|N(?:$|[^a]|a$|a[^N])|I(?:$|[^n]|n$|n[^f])"
    r"|[0-9]+(?:[!-*,/:-DF-Z\[-df-~]|[ \t]+[A-Za-z]))"
)
_BOOLISH = r"^(?i:true|false)[\x00-\x20]*$"  # lower(trim(v)) may be a boolean: not a sure string


def _digits(arr: pa.Array, most: int) -> bool:
    """Every cell of ``arr`` (no nulls) is 1 to ``most`` ASCII digits (``_INT9`` for 9, without RE2)."""
    import pyarrow.compute as pc

    width = pc.max(pc.binary_length(arr)).as_py() or 0
    return bool(width <= most and pc.all(pc.ascii_is_decimal(arr)).as_py())


@dataclass(frozen=True)
class CellKinds:
    """Classifies the non-null cells of the inferred columns (indices into the record's fields)."""

    columns: tuple[int, ...]

    def feed(self, flags: list[int], cols: Sequence[pa.Array]) -> None:
        """OR the classes of ``cols``'s cells (nulls applied) into ``flags``, per inferred column."""
        import pyarrow.compute as pc

        for k, i in enumerate(self.columns):
            if flags[k] & STR:
                continue  # a string column stays one
            arr = pc.drop_null(cols[i])
            if not len(arr):
                continue
            seen = flags[k] & (DBL | BOOL)
            same = _DBL if seen == DBL else _BOOL
            if seen in (DBL, BOOL) and pc.all(pc.match_substring_regex(arr, same)).as_py():
                # The class seen before holds every cell: one pass.  (A DBL cell that is an
                # integer adds INT9/INT18, which change no type once DBL is there: ``type_of``.)
                continue
            if not seen and _digits(arr, 9):  # every cell 1-9 ASCII digits: no pattern pass
                flags[k] |= INT9
                continue
            found = 0
            rest = arr
            for pattern, flag in ((_INT9, INT9), (_INT18, INT18), (_DBL, DBL), (_BOOL, BOOL)):
                hit = pc.match_substring_regex(rest, pattern)
                if pc.any(hit).as_py():
                    found |= flag
                    if pc.all(hit).as_py():
                        rest = rest.slice(0, 0)
                        break
                    rest = pc.filter(rest, pc.invert(hit))
            if len(rest):
                sure = pc.and_(
                    pc.match_substring_regex(rest, _STR), pc.invert(pc.match_substring_regex(rest, _BOOLISH))
                )
                found |= STR if pc.any(sure).as_py() else UNSURE
            flags[k] |= found

    @staticmethod
    def rank_type(lo: int | None, hi: int | None) -> str:
        """The record reader's type from the least and most general ranks (``_pick``)."""
        if hi is None:
            return "string"
        if hi <= 2:
            return _INFER[hi]
        return _INFER[hi] if lo == hi else "string"

    @staticmethod
    def type_of(flags: int) -> str | None:
        """The column's type, or None when a cell's class is unsure."""
        if flags & STR:
            return "string"
        if flags & UNSURE:
            return None
        ranks = [r for f, r in _RANK.items() if flags & f]
        return CellKinds.rank_type(min(ranks, default=None), max(ranks, default=None))


def prove_split(
    fmt: Any,
    split: Split,
    s3: S3Settings | None,
    kinds: CellKinds,
    start: int | None = None,
) -> dict[str, Any] | None:
    """The split's records and cell classes, or None unless every record is proven clean.

    ``fmt`` is the source's :class:`~sparkwing.lake._delimited.CsvFormat`; the split runs from
    its first record to the next split's (or the end of the file).  With ``start`` (pass 1,
    before the splits are placed: :meth:`sparkwing.lake._delimited.CsvProbe.finish`) the split
    runs from ``start`` to the first record end at or after the split's end, found by quote
    parity from ``start``; the result names both (``start``, ``stop``: -1 for the end of the
    file) so that the driver keeps it only where they are the placed ones, and a failed proof
    is ``{"start": start, "failed": True}`` (the file is not proven if ``start`` is placed).
    """
    import numpy as np

    after = -1  # the first record end at or after this offset ends the split (speculative)
    failed = None if start is None else {"start": start, "failed": True}
    if start is None:
        start = 0 if split.start == 0 else split.first_record
        if start < 0 or (split.end >= 0 and split.next_record < 0):
            return None
        stop = split.next_record if split.end >= 0 else -1
    else:
        stop, after = -1, split.end
    q = ord(fmt.quote_char)
    flags = [0] * len(kinds.columns)
    rows = 0
    stream = open_range(split.uri, start, s3)
    try:
        pos, carry, at = start, b"", start  # bytes read; bytes after the last record end; their offset
        final = False
        while True:
            want = PROOF_CHUNK_BYTES if stop < 0 else min(PROOF_CHUNK_BYTES, stop - pos)
            block = stream.read(want) if want > 0 else b""
            if b"\r" in block:
                return failed
            pos += len(block)
            data = carry + block
            if not data:
                break
            if not block:  # the end of the split: its last record must be closed
                cut = len(data) if data.count(fmt.quote_char.encode()) % 2 == 0 else -1
                if cut < 0:
                    return failed
            else:
                arr = np.frombuffer(data, np.uint8)
                lf = np.flatnonzero(arr == 10)
                ends = lf[np.searchsorted(np.flatnonzero(arr == q), lf) % 2 == 0]
                if after >= 0:
                    past = ends[ends >= after - 1 - at]  # (a record end e is the byte after the LF)
                    if len(past):
                        ends, final = past[:1], True
                if not len(ends):
                    carry = data
                    if len(carry) > MAX_CARRY_BYTES:
                        return failed
                    continue
                cut = int(ends[-1]) + 1
            chunk, carry = data[:cut], data[cut:]
            if at == 0 and chunk.startswith(b"\xef\xbb\xbf"):
                return failed
            parsed = fmt._arrow_chunk(chunk, 1, at == 0)
            if parsed is None:
                return failed
            rows += len(parsed.lines)
            kinds.feed(flags, parsed.columns)
            at += cut
            if not block or final:
                break
    finally:
        stream.close()
    return {"rows": rows, "flags": flags, "start": start, "stop": at if final else -1}


def pass1_proofs(splits: list[Split]) -> tuple[list[dict[str, Any] | None], list[int]] | None:
    """The proofs pass 1 made that hold for the placed splits, and the splits still to prove.

    A proof holds when it ran from the split's placed first record to its placed end
    (``Split.probe["proof"]``, :meth:`sparkwing.lake._delimited.CsvProbe.finish`); one that
    failed from the placed first record decides the file (None: not proven).
    """
    found: list[dict[str, Any] | None] = [None] * len(splits)
    todo = []
    for k, s in enumerate(splits):
        proof = s.probe.get("proof") if isinstance(s.probe, dict) else None
        start = 0 if s.start == 0 else s.first_record
        if proof is None or proof["start"] != start:
            todo.append(k)
        elif proof.get("failed"):
            return None  # a record from the split's first one on is not clean
        elif proof["stop"] == (s.next_record if s.end >= 0 else -1):
            found[k] = proof
        else:  # (the placed end follows from the placed start: not expected)
            todo.append(k)
    return found, todo


def prove_splits(
    spark: Any, fmt: Any, splits: list[Split], s3: S3Settings | None, kinds: CellKinds
) -> tuple[int, list[str]] | None:
    """Pass 1b: (records, type per inferred column), or None (not proven).

    The proofs pass 1 made are kept (:func:`pass1_proofs`); the executors prove the other
    splits (no job when there is none).
    """

    def on_executors(todo: list[Split]) -> list[dict[str, Any] | None]:
        rdd = spark.sparkContext.parallelize(todo, len(todo))
        return rdd.map(lambda s: prove_split(fmt, s, s3, kinds)).collect()

    return _prove_rest(splits, kinds, on_executors)


def prove_local(
    fmt: Any, splits: list[Split], s3: S3Settings | None, kinds: CellKinds
) -> tuple[int, list[str]] | None:
    """:func:`prove_splits` in this process (tests): pass 1's proofs kept, the others made here."""
    return _prove_rest(splits, kinds, lambda todo: [prove_split(fmt, s, s3, kinds) for s in todo])


def _prove_rest(
    splits: list[Split], kinds: CellKinds, prove: Callable[[list[Split]], list[dict[str, Any] | None]]
) -> tuple[int, list[str]] | None:
    """Pass 1's proofs that hold, ``prove`` for the splits still to prove, merged."""
    kept = pass1_proofs(splits)
    if kept is None:
        return None
    found, todo = kept
    if todo:
        for k, proof in zip(todo, prove([splits[k] for k in todo]), strict=True):
            found[k] = proof
    return merge_proofs(found, kinds)


def merge_proofs(found: list[dict[str, Any] | None], kinds: CellKinds) -> tuple[int, list[str]] | None:
    if any(f is None for f in found):
        return None
    flags = [0] * len(kinds.columns)
    for f in found:
        assert f is not None
        flags = [a | b for a, b in zip(flags, f["flags"], strict=True)]
    types = [CellKinds.type_of(f) for f in flags]
    if any(t is None for t in types):
        return None
    return sum(f["rows"] for f in found if f is not None), types  # type: ignore[return-value]


__all__ = ["CellKinds", "merge_proofs", "pass1_proofs", "prove_local", "prove_split", "prove_splits"]
