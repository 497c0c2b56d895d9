"""Container, model.ini and hostile-file handling of sparkwing.mojo (no JVM, no H2O)."""

from __future__ import annotations

import io
import struct
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from mojo_parity import FIXTURES
from sparkwing import mojo
from sparkwing.errors import MojoError
from sparkwing.mojo._container import DEFAULT_LIMITS, split_lines, unescape_level
from sparkwing.mojo._ini import parse_ini

GBM = FIXTURES / "gbm_bernoulli_prostate.zip"
ROW = {"AGE": "65", "RACE": "1", "DPROS": "2", "DCAPS": "1", "PSA": "1.4", "VOL": "0", "GLEASON": "6"}


def entries(path: Path = GBM) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def rezip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def with_ini(key: str, value: str) -> bytes:
    files = entries()
    lines = files["model.ini"].decode().split("\n")
    files["model.ini"] = "\n".join(
        f"{key} = {value}" if ln.startswith(key + " ") else ln for ln in lines
    ).encode()
    return rezip(files)


def test_import_does_not_load_jvm_bridges() -> None:
    code = (
        "import sys, sparkwing.mojo\n"
        "bridges = ('pyspark', 'py4j', 'h2o', 'pysparkling', 'pandas')\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in bridges]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_public_names_are_pinned() -> None:
    assert mojo.__all__ == [
        "EncodedRows", "Feature", "Limits", "ModelInfo", "MojoModel", "RowWarning",
        "class_column", "inspect_text", "load", "predict_csv",
    ]  # fmt: skip


def test_load_from_path_bytes_file_and_folder(tmp_path: Path) -> None:
    expected = mojo.load(GBM).predict_numpy([ROW])
    data = GBM.read_bytes()
    assert np.array_equal(mojo.load(data).predict_numpy([ROW]), expected)
    with GBM.open("rb") as fh:
        assert np.array_equal(mojo.load(fh).predict_numpy([ROW]), expected)
    folder = tmp_path / "unzipped"
    with zipfile.ZipFile(GBM) as zf:
        zf.extractall(folder)
    assert np.array_equal(mojo.load(folder).predict_numpy([ROW]), expected)
    assert np.array_equal(mojo.load(str(GBM)).predict_numpy([ROW]), expected)


def test_ini_grammar() -> None:
    text = (
        "# comment\n[info]\n n_columns = 2 \nalgo=gbm\nx = a = b\n\n"
        "[columns]\nage\nmy col\n[domains]\n1: 3 d000.txt\n5: 2 d001.txt\n"
    )
    ini = parse_ini(text, DEFAULT_LIMITS)
    assert ini.get_int("n_columns") == 2 and ini.get_str("x") == "a = b"
    assert ini.columns == ["age", "my col"]
    assert ini.domain_files == {1: (3, "d000.txt")}  # entries past n_columns are ignored
    ini.info.update({"arr": "[1.0, NaN, -Infinity, 2.5E-5]", "empty": "[]", "none": "null", "b": "true"})
    vals = ini.get_floats("arr")
    assert vals[0] == 1.0 and np.isnan(vals[1]) and vals[2] == -np.inf and vals[3] == 2.5e-5
    assert ini.get_floats("empty") == [] and ini.get_floats("none", None) is None and ini.get_bool("b")
    with pytest.raises(MojoError, match="'algo' must be an integer"):
        ini.get_int("algo")
    with pytest.raises(MojoError, match="no key"):
        ini.get_str("missing")


def test_domain_unescaping_and_lines() -> None:
    assert unescape_level(r"a\nb\\c\rd\x") == "a\nb\\c\rdx"
    assert split_lines("a\r\nb\rc\n") == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("mutate", "match"),
    [
        (lambda f: f.pop("model.ini"), "model.ini"),
        (lambda f: f.pop("domains/d000.txt"), "missing"),
        (lambda f: f.__setitem__("domains/d000.txt", b"only-one\n"), "levels"),
        (lambda f: f.__setitem__("model.ini", b"garbage"), "outside a section|no \\[info\\]"),
        (lambda f: f.__setitem__("model.ini", b"\xff\xfe"), "UTF-8"),
    ],
)
def test_broken_entries(mutate, match: str) -> None:  # type: ignore[no-untyped-def]
    files = entries()
    mutate(files)
    with pytest.raises(MojoError, match=match):
        mojo.load(rezip(files))


@pytest.mark.parametrize(
    ("key", "value", "match"),
    [
        ("n_trees", "many", "integer"),
        ("n_trees", "99999999", "integer in|too many"),
        ("default_threshold", "[1, 2]", "number"),
        ("supervised", "yes", "true or false"),
        ("mojo_version", "9.99", "unsupported mojo_version 9.99"),
        ("algorithm", "Word2Vec", "unsupported MOJO algorithm 'Word2Vec'"),
        ("_genmodel_encoding", "OneHotExplicit", "unsupported categorical encoding OneHotExplicit"),
        ("distribution", "custom", "unsupported GBM distribution"),
        ("n_columns", "3", "columns"),
    ],
)
def test_wrong_values_in_model_ini(key: str, value: str, match: str) -> None:
    data = with_ini(key, value)
    with pytest.raises(MojoError, match=match):
        mojo.load(data)


def test_truncated_zip() -> None:
    data = GBM.read_bytes()
    for cut in (0, 10, len(data) // 2, len(data) - 30):
        with pytest.raises(MojoError):
            mojo.load(data[:cut])


def test_zip_bomb_and_lying_sizes_stop_early() -> None:
    files = entries()
    files["trees/t00_000.bin"] = b"\0" * (8 << 20)
    data = rezip(files)
    start = time.perf_counter()
    with pytest.raises(MojoError, match="declares|limit"):
        mojo.load(data, limits=mojo.Limits(max_entry_bytes=1 << 20))
    # Headers that under-state the size: inflation stops there and the CRC check fails.
    lying = _patch_size(data, "trees/t00_000.bin", 100)
    with pytest.raises(MojoError, match="t00_000"):
        mojo.load(lying)
    with pytest.raises(MojoError, match="total"):
        mojo.load(data, limits=mojo.Limits(max_total_bytes=1 << 20))
    assert time.perf_counter() - start < 5


def _patch_size(data: bytes, name: str, size: int) -> bytes:
    """Rewrite the uncompressed size of ``name`` in its local and central headers."""
    out = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        local = zf.getinfo(name).header_offset
    struct.pack_into("<I", out, local + 22, size)
    pos = out.find(b"PK\x01\x02")
    while pos >= 0:
        n = struct.unpack_from("<H", out, pos + 28)[0]
        if out[pos + 46 : pos + 46 + n] == name.encode():
            struct.pack_into("<I", out, pos + 24, size)
        pos = out.find(b"PK\x01\x02", pos + 4)
    return bytes(out)


def test_too_many_entries() -> None:
    files = entries()
    files.update({f"junk/{i}": b"" for i in range(50)})
    with pytest.raises(MojoError, match="entries"):
        mojo.load(rezip(files), limits=mojo.Limits(max_entries=40))


def _tree_files() -> dict[str, bytes]:
    return {n: d for n, d in entries().items() if n.startswith("trees/") and not n.endswith("_aux.bin")}


def test_tree_bytes_pointing_outside_the_blob() -> None:
    files = entries()
    name, blob = next(iter(_tree_files().items()))
    files[name] = blob[: len(blob) // 2]
    with pytest.raises(MojoError, match="truncated|inconsistent|trailing"):
        mojo.load(rezip(files))
    files[name] = blob + b"\0\0\0\0"
    with pytest.raises(MojoError, match="trailing"):
        mojo.load(rezip(files))


def test_column_index_out_of_range() -> None:
    files = entries()
    name, blob = next(iter(_tree_files().items()))
    files[name] = blob[:1] + struct.pack("<H", 0xFFF0) + blob[3:]
    with pytest.raises(MojoError, match="splits on column"):
        mojo.load(rezip(files))


def _deep_tree(depth: int) -> bytes:
    leaf = struct.pack("<f", 1.0)
    node = bytes([0xF0, 0, 0, 3]) + struct.pack("<f", 0.5) + leaf + leaf
    for _ in range(depth - 1):
        node = bytes([0xC3, 0, 0, 3]) + struct.pack("<f", 0.5) + struct.pack("<i", len(node)) + node + leaf
    return node


def test_recursion_depth_bomb() -> None:
    files = entries()
    name = next(iter(_tree_files()))
    files[name] = _deep_tree(5000)
    start = time.perf_counter()
    with pytest.raises(MojoError, match="deeper"):
        mojo.load(rezip(files))
    assert time.perf_counter() - start < 5
    files[name] = _deep_tree(600)  # deep but legal: decoded without recursion, scored level by level
    mojo.load(rezip(files)).predict_numpy([ROW])


def test_predict_csv_and_inspect(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text('AGE,RACE,PSA,extra\n65,1,1.4,x\n,zz,"not a number",y\n', encoding="utf-8")
    model = mojo.load(GBM)
    out = tmp_path / "out.csv"
    assert mojo.predict_csv(model, src, out) == 2
    lines = out.read_text().splitlines()
    assert lines[0] == "predict,p0,p1" and len(lines) == 3
    expected = model.predict_numpy([{"AGE": "65", "RACE": "1", "PSA": "1.4"}])[0]
    assert [float(v) for v in lines[1].split(",")[1:]] == expected[1:].tolist()
    text = mojo.inspect_text(model)
    assert "gbm" in text and "CAPSULE" in text and "RACE  categorical[3]" in text
    with pytest.raises(MojoError, match="not found"):
        mojo.predict_csv(model, tmp_path / "nope.csv", out)


def test_ensemble_sub_model_paths_are_checked() -> None:
    files = entries(FIXTURES / "se_logit_prostate.zip")
    ini = files["model.ini"].decode()
    bad = ini.replace("submodel_dir_0 = models/", "submodel_dir_0 = ../../", 1)
    assert bad != ini
    files["model.ini"] = bad.encode()
    with pytest.raises(MojoError, match="not relative|missing"):
        mojo.load(rezip(files))
