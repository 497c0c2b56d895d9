"""Multi-line CSV: the proven-clean lazy read (pass 1b, Spark's ``multiLine`` parser) against
the record reader's cached read, on hostile files.  Both must give the same types, values,
counts and quarantine records; the proof must decline whatever it cannot read the same way."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from test_lake_csv_infer import BOOLS, DOUBLES, INTS, TIMES, WORDS, _column

from sparkwing.config import SourceSpec
from sparkwing.lake import SourceContext, read_source
from sparkwing.lake._csv_multiline import BOOL, DBL, INT9, INT18, STR, CellKinds
from sparkwing.lake._quarantine import _rank
from sparkwing.workspace import Workspace

pytestmark = pytest.mark.spark

EXTRA = ["NaN\n", "12\n", "true\n", "1\u20282", "é", "Ünd", "36\tmonths", "12 e5", "7 \n", "1 NaN",
         "12  true", "2015 T10", "3 \u00e9", "4 5"]  # fmt: skip
CELLS = sorted(set(INTS + DOUBLES + TIMES + BOOLS + WORDS + EXTRA))


def _read(spark, ctx, monkeypatch, name: str, data: bytes, prove: bool, split_bytes: int | None, **spec):
    import sparkwing.lake._delimited as delimited

    taken: list[bool] = []
    orig = delimited._read_multiline

    def spy(*a):
        out = orig(*a)
        taken.append(out is not None)
        return out

    monkeypatch.setattr(delimited, "_read_multiline", spy)
    monkeypatch.setattr(delimited, "_may_prove", delimited._may_prove if prove else (lambda *a: False))
    if split_bytes:
        monkeypatch.setattr(delimited, "SPLIT_BYTES", split_bytes)
    (ctx.base_dir / name).write_bytes(data)
    spec.setdefault("max_quarantine_share", 1)
    r = read_source(spark, name.split(".")[0], SourceSpec(uri=name, **spec), ctx)
    try:
        out = []
        if r.quarantine_uri:
            for f in sorted(Path(r.quarantine_uri).glob("*.json")):
                out += [json.loads(x) for x in f.read_text().splitlines() if x.strip()]
        recs = sorted((x["line"], x["raw"], x["reason"]) for x in out)
        rows = sorted((tuple(x) for x in r.df.collect()), key=repr)
        assert r.rows_read == r.rows_accepted + r.rows_quarantined == len(rows) + len(recs)
        return (r.df.dtypes, rows, r.rows_read, r.rows_quarantined, r.reasons, recs), any(taken)
    finally:
        r.release()
        monkeypatch.undo()


def both(spark, ctx, monkeypatch, name: str, data: bytes | str, split_bytes: int | None = None, **spec):
    """(result, proof path taken); asserts the proof path and the record reader agree."""
    data = data.encode() if isinstance(data, str) else data
    new, taken = _read(spark, ctx, monkeypatch, name, data, True, split_bytes, **spec)
    old, _ = _read(spark, ctx, monkeypatch, name, data, False, split_bytes, **spec)
    assert repr(new) == repr(old)  # (repr: a NaN equals itself)
    return new, taken


@pytest.fixture()
def ctx(settings, tmp_path: Path) -> SourceContext:
    return SourceContext(settings, Workspace(tmp_path / "ws"), "p", "r1", tmp_path)


def _q(v: str) -> str:
    return '"' + v.replace('"', '""') + '"'


def clean_file(rng: random.Random, rows: int) -> str:
    """LF-only RFC 4180 text with breaks and doubled quotes inside quotes, NA and quoted empty cells,
    blank lines, typed columns of every kind the proof decides, and no final line break."""
    notes = ['a"\nb', '\n"x"', '"\n', "\n", "x\n\ny", "é\nü", 'say "hi"\nbye', "plain", ""]
    out = ["id,big,amount,flag,note,when,word\n"]
    for i in range(rows):
        big = str(rng.choice([1, -1]) * rng.randrange(1 << 31, 10**17)) if i % 3 else "+7"
        amount = rng.choice(["1.5", "-.25", "3", "1e5", "2.5E-3", "NA", "", '""', "12345678901234567890"])
        flag = rng.choice(["true", "FALSE", "True", "", "NA"])
        note = _q(rng.choice(notes))
        when = rng.choice(["2015-01-01", "01/31/2015 10:45:31 PM", "n/a", ""])
        word = _q(rng.choice(["x", "12:30", "T\nZ", '"']))
        out.append(f"{i},{big},{amount},{flag},{note},{when},{word}\n")
        if i % 7 == 0:
            out.append("\n")
    return "".join(out).rstrip("\n")


@pytest.mark.parametrize("split_bytes", [None, 23, 97])
def test_clean_multiline_file_is_read_lazily_like_the_record_reader(spark, ctx, monkeypatch, split_bytes):
    result, taken = both(spark, ctx, monkeypatch, "m.csv", clean_file(random.Random(4), 60), split_bytes)
    assert taken
    dtypes, rows, read, quarantined, _reasons, _recs = result
    assert dict(dtypes) == {"id": "int", "big": "bigint", "amount": "double", "flag": "boolean",
                            "note": "string", "when": "string", "word": "string"}  # fmt: skip
    assert read == 60 and quarantined == 0 and len(rows) == 60
    assert {r[4] for r in rows} >= {'a"\nb', '\n"x"', '"\n', "\n", "x\n\ny", None}


def test_a_break_right_at_every_split_boundary(spark, ctx, monkeypatch):
    data = 'a,b\n1,"x\ny"\n2,"\n"\n3,"""\n"""\n4,z\n'
    for split_bytes in (5, 6, 7, 8, 9, 10, 11, 12):
        result, taken = both(spark, ctx, monkeypatch, "b.csv", data, split_bytes)
        assert taken and result[2] == 4


@pytest.mark.parametrize(
    "data",
    [
        'a,b\r1,"x\ry"\r2,z\r',  # bare CR breaks, inside quotes too
        'a,b\n1,"x\r\ny"\r\n2,"p\rq"\n3,z\r',  # mixed endings
        'a,b\n1,"x\ny"\n2,"open\n3,z\n4,"w"\n',  # an unterminated quote
        '\ufeffa,b\n1,"x\ny"\n2,z\n',  # a BOM
        'a,b\n1,"x\ny"\na,b\n2,z\n"a","b"\n',  # the header again (as bytes, and as fields)
        'a,b\n1,"x\ny"\n2,"w"x\n3,z\n',  # text after a closing quote
        'a,b\n1,"x\ny"\n2\n3,z,9\n   \n4,q\n',  # wrong field counts, a whitespace-only line
        'a,b\n1,"x\ny"\n2,z"q\n3,"""\n',  # a quote inside an unquoted field; "" opening a record
        "a,b\n"
        + "1,xxxxxxxxxxxxxxx\n" * 600
        + '1,"x\ny"\n2,"a\x00b"\n3,"\xff\n"\n',  # a NUL (past the head), bad UTF-8
    ],
    ids=["cr", "mixed", "unterminated", "bom", "header", "after-quote", "counts", "stray", "bytes"],
)
def test_hostile_multiline_files_read_the_same_and_decline_the_proof(spark, ctx, monkeypatch, data):
    raw = data.encode().replace("\xff".encode(), b"\xff")
    for split_bytes in (None, 7 if len(raw) < 1000 else 1024):
        _result, taken = both(spark, ctx, monkeypatch, "h.csv", raw, split_bytes)
        assert not taken


def test_cells_the_proof_cannot_type_leave_the_file_to_the_record_reader(spark, ctx, monkeypatch):
    for cell in [" 12", "1.0d", "NaN", "2015-01-01", "true "]:  # (0x10 is a string for the record reader)
        data = f'a,b\n1,"x\ny"\n{_q(cell)},z\n'
        result, taken = both(spark, ctx, monkeypatch, "c.csv", data)
        assert not taken, cell
    result, taken = both(spark, ctx, monkeypatch, "s.csv", 'a,b\n1,"x\ny"\n" 12",z\nabc,w\n')
    assert taken and dict(result[0])["a"] == "string"  # a sure string cell decides the column


def test_declared_columns_and_other_options(spark, ctx, monkeypatch):
    data = 'a,b,c\n1,"x\ny",2.5\n2,"",NA\n'
    result, taken = both(spark, ctx, monkeypatch, "d.csv", data, columns={"b": "string", "c": "double"})
    assert not taken  # a typed declared column is checked by the cast
    result, taken = both(spark, ctx, monkeypatch, "e.csv", data, columns={"b": "string", "a": "string"})
    assert taken and [d for d, _ in result[0]] == ["b", "a"]
    result, taken = both(spark, ctx, monkeypatch, "f.csv", data, null_values=["NA"])
    assert not taken  # "" is no null here: Spark would read an unquoted empty cell as null
    result, taken = both(spark, ctx, monkeypatch, "g.csv", data, null_values=[""])
    assert taken and result[1][1][2] == "NA"


def test_cell_classes_agree_with_the_record_readers_inference(spark):
    """Every cell the proof classifies gets the record reader's rank (``_rank``) for that class."""
    import pyarrow as pa

    from sparkwing.lake._quarantine import BAD

    rank = {INT9: 0, INT18: 1, DBL: 2, BOOL: 3, STR: 6}
    kinds = CellKinds((0,))
    mine = {}
    for v in CELLS:
        flags = [0]
        kinds.feed(flags, [pa.array([v])])
        mine[v] = flags[0]
    df = spark.createDataFrame([(v,) for v in CELLS], "v string").selectExpr(
        "v", f"{_rank('v').replace(f'{BAD} IS NOT NULL OR ', '')} AS r"
    )
    got = {r["v"]: r["r"] for r in df.collect()}
    wrong = [(v, mine[v], got[v]) for v in CELLS if mine[v] in rank and rank[mine[v]] != got[v]]
    assert not wrong
    assert sum(f in rank for f in mine.values()) > len(CELLS) // 2


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_cell_classes_on_the_record_reader_give_the_types_of_its_ranks(spark, ctx, monkeypatch, seed):
    """The record reader's cell classes (one marker row per split) decide most inferred types
    without the rank aggregate: the same types, values and quarantine as the ranks alone, on
    hostile columns (a text after a closing quote sends each file to the record reader)."""
    import sparkwing.lake._csv_multiline as multiline

    rng = random.Random(seed)
    cols = [_column(rng, 80) for _ in range(12)]
    lines = [",".join(f"c{i}" for i in range(len(cols)))]
    lines += [",".join(_q(col[r]) if rng.random() < 0.5 else col[r].replace(",", ";").replace('"', "")
                       for col in cols) for r in range(80)]  # fmt: skip
    lines.insert(40, '"stray"x' + ",1" * (len(cols) - 1))
    data = "\n".join(lines).encode()
    new, _ = _read(spark, ctx, monkeypatch, "k.csv", data, False, None)
    monkeypatch.setattr(multiline.CellKinds, "type_of", staticmethod(lambda flags: None))
    old, _ = _read(spark, ctx, monkeypatch, "k.csv", data, False, None)
    assert repr(new) == repr(old)
    assert new[4] == {"text after a closing quote": 1}
