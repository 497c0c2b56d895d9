"""Pass 1's line pattern for fully declared CSV files (``_csv_infer.line_pattern``).

A line the pattern matches is counted and classed without Arrow's parse, and the quote
analysis of :class:`CsvProbe` skips it.  Whatever the text, the block cuts and the declared
types, pass 1 must say exactly what it says without the pattern: every field of the probe's
result, and of the inference the rows, the header and edge pieces and, per declared column,
whether its cells fit (the only use of its classes), for a split Spark's line parser could
read (the only use of the inference)."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from sparkwing.lake._csv_infer import Inferrer, declared_fits, line_pattern
from sparkwing.lake._delimited import CsvProbe

_CELLS = ["0", "7", "-12", "+5", "123456789", "1234567890", "999999999999999999", "1" * 19, "2.5", ".5",
          "1.", "1e5", "true", "FALSE", "NA", "", '""', '"7"', '"a"', '"a,b"', '"x""y"', '""""', "abc", "a b",
          'a"b', "é", "\xff", '"\n"', '"open', " 1", "\x00"]  # fmt: skip
_TYPES = ["int", "bigint", "double", "float", "boolean", "string", "string"]


# Cells each declared type's pattern takes (most lines of a real file), and any other cell.
_GOOD = {
    "int": ["0", "7", "-12", "+5", "123456789", "", "NA"],
    "bigint": ["7", "-12", "999999999999999999", ""],
    "double": ["2.5", ".5", "-7", "", "NA"],
    "float": ["2.5", "3", ""],
    "boolean": ["true", "FALSE", ""],
    "string": ['"a"', '"a,b"', '"x""y"', '""""', '""', "abc", "a b", "é", "\xff", ""],
}

# Cells next to each type's pattern that it must leave to Arrow's parse and the classes.
_NEAR = {
    "int": ["9999999999", "2147483648", "1234567890", "1.5", '"7"', "1e3"],
    "bigint": ["9999999999999999999", "0x10", " 7"],
    "double": ["1.", "1e5", "NaN", "Infinity", "1.0d", '""'],
    "float": ["1e39", "-.", "+"],
    "boolean": ["1", "yes", "TRUE ", "t"],
    "string": ['a"b', '"a"b', '"a', "a\x00"],
}


@st.composite
def _files(draw):
    ncols = draw(st.integers(1, 4))
    types = draw(st.lists(st.sampled_from(_TYPES), min_size=ncols, max_size=ncols))
    header = ",".join(f"c{i}" for i in range(ncols))
    lines = [header]
    for _ in range(draw(st.integers(0, 40))):
        kind = draw(st.integers(0, 19))
        if kind == 0:  # a blank line, the header again, or a line of another width
            lines.append(draw(st.sampled_from(["", header, ",".join(["1"] * (ncols + 1)), "1"])))
        elif kind == 1:  # any cells
            lines.append(",".join(draw(st.sampled_from(_CELLS)) for _ in range(ncols)))
        else:  # cells of the column's type, now and then one just outside its pattern
            near = draw(st.integers(0, 3 * ncols))
            lines.append(",".join(draw(st.sampled_from(_NEAR[t] if i == near else _GOOD[t]))
                                  for i, t in enumerate(types)))  # fmt: skip
    eol = draw(st.sampled_from(["\n", "\n", "\n", "\r\n", "\r"]))
    text = eol.join(lines) + draw(st.sampled_from([eol, ""]))
    return types, header, text.encode("utf-8", "surrogateescape").replace(b"\xc3\xbf", b"\xff")


def _probe(types: list[str], header: str, null: str, pattern: bool) -> CsvProbe:
    checked = tuple(i for i, t in enumerate(types) if declared_fits(t, 0))
    line = line_pattern(list(types), checked, ",", '"', null) if pattern else None
    inferrer = Inferrer(len(types), checked, ",", '"', null, True, len(checked), *(line or (None, ())))
    return CsvProbe('"', header.encode(), "utf-8", ",", inferrer)


def _run(probe: CsvProbe, data: bytes, cuts: list[int], start: int) -> dict:
    split = SimpleNamespace(start=start)
    state = probe.begin(split)
    body = data[start:]
    pieces, i = [], 0
    for c in cuts * (len(body) // max(len(cuts), 1) + 1):
        if i >= len(body):
            break
        pieces.append(body[i : i + c])
        i += c
    for k, piece in enumerate(pieces):
        state = probe.feed(state, piece, k == 0 and start == 0)
    result = probe.end(state)
    # A state with text after a closing quote is refused whatever the split's end.
    ends = zip(result["ends_on_close"], result["no_text_after_quote"], strict=True)
    result["ends_on_close"] = [e and ok for e, ok in ends]
    return result


def _same(types, header, data, cuts, start, null):
    fast = _run(_probe(types, header, null, True), data, cuts, start)
    slow = _run(_probe(types, header, null, False), data, cuts, start)
    fi, si = fast.pop("infer"), slow.pop("infer")
    assert fast == slow
    # The inference is used only for files whose every split Spark's line parser reads
    # exactly for the quote state it starts in (``spark_can_parse``); else it may differ (a
    # quote left open makes Arrow's parse run on over the next lines, but not the pattern).
    states = zip(slow["no_quoted_break"], slow["no_text_after_quote"], strict=True)
    exact = slow["text"] and any(a and b for a, b in states)
    if not exact:
        return
    assert fi["ok"] == si["ok"]
    if si["ok"]:
        checked = [t for t in types if declared_fits(t, 0)]
        assert [fi[k] for k in ("rows", "head", "tail", "first_line")] == [
            si[k] for k in ("rows", "head", "tail", "first_line")
        ]
        fits = [[declared_fits(t, f) for t, f in zip(checked, r["flags"], strict=True)] for r in (fi, si)]
        assert fits[0] == fits[1]


@settings(max_examples=400, deadline=None)
@given(
    _files(),
    st.lists(st.integers(1, 200), min_size=1, max_size=8),
    st.integers(0, 30),
    st.sampled_from(["", "NA"]),
)
def test_line_pattern_changes_nothing_pass1_says(file, cuts, start, null):
    types, header, data = file
    assume(any(declared_fits(t, 0) for t in types))  # (else pass 1 infers nothing: no Inferrer)
    _same(types, header, data, cuts, min(start, len(data)) if start % 3 else 0, null)


@pytest.mark.parametrize(("typ", "cell"), [(t, c) for t, cells in _NEAR.items() for c in cells])
@pytest.mark.parametrize("cut", [7, 64, 1 << 20])
def test_a_cell_just_outside_its_pattern_is_judged_by_the_parse(typ, cell, cut):
    good = [",".join((_GOOD[typ][i % len(_GOOD[typ])], str(i))) for i in range(30)]
    data = "\n".join(["t,n", *good, f"{cell},5", *good, ""]).encode()
    for null in ("", "NA"):
        _same([typ, "int"], "t,n", data, [cut], 0, null)


def test_line_pattern_reads_the_usual_file_without_arrow(monkeypatch):
    """A declared file of plain cells is counted and classed by the pattern alone (no parse
    and no quote analysis between the first and last line break of a block)."""
    types = ["bigint", "string", "double", "boolean", "int"]
    rows = [f'{i},"w{i}, ""q""",{i}.5,{"true" if i % 2 else "FALSE"},{i % 7 if i % 5 else ""}'
            for i in range(500)]
    data = ("id,s,d,b,n\n" + "\n".join(rows) + "\n").encode()
    monkeypatch.setattr(Inferrer, "parse", lambda *a: pytest.fail("parsed"))
    probe = _probe(types, "id,s,d,b,n", "", True)
    result = _run(probe, data, [len(data)], 0)
    assert result["infer"]["ok"] and result["infer"]["rows"] == 500
    assert result["no_quoted_break"][0] and result["no_text_after_quote"][0] and result["text"]


@pytest.mark.parametrize("eol", ["\n", "\r\n"])
def test_lf_and_cr_lf_files_are_read_by_the_pattern(monkeypatch, eol):
    monkeypatch.setattr(Inferrer, "parse", lambda *a: pytest.fail("parsed"))
    data = eol.join(["a,b", *(f'{i},"{i}"' for i in range(300)), ""]).encode()
    result = _run(_probe(["int", "string"], "a,b", "", True), data, [len(data)], 0)
    assert result["infer"]["rows"] == 300 and result["no_quoted_break"][0]


def test_line_pattern_is_off_where_it_cannot_decide():
    assert line_pattern(["int", None], (0,), ",", '"', "") is None  # an inferred column
    assert line_pattern(["int", "date"], (0,), ",", '"', "") is None
    assert line_pattern(["int"], (0,), ",", '"', "") is None  # one column
    assert line_pattern(["int", "string"], (0,), "§", '"', "") is None  # not ASCII
    assert line_pattern(["int", "string"], (0,), ",", '"', "a,b") is None  # a marker with the delimiter
    assert line_pattern(["int", "string"], (0,), "\t", "'", "NA") is not None


def test_a_block_of_other_lines_turns_the_pattern_off():
    """Most lines of a block missing the pattern (quoted numbers, say): the rest of the split
    is parsed as before, without the pattern's cost on top."""
    probe = _probe(["int", "int"], "a,b", "", True)
    state = probe.begin(SimpleNamespace(start=0))
    data = b"a,b\n" + b"".join(b'"%d",%d\n' % (i, i) for i in range(100))
    state = probe.feed(state, data, True)
    assert state.infer.by_pattern is False and state.infer.rows == 100
    assert replace(state.infer).ok


def test_a_pattern_re2_refuses_leaves_the_split_to_the_parse():
    """Wider than MAX_PATTERN_COLUMNS: no pattern; and one RE2 will not compile (too large)
    turns the pattern off for the split, with the same result."""
    import sparkwing.lake._csv_infer as infer

    assert line_pattern(["int"] * (infer.MAX_PATTERN_COLUMNS + 1), (0,), ",", '"', "") is None
    data = b"a,b\n" + b"".join(b"%d,%d\n" % (i, i) for i in range(50))
    probe = _probe(["int", "int"], "a,b", "", True)
    probe = replace(probe, infer=replace(probe.infer, line="(?:[0-9]{1000}){1000}"))  # RE2 refuses it
    state = probe.begin(SimpleNamespace(start=0))
    state = probe.feed(state, data, True)
    assert state.infer.by_pattern is False and state.infer.rows == 50 and state.infer.ok
