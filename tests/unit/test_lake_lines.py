"""Executor-side line infrastructure (lake/_lines.py) run in-process: splits, line numbers."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sparkwing.lake._lines import (
    Block,
    LineFormat,
    LineReader,
    _record_starts,
    count_breaks,
    open_range,
    parse_local,
    plan_splits,
    scan_local,
    strip_break,
)
from sparkwing.lake._uri import SourceFile


class Echo(LineFormat):
    """Every line as one string column; a line 'bad' is rejected."""

    columns = ("text",)

    def parse_block(self, records):
        good = [(n, t) for n, t in records if t != "bad"]
        return Block(
            [[t for _, t in good]], [n for n, _ in good], [(n, t, "is bad") for n, t in records if t == "bad"]
        )


def lines_of(data: bytes) -> list[tuple[int, str]]:
    """Ground truth: physical lines (LF, CR LF, CR) numbered from 1, blank ones left out."""
    physical = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
    return [(i, ln.decode()) for i, ln in enumerate(physical, 1) if ln]


def read(tmp_path: Path, data: bytes, split_bytes: int, fmt: LineFormat | None = None, name: str = "f.txt"):
    path = tmp_path / name
    path.write_bytes(data)
    files = [SourceFile(str(path), len(data))]
    splits = scan_local(plan_splits(files, split_bytes), None, None)
    return parse_local(fmt or Echo(), splits), splits


def test_count_breaks_crlf_across_buffers():
    assert count_breaks(b"a\r\nb\rc\n") == 3
    assert count_breaks(b"a\r") + count_breaks(b"\nb", prev=ord("\r")) == 1
    assert count_breaks(b"\n\n") == 2
    assert strip_break(b"x\r\n") == b"x" and strip_break(b"x\r") == b"x" and strip_break(b"x") == b"x"


def test_plan_splits_cover_the_file():
    f = SourceFile("/x.csv", 1000)
    splits = plan_splits([f], 300)
    assert [(s.start, s.end) for s in splits] == [(0, 334), (334, 668), (668, -1)]
    assert [s.whole for s in plan_splits([SourceFile("/x.csv.gz", 10**9)], 300)] == [True]


@pytest.mark.parametrize("split_bytes", [1, 2, 3, 5, 7, 64])
def test_mixed_line_breaks_and_bad_lines(tmp_path, split_bytes):
    data = b"one\r\ntwo\rthree\nbad\r\n\r\nsix\rseven"
    table, _ = read(tmp_path, data, split_bytes)
    rows = table.to_pylist()
    good = [(r["_sw_line"], r["text"]) for r in rows if r["_sw_bad"] is None]
    bad = [(r["_sw_line"], r["_sw_bad"], r["_sw_reason"]) for r in rows if r["_sw_bad"] is not None]
    assert good == [(1, "one"), (2, "two"), (3, "three"), (6, "six"), (7, "seven")]
    assert bad == [(4, "bad", "is bad")]
    assert all(r["_sw_file"].endswith("f.txt") for r in rows)


def test_gzip_is_one_streamed_split(tmp_path):
    import gzip

    data = b"a\nb\r\nc\rd\n" * 1000
    path = tmp_path / "f.txt.gz"
    path.write_bytes(gzip.compress(data))
    splits = scan_local(plan_splits([SourceFile(str(path), path.stat().st_size)], 10), None, None)
    assert len(splits) == 1
    table = parse_local(Echo(), splits)
    assert [(r["_sw_line"], r["text"]) for r in table.to_pylist()] == lines_of(data)


def test_undecodable_line_is_rejected_not_fatal(tmp_path):
    table, _ = read(tmp_path, b"ok\n\xff\xfe\nfine\n", 4)
    rows = table.to_pylist()
    assert [r["text"] for r in rows if r["_sw_bad"] is None] == ["ok", "fine"]
    (bad,) = [r for r in rows if r["_sw_bad"] is not None]
    assert bad["_sw_line"] == 2 and bad["_sw_reason"] == "not valid utf-8 text"


@settings(max_examples=150, deadline=None)
@given(
    parts=st.lists(
        st.tuples(st.text('ab,"x', max_size=6), st.sampled_from(["\n", "\r\n", "\r"])), max_size=30
    ),
    split_bytes=st.integers(1, 40),
)
def test_any_split_size_gives_every_line_once_with_its_number(tmp_path_factory, parts, split_bytes):
    data = "".join(t + br for t, br in parts).encode()
    tmp = tmp_path_factory.mktemp("h")
    table, _ = read(tmp, data, split_bytes, fmt=_Keep())
    got = [(r["_sw_line"], r["text"]) for r in table.to_pylist()]
    assert got == lines_of(data)


@settings(max_examples=150, deadline=None)
@given(
    parts=st.lists(
        st.tuples(st.text("ab", max_size=5), st.sampled_from(["\n", "\r\n", "\r", ""])), max_size=30
    ),
    end=st.integers(-1, 80),
    limit=st.integers(1, 6),
    max_bytes=st.integers(1, 12),
)
def test_take_gives_the_lines_until_gives(parts, end, limit, max_bytes):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("sparkwing.lake._lines.BLOCK_BYTES", 7)  # lines across buffered blocks
        _take_matches_until("".join(t + br for t, br in parts).encode(), end, limit, max_bytes)


def _take_matches_until(data: bytes, end: int, limit: int, max_bytes: int) -> None:
    import io

    want_reader = LineReader(io.BytesIO(data), 0, 1, "mem")
    want = [(number, raw) for _, number, raw in want_reader.until(end)]
    reader, got = LineReader(io.BytesIO(data), 0, 1, "mem"), []
    while True:
        first, pieces = reader.take(end, limit, max_bytes)
        if not pieces:
            break
        assert len(pieces) <= limit
        got += [(first + k, raw) for k, raw in enumerate(pieces)]
    assert got == want
    assert (reader.offset, reader.line) == (want_reader.offset, want_reader.line)


class _Keep(Echo):
    def parse_block(self, records):
        return Block([[t for _, t in records]], [n for n, _ in records])


def _walked_record_start(split, q: bytes, in_quote: bool) -> tuple[int, int]:
    """The record start found by walking the lines one by one (the reference for the vectorised one)."""
    reader = LineReader(open_range(split.uri, split.start - 1, None), split.start - 1, 0, split.uri)
    try:
        piece = reader.next()
        if piece is None:
            return (-1, 0)
        inside = piece not in (b"\n", b"\r", b"\r\n")
        # A last line without a break counts as one too: the end of the file is a line further on.
        breaks = 1 if inside else 0
        odd = in_quote ^ (inside and piece[1:].count(q) % 2 == 1)
        while odd:
            if split.end >= 0 and reader.offset >= split.end:
                return (-1, 0)
            raw = reader.next()
            if raw is None:
                return (-1, 0)
            breaks += 1
            odd ^= raw.count(q) % 2 == 1
        if split.end >= 0 and reader.offset >= split.end:
            return (-1, 0)
        return (reader.offset, breaks)
    finally:
        reader.close()


_QUOTED_LINES = st.lists(
    st.tuples(st.text('ab,"', max_size=8), st.sampled_from(["\n", "\r\n", "\r", ""])), max_size=25
)


def _mid_splits(tmp_path_factory, parts, split_bytes):
    """The splits after the first of a file of ``parts`` (text, line break) pairs."""
    data = "".join(t + br for t, br in parts).encode()
    path = tmp_path_factory.mktemp("r") / "f.csv"
    path.write_bytes(data)
    return data, [s for s in plan_splits([SourceFile(str(path), len(data))], split_bytes) if s.start]


@settings(max_examples=300, deadline=None)
@given(parts=_QUOTED_LINES, split_bytes=st.integers(1, 30))
def test_record_starts_match_a_line_by_line_walk(tmp_path_factory, parts, split_bytes):
    data, splits = _mid_splits(tmp_path_factory, parts, split_bytes)
    for split in splits:
        want = (_walked_record_start(split, b'"', False), _walked_record_start(split, b'"', True))
        assert _record_starts(split, None, b'"') == want, (split, data)


@settings(max_examples=300, deadline=None)
@given(parts=_QUOTED_LINES, split_bytes=st.integers(1, 30), window=st.integers(1, 40))
def test_record_starts_are_looked_for_in_a_window(tmp_path_factory, parts, split_bytes, window):
    """A start within the window is found as by the walk; one further on may be reported as
    none (the split is then placed as a guess, which pass 2 checks), never as another."""
    data, splits = _mid_splits(tmp_path_factory, parts, split_bytes)
    for split in splits:
        got = _record_starts(split, None, b'"', window)
        for state, found in zip((False, True), got, strict=True):
            want = _walked_record_start(split, b'"', state)
            if want[0] < 0 or want[0] - (split.start - 1) <= window - 1:
                assert found == want, (split, data, window)
            else:
                assert found in (want, (-1, 0)), (split, data, window)


def test_record_starts_across_blocks(tmp_path, monkeypatch):
    """Lines and CR LF pairs straddling the reader's blocks, with balanced and odd quote lines."""
    import sparkwing.lake._lines as lines_mod

    monkeypatch.setattr(lines_mod, "BLOCK_BYTES", 7)
    data = b'a,"b"\r\n"x\r\ny",1\r"q""",2\n' * 9 + b'"odd\n' + b'c,"d"\r\n' * 5
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    for size in (5, 11, 23, 40):
        for split in plan_splits([SourceFile(str(path), len(data))], size):
            if split.start:
                want = (_walked_record_start(split, b'"', False), _walked_record_start(split, b'"', True))
                assert _record_starts(split, None, b'"') == want, (size, split)


class _Blocks(LineFormat):
    """Records each block as it comes: (records, bad) per ``parse_block`` call."""

    columns = ("text",)

    def __init__(self, batch_records: int, skip_first: int, skip_blank: bool) -> None:
        self.batch_records, self.skip_first, self.skip_blank = batch_records, skip_first, skip_blank

    def parse_block(self, records):
        return Block([[t for _, t in records]], [n for n, _ in records])


def _walked_blocks(fmt: LineFormat, lines: LineReader, end: int):
    """The reference for :meth:`LineFormat.parse_records`: one line at a time (``until``)."""
    batch, bad = [], []
    skip = fmt.skip_first if lines.offset == 0 else 0
    for _offset, number, raw in lines.until(end):
        if skip:
            skip -= 1
            continue
        text = strip_break(raw)
        if not text and fmt.skip_blank:
            continue
        try:
            batch.append((number, text.decode(fmt.encoding)))
        except UnicodeDecodeError:
            shown = text.decode(fmt.encoding, "backslashreplace")
            bad.append((number, shown, f"not valid {fmt.encoding} text"))
        if len(batch) >= fmt.batch_records:
            yield batch, bad
            batch, bad = [], []
    if batch or bad:
        yield batch, bad


# Lines of every kind (blank, undecodable, several breaks), split and buffered at any size.
BULK = {
    "parts": st.lists(
        st.tuples(st.sampled_from(["", "a", "bb", " ", "caf\u00e9", "\xff", "x\xfey", "bad"]),
                  st.sampled_from(["\n", "\r\n", "\r", "\n\n", "\r\r\n"])),  # fmt: skip
        max_size=40,
    ),
    "tail": st.sampled_from(["", "end", "\r"]),
    "split_bytes": st.integers(1, 50),
    "block_bytes": st.integers(1, 16),
    "batch": st.integers(1, 5),
    "skip_first": st.integers(0, 2),
    "skip_blank": st.booleans(),
}


def _bulk_splits(tmp_path_factory, parts, tail, split_bytes, batch, skip_first, skip_blank):
    """The file of ``parts`` then ``tail``, its splits, and a format that keeps each block."""
    data = b"".join(_raw(t) + br.encode() for t, br in parts) + tail.encode()
    path = tmp_path_factory.mktemp("bulk") / "f.txt"
    path.write_bytes(data)
    splits = scan_local(plan_splits([SourceFile(str(path), len(data))], split_bytes), None, None)
    return splits, _Blocks(batch, skip_first, skip_blank)


@settings(max_examples=200, deadline=None)
@given(**BULK)
def test_bulk_records_equal_the_line_by_line_walk(
    tmp_path_factory, parts, tail, split_bytes, block_bytes, batch, skip_first, skip_blank
):
    """Many lines at a time (``LineReader.take``) gives the blocks the walk gives: same records,
    same numbers, same undecodable lines in the same blocks, whatever the split and read sizes."""
    import sparkwing.lake._lines as lines_mod
    from sparkwing.lake._lines import reader_at

    splits, fmt = _bulk_splits(tmp_path_factory, parts, tail, split_bytes, batch, skip_first, skip_blank)
    for split in splits:
        fast, walk = reader_at(split, None), reader_at(split, None)
        try:
            with pytest.MonkeyPatch.context() as mp:
                mp.setattr(lines_mod, "BLOCK_BYTES", block_bytes)
                got = [(b.lines, b.columns[0], b.bad) for b in fmt.parse_records(fast, split.end)]
                walked = _walked_blocks(fmt, walk, split.end)
                want = [([n for n, _ in r], [t for _, t in r], bad) for r, bad in walked]
        finally:
            fast.close()
            walk.close()
        assert got == want
        assert (fast.offset, fast.line) == (walk.offset, walk.line)


def _raw(text: str) -> bytes:
    """``\\xff``/``\\xfe`` stand for bytes that are not UTF-8."""
    return text.encode().replace("\xff".encode(), b"\xff").replace("\xfe".encode(), b"\xfe")



@settings(max_examples=200, deadline=None)
@given(**BULK)
def test_raw_blocks_are_the_blocks_parse_records_makes(
    tmp_path_factory, parts, tail, split_bytes, block_bytes, batch, skip_first, skip_blank
):
    """``raw_blocks`` (lines not decoded) gives the records ``parse_records`` gives, in the same
    blocks, each line raw with its break, and the same undecodable lines."""
    import sparkwing.lake._lines as lines_mod
    from sparkwing.lake._lines import reader_at

    splits, fmt = _bulk_splits(tmp_path_factory, parts, tail, split_bytes, batch, skip_first, skip_blank)
    for split in splits:
        raw, walk = reader_at(split, None), reader_at(split, None)
        try:
            with pytest.MonkeyPatch.context() as mp:
                mp.setattr(lines_mod, "BLOCK_BYTES", block_bytes)
                got = list(fmt.raw_blocks(raw, split.end))
                want = list(fmt.parse_records(walk, split.end))
        finally:
            raw.close()
            walk.close()
        want_records = [list(zip(b.lines, b.columns[0], strict=True)) for b in want if b.lines]
        assert [b.records() for b in got if b.pieces] == want_records
        assert [x for b in got for x in b.bad] == [x for b in want for x in b.bad]
        assert (raw.offset, raw.line) == (walk.offset, walk.line)


def test_raw_blocks_read_utf8_only():
    import io

    fmt = _Blocks(3, 0, True)
    fmt.encoding = "utf-16"
    with pytest.raises(ValueError, match="UTF-8 text, not utf-16"):
        list(fmt.raw_blocks(LineReader(io.BytesIO(b"a\n"), 0, 1, "mem"), -1))
    fmt.encoding = "UTF8"
    assert [b.records() for b in fmt.raw_blocks(LineReader(io.BytesIO(b"a\n\nb"), 0, 1, "mem"), -1)] == [
        [(1, "a"), (3, "b")]
    ]
