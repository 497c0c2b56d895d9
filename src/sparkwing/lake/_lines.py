"""Text files parsed on the executors, by byte-range splits, with exact physical line numbers.

No file is ever held whole in driver (or executor) memory, and a large file is parsed in
parallel.  The steps, for a list of files:

1. :func:`plan_splits` (driver) cuts each uncompressed file into ~64 MiB byte ranges; a gzip
   file is one split (streamed decompression).
2. :func:`scan_splits` (pass 1, executors; skipped when every file is a single split) counts
   each split's physical line breaks -- LF, CR LF and bare CR each count as one, a CR LF that
   straddles a boundary counts once -- and, for a quoted format, its quote characters and
   where its first record would start if the split began outside / inside a quoted field.
   The driver prefix-sums them: each split learns the line number of its first line and,
   from the quote parity (RFC 4180: a doubled quote counts twice, so parity is exact for
   well-formed files), where its first record starts.
3. :func:`parse_splits` (pass 2, executors, ``mapInArrow`` over a small DataFrame of splits)
   streams each split in 8 MiB blocks and hands its records to the format's parser.  A split
   owns the records that *start* inside it; the last one may run past its end.

How a format plugs in: subclass :class:`LineFormat` (or give an object with the same
attributes) and pass it to :func:`read_text` / :func:`parse_splits`:

* ``columns``: the output column names (the Arrow schema is ``columns`` as ``types``, strings
  by default, plus ``_sw_line`` (physical line of the record's first line), ``_sw_bad`` (raw
  text of a rejected record, exactly as in the file, without its final line break),
  ``_sw_reason`` (why it was rejected) and ``_sw_file``).
* ``quote``: ``None`` for line-based formats (JSON lines, SVMLight, ARFF: one record per
  physical line); a quote character for CSV (records may span lines; the CSV reader supplies
  its own ``parse_records`` that walks lines with the quote rules).
* ``parse_block(records) -> Block``: called with a list of ``(line_number, text)`` (text
  without its line break, decoded with ``encoding``; undecodable lines never reach it, they
  are rejected as ``not valid <encoding> text``).  It returns a :class:`Block`: one list per
  column for the good records, their line numbers, and ``(line, raw, reason)`` for the bad
  ones.  It runs on executors: it must be picklable and must not touch Spark.
* ``skip_first``: physical lines at the start of each file that are not records (a header).
  A format whose header has no fixed length (ARFF) can override ``parse_records`` and skip
  until its own marker when ``lines.offset == 0``; ``skip_blank`` drops empty lines.
* Pass 1 can carry a :class:`Probe` (per-split inspection, result on ``Split.probe``); CSV
  uses one to decide whether Spark's own parser is line-exact for the file.

A split placed wrongly (a quoted format whose quotes are not balanced: after a stray or
unterminated quote the parity places the next splits wrongly) is detected by the split before
it, which did not stop at its first record and says where it did stop (a marker row); the
plan is then repaired (:func:`realign`, :func:`parse_aligned`): a small split for the records
in between, or the split parsed again from there, checked in their turn.  Only after a few
rounds of repairs are the files concerned read again as one split each (sequential, still on
an executor).  Either way the result never depends on where the splits fell.

>>> [len(p) for p in _pieces(b"a\\r\\nb\\rc\\nd")]
[3, 2, 2, 1]
"""

from __future__ import annotations

import gzip
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from itertools import accumulate
from typing import TYPE_CHECKING, Any, BinaryIO

from sparkwing.config import S3Settings
from sparkwing.errors import SourceError
from sparkwing.lake._quarantine import BAD, FILE
from sparkwing.lake._uri import SourceFile
from sparkwing.workspace import is_remote, s3_client, split_s3

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame, SparkSession

LINE, REASON = "_sw_line", "_sw_reason"
RESYNC = "_sw_resync"  # reason of the marker row a split emits when its successor mis-aligned
SPLIT_BYTES = 64 << 20
BLOCK_BYTES = 8 << 20
RECORD_START_WINDOW = 4 << 20  # how far into a split its first record is looked for (pass 1)
MAX_LINE_BYTES = 64 << 20  # a longer physical line is a file-level error (not a text file)
BATCH_RECORDS = 32_768
REALIGN_ROUNDS = 4  # repairs of a split plan (after a stray quote) before its files are read whole


@dataclass(frozen=True)
class Split:
    """One byte range of one file; ``end`` is exclusive (``-1``: to the end, e.g. gzip)."""

    index: int
    uri: str
    start: int
    end: int
    lines_before: int = 0  # physical line breaks before ``start`` (first line is 1 + this + ...)
    first_record: int = -1  # byte offset where the split's first record starts (-1: find it)
    first_record_line: int = 0  # its physical line number (0: unknown)
    next_record: int = -1  # where the next split's first record is expected (-1: end of file)
    in_quote: bool = False
    probe: Any = None  # what the pass-1 probe (if any) found in this split
    guessed: bool = False  # placed against the quote parity (none fits it): pass 2 checks it

    @property
    def whole(self) -> bool:
        return self.start == 0 and self.end < 0


@dataclass
class Block:
    """What a format's ``parse_block`` returns for a list of records."""

    columns: list[list[Any]]  # one list per output column, the good records only
    lines: list[int]  # line number of each good record
    bad: list[tuple[int, str, str]] = field(default_factory=list)  # (line, raw, reason)


@dataclass
class RawBlock:
    """One block of records as raw lines: see :meth:`LineFormat.raw_blocks`."""

    numbers: list[int]  # line number of each record
    pieces: list[bytes]  # each record's physical line, with its break
    bad: list[tuple[int, str, str]] = field(default_factory=list)  # (line, raw, reason)

    def records(self) -> list[tuple[int, str]]:
        """``(line, text)`` of the records, as ``parse_block`` takes them."""
        return [(n, strip_break(p).decode("utf-8")) for n, p in zip(self.numbers, self.pieces, strict=True)]


class LineFormat:
    """A line-based format: one record per physical line.  Override ``parse_block``."""

    columns: Sequence[str] = ()
    types: Sequence[Any] | None = None  # pyarrow types per column; strings when None
    quote: str | None = None
    encoding: str = "utf-8"
    skip_first: int = 0  # leading lines of every file that are not records (e.g. a header)
    skip_blank: bool = True  # empty lines are not records
    batch_records: int = BATCH_RECORDS  # records per parse_block call (wide formats use fewer)
    # Spark types per column where the Arrow type alone does not say it (e.g. a UDT whose
    # ``sqlType`` is the Arrow struct); None keeps the type Spark derives from ``types``.
    spark_types: Sequence[Any] | None = None
    # False: a format that proved its records clean ships the data columns only (no line
    # number, raw text, reason or file per row: less to hand over to the JVM); a bad record
    # is then an error, not a row.
    internal: bool = True

    def bad_fill(self, column: int, typ: Any, n: int) -> Any:
        """The value of data column ``column`` in ``n`` bad rows: null unless a format needs one."""
        import pyarrow as pa

        return pa.nulls(n, typ)

    def parse_block(self, records: list[tuple[int, str]]) -> Block:  # pragma: no cover - abstract
        raise NotImplementedError

    def _runs(self, lines: LineReader, end: int) -> Iterator[tuple[int, list[bytes]]]:
        """Buffered runs of the split's lines (:meth:`LineReader.take`), past the lines
        ``skip_first`` leaves out at the start of a file: (first line number, raw lines)."""
        skip = self.skip_first if lines.offset == 0 else 0
        while True:
            number, raws = lines.take(end)
            if not raws:
                return
            if skip:
                cut = min(skip, len(raws))
                skip -= cut
                number, raws = number + cut, raws[cut:]
            yield number, raws

    def parse_records(self, lines: LineReader, end: int) -> Iterator[Block]:
        """Records of one split: lines starting before ``end``, in blocks of ``batch_records``
        decodable records (the undecodable ones seen meanwhile ride along as bad records).

        Many lines at a time (:meth:`LineReader.take`); a piece holding an undecodable line is
        walked line by line.  Either way the same blocks.
        """
        batch: list[tuple[int, str]] = []
        bad: list[tuple[int, str, str]] = []
        encoding, limit, blank = self.encoding, self.batch_records, self.skip_blank
        for number, raws in self._runs(lines, end):
            # A raw line ends in exactly one break (LF, CR LF or CR) or none: rstrip drops it.
            texts = [r.rstrip(b"\r\n") for r in raws]
            try:
                decoded = [t.decode(encoding) for t in texts]
            except UnicodeDecodeError:
                for k, text in enumerate(texts):
                    if not text and blank:
                        continue
                    try:
                        batch.append((number + k, text.decode(encoding)))
                    except UnicodeDecodeError:
                        bad.append((number + k, text.decode(encoding, "backslashreplace"),
                                    f"not valid {encoding} text"))  # fmt: skip
                    if len(batch) >= limit:
                        yield self._block(batch, bad)
                        batch, bad = [], []
                continue
            records = list(zip(range(number, number + len(decoded)), decoded, strict=True))
            if blank:
                records = [r for r in records if r[1]]
            i = 0
            while i < len(records):
                room = limit - len(batch)
                batch.extend(records[i : i + room])
                i += room
                if len(batch) >= limit:
                    yield self._block(batch, bad)
                    batch, bad = [], []
        if batch or bad:
            yield self._block(batch, bad)

    def raw_blocks(self, lines: LineReader, end: int) -> Iterator[RawBlock]:
        """The blocks :meth:`parse_records` would hand to ``parse_block``, but as raw lines
        (with their breaks, not decoded) and their line numbers; the undecodable lines seen
        meanwhile ride along as bad records, as there.  UTF-8 only: a buffered run of lines
        that decodes whole is not decoded line by line (nor one split into blank and not)."""
        import codecs

        import numpy as np

        if codecs.lookup(self.encoding).name != "utf-8":  # a run of lines decodes as its lines
            raise ValueError(f"raw_blocks reads UTF-8 text, not {self.encoding}")

        numbers: list[int] = []
        pieces: list[bytes] = []
        bad: list[tuple[int, str, str]] = []
        encoding, limit, blank = self.encoding, self.batch_records, self.skip_blank
        for number, raws in self._runs(lines, end):
            n = len(raws)
            data = b"".join(raws)
            try:
                data.decode(encoding)
                nums: list[int] = list(range(number, number + n))
            except UnicodeDecodeError:
                nums, kept = [], []
                for k, raw in enumerate(raws):
                    try:
                        strip_break(raw).decode(encoding)
                    except UnicodeDecodeError:
                        text = strip_break(raw).decode(encoding, "backslashreplace")
                        bad.append((number + k, text, f"not valid {encoding} text"))
                        continue
                    nums.append(number + k)
                    kept.append(raw)
                raws = kept
            if blank and raws:  # an empty line (its break alone) is no record
                size = np.fromiter(map(len, raws), np.int64, len(raws))
                arr = np.frombuffer(b"".join(raws) if len(raws) < n else data, np.uint8)
                ends = np.cumsum(size)
                last, before = arr[ends - 1], arr[np.maximum(ends - 2, 0)]
                brk = (last == 10) * (1 + ((before == 13) & (size >= 2))) + (last == 13)
                keep = np.flatnonzero(size > brk)
                if len(keep) < len(raws):
                    raws = [raws[k] for k in keep.tolist()]
                    nums = [nums[k] for k in keep.tolist()]
            i = 0
            while i < len(raws):
                room = limit - len(pieces)
                pieces.extend(raws[i : i + room])
                numbers.extend(nums[i : i + room])
                i += room
                if len(pieces) >= limit:
                    yield RawBlock(numbers, pieces, bad)
                    numbers, pieces, bad = [], [], []
        if pieces or bad:
            yield RawBlock(numbers, pieces, bad)

    def _block(self, batch: list[tuple[int, str]], bad: list[tuple[int, str, str]]) -> Block:
        block = self.parse_block(batch) if batch else Block([[] for _ in self.columns], [])
        block.bad.extend(bad)
        return block


def strip_break(raw: bytes) -> bytes:
    """A physical line without its LF, CR LF or CR."""
    if raw.endswith(b"\n"):
        return raw[:-2] if raw.endswith(b"\r\n") else raw[:-1]
    return raw[:-1] if raw.endswith(b"\r") else raw


def arrow_lines(pieces: list[bytes]) -> tuple[pa.Array, Any, bytes]:
    """Physical lines (``pieces``) as one Arrow binary array over their joined bytes, with each
    line's length (numpy int64) and the joined bytes: what Arrow's string kernels (RE2) take."""
    import numpy as np
    import pyarrow as pa

    n = len(pieces)
    lengths = np.fromiter(map(len, pieces), np.int64, n)
    data = b"".join(pieces)
    offsets = np.zeros(n + 1, np.int32 if len(data) < 2**31 else np.int64)
    np.cumsum(lengths, out=offsets[1:])
    kind = pa.binary() if offsets.dtype == np.int32 else pa.large_binary()
    return pa.Array.from_buffers(kind, n, [None, pa.py_buffer(offsets), pa.py_buffer(data)]), lengths, data


def _pieces(data: bytes) -> list[bytes]:
    """Physical lines with their line breaks (LF, CR LF, CR only; bytes.splitlines is exactly that)."""
    return data.splitlines(keepends=True)


def count_breaks(data: bytes, prev: int = -1) -> int:
    """Line breaks in ``data``; ``prev`` is the byte before it (-1: none), so that a CR LF
    split across two buffers counts once (at its CR)."""
    import numpy as np

    # numpy's count of LFs is ~3x ``bytes.count``'s; ``in`` (a memchr) skips the CR counts.
    n = int(np.count_nonzero(np.frombuffer(data, np.uint8) == 10))
    if b"\r" in data:
        n += data.count(b"\r") - data.count(b"\r\n")
    if prev == 0x0D and data[:1] == b"\n":
        n -= 1
    return n


def count_byte(data: bytes, b: bytes) -> int:
    """``data.count(b)``, by numpy for one byte (~3x faster)."""
    import numpy as np

    if len(b) != 1:
        return data.count(b)
    return int(np.count_nonzero(np.frombuffer(data, np.uint8) == b[0]))


# -- reading byte ranges (local or S3, gzip streamed) ----------------------------------------


def open_range(uri: str, start: int, s3: S3Settings | None) -> BinaryIO:
    """A stream of a file's bytes from ``start`` (gunzipped from the start for ``.gz``)."""
    gz = uri.endswith(".gz")
    if is_remote(uri):
        bucket, key = split_s3(uri)
        kwargs = {"Range": f"bytes={start}-"} if start and not gz else {}
        body = s3_client(s3 or S3Settings()).get_object(Bucket=bucket, Key=key, **kwargs)["Body"]
        raw: Any = body
    else:
        raw = open(uri, "rb")  # noqa: SIM115 - closed by the caller
        if start and not gz:
            raw.seek(start)
    if gz:
        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    return raw  # type: ignore[no-any-return]


class LineReader:
    """Physical lines of a stream: ``(offset, line number, raw bytes with line break)``.

    Reads ``BLOCK_BYTES`` at a time; a line break split across two reads, and a CR LF
    whose halves fall in different reads, are joined.  Pushed-back lines come first.
    """

    def __init__(self, stream: BinaryIO, offset: int, line: int, where: str) -> None:
        self._stream, self.offset, self.line, self.uri = stream, offset, line, where
        self._pending: list[bytes] = []
        self._carry = b""
        self._eof = False
        self.end_offset = -1  # where the file ends, once read to the end
        self.open_end = False  # and whether its last line has no line break
        self.stop: int | None = None  # set by a quoted format: where its next record starts
        self.stop_line = 0  # and that record's physical line number

    def mark_stop(self, offset: int, line: int) -> None:
        """A quoted format's records end here: the next record starts at ``offset``, ``line``."""
        self.stop, self.stop_line = offset, line

    def _fill(self) -> bool:
        while not self._pending and not self._eof:
            block = self._stream.read(BLOCK_BYTES)
            data = self._carry + block
            if not block:
                self._eof = True
                self._carry = b""
                self.end_offset, self.open_end = self.offset + len(data), data[-1:] not in (b"", b"\n", b"\r")
                if data:
                    self._pending = [data]
                break
            parts = _pieces(data)
            last = parts[-1]
            # An unterminated last piece, or one ending in CR (its LF may come next), waits.
            if not last.endswith(b"\n"):
                self._carry = parts.pop()
                if len(self._carry) > MAX_LINE_BYTES:
                    raise SourceError(
                        f"{self.uri}: a line longer than {MAX_LINE_BYTES >> 20} MiB; not a text file?"
                    )
            else:
                self._carry = b""
            parts.reverse()  # pop() from the end is cheap
            self._pending = parts
        return bool(self._pending)

    def next(self) -> bytes | None:
        """The next physical line (with its break), or None at the end of the file."""
        if not self._pending and not self._fill():
            return None
        raw = self._pending.pop()
        self.offset += len(raw)
        if raw[-1:] in (b"\n", b"\r"):
            self.line += 1
        return raw

    def until(self, end: int) -> Iterator[tuple[int, int, bytes]]:
        """Lines that start before ``end`` (every line when ``end < 0``)."""
        while end < 0 or self.offset < end:
            offset, number = self.offset, self.line
            raw = self.next()
            if raw is None:
                return
            yield offset, number, raw

    def take(self, end: int, limit: int = 1 << 62, max_bytes: int = BLOCK_BYTES) -> tuple[int, list[bytes]]:
        """The next lines (with their breaks) that start before ``end`` (``end < 0``: no end),
        at most ``limit`` and about ``max_bytes``, from one buffered block; and the line number
        of the first.  Empty at the end.  The same lines as :meth:`until`, many at a time."""
        start = self.line
        if (end >= 0 and self.offset >= end) or (not self._pending and not self._fill()):
            return start, []
        pending = self._pending  # reversed: the next line is last
        k = min(limit, len(pending))
        out = pending[len(pending) - k :]
        out.reverse()
        ends = list(accumulate(map(len, out)))  # end of each line, from self.offset
        room = max_bytes if end < 0 else min(max_bytes, end - self.offset)
        keep = 1 + bisect_left(ends, room, 0, k - 1)  # line j starts at ends[j - 1] < room
        if keep < k:
            del out[keep:]
        del pending[len(pending) - keep :]
        self.offset += ends[keep - 1]
        self.line += keep if out[-1][-1:] in (b"\n", b"\r") else keep - 1
        return start, out

    def push_back(self, raws: list[bytes], offset: int, line: int) -> None:
        """Return lines just read (in order) so that they are read again from ``offset``."""
        self._pending.extend(reversed(raws))
        self.offset, self.line = offset, line

    def close(self) -> None:
        self._stream.close()


def reader_at(split: Split, s3: S3Settings | None) -> LineReader:
    """A :class:`LineReader` positioned at the split's first line (or first record)."""
    start = split.first_record if split.first_record >= 0 else split.start
    if start == 0 or split.first_record >= 0:
        line = split.first_record_line or (1 + split.lines_before)
        return LineReader(open_range(split.uri, start, s3), start, line, split.uri)
    # Read from one byte before the start: the piece up to the first line break is the
    # previous split's; whether its break lies in this split decides the line number.
    reader = LineReader(open_range(split.uri, start - 1, s3), start - 1, 0, split.uri)
    piece = reader.next() or b""
    inside = piece not in (b"", b"\n", b"\r", b"\r\n")
    reader.line = 1 + split.lines_before + (1 if inside and piece[-1:] in (b"\n", b"\r") else 0)
    return reader


# -- planning and pass 1 ---------------------------------------------------------------------


def plan_splits(files: Sequence[SourceFile], split_bytes: int = SPLIT_BYTES) -> list[Split]:
    """Byte-range splits of the files; gzip files and files up to ``split_bytes`` are one split."""
    out: list[Split] = []
    for f in files:
        if f.uri.endswith(".gz") or f.size <= split_bytes:
            out.append(Split(len(out), f.uri, 0, -1))
            continue
        n = max(1, round(f.size / split_bytes))
        step = -(-f.size // n)
        for start in range(0, f.size, step):
            end = min(start + step, f.size)
            out.append(Split(len(out), f.uri, start, -1 if end >= f.size else end))
    return out


@dataclass(frozen=True)
class Scan:
    """Pass 1 over one split."""

    breaks: int
    quotes: int
    # Where the first record starts (offset, breaks before it) if the split began outside /
    # inside a quoted field; -1 when no record starts in the split.
    start_out: tuple[int, int] = (-1, 0)
    start_in: tuple[int, int] = (-1, 0)
    probe: Any = None


class Probe:
    """Pass-1 extra: inspects every block of a split (e.g. CSV: is Spark's line parser exact?).

    ``begin`` returns a fresh state, ``feed`` sees each block (``first`` for the file's first
    bytes), ``end`` returns the picklable result stored on :attr:`Split.probe`.
    """

    def begin(self, split: Split) -> Any:
        return None

    def feed(self, state: Any, data: bytes, first: bool) -> Any:
        return state

    def end(self, state: Any) -> Any:
        return state

    def finish(self, split: Split, s3: S3Settings | None, start: int, result: Any) -> Any:
        """``end``'s result, completed once the split's first record is known if it began
        outside a quoted field (``start``: its offset, -1 when none; a guess until the driver
        places the splits)."""
        return result


def scan_split(split: Split, s3: S3Settings | None, quote: str | None, probe: Probe | None = None) -> Scan:
    """Count the split's line breaks (and quotes, and candidate record starts)."""
    begin = max(split.start - 1, 0)
    stream = open_range(split.uri, begin, s3)
    try:
        remaining = (split.end - begin) if split.end >= 0 else -1
        prev = -1
        breaks = quotes = 0
        q = quote.encode() if quote else b""
        first = True
        head = b""  # the first bytes, to place the first record
        state = probe.begin(split) if probe else None
        while remaining != 0:
            want = BLOCK_BYTES if remaining < 0 else min(BLOCK_BYTES, remaining)
            data = stream.read(want)
            if not data:
                break
            if remaining > 0:
                remaining -= len(data)
            if first and split.start > 0:
                prev, data = data[0], data[1:]
            if probe:
                state = probe.feed(state, data, first and split.start == 0)
            first = False
            breaks += count_breaks(data, prev)
            if q:
                quotes += count_byte(data, q)
                if len(head) < (1 << 20):
                    head += data[: (1 << 20) - len(head)]
            prev = data[-1] if data else prev
    finally:
        stream.close()
    found = probe.end(state) if probe else None
    if not q or split.start == 0:
        return Scan(breaks, quotes, probe=probe.finish(split, s3, 0, found) if probe else None)
    starts = _record_starts(split, s3, q)
    return Scan(breaks, quotes, *starts, probe.finish(split, s3, starts[0][0], found) if probe else None)


def _record_start(split: Split, s3: S3Settings | None, q: bytes, in_quote: bool) -> tuple[int, int]:
    """(offset, breaks since start) of the first line start in the split at which the quote
    parity (starting from ``in_quote``) is even; (-1, 0) if none before the split's end."""
    return _record_starts(split, s3, q)[1 if in_quote else 0]


def _record_starts(
    split: Split, s3: S3Settings | None, q: bytes, window: int | None = None
) -> tuple[tuple[int, int], tuple[int, int]]:
    """:func:`_record_start` for a split that begins outside and inside a quoted field, in one read.

    Only the split's first ``window`` bytes are searched: in a file whose lines all hold an
    even number of quotes (most CSV files) one of the two states never finds a record start,
    and reading the whole split for it would cost a second pass.  A start further on is
    reported as none; the split is then placed by the other state as a guess, which pass 2
    checks (:func:`realign`), as for a stray quote.

    The lines are those :class:`LineReader` gives from the byte before the split (its first
    piece is the end of the previous split's line); the parity after a line is the starting
    state flipped by every quote after that first byte.  Vectorised: per block, the quote
    count before each line end picks the first end at which the parity is even, so a split
    whose lines all hold an even number of quotes (the usual CSV, when it starts "inside")
    costs a few array operations instead of a walk over every line.
    """
    import numpy as np

    window = RECORD_START_WINDOW if window is None else window
    stream = open_range(split.uri, split.start - 1, s3)
    limit = split.end - (split.start - 1) if split.end >= 0 else -1  # stream offsets of the split's end
    qb = q[0]
    found: list[tuple[int, int] | None] = [None, None]  # per starting state: outside, inside
    pos = quotes = ends = last = 0  # stream offset of the block; quotes in s[1:pos]; line ends
    first_break: bool | None = None  # the first piece is only the break before the split
    carry = b""
    try:
        while found[0] is None or found[1] is None:
            block = stream.read(min(BLOCK_BYTES, window))
            data, carry, eof = carry + block, b"", not block
            if (limit >= 0 and pos >= limit) or (eof and not data and pos <= last):
                break
            if not eof and data.endswith(b"\r"):  # its LF may come in the next block
                data, carry = data[:-1], data[-1:]
                if not data:
                    continue
            arr = np.frombuffer(data, np.uint8)
            lf = np.flatnonzero(arr == 10)
            cr = np.flatnonzero(arr == 13)
            if len(cr):
                nxt = np.minimum(cr + 1, len(arr) - 1)
                cr = cr[(cr + 1 >= len(arr)) | (arr[nxt] != 10)]
            stops = np.sort(np.concatenate([lf, cr])) + 1  # exclusive ends of the terminated lines
            if len(stops):
                last = pos + int(stops[-1])
            open_end = eof and pos + len(arr) > last  # the file ends in an unterminated line
            if open_end:
                stops = np.append(stops, len(arr))
            marks = np.flatnonzero(arr == qb)
            if pos == 0:
                marks = marks[marks > 0]  # the byte before the split was counted by its own split
            if first_break is None:  # (a chunk without a line end holds no break: its CR is carried)
                first_break = bool(len(stops)) and data[: int(stops[0])] in (b"\n", b"\r", b"\r\n")
            parity = (quotes + np.searchsorted(marks, stops)) % 2
            for state in (0, 1):
                hit = np.flatnonzero(parity == state) if found[state] is None else np.empty(0, np.int64)
                if not len(hit):
                    continue
                k = int(hit[0])
                offset = pos + int(stops[k])
                if limit >= 0 and offset >= limit:
                    found[state] = (-1, 0)
                    continue
                # (The end of a file whose last line has no break counts as one line further
                # on: no record starting before it has that line number.)
                terminated = ends + k + 1
                found[state] = (split.start - 1 + offset, terminated - (1 if first_break else 0))
            ends += len(stops)
            quotes += len(marks)
            pos += len(data)
            if eof or pos >= window:
                break
    finally:
        stream.close()
    out = tuple(f if f is not None else (-1, 0) for f in found)
    return out[0], out[1]  # type: ignore[return-value]


def scan_splits(
    spark: SparkSession,
    splits: list[Split],
    s3: S3Settings | None,
    quote: str | None,
    probe: Probe | None = None,
) -> list[Split]:
    """Pass 1 on the executors; returns the splits with line numbers and record starts set.

    Skipped (no job) when every file is one split and there is no ``probe``.
    """
    if all(s.whole for s in splits) and probe is None:
        return splits
    rdd = spark.sparkContext.parallelize(list(enumerate(splits)), len(splits))
    scans = dict(rdd.map(lambda item: (item[0], scan_split(item[1], s3, quote, probe))).collect())
    return place_splits(splits, [scans[i] for i in range(len(splits))], quote)


def scan_and_parse(
    spark: SparkSession, fmt: LineFormat, splits: list[Split], s3: S3Settings | None
) -> tuple[list[Split], list[list[Block]]]:
    """Pass 1 and a summary pass of ``fmt`` in one job: per split, its line breaks (as
    :func:`scan_splits`) and the blocks of ``fmt.parse_records`` over its lines.

    For a format whose blocks summarise a split (an inference pass): the lines are those the
    parse pass reads, but before pass 1 a split that does not start the file only knows that
    its first line is not the file's first, so its line numbers start at 2 (lower bounds).
    The first split of a file numbers its lines exactly.
    """

    def task(split: Split) -> tuple[Scan | None, list[Block]]:
        scan = None if split.whole else scan_split(split, s3, None)
        reader = reader_at(split if split.start == 0 else replace(split, lines_before=1), s3)
        try:
            return scan, list(fmt.parse_records(reader, split.end))
        finally:
            reader.close()

    rdd = spark.sparkContext.parallelize(list(enumerate(splits)), max(1, len(splits)))
    done = dict(rdd.map(lambda item: (item[0], task(item[1]))).collect())
    blocks = [done[i][1] for i in range(len(splits))]
    if all(s.whole for s in splits):
        return splits, blocks
    scans = [done[i][0] or Scan(0, 0) for i in range(len(splits))]
    return place_splits(splits, scans, None), blocks


def scan_local(
    splits: list[Split], s3: S3Settings | None, quote: str | None, probe: Probe | None = None
) -> list[Split]:
    """Pass 1 in this process (tests, tools): the same result as :func:`scan_splits`."""
    if all(s.whole for s in splits) and probe is None:
        return splits
    return place_splits(splits, [scan_split(s, s3, quote, probe) for s in splits], quote)


def place_splits(splits: list[Split], scans: list[Scan], quote: str | None) -> list[Split]:
    """Prefix-sum pass-1 counts: line numbers, quote parity and record starts per split.

    A quoted split's first record is placed by the quote parity before it, or, when no line
    start in the split fits that parity (a stray quote before it upset it), by the other;
    pass 2 checks every placement (:func:`realign`).  A quoted split in which no record
    starts either way (a record longer than the split) folds its file into one split.
    """
    out: list[Split] = []
    by_file: dict[str, list[int]] = {}
    for i, s in enumerate(splits):
        by_file.setdefault(s.uri, []).append(i)
    for uri, idx in by_file.items():
        if len(idx) == 1:
            out.append(replace(splits[idx[0]], probe=scans[idx[0]].probe))
            continue
        placed: list[Split] = []
        lines = quotes = 0
        for i in idx:
            s, scan = splits[i], scans[i]
            s = replace(s, probe=scan.probe)
            if s.start == 0:
                placed.append(replace(s, lines_before=0, first_record=0, first_record_line=1))
            elif quote is None:
                placed.append(replace(s, lines_before=lines))
            else:
                in_quote = quotes % 2 == 1
                offset, before = scan.start_in if in_quote else scan.start_out
                guessed = offset < 0
                if guessed:  # not by the parity (a stray quote?): by the other state, checked in pass 2
                    offset, before = scan.start_out if in_quote else scan.start_in
                if offset < 0:  # no record starts here: read the file sequentially
                    placed = []
                    break
                line = 1 + lines + before
                placed.append(replace(s, lines_before=lines, first_record=offset, first_record_line=line,
                                      in_quote=in_quote, guessed=guessed))  # fmt: skip
            lines += scan.breaks
            quotes += scan.quotes
        if not placed:  # one split for the file; its probe results stay, in order
            out.append(Split(0, uri, 0, -1, probe=[scans[i].probe for i in idx]))
            continue
        if quote is not None:
            for k in range(len(placed) - 1):
                placed[k] = replace(placed[k], next_record=placed[k + 1].first_record)
        out.extend(placed)
    return [replace(s, index=i) for i, s in enumerate(out)]


# -- pass 2 ----------------------------------------------------------------------------------


def arrow_schema(fmt: LineFormat) -> pa.Schema:
    import pyarrow as pa

    types = fmt.types or [pa.string()] * len(fmt.columns)
    fields = [pa.field(n, t) for n, t in zip(fmt.columns, types, strict=True)]
    if not fmt.internal:
        return pa.schema(fields)
    return pa.schema(
        fields + [pa.field(LINE, pa.int64()), pa.field(BAD, pa.string()), pa.field(REASON, pa.string()),
                  pa.field(FILE, pa.string())]
    )  # fmt: skip


def block_batch(fmt: LineFormat, block: Block, uri: str) -> pa.RecordBatch:
    """One Arrow batch: the good records, then the bad ones (data columns null)."""
    import pyarrow as pa

    schema = arrow_schema(fmt)
    n_good, n_bad = len(block.lines), len(block.bad)
    arrays = []
    for i, col in enumerate(block.columns):
        typ = schema.field(i).type
        # A column may be a list or an array (numpy/Arrow: a wide numeric format builds those).
        good = col if isinstance(col, pa.Array) else pa.array(col, type=typ)
        arrays.append(pa.concat_arrays([good, fmt.bad_fill(i, typ, n_bad)]) if n_bad else good)
    if not fmt.internal:
        if n_bad:
            raise ValueError(f"{uri}: a bad record in a format without quarantine columns")
        return pa.RecordBatch.from_arrays(arrays, schema=schema)
    lines = block.lines + [b[0] for b in block.bad]
    arrays.append(pa.array(lines, type=pa.int64()))
    for k in (1, 2):  # the raw texts and reasons: null for the good records
        bad = pa.array([b[k] for b in block.bad], type=pa.string())
        arrays.append(pa.concat_arrays([pa.nulls(n_good, pa.string()), bad]) if n_good else bad)
    arrays.append(_repeated(uri, n_good + n_bad))
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _repeated(text: str, n: int) -> pa.Array:
    """A string array of ``n`` copies of ``text``, built from its buffers (no Python list)."""
    import numpy as np
    import pyarrow as pa

    raw = text.encode()
    if len(raw) * n >= 2**31:  # (an int32 offset would overflow: the slow way)
        return pa.array([text] * n, type=pa.string())
    offsets = np.arange(n + 1, dtype=np.int32) * np.int32(len(raw))
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(raw * n)])


def parse_split(fmt: LineFormat, split: Split, s3: S3Settings | None) -> Iterator[pa.RecordBatch]:
    """Pass 2 for one split (on an executor): Arrow batches of its records."""
    reader = reader_at(split, s3)
    try:
        for block in fmt.parse_records(reader, split.end):
            yield block_batch(fmt, block, split.uri)
        # A quoted format checks that it stopped where the next split starts; if not, a
        # marker row says where it did stop (line: that record's line; raw: "index offset").
        stop, line = (reader.offset, reader.line) if reader.stop is None else (reader.stop, reader.stop_line)
        if reader.open_end and stop == reader.end_offset:  # after a last line without a break
            line += 1
        if fmt.quote is not None and split.next_record >= 0 and stop != split.next_record:
            marker = Block([[] for _ in fmt.columns], [], [(line, f"{split.index} {stop}", RESYNC)])
            yield block_batch(fmt, marker, split.uri)
    finally:
        reader.close()


def parse_splits(
    spark: SparkSession, fmt: LineFormat, splits: list[Split], s3: S3Settings | None
) -> DataFrame:
    """Pass 2: a DataFrame of every split's records (``mapInArrow``, one split per task)."""
    import pickle

    from pyspark.sql import types as T

    payload = [(i, pickle.dumps(s)) for i, s in enumerate(splits)]
    schema = T.StructType([T.StructField("i", T.IntegerType()), T.StructField("split", T.BinaryType())])
    rdd = spark.sparkContext.parallelize(payload, max(1, len(payload)))
    tasks = spark.createDataFrame(rdd, schema)

    def run(batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            for blob in batch.column(1).to_pylist():
                yield from parse_split(fmt, pickle.loads(blob), s3)

    return tasks.mapInArrow(run, _spark_schema(fmt))


def _spark_schema(fmt: LineFormat) -> Any:
    from pyspark.sql import types as T
    from pyspark.sql.pandas.types import from_arrow_schema

    schema = from_arrow_schema(arrow_schema(fmt))
    if not fmt.spark_types:
        return schema
    fields = list(schema.fields)
    for i, typ in enumerate(fmt.spark_types):
        if typ is not None:
            fields[i] = T.StructField(fields[i].name, typ, fields[i].nullable)
    return T.StructType(fields)


def read_text(
    spark: SparkSession,
    fmt: LineFormat,
    files: Sequence[SourceFile],
    s3: S3Settings | None,
    split_bytes: int = SPLIT_BYTES,
) -> tuple[DataFrame, list[Split]]:
    """Plan, pass 1 and pass 2 in one call: the lazy DataFrame of records and its splits."""
    splits = scan_splits(spark, plan_splits(files, split_bytes), s3, fmt.quote)
    return parse_splits(spark, fmt, splits, s3), splits


def parse_local(fmt: LineFormat, splits: Sequence[Split], s3: S3Settings | None = None) -> pa.Table:
    """Pass 2 in this process (tests, tools): every split's batches as one table."""
    import pyarrow as pa

    batches = [b for s in splits for b in parse_split(fmt, s, s3)]
    return pa.Table.from_batches(batches, schema=arrow_schema(fmt))


@dataclass(frozen=True)
class Realigned:
    """A plan of splits repaired after a pass 2 in which some split did not stop where the
    next one starts (see :func:`realign`)."""

    splits: list[Split]  # every split of the files, in order (the plan to use from now on)
    parse: list[Split]  # the new ones among them: parse these
    dropped: list[tuple[str, int, int]]  # (file, first line, end line or -1): rows parsed earlier to drop


def realign(splits: Sequence[Split], stops: dict[int, tuple[int, int]]) -> Realigned:
    """Repair a plan: ``stops`` maps a split's index to (offset, line) where its records
    really ended, for the splits that did not stop at the next split's first record.

    The true start of a split is where the split before it stopped (the first split of a
    file is always right).  Where that is earlier than the split's planned start, a small
    split is inserted for the records in between (a parse from the wrong start usually
    meets the right one within a few lines, so the split's own records stand); where it is
    later, the split is parsed again from there and its earlier rows are dropped (by line:
    a split's records start in ``[first_record_line, next split's first_record_line)``).
    Every new split is checked in its turn, against the split after it.  Only the few
    records around a stray quote are read again, not the file.
    """
    out: list[Split] = []
    fresh: set[int] = set()  # positions in ``out`` of the splits to parse
    dropped: list[tuple[str, int, int]] = []
    for i, s in enumerate(splits):
        prev = splits[i - 1] if i and splits[i - 1].uri == s.uri else None
        hint = stops.get(prev.index) if prev is not None else None
        if hint is None or hint[0] == s.first_record:
            out.append(s)
            continue
        at, line = hint
        if at < s.first_record:  # the records from ``at`` to this split's start
            fresh.add(len(out))
            out.append(Split(0, s.uri, at, s.first_record, line - 1, at, line))
            out.append(s)
            continue
        nxt = splits[i + 1] if i + 1 < len(splits) and splits[i + 1].uri == s.uri else None
        dropped.append((s.uri, s.first_record_line, nxt.first_record_line if nxt is not None else -1))
        fresh.add(len(out))
        out.append(replace(s, start=at, lines_before=line - 1, first_record=at, first_record_line=line))
        if s.index in stops and stops[s.index][0] < at:  # its own stop was from the wrong start
            stops = {k: v for k, v in stops.items() if k != s.index}
    for k, s in enumerate(out):
        nxt = out[k + 1] if k + 1 < len(out) and out[k + 1].uri == s.uri else None
        out[k] = replace(s, index=k, next_record=nxt.first_record if nxt is not None else -1)
    return Realigned(out, [out[k] for k in sorted(fresh)], dropped)


def parse_aligned(
    splits: list[Split],
    parse: Callable[[list[Split]], dict[int, tuple[int, int]]],
    drop: Callable[[str, int, int], None],
    rounds: int | None = None,
) -> tuple[list[Split], bool]:
    """Parse ``splits`` and repair the plan (:func:`realign`) until every split ends where the
    next one begins; returns the plan the rows were read by, and whether they stand.

    ``parse(splits)`` parses those splits (keeping their rows) and returns the stops of the
    ones that ended elsewhere, from their marker rows (index -> (offset, line)); ``drop(file,
    first line, end line or -1)`` removes rows parsed so far.  After ``rounds`` repairs the
    files still mis-aligned are one split each in the returned plan and the rows do not
    stand (False): parse that plan again, from scratch.
    """
    todo = splits
    for left in range(REALIGN_ROUNDS if rounds is None else rounds, -1, -1):
        stops = parse(todo)
        if not stops:
            return splits, True
        if not left:
            return whole_files(splits, {splits[i].uri for i in stops}), False
        fixed = realign(splits, stops)
        for uri, lo, hi in fixed.dropped:
            drop(uri, lo, hi)
        splits, todo = fixed.splits, fixed.parse
    raise AssertionError("unreachable")  # pragma: no cover


def stops_of(markers: Iterable[tuple[int, str]]) -> dict[int, tuple[int, int]]:
    """Marker rows (line, raw ``"index offset"``) as :func:`parse_aligned` wants them."""
    out = {}
    for line, raw in markers:
        index, offset = raw.split()
        out[int(index)] = (int(offset), int(line))
    return out


def parse_local_aligned(
    fmt: LineFormat, splits: list[Split], s3: S3Settings | None = None, rounds: int | None = None
) -> tuple[pa.Table, list[Split]]:
    """:func:`parse_local` with the plan repaired as on the executors: the rows (no marker
    rows) and the plan they were read by."""
    import pyarrow as pa
    import pyarrow.compute as pc

    tables: list[pa.Table] = []

    def parse(todo: list[Split]) -> dict[int, tuple[int, int]]:
        table = parse_local(fmt, todo, s3)
        marker = pc.equal(table[REASON], RESYNC).fill_null(False)
        tables.append(table.filter(pc.invert(marker)))
        found = table.filter(marker)
        return stops_of(zip(found[LINE].to_pylist(), found[BAD].to_pylist(), strict=True))

    def drop(uri: str, lo: int, hi: int) -> None:
        for k, t in enumerate(tables):
            rows = pc.and_(pc.equal(t[FILE], uri), pc.greater_equal(t[LINE], lo))
            if hi >= 0:
                rows = pc.and_(rows, pc.less(t[LINE], hi))
            tables[k] = t.filter(pc.invert(rows))

    plan, clean = parse_aligned(splits, parse, drop, rounds)
    if not clean:
        tables = [parse_local(fmt, plan, s3)]
    return pa.concat_tables(tables), plan


def fold_guessed(splits: Sequence[Split]) -> list[Split]:
    """The splits with each file that has a guessed split (:attr:`Split.guessed`) folded into
    one split, its probe results in order, as :func:`place_splits` folds a file: for a
    reader that trusts the placement (a proof), not one that checks it."""
    return _fold(splits, {s.uri for s in splits if s.guessed}, probes=True)


def whole_files(splits: Sequence[Split], uris: Iterable[str]) -> list[Split]:
    """The splits with the given files folded into one split each (after a mis-alignment)."""
    return _fold(splits, set(uris), probes=False)


def _fold(splits: Sequence[Split], fold: set[str], probes: bool) -> list[Split]:
    """Each file of ``fold`` as one split (its splits' probe results in order, if ``probes``)."""
    if not fold:
        return list(splits)
    out: list[Split] = []
    for s in splits:
        if s.uri not in fold:
            out.append(s)
        elif s.start == 0:
            found = [t.probe for t in splits if t.uri == s.uri] if probes else None
            out.append(Split(0, s.uri, 0, -1, probe=found))
    return [replace(s, index=i) for i, s in enumerate(out)]


__all__ = [
    "BAD",
    "FILE",
    "LINE",
    "REASON",
    "REALIGN_ROUNDS",
    "RESYNC",
    "Realigned",
    "Block",
    "LineFormat",
    "LineReader",
    "Probe",
    "Split",
    "count_breaks",
    "fold_guessed",
    "open_range",
    "parse_aligned",
    "parse_local",
    "parse_local_aligned",
    "parse_splits",
    "plan_splits",
    "read_text",
    "realign",
    "place_splits",
    "scan_and_parse",
    "scan_local",
    "scan_split",
    "scan_splits",
    "stops_of",
    "strip_break",
    "whole_files",
]
