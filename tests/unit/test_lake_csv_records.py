"""The CSV record reader (lake/_delimited.CsvFormat) over lake/_lines splits, in-process."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sparkwing.errors import SourceError
from sparkwing.lake._delimited import CsvFormat, header_names
from sparkwing.lake._lines import BAD, LINE, REASON, RESYNC, parse_local, plan_splits, scan_local, whole_files
from sparkwing.lake._uri import SourceFile


def read(path: Path, data: bytes, split_bytes: int = 1 << 20, **opts):
    """(good rows as (line, fields), bad as (line, raw, reason), number of splits used)."""
    path.write_bytes(data)
    names = opts.pop("names", None)
    fmt = CsvFormat(
        names=names or header_names(data, delimiter=opts.get("delimiter", ","), quote='"', encoding="utf-8"),
        header=None
        if names
        else tuple(header_names(data, delimiter=opts.get("delimiter", ","), quote='"', encoding="utf-8")),
        **opts,
    )
    files = [SourceFile(str(path), len(data))]
    splits = scan_local(plan_splits(files, split_bytes), None, fmt.quote if fmt.splittable else None)
    if not fmt.splittable:
        splits = whole_files(splits, [str(path)])
    rows = parse_local(fmt, splits).to_pylist()
    if any(r[REASON] == RESYNC for r in rows):
        splits = whole_files(splits, [str(path)])
        rows = parse_local(fmt, splits).to_pylist()
    good = [(r[LINE], [r[c] for c in fmt.names]) for r in rows if r[BAD] is None]
    bad = [(r[LINE], r[BAD], r[REASON]) for r in rows if r[BAD] is not None]
    return good, sorted(bad), len(splits)


SPLITS = [3, 7, 16, 1 << 20]


@pytest.mark.parametrize("split_bytes", SPLITS)
@pytest.mark.parametrize("eol", ["\n", "\r\n", "\r"])
def test_quoted_line_breaks_and_every_line_ending(tmp_path, split_bytes, eol):
    text = f'id,note,n{eol}1,"two{eol}lines",3{eol}2,"a ""quoted"" word",4{eol}3,plain,5{eol}'
    good, bad, _ = read(tmp_path / "f.csv", text.encode(), split_bytes)
    assert bad == []
    assert good == [
        (2, ["1", f"two{eol}lines", "3"]),
        (4, ["2", 'a "quoted" word', "4"]),
        (5, ["3", "plain", "5"]),
    ]


def test_mixed_endings_in_one_file_and_in_the_header(tmp_path):
    data = b'a,"b\r\nc"\r1,x\n2,"y\rz"\r\n3,w'
    good, bad, _ = read(tmp_path / "f.csv", data, 4)
    assert header_names(data, delimiter=",", quote='"', encoding="utf-8") == ["a", "b\r\nc"]
    assert bad == [] and good == [(3, ["1", "x"]), (4, ["2", "y\rz"]), (6, ["3", "w"])]


@pytest.mark.parametrize("split_bytes", SPLITS)
def test_unterminated_quote_resynchronises_at_the_next_line(tmp_path, split_bytes):
    data = b'id,name,amount\n1,alice,10\n2,"bob,20\n3,carol,30\n4,"dan",40\n5,eve,50\n'
    good, bad, _ = read(tmp_path / "f.csv", data, split_bytes)
    assert bad == [(3, '2,"bob,20', "unterminated quote")]
    assert [n for n, _ in good] == [2, 4, 5, 6] and good[2][1] == ["4", "dan", "40"]


def test_unterminated_quote_at_the_end_and_text_after_closing_quote(tmp_path):
    good, bad, _ = read(tmp_path / "f.csv", b'a,b\n1,"x"y\n2,z\n3,"open\n')
    assert bad == [(2, '1,"x"y', "text after a closing quote"), (4, '3,"open', "unterminated quote")]
    assert good == [(3, ["2", "z"])]


def test_record_spanning_too_many_lines_is_cut(tmp_path):
    data = b'a,b\n1,"never closed\n' + b"2,x\n" * 50
    good, bad, _ = read(tmp_path / "f.csv", data, max_record_lines=5)
    assert bad == [(2, '1,"never closed', "unterminated quote")]
    assert len(good) == 50 and good[0] == (3, ["2", "x"])


@pytest.mark.parametrize("split_bytes", SPLITS)
def test_field_counts_repeated_header_bom_blank_lines(tmp_path, split_bytes):
    data = '\ufeffid,name,amount\r\n1,a,2\r\n\r\n2,b\r\nid,name,amount\r\n3,c,4,5\r\n4,"d","7"\r\n'.encode()
    good, bad, _ = read(tmp_path / "f.csv", data, split_bytes)
    assert good == [(2, ["1", "a", "2"]), (7, ["4", "d", "7"])]
    assert bad == [
        (4, "2,b", "2 fields, expected 3"),
        (5, "id,name,amount", "repeated header"),
        (6, "3,c,4,5", "4 fields, expected 3"),
    ]


def test_null_markers_and_undecodable_bytes(tmp_path):
    good, bad, _ = read(tmp_path / "f.csv", b"a,b\n1,NA\n,x\n\xff\xfe,y\n", nulls=frozenset({"", "NA"}))
    assert good == [(2, ["1", None]), (3, [None, "x"])]
    assert bad == [(4, "\\xff\\xfe,y", "not valid utf-8 text")]


def test_headerless_tab_and_backslash_escape(tmp_path):
    good, bad, n = read(
        tmp_path / "f.tsv", b'1\t"a\\"b"\n2\tc\n', 4, names=("n", "s"), delimiter="\t", escape="\\"
    )
    assert n == 1 and bad == [] and good == [(1, ["1", 'a"b']), (2, ["2", "c"])]


def test_header_errors():
    with pytest.raises(SourceError, match="binary"):
        header_names(b"\x00\x01", delimiter=",", quote='"', encoding="utf-8", where="x.csv")
    with pytest.raises(SourceError, match="unterminated quote"):
        header_names(b'"a,b\n', delimiter=",", quote='"', encoding="utf-8", where="x.csv")
    with pytest.raises(SourceError, match="empty file"):
        header_names(b"", delimiter=",", quote='"', encoding="utf-8", where="x.csv")


CELL = st.text(st.sampled_from('ab ,"\n\r\t'), max_size=6)


def rfc4180(rows: list[list[str]], eol: str, quote_all: bool) -> str:
    """RFC 4180 text: a field with a delimiter, quote, CR or LF (or any, with quote_all) is quoted."""

    def field(v: str) -> str:
        if quote_all or any(c in v for c in ',"\r\n'):
            return '"' + v.replace('"', '""') + '"'
        return v

    return "".join(",".join(field(v) for v in r) + eol for r in rows)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(st.lists(CELL, min_size=3, max_size=3), min_size=1, max_size=25),
    eol=st.sampled_from(["\n", "\r\n", "\r"]),
    quote_all=st.booleans(),
    split_bytes=st.integers(1, 60),
)
def test_any_rfc4180_table_reads_back_exactly_for_any_split_size(
    tmp_path_factory, rows, eol, quote_all, split_bytes
):
    data = rfc4180([["x", "y", "z"], *rows], eol, quote_all).encode()
    good, bad, _ = read(tmp_path_factory.mktemp("h") / "f.csv", data, split_bytes, nulls=frozenset())
    assert bad == []
    assert [f for _, f in good] == rows


def _breaks(text: str) -> int:
    return text.count("\r") + text.count("\n") - text.count("\r\n")


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(st.lists(CELL, min_size=3, max_size=3), min_size=1, max_size=15),
    eol=st.sampled_from(["\n", "\r"]),
)
def test_line_numbers_count_physical_lines(tmp_path_factory, rows, eol):
    text = rfc4180([["x", "y", "z"], *rows], eol, quote_all=True)
    good, _, _ = read(tmp_path_factory.mktemp("h") / "f.csv", text.encode(), 5, nulls=frozenset())
    expect, line = [], 2
    for r in rows:
        expect.append(line)
        line += _breaks(rfc4180([r], eol, quote_all=True))
    assert [n for n, _ in good] == expect


MESSY = st.text(st.sampled_from('ab,"\n\r'), max_size=80)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=MESSY, split_bytes=st.integers(1, 30))
def test_messy_text_reads_the_same_for_any_split_size(tmp_path_factory, body, split_bytes):
    data = ("a,b\n" + body).encode()
    tmp = tmp_path_factory.mktemp("h")
    whole = read(tmp / "w.csv", data, 1 << 20, nulls=frozenset())
    split = read(tmp / "w.csv", data, split_bytes, nulls=frozenset())
    assert split[:2] == whole[:2]
    n_records = len(whole[0]) + len(whole[1])
    assert n_records <= _breaks(body) + 1  # never more records than lines


@pytest.mark.parametrize("split_bytes", SPLITS)
def test_quote_that_closes_by_chance_with_the_wrong_shape_keeps_the_next_rows(tmp_path, split_bytes):
    data = b'a,b,c\n2,"bob,20\n3,carol,30"\n4,dan,40\n'
    good, bad, _ = read(tmp_path / "f.csv", data, split_bytes)
    assert bad == [(2, '2,"bob,20', "unterminated quote")]
    assert good == [(3, ["3", "carol", '30"']), (4, ["4", "dan", "40"])]


def probe(tmp_path: Path, data: bytes, split_bytes: int, header: bytes = b"a,b"):
    from sparkwing.lake._delimited import CsvProbe, spark_can_parse

    path = tmp_path / "p.csv"
    path.write_bytes(data)
    files = [SourceFile(str(path), len(data))]
    splits = scan_local(plan_splits(files, split_bytes), None, '"', CsvProbe('"', header, "utf-8"))
    return spark_can_parse(splits)


@pytest.mark.parametrize("split_bytes", [5, 11, 1 << 20])
def test_probe_sends_only_line_exact_files_to_spark(tmp_path, split_bytes):
    assert probe(tmp_path, b'a,b\r\n1,"x,y"\r\n2,"z"\r3,w\n', split_bytes)
    assert not probe(tmp_path, b'a,b\n1,"x\ny"\n2,z\n', split_bytes)  # a quoted line break
    assert not probe(tmp_path, b'a,b\n1,x"\n2,z\n', split_bytes)  # an odd quote
    assert not probe(tmp_path, b"a,b\n1,x\na,b\n2,z\n", split_bytes)  # the header again
    assert not probe(tmp_path, "a,b\n1,\u00e9\n2,\xff\n".encode("utf-8")[:-3] + b"\xff\n", split_bytes)
    assert probe(
        tmp_path, "a,b\n1,\u00e9\u00e9\u00e9\u00e9\n2,z\n".encode(), split_bytes
    )  # splits cut characters
    assert not probe(tmp_path, b'a,b\n1,"x"y\n2,z\n', split_bytes)  # text after a closing quote
    assert not probe(tmp_path, b'a,b\n1,"x" \n2,z\n', split_bytes)
    assert probe(tmp_path, b'a,b\n"1","x""y"\n"",""\n2,"z"', split_bytes)  # doubled, empty, at EOF


def test_probe_checks_the_byte_after_a_closing_quote_across_splits(tmp_path):
    assert not probe(tmp_path, b'a,b\n1,"x"z\n2,w\n3,v', 9)  # the first split ends on the quote
    assert probe(tmp_path, b'a,b\n1,"x",\n2,w\n3,v', 9)


def test_time_parser_policy_turns_bad_dates_into_nulls_not_job_failures():
    from sparkwing.config import load_settings
    from sparkwing.engine._spark import spark_conf

    conf = spark_conf(load_settings({"workspace": "/tmp/sw-unit"}))
    assert conf["spark.sql.legacy.timeParserPolicy"] == "CORRECTED"


def test_a_well_formed_file_aligns_at_every_split_size(tmp_path):
    """No re-read as one split (RESYNC) for a valid file, wherever the splits fall -- also
    when a split starts just after a quote (that quote belongs to the split before).  A split
    inside one long record is placed against the parity (guessed) and repaired in pass 2."""
    from sparkwing.lake._lines import fold_guessed, parse_local_aligned

    data = b'id,"note",n\n1,"ab","x\ny"\n2,"c""d","e"\n3,"f\n""g""\nh",i\n4,j,k\n'
    path = tmp_path / "a.csv"
    path.write_bytes(data)
    fmt = CsvFormat(names=["id", "note", "n"], header=("id", "note", "n"))
    for split_bytes in range(3, len(data) + 1):
        splits = scan_local(plan_splits([SourceFile(str(path), len(data))], split_bytes), None, '"')
        exact, repaired = parse_local(fmt, fold_guessed(splits)), parse_local_aligned(fmt, splits)[0]
        for rows in (exact.to_pylist(), repaired.to_pylist()):
            assert [r[REASON] for r in rows] == [None] * 4, split_bytes
            assert sorted(r[LINE] for r in rows) == [2, 4, 5, 8], split_bytes


def _both_paths(path: Path, data: bytes, **opts):
    """(vectorised result, record-reader result) of one whole-file split, as plain rows."""
    import io

    from sparkwing.lake._lines import LineReader, block_batch

    path.write_bytes(data)
    fmt = CsvFormat(names=("a", "b"), header=("a", "b"), **opts)

    def rows(blocks):
        out = []
        for b in blocks:
            out += [tuple(r.values())[:-1] for r in block_batch(fmt, b, "f").to_pylist()]
        return sorted(out, key=lambda r: (r[2], str(r)))

    fast = rows(fmt.parse_records(LineReader(io.BytesIO(data), 0, 1, "f"), -1))
    slow = rows(fmt._python_records(LineReader(io.BytesIO(data), 0, 1, "f"), -1))
    return fast, slow


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.lists(st.sampled_from(['a', 'b', ' ', ',', '"', '\n', '\r', '\r\n', 'a,b\n', '""', '\x00', 'é']),
                  max_size=60).map("".join),
    nulls=st.sampled_from([frozenset(), frozenset({""}), frozenset({"", "a"})]),
)  # fmt: skip
def test_vectorised_path_reads_exactly_like_the_record_reader(tmp_path_factory, body, nulls):
    data = ("\ufeffa,b\n" + body).encode()
    fast, slow = _both_paths(tmp_path_factory.mktemp("v") / "f.csv", data, nulls=nulls)
    assert fast == slow


def test_vectorised_path_is_taken_for_clean_multiline_chunks(tmp_path, monkeypatch):
    import sparkwing.lake._delimited as delimited

    monkeypatch.setattr(delimited, "ARROW_CHUNK_SIZES", (64, 16, 4))
    body = "".join(f'{i},"x\r\n""{i}"""\n' if i % 3 else f"{i},\n\n" for i in range(200))
    data = ("a,b\n" + body).encode()
    path = tmp_path / "c.csv"
    path.write_bytes(data)
    fmt = CsvFormat(names=("a", "b"), header=("a", "b"))
    monkeypatch.setattr(CsvFormat, "_python_records", None)  # must not be needed
    splits = scan_local(plan_splits([SourceFile(str(path), len(data))], 1000), None, '"')
    rows = parse_local(fmt, splits).to_pylist()
    assert len(splits) > 1 and len(rows) == 200 and all(r[REASON] is None for r in rows)
    assert (rows[1]["a"], rows[1]["b"], rows[1][LINE]) == ("1", 'x\r\n"1"', 4)


_PIECES = [b"a", b"1", b",", b'"', b'""', b"\n", b"\r", b"\r\n", b"a,b", b" ", b"\xc3\xa9", b"\xff", b"2.5"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(st.sampled_from(_PIECES), max_size=40),
    st.lists(st.integers(1, 9), min_size=1, max_size=40),
    st.booleans(),
)
def test_probe_result_does_not_depend_on_the_block_cuts(parts, cuts, mid):
    """Pass 1 reads 8 MiB blocks: a header, a closing quote or a break cut by a block edge is
    judged as if the bytes came in one piece."""
    from types import SimpleNamespace

    from sparkwing.lake._csv_infer import Inferrer
    from sparkwing.lake._delimited import CsvProbe

    data = b"a,b\n" + b"".join(parts)
    split = SimpleNamespace(start=3 if mid else 0)

    def run(pieces: list[bytes]) -> dict:
        p = CsvProbe('"', b"a,b", "utf-8", ",", Inferrer(2, (0, 1), ",", '"', "", True))
        state = p.begin(split)
        for k, piece in enumerate(pieces):
            state = p.feed(state, piece, k == 0 and not mid)
        return p.end(state)

    pieces, i = [], 0
    for c in cuts * (len(data) // len(cuts) + 1):
        if i >= len(data):
            break
        pieces.append(data[i : i + c])
        i += c
    whole, cut = run([data]), run(pieces)
    for r in (whole, cut):
        r.pop("infer")  # (a line longer than the first block is not inferred)
        # A state with text after a closing quote is refused whatever the split's end.
        ends = zip(r["ends_on_close"], r["no_text_after_quote"], strict=True)
        r["ends_on_close"] = [e and ok for e, ok in ends]
    assert cut == whole


@dataclass
class _RecordReaderOnly(CsvFormat):
    """The exact path alone: Python's csv module for every record."""

    def _arrow_ok(self) -> bool:
        return False


_GOOD = ["1,2\n", '"x","y"\n', '3,"a\nb"\n', "4,\n", '"x""y",z\r\n', '9,"\r\n"\r', 'NA,"NA"\n', '"",a\n']
_FAULTS = ["1,2,3\n", "5\n", '6,"z\n', '7,"q"r\n', "a,b\n", '"a","b"\n', "\xff,9\n", "\r", '8,"""\n', "\n",
           " \n", "\ufeff", '1,"2\n3",4\n', "1,\x002\n"]  # fmt: skip


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    pieces=st.lists(st.sampled_from(_GOOD * 4 + _FAULTS), min_size=1, max_size=80),
    sizes=st.sampled_from([(64, 16, 4), (40, 8), (200, 30, 9, 3), (13,), (2 << 20, 128 << 10, 8 << 10)]),
    split_bytes=st.sampled_from([1 << 20, 7, 23, 61]),
    header=st.booleans(),
    nulls=st.sampled_from([frozenset({""}), frozenset(), frozenset({"", "NA"}), frozenset({"NA", "a"})]),
)
def test_bad_records_in_arrow_chunks_read_exactly_like_the_record_reader(
    tmp_path_factory, monkeypatch_module, pieces, sizes, split_bytes, header, nulls
):
    """Arrow reads the chunks around a bad record, the record reader the bad record alone (or
    a rejected chunk in smaller chunks): the same rows, lines, raw texts and reasons as the
    record reader alone, wherever the chunks and the splits fall, with a header or without,
    whatever the null markers (one of them a header name, too)."""
    import sparkwing.lake._delimited as delimited

    monkeypatch_module.setattr(delimited, "ARROW_CHUNK_SIZES", sizes)
    text = ("a,b\n" if header else "") + "".join(pieces)
    data = text.encode("utf-8", "surrogateescape").replace(b"\xc3\xbf", b"\xff")
    path = tmp_path_factory.mktemp("m") / "f.csv"
    path.write_bytes(data)
    files = [SourceFile(str(path), len(data))]
    out = []
    for cls in (CsvFormat, _RecordReaderOnly):
        fmt = cls(names=("a", "b"), header=("a", "b") if header else None, nulls=nulls)
        splits = scan_local(plan_splits(files, split_bytes), None, '"')
        rows = parse_local(fmt, splits).to_pylist()
        if any(r[REASON] == RESYNC for r in rows):
            rows = parse_local(fmt, whole_files(splits, [str(path)])).to_pylist()
        out.append(sorted((tuple(r.values()) for r in rows), key=lambda r: (r[2], str(r))))
    assert out[0] == out[1]


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


def test_a_bad_record_costs_that_record_not_its_chunk(tmp_path, monkeypatch):
    """The record reader reads only the bad records (a wrong width, the header again, a stray
    quote); Arrow reads every other row, in chunks that do not get smaller around them."""
    import sparkwing.lake._delimited as delimited

    monkeypatch.setattr(delimited, "ARROW_CHUNK_SIZES", (4096,))
    faults = {300: "300,300,x\n", 500: "a,b\n", 700: "7\n", 800: '800,"8\n'}
    body = "".join(faults.get(i, f'{i},"{i}"\n') for i in range(1000))
    data = ("a,b\n" + body).encode()
    seen: list[int] = []
    real = CsvFormat._python_records

    def spy(self, lines, end, resume=False):
        start = lines.offset
        yield from real(self, lines, end, resume)
        if not self.raw_only:  # (the header is read by the record reader alone)
            seen.append(lines.offset - start)

    monkeypatch.setattr(CsvFormat, "_python_records", spy)
    good, bad, _ = read(tmp_path / "f.csv", data)
    assert len(good) == 996 and good[-1] == (1001, ["999", "999"])
    assert bad == [
        (302, "300,300,x", "3 fields, expected 2"),
        (502, "a,b", "repeated header"),
        (702, "7", "1 fields, expected 2"),
        (802, '800,"8', "unterminated quote"),
    ]
    assert sorted(seen) == sorted(len(x) for x in faults.values())


@pytest.mark.parametrize("window", [4, 8, 12])
@pytest.mark.parametrize("split_bytes", [9, 23, 64])
def test_record_starts_beyond_the_window_read_the_same_rows(tmp_path, monkeypatch, split_bytes, window):
    """Multi-line fields longer than the window in which pass 1 looks for a split's first
    record: the splits are placed as guesses and pass 2 repairs them, to the same rows."""
    import sparkwing.lake._lines as lines_mod

    long = [f'{i},"{"x" * (i % 5)}\n{"y" * (i % 7)}\n\n"\n' for i in range(60)]
    body = "".join(long[i] if i % 3 else f'{i},"{i}"\n' for i in range(60))
    data = ("a,b\n" + body + '61,"stray\n62,z\n').encode()
    want = read(tmp_path / "a.csv", data, split_bytes)[:2]
    monkeypatch.setattr(lines_mod, "RECORD_START_WINDOW", window)  # (guessed placements, or one split)
    assert read(tmp_path / "b.csv", data, split_bytes)[:2] == want
    assert len(want[0]) == 61 and want[1] == [(len(data.splitlines()) - 1, '61,"stray', "unterminated quote")]


def test_a_bom_inside_the_file_is_text_wherever_a_chunk_starts(tmp_path, monkeypatch):
    """Arrow drops a BOM at the start of its input; only the file's own first one is dropped."""
    import sparkwing.lake._delimited as delimited

    monkeypatch.setattr(delimited, "ARROW_CHUNK_SIZES", (1,))  # a chunk per line
    good, bad, _ = read(tmp_path / "f.csv", "\ufeffa,b\n1,2\n\ufeff3,4\n".encode())
    assert good == [(2, ["1", "2"]), (3, ["\ufeff3", "4"])] and bad == []


def test_bad_bytes_on_a_line_after_an_unterminated_quote_are_quarantined(tmp_path):
    """The line is read again after the resynchronisation: still ``not valid utf-8 text``."""
    good, bad, _ = read(tmp_path / "f.csv", b'a,b\n8,"""\n\xff,9\n7,"q"r\n1,2\n', names=None)
    assert good == [(5, ["1", "2"])]
    assert bad == [
        (2, '8,"""', "unterminated quote"),
        (3, "\\xff,9", "not valid utf-8 text"),
        (4, '7,"q"r', "text after a closing quote"),
    ]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    pieces=st.lists(st.sampled_from(_GOOD * 4 + _FAULTS), min_size=1, max_size=80),
    split_bytes=st.sampled_from([5, 7, 11, 23, 61, 150]),
    header=st.booleans(),
    rounds=st.sampled_from([0, 1, 4]),
)
def test_a_repaired_split_plan_reads_the_rows_of_one_sequential_read(
    tmp_path_factory, pieces, split_bytes, header, rounds
):
    """After a stray quote the splits are re-planned and only the new ones parsed (a split
    between two, or one parsed again from its true start, its rows dropped): the rows, lines,
    raw texts and reasons are those of the file read as one split -- also when the repairs
    run out and the file is read whole."""
    from sparkwing.lake._lines import parse_local_aligned

    text = ("a,b\n" if header else "") + "".join(pieces)
    data = text.encode("utf-8", "surrogateescape").replace(b"\xc3\xbf", b"\xff")
    path = tmp_path_factory.mktemp("r") / "f.csv"
    path.write_bytes(data)
    files = [SourceFile(str(path), len(data))]
    fmt = CsvFormat(names=("a", "b"), header=("a", "b") if header else None)
    splits = scan_local(plan_splits(files, split_bytes), None, '"')
    table, plan = parse_local_aligned(fmt, splits, rounds=rounds)
    whole = parse_local(fmt, whole_files(splits, [str(path)])).to_pylist()
    key = lambda r: (r[LINE], str(r))  # noqa: E731
    assert sorted(table.to_pylist(), key=key) == sorted(whole, key=key)
    assert not any(r[REASON] == RESYNC for r in parse_local(fmt, plan).to_pylist())


def test_a_stray_quote_costs_a_few_records_not_a_sequential_read(tmp_path):
    """A stray quote flips the quote parity every later split is placed by: each boundary is
    repaired by a small split of the records in between, not by reading the file again."""
    from sparkwing.lake._lines import parse_local_aligned

    rows = [f'{i},"note {i}"\n' if i % 3 else f"{i},plain\n" for i in range(2000)]
    rows[11] = '11,"open\n'  # an unterminated quote: flips the parity of all that follows
    rows[900] = '900,say "hi\n'  # a quote inside an unquoted field: flips it back
    data = ("a,b\n" + "".join(rows)).encode()
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    fmt = CsvFormat(names=("a", "b"), header=("a", "b"))
    splits = scan_local(plan_splits([SourceFile(str(path), len(data))], 4096), None, '"')
    parsed: list[int] = []
    real = parse_local

    def counting(fmt, todo, s3=None):
        parsed.extend(s.end - s.start if s.end >= 0 else len(data) - s.start for s in todo)
        return real(fmt, todo, s3)

    import sparkwing.lake._lines as lines

    lines_parse = lines.parse_local
    lines.parse_local = counting
    try:
        table, plan = parse_local_aligned(fmt, splits)
    finally:
        lines.parse_local = lines_parse
    assert len(splits) > 5 and len(plan) > len(splits)  # bridges were added
    assert sum(parsed) - len(data) < len(data) // 4  # read again: a small share of the file
    got = sorted(table.to_pylist(), key=lambda r: r[LINE])
    assert [r[LINE] for r in got] == list(range(2, 2002))
    assert [(r[LINE], r[REASON]) for r in got if r[REASON]] == [(13, "unterminated quote")]


def test_a_wrong_width_record_with_bad_bytes_is_quarantined_quietly(tmp_path, capfd):
    """Arrow decodes a left-out record's text for its handler; on bad bytes that fails and
    prints a traceback, so the handler is not used on a chunk that is not valid UTF-8."""
    good, bad, _ = read(tmp_path / "f.csv", b"a,b\n1,2\n\xff,2,3\n4,5\n7\n")
    assert [n for n, _ in good] == [2, 4]
    assert bad == [(3, "\\xff,2,3", "not valid utf-8 text"), (5, "7", "1 fields, expected 2")]
    assert "Traceback" not in capfd.readouterr().err
