"""Pass-1 CSV type inference against Spark's own ``inferSchema`` on hostile generated files.

The pass-1 rules (:mod:`sparkwing.lake._csv_infer`) must give exactly Spark 3.5's type for
every column they decide, and leave the others to Spark.  Each column of a generated file
mixes values from pools of hostile cells (ints beyond long, ``1e5``, `` 12``, ``+1``,
``NaN``, ``Infinity``, ``1.0d``, ``0x10``, dates, timestamps, ``true``/``TRUE``, empty cells,
words that start like a number or a time); its pass-1 type is compared with Spark's.
"""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path

import pytest

from sparkwing.config import SourceSpec
from sparkwing.lake import SourceContext, read_source
from sparkwing.lake._csv_infer import Inferrer, classify, spark_type
from sparkwing.workspace import Workspace

pytestmark = pytest.mark.spark

INTS = ["0", "7", "-3", "+1", "007", "-0", "2147483647", "-2147483648", "2147483648", "-2147483649",
        "123456789012345678", "9223372036854775807", "9223372036854775808", "-9223372036854775809",
        "123456789012345678901234567890", "9" * 39]  # fmt: skip
DOUBLES = ["1.5", ".5", "-.5", "+2.25", "0.0", "1.", "-1.", "1e5", "1E5", "1e-05", "1.5e1", "2.5E3", "1.e5",
           ".5e1", "1e0", "1.0d", "1.5f", "2D", "0x10", "0x1p3", "NaN", "Inf", "-Inf", "Infinity",
           "-Infinity", "+Infinity", "nan", "inf", " 12", "12 ", "1 ", " 1.5", "1,5", "1e400",
           "12345678901234567890.5"]  # fmt: skip
TIMES = ["2015-01-01", "2015-1-1", "2015-01", "2015", "2015-01-01 10:00:00", "2015-01-01T10:00:00Z",
         "2015-01-01 10:00:00.123", "2015-01-01T10:00:00+01:00", "10:00", "10:00:00", "T10:00", "T10",
         "2015-13-45", "01/02/2015", "2015 xyz", "2015T10", "2015-01-01 xyz", "20150101",
         "+2015-01-01", "-2015", " 2015-01-01", "2015-01-01 10:00 Europe/Paris"]  # fmt: skip
BOOLS = ["true", "TRUE", "False", "tRuE", "yes", "t", "f", "1", "0", "true ", " false"]
WORDS = ["abc", "36 months", "10+ years", "<1 year", "n/a", "TX", "IN", "NY", "NaNa", "Info", "Inferno", "In",
         "I", "N", "Na", "Tango", "T", "T:", "e5", "$5", "(5)", "1 2", "12 monkeys", "3x", "4d6", "5e", "-",
         "+", ".", "..", "--1", "1-", "1/2", "12:", "١٢٣", "１２", "x,y", 'say "hi"', "null", "NULL",
         " ", "\t7", "1\t2", "0x", "Nan", "NaN ", "Infinity ", "infinity", "TRUEX", "falsey",
         "T-1", "Tz"]  # fmt: skip
POOLS = [INTS, DOUBLES, TIMES, BOOLS, WORDS, INTS[:6], DOUBLES[:5]]


def _column(rng: random.Random, rows: int) -> list[str]:
    kind = rng.random()
    main = rng.choice(POOLS)
    if kind < 0.35:  # one pool, some empty cells
        cells = [rng.choice(main) for _ in range(rows)]
    elif kind < 0.7:  # mostly one pool, a few cells from another
        other = rng.choice(POOLS)
        cells = [rng.choice(other if rng.random() < 0.05 else main) for _ in range(rows)]
    else:  # anything
        cells = [rng.choice(rng.choice(POOLS)) for _ in range(rows)]
    if rng.random() < 0.5:
        for _ in range(rows // 10):
            cells[rng.randrange(rows)] = ""
    if rng.random() < 0.2:  # a single hostile cell in a long clean column
        cells = [rng.choice(main[:5]) for _ in range(rows)]
        cells[rng.randrange(rows)] = rng.choice(rng.choice(POOLS))
    return cells


def _file(rng: random.Random, ncols: int, rows: int) -> bytes:
    cols = [_column(rng, rows) for _ in range(ncols)]
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow([f"c{i}" for i in range(ncols)])
    for r in range(rows):
        w.writerow([cols[c][r] for c in range(ncols)])
    return out.getvalue().encode()


def _pass1(data: bytes, ncols: int, null_value: str) -> list[str | None]:
    inf = Inferrer(ncols, tuple(range(ncols)), ",", '"', null_value, True)
    body = data[data.index(b"\n") + 1 :]
    table = inf.parse(body, list(range(ncols)))
    assert table is not None
    return [spark_type(classify(col.combine_chunks(), null_value)) for col in table.columns]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_pass1_types_equal_spark_infer_schema(spark, tmp_path, seed):
    rng = random.Random(seed)
    ncols, null_value = 80, ("NA" if seed == 3 else "")
    data = _file(rng, ncols, 60)
    path = tmp_path / f"h{seed}.csv"
    path.write_bytes(data)
    opts = {"header": "true", "inferSchema": "true", "nullValue": null_value}
    want = [f.dataType.simpleString() for f in spark.read.options(**opts).csv(str(path)).schema.fields]
    got = _pass1(data, ncols, null_value)
    wrong = [(i, got[i], want[i]) for i in range(ncols) if got[i] is not None and got[i] != want[i]]
    assert not wrong, wrong
    decided = sum(t is not None for t in got)
    assert decided >= ncols // 3  # the rules decide a good share of even these columns


def test_read_source_uses_pass1_types_on_many_splits(spark, settings, tmp_path, monkeypatch):
    """End to end: a clean file in many splits; the types are Spark's, rows all read."""
    import sparkwing.lake._delimited as delimited

    monkeypatch.setattr(delimited, "SPLIT_BYTES", 4096)
    seen: list[object] = []
    orig = delimited.pass1_types
    monkeypatch.setattr(delimited, "pass1_types", lambda *a: seen.append(orig(*a)) or seen[-1])
    rng = random.Random(7)
    lines = ["id,amount,rate,big,flag,term,when,blank"]
    for i in range(3000):
        big = str(3_000_000_000 + i) if i == 2999 else str(i)  # the last line turns it long
        term = rng.choice(["36 months", "60 months", ""])
        flag = rng.choice(["true", "FALSE", ""])
        lines.append(f'{i},{rng.randint(-9, 9999)},{rng.random():.4f},{big},{flag},"{term}",x{i},')
    data = "\r\n".join(lines).encode()  # no final break: the last line is a split's tail
    path = tmp_path / "s.csv"
    path.write_bytes(data)
    ctx = SourceContext(settings, Workspace(tmp_path / "ws"), "p", "r1", tmp_path)
    r = read_source(spark, "s", SourceSpec(uri="s.csv", max_quarantine_share=1), ctx)
    want = spark.read.options(header="true", inferSchema="true").csv(str(path)).dtypes
    assert r.df.dtypes == want
    assert seen and seen[0] is not None  # decided in pass 1: no inferSchema job
    assert r.rows_read == r.rows_accepted == 3000
    r.release()


def test_every_hostile_cell_alone_and_next_to_each_type(spark, tmp_path):
    """Each pool value as a column of its own and beside an int, a double, a boolean, a word."""
    values = sorted({v for pool in POOLS for v in pool} - {""})
    companions = [None, "5", "2.5", "true", "word"]
    cols = [[v] * 2 if c is None else [v, c] for v in values for c in companions]
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow([f"c{i}" for i in range(len(cols))])
    for r in range(2):
        w.writerow([col[r] for col in cols])
    data = out.getvalue().encode()
    path = tmp_path / "each.csv"
    path.write_bytes(data)
    want = [
        f.dataType.simpleString() for f in spark.read.csv(str(path), header=True, inferSchema=True).schema
    ]
    got = _pass1(data, len(cols), "")
    wrong = [(cols[i], got[i], want[i]) for i in range(len(cols)) if got[i] is not None and got[i] != want[i]]
    assert not wrong, wrong
    assert sum(t is not None for t in got) >= len(cols) // 2


def _lazy_and_cached(spark, settings, tmp_path, monkeypatch, data: str, **spec) -> tuple[list, list]:
    """(types, rows and counts of the read as it goes, then with the proof refused; the proven
    reads taken) of ``data`` as ``c.csv``."""
    import sparkwing.lake._delimited as delimited

    (tmp_path / "c.csv").write_text(data)
    ctx = SourceContext(settings, Workspace(tmp_path / "ws"), "p", "r1", tmp_path)
    results, shortcut = [], []
    orig = delimited._read_clean
    monkeypatch.setattr(delimited, "_read_clean", lambda *a: shortcut.append(1) or orig(*a))
    for clean in (True, False):
        if not clean:
            monkeypatch.setattr(delimited, "_proven_clean", lambda *a: False)
        r = read_source(spark, "c", SourceSpec(uri="c.csv", max_quarantine_share=1, **spec), ctx)
        qs = sorted(Path(r.quarantine_uri).glob("*.json")) if r.quarantine_uri else []
        quarantined = [x for f in qs for x in f.read_text().splitlines() if x.strip()]
        rows = sorted(map(tuple, r.df.collect()), key=str)
        results.append((r.df.dtypes, rows, r.rows_read, r.rows_quarantined, len(quarantined)))
        assert r.rows_read == r.rows_accepted + r.rows_quarantined
        r.release()
    return results, shortcut


@pytest.mark.parametrize("amount_4", ["6", '""'])
def test_proven_clean_read_equals_the_cached_read(spark, settings, tmp_path, monkeypatch, amount_4):
    """A file pass 1 proves clean is read without the cache: same rows, types and counts."""
    data = (
        'id,amount,rate,flag,term,note\n1,5,0.5,true,"36 months",a\n2,,1.5,,"",b\n'
        f'3,NA,2.5,FALSE,60 months,"c,d"\n4,{amount_4},3.5,true,x,\n5,7,"4.5",false,y,"say ""hi"""'
    )
    results, shortcut = _lazy_and_cached(spark, settings, tmp_path, monkeypatch, data)
    assert results[0] == results[1]
    # A quoted empty amount: Spark's parser (with the NA marker) reads it as "", not an int, so
    # no shortcut; the record reader then reads it as the null marker "" (as it would beside a
    # stray quote), not as a bad row.
    assert results[1][3] == 0
    assert shortcut == ([] if amount_4 == '""' else [1])


@pytest.mark.parametrize("sql", ["int", "bigint", "double", "float", "boolean"])
def test_a_declared_cell_pass1_lets_through_is_one_spark_parses(spark, tmp_path, sql):
    """Every hostile cell that pass 1 finds fitting a declared type is read by Spark's CSV
    parser as a value of that type (no corrupt row): the proof behind the lazy typed read."""
    import pyarrow as pa

    from sparkwing.lake._csv_infer import declared_fits

    values = sorted({v for pool in POOLS for v in pool} - {""})
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["k", "v"])
    w.writerows(enumerate(values))
    path = tmp_path / "cells.csv"
    path.write_text(out.getvalue())
    df = (
        spark.read.schema(f"k int, v {sql}, _bad string")
        .options(header="true", mode="PERMISSIVE", columnNameOfCorruptRecord="_bad")
        .csv(str(path))
    )
    rows = {r["k"]: r for r in df.collect()}
    fits = [v for v in values if declared_fits(sql, classify(pa.array([v]), ""))]
    wrong = [v for k, v in enumerate(values) if v in fits and (rows[k]["_bad"] or rows[k]["v"] is None)]
    assert not wrong, wrong
    assert fits  # (some cells of every type fit)


@pytest.mark.parametrize(
    ("column", "cell", "proven", "quarantined"),
    [
        ("n", "7", True, 0),
        ("n", "3.5", False, 1),  # not an int
        ("n", "3000000000", False, 1),  # a bigint, not an int
        ("id", "3000000000", True, 0),
        ("x", "-1e-05", True, 0),
        ("x", "1.0d", False, 0),  # Java reads it as a double; pass 1 cannot say
        ("ok", "TRUE", True, 0),
        ("ok", "yes", False, 0),  # Spark's parser refuses it, Spark's cast (every path's) reads true
        ("n", " 12", False, 0),  # the same: the cast trims it
    ],
)
def test_declared_types_proven_clean_read_equals_the_cached_read(
    spark, settings, tmp_path, monkeypatch, column, cell, proven, quarantined
):
    """Declared number and boolean columns whose every cell fits are read lazily too (no
    cache, no count): the same rows, types and counts as the cached read."""
    row = {"id": "4", "n": "6", "x": "3.5", "ok": "true"} | {column: cell}
    data = (
        "id,n,x,ok,term,u\n1,5,0.5,true,36 months,1.5\n2,,1.5,,,2\n3,-8,+2,FALSE,60 months,\n"
        f"{row['id']},{row['n']},{row['x']},{row['ok']},x,7\n"
    )
    columns = {"id": "bigint", "n": "int", "x": "double", "ok": "boolean", "term": "string", "u": "double"}
    results, shortcut = _lazy_and_cached(spark, settings, tmp_path, monkeypatch, data, columns=columns)
    assert results[0] == results[1]
    assert results[0][3] == quarantined
    assert shortcut == ([1] if proven else [])
