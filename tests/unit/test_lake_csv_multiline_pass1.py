"""Pass 1's proofs of multi-line CSV splits (:meth:`CsvProbe.finish`) against pass 1b's own.

Pass 1 proves a split before the splits are placed, from the record start it would have if it
began outside quotes, to the first record end past its end; the driver keeps a proof only where
both are the placed ones.  Whatever the split size, the kept proofs plus pass 1b for the other
splits must give exactly pass 1b's answer (records, types, or no proof)."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import pytest

from sparkwing.config import SourceSpec
from sparkwing.lake._csv_multiline import merge_proofs, pass1_proofs, prove_local, prove_split
from sparkwing.lake._delimited import CsvProbe, _kinds, _may_prove, header_line, plan_csv
from sparkwing.lake._lines import fold_guessed, plan_splits, scan_local
from sparkwing.lake._uri import SourceFile


def _q(v: str) -> str:
    return '"' + v.replace('"', '""') + '"'


def clean(rows: int, seed: int = 4) -> bytes:
    rng = random.Random(seed)
    notes = ['a"\nb', '\n"x"', '"\n', "\n", "x\n\ny", "é\nü", 'say "hi"\nbye', "plain", ""]
    out = ["id,amount,flag,note,word\n"]
    for i in range(rows):
        amount = rng.choice(["1.5", "-.25", "3", "1e5", "NA", "", '""'])
        flag = rng.choice(["true", "FALSE", ""])
        out.append(f"{i},{amount},{flag},{_q(rng.choice(notes))},{_q(rng.choice(['x', 'T', '1:2']))}\n")
        if i % 7 == 0:
            out.append("\n")
    return "".join(out).encode()


HOSTILE = [
    b'a,b\n1,"x\ny"\n2,"\n"\n3,"""\n"""\n4,z\n',
    b'a,b\n1,"x\ny"\n2,"open\n3,z\n4,"w"\n',  # an unterminated quote
    b'a,b\n1,"x\ny"\n2,"w"x\n3,z\n',  # text after a closing quote
    b'a,b\n1,"x\ny"\n2\n3,z,9\n   \n4,q\n',  # wrong field counts
    b'a,b\n1,"x\ny"\n2,z"q\n3,"""\n',  # a stray quote
    b'a,b\n1,"x\ny"\n2,"p\r\nq"\n3,z\n',  # a CR inside quotes
    b'a,b\n1,"x\ny"\n3,"\xff\n"\n',  # bad UTF-8
    b'a,b\n1,"x\ny"\na,b\n2,z\n',  # the header again
    b'a,b\n1,"x\ny"\n2," 12\n"\n3,"NaN"\n',  # cells the proof cannot type
    b'a,b\n1,"' + b"long\n" * 40 + b'"\n2,z\n',  # a record longer than several splits
]


def proofs(tmp_path: Path, data: bytes, split_bytes: int):
    path = tmp_path / "m.csv"
    path.write_bytes(data)
    spec = SourceSpec(uri=str(path))
    plan = plan_csv("m", spec, "csv", data[: 1 << 20], str(path))
    rec = plan.record_format()
    assert _may_prove(plan, rec, [], [])
    kinds = _kinds(plan)
    hdr = header_line(data, spec)
    probe = CsvProbe('"', hdr or b"", "utf-8", ",", None, prove=rec, kinds=kinds)
    splits = scan_local(plan_splits([SourceFile(str(path), len(data))], split_bytes), None, '"', probe)
    splits = fold_guessed(splits)  # as read_csv does for the proof
    bare = [replace(s, probe={k: v for k, v in s.probe.items() if k != "proof"}) if isinstance(s.probe, dict)
            else s for s in splits]  # fmt: skip
    pass1b = merge_proofs([prove_split(rec, s, None, kinds) for s in bare], kinds)
    kept = pass1_proofs(splits)
    return prove_local(rec, splits, None, kinds), pass1b, kept


@pytest.mark.parametrize("split_bytes", [*range(3, 41), 64, 97, 200, 1 << 20])
def test_pass1_proofs_give_pass1b_answer_on_a_clean_file(tmp_path, split_bytes):
    data = clean(30)
    got, want, kept = proofs(tmp_path, data, split_bytes)
    assert want is not None and want[0] == 30
    assert got == want
    assert kept is not None
    if split_bytes > len(data):  # one split: pass 1 proved it
        assert not kept[1]
    elif split_bytes >= 64:  # splits longer than a record: pass 1 proved some of them
        assert any(f is not None for f in kept[0])


@pytest.mark.parametrize("data", HOSTILE, ids=range(len(HOSTILE)))
def test_pass1_proofs_give_pass1b_answer_on_hostile_files(tmp_path, data):
    for split_bytes in [*range(3, 30), 1 << 20]:
        got, want, _kept = proofs(tmp_path, data, split_bytes)
        assert got == want, split_bytes


_CELLS = ["0", "7", "42", "123456789", "1234567890", "999999999999999999", "1" * 19, "", " 1", "1 ",
          "+1", "-2", "1.5", "١", "x", "true", "1e5"]  # fmt: skip


_COLUMNS = [["7"], ["1", "123456789"], ["1234567890"], ["1", "999999999999999999"], ["1", "1" * 19],
            ["", "1"], ["1", "+1"], ["1", " 1"], ["١"], ["1", "1.5"]]  # fmt: skip


@pytest.mark.parametrize("seed", range(60))
def test_cell_classes_of_digit_columns_skip_no_pattern_they_need(seed, monkeypatch):
    """A column of 1-9 digit cells is classed INT9 without a pattern pass; every other column
    (longer digit runs, signs, spaces, empty cells, non-ASCII digits) gets the classes the
    patterns give it, so the shortcut changes no type."""
    import pyarrow as pa

    import sparkwing.lake._csv_multiline as multiline

    rng = random.Random(seed)
    if seed < 2 * len(_COLUMNS):
        cells, fast = _COLUMNS[seed // 2], [0 if seed % 2 else multiline.INT18]
    else:
        cells = [rng.choice(_CELLS[:4] * 8 + _CELLS) for _ in range(rng.randint(1, 12))]
        fast = [rng.choice([0, multiline.INT18, multiline.DBL])]
    slow = list(fast)
    multiline.CellKinds((0,)).feed(fast, [pa.array(cells)])
    monkeypatch.setattr(multiline, "_digits", lambda arr, most: False)
    multiline.CellKinds((0,)).feed(slow, [pa.array(cells)])
    assert fast == slow, cells
