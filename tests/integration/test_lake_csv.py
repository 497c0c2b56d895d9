"""CSV/TSV through read_source on the real local Spark: both paths, the contract's reasons."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sparkwing.config import SourceSpec
from sparkwing.lake import SourceContext, SourceResult, read_source
from sparkwing.workspace import Workspace

pytestmark = pytest.mark.spark


@pytest.fixture()
def ctx(settings, tmp_path: Path) -> SourceContext:
    return SourceContext(settings, Workspace(tmp_path / "ws"), "p", "r1", tmp_path)


def records(r: SourceResult) -> list[tuple[int, str, str]]:
    """(line, raw, reason) of every quarantine record; checks that the counts reconcile."""
    out = []
    if r.quarantine_uri:
        for f in sorted(Path(r.quarantine_uri).glob("*.json")):
            out += [json.loads(x) for x in f.read_text().splitlines() if x.strip()]
    assert r.rows_read == r.rows_accepted + r.rows_quarantined
    assert r.df.count() == r.rows_accepted
    assert len(out) == r.rows_quarantined == sum(r.reasons.values())
    return sorted((rec["line"], rec["raw"], rec["reason"]) for rec in out)


def read(spark, ctx, name: str, data: bytes | str, **spec):
    path = ctx.base_dir / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    spec.setdefault("max_quarantine_share", 1)
    return read_source(spark, name.split(".")[0], SourceSpec(uri=name, **spec), ctx)


def test_quoted_line_breaks_bare_cr_and_mixed_endings(spark, ctx):
    data = 'id,note,amount\r1,"two\nlines",10\r\n2,"cr\rinside",20\n3,plain,30\r4,"x",oops\r'
    r = read(spark, ctx, "m.csv", data, columns={"id": "int", "note": "string", "amount": "int"})
    assert records(r) == [(7, '4,"x",oops', "amount: 'oops' is not an int")]
    rows = sorted(tuple(x) for x in r.df.collect())
    assert rows == [(1, "two\nlines", 10), (2, "cr\rinside", 20), (3, "plain", 30)]
    r.release()


def test_bare_cr_file_on_the_fast_path_infers_types(spark, ctx):
    r = read(spark, ctx, "cr.csv", "a,b\r1,x\r2,y\r3\r")
    assert records(r) == [(4, "3", "1 fields, expected 2")]
    assert dict(r.df.dtypes) == {"a": "int", "b": "string"} and r.rows_accepted == 2


def test_unterminated_quote_keeps_the_rows_after_it(spark, ctx):
    data = 'id,name\n1,"alice\n2,bob\n3,"carol"\n4,dan\n'
    r = read(spark, ctx, "u.csv", data)
    assert records(r) == [(2, '1,"alice', "unterminated quote")]
    assert sorted(tuple(x) for x in r.df.collect()) == [(2, "bob"), (3, "carol"), (4, "dan")]


def test_repeated_header_bom_quoted_numbers_wrong_counts(spark, ctx):
    data = '\ufeffid,amount\n"1","2.5"\nid,amount\n2,3\n4,5,6\n'.encode()
    r = read(spark, ctx, "h.csv", data)
    assert records(r) == [(3, "id,amount", "repeated header"), (5, "4,5,6", "3 fields, expected 2")]
    assert dict(r.df.dtypes) == {"id": "int", "amount": "double"}
    assert sorted(tuple(x) for x in r.df.collect()) == [(1, 2.5), (2, 3.0)]


def test_fraction_in_an_int_column_is_quarantined_with_its_line(spark, ctx):
    r = read(spark, ctx, "i.csv", "n,s\n1,a\n2.5,b\n3,c\n", columns={"n": "int"})
    assert records(r) == [(3, "2.5,b", "n: '2.5' is not an int")]
    assert r.df.columns == ["n"]  # declared columns project the data
    assert r.reasons == {"n: not an int": 1}


def test_date_and_timestamp_formats_and_bad_values_do_not_abort(spark, ctx):
    data = "day\twhen\tv\n1/2/21\t2021-01-02 03:04:05\t1\n13/45/21\t2021-13-45 00:00:00\t2\n2/3/21\tnope\t3\n"
    spec = {
        "format": "tsv",
        "columns": {"day": {"type": "date", "format": "M/d/yy"}, "when": "timestamp"},
        "timestamp_format": "yyyy-MM-dd HH:mm:ss",
    }
    r = read(spark, ctx, "t.tsv", data, **spec)
    assert records(r) == [
        (3, "13/45/21\t2021-13-45 00:00:00\t2", "day: '13/45/21' is not a valid date (M/d/yy)"),
        (4, "2/3/21\tnope\t3", "when: 'nope' is not a valid timestamp (yyyy-MM-dd HH:mm:ss)"),
    ]
    (row,) = r.df.collect()
    assert str(row["day"]) == "2021-01-02" and str(row["when"]) == "2021-01-02 03:04:05"


def test_source_date_format_drives_inference(spark, ctx):
    r = read(spark, ctx, "d.csv", 'id,day\n1,"1/2/21"\n2,12/31/20\n', date_format="M/d/yy")
    assert records(r) == []
    assert dict(r.df.dtypes)["day"] == "date"


def test_several_null_markers_on_the_record_reader(spark, ctx):
    r = read(spark, ctx, "n.csv", "a,b\n1,NA\n-,x\n3,y\n", null_values=["", "NA", "-"])
    assert records(r) == []
    assert sorted((x["a"] or 0, x["b"]) for x in r.df.collect()) == [(0, "x"), (1, None), (3, "y")]


def test_large_file_in_many_splits_reads_like_one(spark, ctx, monkeypatch):
    import sparkwing.lake._delimited as delimited

    monkeypatch.setattr(delimited, "SPLIT_BYTES", 4096)
    body = "".join(
        f'{i},"note {i}\nmore",{i % 7}\n' if i % 50 == 0 else f"{i},n{i},{i % 7}\n" for i in range(3000)
    )
    data = "id,note,k\n" + body + '3000,"stray,1\n3001,z,2\n'
    r = read(spark, ctx, "big.csv", data, columns={"id": "int", "note": "string", "k": "int"})
    line_of_stray = 2 + 3000 + 3000 // 50
    assert records(r) == [(line_of_stray, '3000,"stray,1', "unterminated quote")]
    assert r.rows_accepted == 3001
    ids = [x["id"] for x in r.df.orderBy("id").collect()]
    assert ids == list(range(3000)) + [3001]


def _stray_quotes_file(n: int = 1000) -> str:
    """Multi-line notes, stray quotes, wrong widths, text after a quote: the quote parity that
    places the splits is wrong after every stray quote."""
    import random

    rnd = random.Random(5)
    rows = []
    for i in range(n):
        pick = rnd.random()
        if pick < 0.04:
            rows.append(f'{i},"stray {i},{i % 7}\n')
        elif pick < 0.06:
            rows.append(f'{i},say "hi,{i % 7}\n')
        elif pick < 0.2:
            more = "more\n" * rnd.randint(1, 30)
            rows.append(f'{i},"note {i}\n{more}end",{i % 7}\n')
        elif pick < 0.22:
            rows.append(f'{i},"x"y,{i % 7}\n')
        elif pick < 0.24:
            rows.append(f"{i},{i % 7}\n")
        else:
            rows.append(f"{i},n{i},{'q' if i % 97 == 3 else i % 7}\n")
    return "id,note,k\n" + "".join(rows)


@pytest.mark.parametrize(("rounds", "on_driver"), [(None, 5), (0, 10_000)])
def test_stray_quotes_across_many_splits_read_like_one_split(spark, ctx, monkeypatch, rounds, on_driver):
    """Every split after a stray quote is placed wrongly by the parity; the plan is repaired
    with a few records per boundary (or, with no repairs left, the file is read whole): the
    same records, lines, raw texts and rows as the file read as one split."""
    import sparkwing.lake._delimited as delimited
    import sparkwing.lake._lines as lines

    data = _stray_quotes_file()
    cols = {"id": "int", "note": "string", "k": "int"}
    whole = read(spark, ctx, "one.csv", data, columns=cols)
    want, want_rows = records(whole), sorted(tuple(x) for x in whole.df.collect())
    whole.release()
    assert len(want) > 80 and any(reason == "unterminated quote" for _, _, reason in want)
    monkeypatch.setattr(delimited, "SPLIT_BYTES", 2048)  # 12 splits: a small split added, 3 read again
    monkeypatch.setattr(delimited, "QUARANTINE_ON_DRIVER", on_driver)
    if rounds is not None:
        monkeypatch.setattr(lines, "REALIGN_ROUNDS", rounds)
    folded: list[str] = []
    real = lines.whole_files
    monkeypatch.setattr(lines, "whole_files", lambda s, uris: folded.extend(uris) or real(s, uris))
    r = read(spark, ctx, "many.csv", data, columns=cols)
    assert bool(folded) == (rounds == 0)  # repaired in rounds, or (none left) read whole
    assert records(r) == want
    assert sorted(tuple(x) for x in r.df.collect()) == want_rows
    r.release()


def test_fast_path_many_splits_line_numbers(spark, ctx, monkeypatch):
    import sparkwing.lake._delimited as delimited

    monkeypatch.setattr(delimited, "SPLIT_BYTES", 2048)
    lines = [f"{i},{'x' if i % 997 == 5 else i}" for i in range(2000)]
    r = read(spark, ctx, "f.csv", "a,b\r\n" + "\r\n".join(lines) + "\r\n", columns={"a": "int", "b": "int"})
    assert records(r) == [(i + 2, f"{i},x", "b: 'x' is not an int") for i in range(2000) if i % 997 == 5]


def test_text_after_a_closing_quote_is_quarantined_on_every_path(spark, ctx):
    # One-line records only (the fast path's kind of file): must read like the record reader.
    data = 'id,name\n1,"a"b\n2,"c"\n3,"d""e"\n'
    r = read(spark, ctx, "tq.csv", data)
    assert records(r) == [(2, '1,"a"b', "text after a closing quote")]
    assert sorted(tuple(x) for x in r.df.collect()) == [(2, "c"), (3, 'd"e')]


def test_cells_spark_casts_but_its_csv_parser_refuses_read_alike_on_every_path(spark, ctx):
    """A declared boolean '1' or int ' 12': Spark's CSV parser refuses them, Spark's cast (the
    record reader's) takes them.  A clean file used to quarantine them as 'malformed record'
    while the same rows beside a stray quote were accepted; now both read them as the cast."""
    cols = {"id": "int", "flag": "boolean", "n": "int"}
    body = 'id,flag,n\n1,true,5\n2,1,6\n3,false, 12\n4,yes,x\n'
    clean = read(spark, ctx, "c1.csv", body, columns=cols)
    stray = read(spark, ctx, "c2.csv", body + '5,"open\n', columns=cols)
    assert records(clean) == [(5, "4,yes,x", "n: 'x' is not an int")]
    assert records(stray) == records(clean) + [(6, '5,"open', "unterminated quote")]
    for r in (clean, stray):
        assert sorted(tuple(x) for x in r.df.collect()) == [(1, True, 5), (2, True, 6), (3, False, 12)]


@pytest.mark.parametrize("kind", ["fast", "records"])
def test_many_bad_rows_are_written_from_the_executors(spark, ctx, monkeypatch, kind):
    """Over QUARANTINE_ON_DRIVER bad rows the driver collects none of them; counts reconcile."""
    from pyspark.sql import DataFrame

    import sparkwing.lake._delimited as delimited

    monkeypatch.setattr(delimited, "QUARANTINE_ON_DRIVER", 20)
    collected: list[int] = []
    real = DataFrame.collect

    def spy(self):
        rows = real(self)
        collected.append(len(rows))
        return rows

    monkeypatch.setattr(DataFrame, "collect", spy)
    multi = kind == "records"
    lines = []
    for i in range(600):
        if i % 3 == 1:
            lines.append(f"{i},x{i},{i}")  # n: not an int
        elif i % 3 == 2:
            lines.append(f"{i},{i},{i},{i}")  # 4 fields
        else:
            lines.append(f'{i},{i},"note\n{i}"' if multi and i % 2 == 0 else f"{i},{i},n{i}")
    data = "id,n,note\n" + "\n".join(lines) + "\n"
    r = read(spark, ctx, f"many_{kind}.csv", data, columns={"id": "int", "n": "int", "note": "string"})
    got = records(r)
    assert r.rows_quarantined == 400 and r.rows_accepted == 200
    assert r.reasons == {"n: not an int": 200, "4 fields, expected 3": 200}
    line = {}  # physical line of each record
    k = 2
    for i, text in enumerate(lines):
        line[i] = k
        k += text.count("\n") + 1
    expected = sorted(
        (line[i], lines[i], f"n: 'x{i}' is not an int" if i % 3 == 1 else "4 fields, expected 3")
        for i in range(600)
        if i % 3
    )
    assert got == expected
    assert max(collected, default=0) < 20  # no collect brought the bad rows to the driver


def test_counts_and_types_from_the_record_readers_splits_need_no_aggregate(spark, ctx, monkeypatch):
    """The record reader counts its records per split and classifies their cells; with no
    declared type to cast and every inferred type decided, settle runs no aggregate over the
    cache, and the counts, reasons, types, rows and quarantine are those of the aggregate."""
    from pyspark.sql import DataFrame

    import sparkwing.lake._delimited as delimited

    monkeypatch.setattr(delimited, "SPLIT_BYTES", 2048)
    rows = [f"{i},w{i % 13},{i * 0.5},{'true' if i % 2 else 'false'},{i * 3}\n" for i in range(600)]
    rows[50] = '50,"stray,1.5,true,9\n'  # unterminated quote
    rows[70] = "70,short\n"  # 2 fields
    rows[300] = "id,name,x,flag,n\n"  # the header again
    rows[400] = '400,"a"b,2.5,false,1\n'  # text after a closing quote
    data = "id,name,x,flag,n\n" + "".join(rows)
    aggs: list[int] = []
    real_agg = DataFrame.agg
    monkeypatch.setattr(DataFrame, "agg", lambda self, *a: aggs.append(1) or real_agg(self, *a))
    fast = read(spark, ctx, "c.csv", data)
    got = (records(fast), fast.reasons, fast.df.dtypes, sorted(map(tuple, fast.df.collect())))
    fast.release()
    assert not aggs
    real_settle = delimited.settle
    monkeypatch.setattr(delimited, "settle", lambda df, **kw: real_settle(df, **(kw | {"counted": None})))
    slow = read(spark, ctx, "c2.csv", data)
    want = (records(slow), slow.reasons, slow.df.dtypes, sorted(map(tuple, slow.df.collect())))
    slow.release()
    assert aggs  # (the reference did aggregate)
    assert got == want
    assert dict(got[2]) == {"id": "int", "name": "string", "x": "double", "flag": "boolean", "n": "int"}
    assert set(got[1]) == {"unterminated quote", "2 fields, expected 5", "repeated header",
                           "text after a closing quote"}  # fmt: skip
