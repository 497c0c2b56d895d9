"""read_source / write_output against the real local Spark, with shipped and generated files."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from sparkwing.config import SourceSpec
from sparkwing.errors import SourceError
from sparkwing.lake import SourceContext, SourceResult, read_source, write_output
from sparkwing.workspace import Workspace

pytestmark = pytest.mark.spark
DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture()
def ctx(settings, tmp_path: Path) -> SourceContext:
    return SourceContext(settings, Workspace(tmp_path / "ws"), "p", "r1", DATA)


def quarantined(r: SourceResult) -> list[dict]:
    if r.quarantine_uri is None:
        return []
    lines = []
    for f in sorted(Path(r.quarantine_uri).glob("*.json")):
        lines += [json.loads(x) for x in f.read_text().splitlines() if x.strip()]
    return lines


def reconciles(r: SourceResult) -> list[dict]:
    """Every count agrees with the data and the quarantine folder; returns the records."""
    records = quarantined(r)
    assert r.rows_read == r.rows_accepted + r.rows_quarantined
    assert r.df.count() == r.rows_accepted
    assert len(records) == r.rows_quarantined == sum(r.reasons.values())
    assert r.fingerprint["rows_read"] == r.rows_read
    assert all(rec["reason"] and rec["raw"] is not None for rec in records)
    return records


def test_loan_csv_types_are_inferred(spark, ctx):
    r = read_source(spark, "loans_raw", SourceSpec(uri="loan.csv"), ctx)
    reconciles(r)
    assert (r.rows_read, r.rows_quarantined, r.quarantine_uri) == (999, 0, None)
    types = dict(r.df.dtypes)
    assert types["loan_amnt"] == "int" and types["int_rate"] == "double" and types["term"] == "string"
    assert types["bad_loan"] == "int"
    fp = r.fingerprint
    assert fp["uri"] == str(DATA / "loan.csv") and fp["size_bytes"] == (DATA / "loan.csv").stat().st_size
    assert fp["modified"] and fp["format"] == "csv"
    r.release()


def test_declared_columns_and_chicago_inference(spark, ctx):
    r = read_source(spark, "iris", SourceSpec(uri="iris_wheader.csv", columns={"sepal_len": "float"}), ctx)
    assert r.rows_accepted == 150 and dict(r.df.dtypes)["sepal_len"] == "float"
    c = read_source(spark, "crimes", SourceSpec(uri=f"file://{DATA}/chicagoCrimes10k.csv"), ctx)
    types = dict(c.df.dtypes)
    assert c.rows_accepted == 9999 and types["Arrest"] == "boolean" and types["Latitude"] == "double"
    assert types["Case Number"] == "string"


BAD_CSV = """id,name,amount
1,alice,10.5
2,"bob, jr",20
3,carol
4,dave,abc
5,"eve,30
6,frank,40,extra
7,gina,NA
8,,
"""


def test_malformed_lines_and_uncastable_values_are_quarantined(spark, ctx, tmp_path):
    (tmp_path / "bad.csv").write_text(BAD_CSV)
    columns = {"id": "int", "name": "string", "amount": "double"}
    spec = SourceSpec(uri="bad.csv", columns=columns, max_quarantine_share=0.6)
    r = read_source(spark, "bad", spec, ctx.__class__(**{**ctx.__dict__, "base_dir": tmp_path}))
    records = reconciles(r)
    assert (r.rows_read, r.rows_accepted, r.rows_quarantined) == (8, 4, 4)
    assert r.reasons == {"2 fields, expected 3": 1, "unterminated quote": 1, "4 fields, expected 3": 1,
                         "amount: not a double": 1}  # fmt: skip
    assert r.quarantine_uri == ctx.workspace.quarantine("p", "r1", "bad")
    got = sorted((rec["line"], rec["raw"], rec["reason"]) for rec in records)
    assert got == [
        (4, "3,carol", "2 fields, expected 3"),
        (5, "4,dave,abc", "amount: 'abc' is not a double"),
        (6, '5,"eve,30', "unterminated quote"),
        (7, "6,frank,40,extra", "4 fields, expected 3"),
    ]
    assert all(rec["file"] == str(tmp_path / "bad.csv") for rec in records)
    rows = {row["id"]: row for row in r.df.collect()}
    assert rows[2]["name"] == "bob, jr" and rows[7]["amount"] is None and rows[8]["name"] is None


def test_quarantine_share_over_limit_raises(spark, ctx, tmp_path):
    (tmp_path / "bad.csv").write_text(BAD_CSV)
    spec = SourceSpec(uri=str(tmp_path / "bad.csv"), columns={"amount": "double"})
    with pytest.raises(SourceError) as info:
        read_source(spark, "bad", spec, ctx)
    msg = str(info.value)
    assert "'bad'" in msg and "4 of 8 rows (50.0%)" in msg
    assert ctx.workspace.quarantine("p", "r1", "bad") in msg
    assert "\n" not in msg and len(quarantined_dir(ctx, "bad")) == 4


def quarantined_dir(ctx: SourceContext, name: str) -> list[str]:
    folder = Path(ctx.workspace.quarantine("p", "r1", name))
    return [x for f in folder.glob("*.json") for x in f.read_text().splitlines() if x.strip()]


def test_missing_file_is_a_one_line_source_error(spark, ctx):
    with pytest.raises(SourceError, match=r"source 'gone': not found: .*nope\.csv$") as info:
        read_source(spark, "gone", SourceSpec(uri="nope.csv"), ctx)
    assert info.value.hint and "resolve against" in info.value.hint


def test_binary_garbage_is_a_clear_error(spark, ctx, tmp_path):
    (tmp_path / "junk.csv").write_bytes(bytes(range(256)) * 40)
    with pytest.raises(SourceError, match="binary"):
        read_source(spark, "junk", SourceSpec(uri=str(tmp_path / "junk.csv")), ctx)


def test_files_compressed_by_another_codec_than_gzip_are_a_clear_error(spark, ctx, tmp_path):
    """Read as text, a bzip2 or zip file's bytes would be quarantined line by line (or, for a
    clean-path read by Spark, decompressed where sparkwing's passes read text)."""
    import bz2

    (tmp_path / "a.csv.bz2").write_bytes(bz2.compress(b"a,b\n1,2\n"))
    with pytest.raises(SourceError, match=r"a\.csv\.bz2 is named as bzip2-compressed; .* gzip") as info:
        read_source(spark, "b", SourceSpec(uri=str(tmp_path / "a.csv.bz2"), format="csv"), ctx)
    assert info.value.hint == "decompress it, or recompress it with gzip"
    (tmp_path / "j.jsonl.ZIP").write_text('{"a": 1}\n')  # plain text, but named as zip
    with pytest.raises(SourceError, match="zip-compressed"):
        read_source(spark, "z", SourceSpec(uri=str(tmp_path / "j.jsonl.ZIP"), format="json"), ctx)


def test_text_garbage_is_quarantined_over_limit(spark, ctx, tmp_path):
    (tmp_path / "noise.csv").write_bytes(b"a,b,c\n" + b"\xff\xfe\x80 noise \x81\n" * 50 + b"1,2,3\n")
    with pytest.raises(SourceError, match=r"50 of 51 rows"):
        read_source(spark, "noise", SourceSpec(uri=str(tmp_path / "noise.csv")), ctx)


def test_gzip_tsv_headerless_and_directory(spark, ctx, tmp_path):
    with gzip.open(tmp_path / "part.csv.gz", "wt") as fh:
        fh.write("a,b\n1,x\n2,y\n")
    (tmp_path / "t.tsv").write_text("a\tb\n1\tx y\n2\t\n")
    (tmp_path / "nh.csv").write_text("1;x\n2;y\n3\n")
    (tmp_path / "dir").mkdir()
    for i in range(2):
        (tmp_path / "dir" / f"p{i}.csv").write_text(f"a,b\n{i},z\n")
    (tmp_path / "dir" / "_SUCCESS").write_text("")
    base = ctx.__class__(**{**ctx.__dict__, "base_dir": tmp_path})
    g = read_source(spark, "g", SourceSpec(uri="part.csv.gz"), base)
    assert g.rows_accepted == 2 and dict(g.df.dtypes)["a"] == "int"
    t = read_source(spark, "t", SourceSpec(uri="t.tsv"), base)
    assert sorted(tuple(r) for r in t.df.collect()) == [(1, "x y"), (2, None)]
    spec = SourceSpec(uri="nh.csv", header=False, delimiter=";", columns={"n": "int", "s": "string"},
                      max_quarantine_share=0.5)  # fmt: skip
    n = read_source(spark, "nh", spec, base)
    reconciles(n)
    assert n.df.columns == ["n", "s"] and (n.rows_accepted, n.rows_quarantined) == (2, 1)
    d = read_source(spark, "d", SourceSpec(uri="dir", format="csv"), base)
    assert d.rows_accepted == 2 and d.fingerprint["files"] == 2


def test_json_lines_parquet_orc(spark, ctx, tmp_path):
    import pyarrow as pa
    import pyarrow.orc as orc
    import pyarrow.parquet as pq

    (tmp_path / "e.jsonl").write_text('{"a": 1, "b": "x"}\n{"a": 2, "b": "y"}\n{"a": 3, "b"\n{"a": "q"}\n')
    base = ctx.__class__(**{**ctx.__dict__, "base_dir": tmp_path})
    spec = SourceSpec(uri="e.jsonl", columns={"a": "int"}, max_quarantine_share=0.5)
    j = read_source(spark, "j", spec, base)
    records = reconciles(j)
    assert j.rows_read == 4 and j.reasons == {"invalid JSON: unexpected end of data": 1, "a: not an int": 1}
    assert {(r["line"], r["raw"]) for r in records} == {(3, '{"a": 3, "b"'), (4, '{"a": "q"}')}
    assert j.df.columns == ["a"] and j.extra_keys == {"b": 2}
    table = pa.table({"x": [1, 2, 3], "s": ["1", "2", "oops"]})
    pq.write_table(table, tmp_path / "t.parquet")
    orc.write_table(table, str(tmp_path / "t.orc"))
    p = read_source(spark, "p", SourceSpec(uri="t.parquet"), base)
    assert (p.rows_read, p.rows_quarantined) == (3, 0) and dict(p.df.dtypes)["x"] == "bigint"
    o = read_source(spark, "o", SourceSpec(uri="t.orc", columns={"s": "int"}, max_quarantine_share=0.5), base)
    reconciles(o)
    assert (o.rows_accepted, o.rows_quarantined) == (2, 1) and dict(o.df.dtypes)["s"] == "int"


def test_arff_files(spark, ctx, tmp_path):
    cg = read_source(spark, "credit", SourceSpec(uri="credit-g.arff"), ctx)
    assert cg.rows_accepted == 1000 and dict(cg.df.dtypes)["duration"] == "double"
    field = cg.df.schema["class"]
    assert field.metadata["sparkwing"]["nominal"] == ["good", "bad"]
    vote = read_source(spark, "vote", SourceSpec(uri="vote.arff"), ctx)
    assert vote.rows_accepted == 435
    assert vote.df.filter(vote.df["water-project-cost-sharing"].isNull()).count() > 0
    (tmp_path / "b.arff").write_text(
        "@relation r\n@attribute x numeric\n@attribute c {a,b}\n@data\n1,a\nzz,a\n2,q\n3\n4,'b'\n"
    )
    base = ctx.__class__(**{**ctx.__dict__, "base_dir": tmp_path})
    b = read_source(spark, "b", SourceSpec(uri="b.arff", max_quarantine_share=1), base)
    records = reconciles(b)
    assert (b.rows_read, b.rows_accepted) == (5, 2)
    assert b.reasons == {
        "x: not a number": 1, "c: not in the nominal domain": 1,
        "wrong number of values (expected 2, got 1)": 1,
    }  # fmt: skip
    assert {(r["line"], r["raw"]) for r in records} == {(6, "zz,a"), (7, "2,q"), (8, "3")}
    (tmp_path / "h.arff").write_text("@relation r\n@attribute x numeric\n@attribute y {a,b\n@data\n1,a\n")
    with pytest.raises(SourceError, match=r"source 'h': .*h\.arff: ARFF header line 3: .*'y'"):
        read_source(spark, "h", SourceSpec(uri="h.arff"), base)


def test_svmlight_named_columns_and_bad_lines(spark, ctx, tmp_path):
    train = read_source(spark, "agaricus", SourceSpec(uri="agaricus.txt.train", format="svmlight"), ctx)
    assert train.rows_accepted == 6513 and train.df.columns[:2] == ["label", "f1"]
    assert len(train.df.columns) == 127 and train.df.agg({"label": "sum"}).first()[0] == 3140
    (tmp_path / "s.svm").write_text("1 1:0.5 3:2\n0 2:1\n# comment\nx 1:1\n1 9:1\n")
    base = ctx.__class__(**{**ctx.__dict__, "base_dir": tmp_path})
    spec = SourceSpec(uri="s.svm", label_column="y", feature_prefix="x", n_features=4, max_quarantine_share=1)
    s = read_source(spark, "s", spec, base)
    reconciles(s)
    assert s.df.columns == ["y", "x1", "x2", "x3", "x4"]
    rows = [tuple(r) for r in s.df.orderBy("x2").collect()]
    assert rows == [(1.0, 0.5, 0.0, 2.0, 0.0), (0.0, 0.0, 1.0, 0.0, 0.0)]
    assert s.reasons == {"label is not a number": 1, "feature index beyond n_features 4": 1}
    assert {(r["line"], r["raw"]) for r in quarantined(s)} == {(4, "x 1:1"), (5, "1 9:1")}
    assert s.zero_based is not None and s.zero_based.to_dict()["zero_based"] is False


def test_write_output_round_trip(spark, ctx, settings, tmp_path):
    r = read_source(spark, "iris", SourceSpec(uri="iris_wheader.csv"), ctx)
    for fmt in ("parquet", "orc", "csv"):
        out = write_output(r.df, f"out/iris_{fmt}", fmt, settings=settings, base_dir=tmp_path)
        assert out == str(tmp_path / "out" / f"iris_{fmt}")
        again = write_output(r.df.limit(10), out, fmt, settings=settings, base_dir=tmp_path)
        reader = spark.read.option("header", "true") if fmt == "csv" else spark.read
        assert reader.format(fmt).load(again).count() == 10
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]


def test_overlapping_uncompressed_cache_windows_restore_the_session_setting(spark) -> None:
    # Before: two reads whose windows overlapped (threads of one session) each saved the setting
    # they found; the second saved "false" and restored it last, leaving the session uncompressed.
    from sparkwing.lake._quarantine import uncompressed_cache

    key = "spark.sql.inMemoryColumnarStorage.compressed"
    spark.conf.set(key, "true")
    first, second = uncompressed_cache(spark), uncompressed_cache(spark)
    first.__enter__()
    second.__enter__()
    assert spark.conf.get(key) == "false"
    first.__exit__(None, None, None)
    assert spark.conf.get(key) == "false"  # the second window is still open
    second.__exit__(None, None, None)
    assert spark.conf.get(key) == "true"


def test_spark_type_is_what_the_jvm_parses(spark):
    """The types built in Python for the schema are the ones Spark's own DDL parser gives."""
    from pyspark.sql import types as T

    from sparkwing.lake._quarantine import _ALIASES, spark_type

    for sql in sorted({*_ALIASES.values(), "decimal(10,2)", "decimal(38,0)", "array<int>"}):
        assert spark_type(sql) == T._parse_datatype_string(sql), sql
