"""Row building as EasyPredictModelWrapper does it, and the Java helpers it relies on."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sparkwing.errors import MojoError
from sparkwing.mojo._jrandom import JavaRandom
from sparkwing.mojo._labels import multinomial_labels
from sparkwing.mojo._numbers import parse_java_double, parse_numbers
from sparkwing.mojo._rows import RowEncoder


@pytest.mark.parametrize(
    ("text", "value"),
    [("1", 1.0), (" 2.5 ", 2.5), ("\t-3e2\n", -300.0), ("1d", 1.0), ("2.5F", 2.5), (".5", 0.5),
     ("5.", 5.0), ("+7", 7.0), ("NaN", math.nan), ("-Infinity", -math.inf),
     # hexadecimal significands with a binary exponent (Java's HexFloatingPointLiteral)
     ("0x1.8p1", 3.0), (" -0X.8P+1d ", -1.0), ("0x1p-1075", 0.0), ("0x1p-1074", 5e-324),
     ("0x1.fffffffffffff8p1023", math.inf), ("-0x1p99999999999999999999f", -math.inf),
     ("0x0p99999999999999999999", 0.0)],
)  # fmt: skip
def test_java_double_accepts(text: str, value: float) -> None:
    got = parse_java_double(text)
    assert got is not None and (got == value or (math.isnan(got) and math.isnan(value)))


@pytest.mark.parametrize(
    "text", ["", "abc", "1,5", "nan", "inf", "1_000", "0x10", "1e", "--1", "True", "\u0661", "1\u00a0",
             "0x1p", "0x.p1", "0xgp1", "0x1p1_0", "0x1.8", "1p3"],
)
def test_java_double_rejects(text: str) -> None:
    assert parse_java_double(text) is None


TRICKY = ["1", " 2.5 ", "\t-3e2\n", "1d", "2.5F", ".5", "5.", "+7", "NaN", "-Infinity", "", "abc", "1,5",
          "nan", "inf", "1_000", "0x10", "1e", "--1", "1-2", "1.2.3", "e5", ".", "+", "\u0661", "1\u00a0",
          "1e400", "4.9e-325", "-0", "0.1000000000000000055511151231257827", "12345678901234567890",
          "1\n2", "x\x00", "\x01 3"]  # fmt: skip


@pytest.mark.parametrize("cells", [TRICKY, ["1.5", "2", "-3e-2"] * 50, ["1.5", "1e"], ["a\nb", "2"]])
def test_parse_numbers_is_parse_java_double(cells: list[str]) -> None:
    values, rejected = parse_numbers(cells)
    for text, v, bad in zip(cells, values.tolist(), rejected.tolist(), strict=True):
        want = parse_java_double(text)
        assert bad == (want is None), text
        if want is not None:
            same = v == want or (math.isnan(v) and math.isnan(want))
            assert same and math.copysign(1, v) == math.copysign(1, want), text


def _fuzz_cells(seed: int) -> list[str]:
    """Plain-alphabet strings (valid or not) plus decimals that are hard to round correctly."""
    rnd = np.random.default_rng(seed)
    alphabet = list("0123456789+-.eE")
    cells = ["".join(rnd.choice(alphabet, rnd.integers(1, 12))) for _ in range(3000)]
    cells += ["9007199254740993", "2.2250738585072011e-308", "2.4703282292062328e-324",
              "1.7976931348623158e308", "1.7976931348623159e308", "0." + "0" * 320 + "1",
              "1" * 400, "3." + "3" * 790 + "5e-5", "7.4e-324", "4.9406564584124654e-324",
              "123456789012345678901234567890e-10", "+.5e+5", "-0.0e0", "00000.000001"]  # fmt: skip
    cells += [f"{v:.17g}" for v in rnd.standard_normal(2000) * 10.0 ** rnd.integers(-300, 300, 2000)]
    return cells


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_arrow_parse_is_python_parse(seed: int) -> None:
    from sparkwing.mojo._numbers import parse_numbers_python as _parse_numbers_python

    cells = _fuzz_cells(seed)
    good = [c for c in cells if parse_java_double(c) is not None]  # one bad plain cell: whole-column fallback
    for batch in (good, [*good, *TRICKY], cells):
        got, got_bad = parse_numbers(batch)
        want, want_bad = _parse_numbers_python(batch)
        np.testing.assert_array_equal(got_bad, want_bad)
        assert got.tobytes() == want.tobytes()  # same bits, signed zeros and NaNs included
        for text, v in zip(batch, got.tolist(), strict=True):
            j = parse_java_double(text)
            assert (j is None and math.isnan(v)) or v == j or (math.isnan(v) and math.isnan(j)), text


def test_frame_column_with_missing_cells_parses_like_records() -> None:
    enc = RowEncoder(["x"], [None])
    cells = ["1.5", None, float("nan"), pd.NA, "2e3", " 4", "x", "", "1\n2"] * 20
    frame = pd.DataFrame({"x": pd.Series(cells, dtype=object)})
    by_frame = enc.encode(frame)
    by_records = enc.encode([{"x": v} for v in cells])
    np.testing.assert_array_equal(by_frame.values, by_records.values)
    pairs = [(w.row, w.message) for w in by_frame.warnings]
    assert pairs == [(w.row, w.message) for w in by_records.warnings]


def test_frame_of_number_strings_matches_records() -> None:
    enc = RowEncoder(["x", "c"], [None, ["a", "b"]])
    cells = [*TRICKY, None]
    frame = pd.DataFrame({"x": cells, "c": ["a"] * len(cells)})
    by_frame = enc.encode(frame)
    by_records = enc.encode([{"x": v, "c": "a"} for v in cells])
    np.testing.assert_array_equal(by_frame.values, by_records.values)
    pairs = [(w.row, w.message) for w in by_frame.warnings]
    assert pairs == [(w.row, w.message) for w in by_records.warnings]
    assert enc.encode(frame, collect=False).warnings == []


def test_encoder_matches_by_name_and_warns() -> None:
    enc = RowEncoder(["x", "c"], [None, ["a", "b", "c.z"]])
    out = enc.encode([{"c": "b", "x": 2, "ignored": 1}, {"x": "oops", "c": "nope"}, {"c": "z"}, {}])
    assert out.values[0].tolist() == [2.0, 1.0]
    assert np.isnan(out.values[1]).all()
    assert out.values[2, 1] == 2.0  # "<column>.<level>" fallback, as genmodel
    assert np.isnan(out.values[3]).all()
    assert [(w.row, w.column) for w in out.warnings] == [(1, "x"), (1, "c")]


def test_encoder_types() -> None:
    enc = RowEncoder(["x", "c"], [None, ["1", "2", "True"]])
    out = enc.encode([{"x": True, "c": 2}, {"x": None, "c": 1.0}, {"x": float("nan"), "c": True}])
    assert np.isnan(out.values[0, 0]) and out.values[0, 1] == 1.0
    assert out.values[1, 1] == 0.0 and out.values[2, 1] == 2.0
    frame = pd.DataFrame({"x": [1.5, None], "c": pd.array([2, None], dtype="Int64")})
    got = enc.encode(frame).values
    assert got[0].tolist() == [1.5, 1.0] and np.isnan(got[1]).all()
    with pytest.raises(MojoError):
        enc.encode(42)


def test_java_random_matches_jdk() -> None:
    # Values printed by java.util.Random(42) on JDK 17.
    r = JavaRandom(42)
    assert r.next_double() == 0.7275636800328681
    assert r.next_gaussian() == 1.102744497787456
    assert r.next_gaussian() == -1.151236608168695


def test_vectorised_gaussians_are_java_random() -> None:
    from sparkwing.mojo._jrandom import gaussians

    seeds = [*range(-300, 300), 2**62, -(2**63), 2**63 - 1, 123456789012345]
    for count in (1, 2, 3, 5):
        gens = [JavaRandom(s) for s in seeds]
        want = np.array([[g.next_gaussian() for _ in range(count)] for g in gens])
        assert gaussians(seeds, count).tobytes() == want.tobytes()


def test_multinomial_ties_are_deterministic() -> None:
    probs = np.array([[0.4, 0.4, 0.2], [0.1, 0.6, 0.3]])
    rows = np.array([[1.0, np.nan], [2.0, 3.0]])
    a = multinomial_labels(probs, np.array([0.3, 0.3, 0.4]), rows)
    b = multinomial_labels(probs, np.array([0.3, 0.3, 0.4]), rows)
    assert a.tolist() == b.tolist() and a[0] in (0.0, 1.0) and a[1] == 1.0


@pytest.mark.parametrize("name", ["glrm_prostate", "glrm_iris"])
def test_glrm_lockstep_is_the_one_row_solver(name: str) -> None:
    """All rows projected together give bit-identical results to the one-row reference."""
    from mojo_parity import FIXTURES, manifest
    from sparkwing import mojo

    model = mojo.load(FIXTURES / manifest()[name]["mojo"])
    sc = model._scorer
    rnd = np.random.default_rng(1)
    n = 150
    x = rnd.normal(0, 3, (n, len(model.info.features)))
    for j, f in enumerate(model.info.features):
        if f.domain is not None:
            x[:, j] = rnd.integers(-1, len(f.domain) + 2, n)  # out-of-domain levels too
    clean = x.copy()
    clean[clean < 0] = 0.0  # no missing or out-of-domain cell: archetypes read in place
    for j, f in enumerate(model.info.features):
        if f.domain is not None:
            clean[:, j] = np.minimum(clean[:, j], len(f.domain) - 1)
    x[rnd.random(x.shape) < 0.2] = np.nan
    for rows in (x, clean):
        sc.reset()
        got = model.predict_numpy(rows)
        want = np.array([sc._project(rows[r].tolist(), sc.seed + r) for r in range(len(rows))])
        assert got.tobytes() == want.tobytes()  # same bits, signed zeros included


@pytest.mark.parametrize("scale", [1.0, 1e100, 0.0])
def test_glrm_pool_refills_and_overflow_are_the_one_row_solver(scale: float) -> None:
    """A small pool (rows leave and join it while others iterate), huge or zero archetypes
    (overflowing, NaN objectives), a row of zero archetypes: still the reference's bits."""
    from mojo_parity import FIXTURES, manifest
    from sparkwing import mojo

    model = mojo.load(FIXTURES / manifest()["glrm_prostate"]["mojo"])
    sc = model._scorer
    sc._pool = 16
    sc._y[1] *= scale
    sc._yl, sc.y = sc._y.tolist(), sc._y.tolist()
    rnd = np.random.default_rng(2)
    n = 120
    x = rnd.normal(0, 30, (n, len(model.info.features)))
    for j, f in enumerate(model.info.features):
        if f.domain is not None:
            x[:, j] = rnd.integers(-1, len(f.domain) + 1, n)
    x[rnd.random(x.shape) < 0.1] = np.nan
    sc.reset()
    got = model.predict_numpy(x)
    want = np.array([sc._project(x[r].tolist(), sc.seed + r) for r in range(n)])
    assert got.tobytes() == want.tobytes()


@pytest.mark.parametrize("name", ["xgb_loan", "xgb_dart_prostate", "xgb_multinomial_iris", "xgb_agaricus"])
def test_xgboost_row_walk_is_the_batch_walk(name: str) -> None:
    """A few rows take the plain-Python walk; every row scores exactly as in a big batch."""
    from mojo_parity import FIXTURES, manifest, read_tsv
    from sparkwing import mojo

    entry = manifest()[name]
    model = mojo.load(FIXTURES / entry["mojo"])
    x = model.encode(read_tsv(FIXTURES / entry["input"])).values
    batch = model.predict_numpy(x)
    for lo in range(0, len(x), 3):  # 3 rows at a time: under walk_rows
        assert np.array_equal(model.predict_numpy(x[lo : lo + 3]), batch[lo : lo + 3], equal_nan=True)


@pytest.mark.parametrize("name", ["kmeans_std_prostate", "kmeans_raw_iris", "glrm_prostate"])
def test_few_row_paths_are_the_batch_path(name: str) -> None:
    """K-means and GLRM score a few rows with plain floats: exactly the batch values."""
    from mojo_parity import FIXTURES, manifest, read_tsv
    from sparkwing import mojo

    entry = manifest()[name]
    model = mojo.load(FIXTURES / entry["mojo"])
    x = model.encode(read_tsv(FIXTURES / entry["input"])).values[:40]
    reset = getattr(model._scorer, "reset", lambda: None)
    reset()
    batch = model.predict_numpy(x)
    reset()
    one = np.vstack([model.predict_numpy(x[r : r + 1]) for r in range(len(x))])
    assert np.array_equal(one, batch, equal_nan=True)


@pytest.mark.parametrize(("cats", "nums"), [((5, 3), 9), ((4,), 0), ((3, 9), 2), ((2, 2), 3), ((17,), 1)])
def test_one_hot_input_layer_is_the_dense_layer(cats: tuple[int, ...], nums: int) -> None:
    """Deep Learning's first layer from one-hot indices gives the dense product's bits."""
    from sparkwing.mojo._deeplearning import _layer, _one_hot_layer

    rnd = np.random.default_rng(len(cats) * 100 + nums)
    n, cat_end, outs = 500, sum(cats), 7
    w = rnd.normal(0, 1, (outs, cat_end + nums)).astype(np.float32).astype(np.float64)
    w[:, ::5] = -0.0
    b = rnd.normal(0, 1, outs)
    hot = np.full((n, len(cats)), -1)
    lo = 0
    for i, width in enumerate(cats):
        pick = rnd.integers(-1, width, n)
        hot[:, i] = np.where(pick >= 0, lo + pick, -1)
        lo += width
    values = rnd.normal(0, 2, (n, nums))
    values[rnd.random(values.shape) < 0.3] = 0.0
    dense = np.zeros((n, cat_end + nums))
    for i in range(len(cats)):
        keep = hot[:, i] >= 0
        dense[np.flatnonzero(keep), hot[keep, i]] = 1.0
    dense[:, cat_end:] = values
    assert _one_hot_layer(hot, values, cat_end, w, b).tobytes() == _layer(dense, w, b).tobytes()


def test_plain_byte_check_is_the_table() -> None:
    from sparkwing.mojo._numbers import _NUMBER_BYTE, _plain_bytes

    every = np.arange(256, dtype=np.uint8)
    assert np.array_equal(_plain_bytes(every), _NUMBER_BYTE)
    assert _NUMBER_BYTE.sum() == 15 and all(_NUMBER_BYTE[list(b"0123456789+-.eE")])


def _hostile_cells(seed: int) -> list[str]:
    """Cells that sit next to each other in Arrow's byte buffer: odd ones (``inf``, ``nan``,
    whitespace, suffixes, text, hex, ``_``, non-ASCII digits) between plain decimals."""
    rnd = np.random.default_rng(seed)
    pieces = ["1", "2.5", "-3e2", ".5", "5.", "+7", "0", "9" * 30, "e", "E", "+", "-", ".", "x", "inf",
              "nan", "NaN", "Infinity", "-Infinity", "d", "F", " ", "\t", "\n", "_", "0x1p3", "\u0661",
              "\u00a0", ",", "/", "\x00", "\x7f", "é", "1e400", "4.9e-325"]  # fmt: skip
    return ["".join(rnd.choice(pieces, rnd.integers(1, 4))) for _ in range(4000)]


@pytest.mark.parametrize("seed", [0, 1])
def test_arrow_parse_of_hostile_cells_is_parse_java_double(seed: int) -> None:
    import pyarrow as pa

    from sparkwing.mojo._numbers import parse_arrow_numbers

    cells = _hostile_cells(seed)
    good_grammar = [c for c in cells if parse_java_double(c) is not None or not c.strip("0123456789+-.eE")]
    # with and without plain-alphabet cells that break the grammar (the RE2 path), odd cells adjacent
    for batch in (cells, good_grammar, ["x", "inf", "1.5"], ["x", "nan", "Infinity", "-inf", "2"]):
        got = parse_arrow_numbers(pa.array(batch, type=pa.string()))
        assert got is not None
        values, rejected = got
        for text, v, bad in zip(batch, values.tolist(), rejected.tolist(), strict=True):
            want = parse_java_double(text)
            assert bad == (want is None), repr(text)
            if want is not None:
                same = np.float64(v).tobytes() == np.float64(want).tobytes()
                assert same or (math.isnan(v) and math.isnan(want)), repr(text)


def test_arrow_cast_rejects_what_java_rejects_on_the_plain_alphabet() -> None:
    """The fast path's assumption: on ``0-9 + - . e E`` pyarrow's cast refuses every string Java
    refuses (checked on every string of up to 6 of ``0 1 9 + - . e E`` when written; here a random
    sample, one by one)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    rnd = np.random.default_rng(7)
    cells = {"".join(rnd.choice(list("019+-.eE"), rnd.integers(1, 9))) for _ in range(6000)}
    refused = sorted(c for c in cells if parse_java_double(c) is None)
    accepted = [c for c in refused if _arrow_casts(pa, pc, c)]
    assert len(refused) > 1000 and accepted == []


def _arrow_casts(pa, pc, text: str) -> bool:  # type: ignore[no-untyped-def]
    try:
        pc.cast(pa.array([text]), pa.float64())
    except pa.ArrowInvalid:
        return False
    return True


def _same_encoding(enc: RowEncoder, frame: pd.DataFrame, records: list[dict[str, object]]) -> None:
    by_frame, by_records = enc.encode(frame), enc.encode(records)
    assert by_frame.values.tobytes() == by_records.values.tobytes()
    assert by_frame.values.flags.c_contiguous
    pairs = [(w.row, w.column, w.message) for w in by_frame.warnings]
    assert pairs == [(w.row, w.column, w.message) for w in by_records.warnings]
    assert enc.encode(frame, collect=False).values.tobytes() == by_frame.values.tobytes()


def test_frame_object_column_of_mixed_values_is_the_records_path() -> None:
    # True == 1 == 1.0 hash alike: a cache keyed on the value alone gave True the number 1.0
    cells = [1, True, 1.0, "1", "x", None, b"2", 2.5, np.int64(3), np.float32(0.5), ""]
    enc = RowEncoder(["x", "c"], [None, ["1", "True", "2.5", "x"]])
    frame = pd.DataFrame({"x": pd.Series(cells, dtype=object), "c": pd.Series(cells, dtype=object)})
    _same_encoding(enc, frame, [{"x": v, "c": v} for v in cells])


@pytest.mark.parametrize(
    "dtype", [object, "string[python]", "string[pyarrow]", "str_arrow", "large_str_arrow", "category"]
)
def test_frame_string_dtypes_are_the_records_path(dtype: object) -> None:
    import pyarrow as pa

    arrow = {"str_arrow": pd.ArrowDtype(pa.string()), "large_str_arrow": pd.ArrowDtype(pa.large_string())}
    dtype = arrow.get(dtype, dtype)  # type: ignore[call-overload]
    xs = [*TRICKY, "1.5", None, "3"] * 3
    cs = (["a", "b", "z", None, "c.z", "c"] * len(xs))[: len(xs)]
    enc = RowEncoder(["x", "c"], [None, ["a", "b", "c.z"]])
    frame = pd.DataFrame({"x": pd.Series(xs, dtype=dtype), "c": pd.Series(cs, dtype=dtype)})
    records = [{k: v for k, v in (("x", x), ("c", c)) if v is not None} for x, c in zip(xs, cs, strict=True)]
    _same_encoding(enc, frame, records)


def test_frame_levels_given_as_numbers_are_the_records_path() -> None:
    enc = RowEncoder(["i", "f", "m", "b"], [["1", "2"], ["0", "2", "2.5"], ["3"], ["True"]])
    ints, floats = [1, 2, 3, 1], [0.0, -0.0, 2.5, float("nan")]
    frame = pd.DataFrame({"i": ints, "f": floats, "m": pd.array([3, None, 1, 3], dtype="Int64"),
                          "b": [True, False, True, True]})  # fmt: skip
    records = [{"i": i, "f": f, "m": m, "b": b} for i, f, m, b in
               zip(ints, floats, [3, None, 1, 3], [True, False, True, True], strict=True)]  # fmt: skip
    _same_encoding(enc, frame, records)
