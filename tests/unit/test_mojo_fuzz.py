"""Property test: mutated real MOJOs either load and score, or raise MojoError — nothing else.

Mutations act on the zip bytes and, more usefully, on the entries inside (re-zipped so the
CRC is valid and the parsers see the damage): flipped/inserted/deleted bytes, truncation,
rewritten model.ini values, dropped entries.
"""

from __future__ import annotations

import io
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mojo_parity import FIXTURES, manifest, read_tsv
from sparkwing import mojo
from sparkwing.errors import MojoError

# One small fixture per scorer family; absent ones are skipped.
_CANDIDATES = [
    "gbm_bernoulli_prostate", "drf_multinomial_iris", "glm_binomial_prostate",
    "glm_multinomial_iris", "xgb_binomial_prostate", "xgb_gblinear_prostate",
    "dl_rectifier_prostate", "kmeans_std_prostate", "if_prostate", "se_logit_prostate",
    "gbm_isotonic_prostate", "glm_ordinal_prostate",
]  # fmt: skip
LIMITS = mojo.Limits(max_entries=500, max_entry_bytes=4 << 20, max_total_bytes=16 << 20, max_levels=10_000)


def _sources() -> list[tuple[dict[str, bytes], list[dict[str, str]]]]:
    out = []
    m = manifest()
    for name in _CANDIDATES:
        if name in m:
            with zipfile.ZipFile(FIXTURES / m[name]["mojo"]) as zf:
                files = {n: zf.read(n) for n in zf.namelist() if not n.startswith("experimental/")}
            out.append((files, read_tsv(FIXTURES / m[name]["input"])[:8]))
    return out


SOURCES = _sources()

_INI_VALUES = st.sampled_from(
    ["0", "-1", "1", "2", "3", "99999", "2147483648", "NaN", "Infinity", "-0.0", "1e308", "null",
     "true", "false", "[]", "[1, 2]", "[NaN]", "abc", "", "[1.5, -2, 1e400]", "gaussian", "Logit"]
)  # fmt: skip


def _rezip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for n, d in files.items():
            zf.writestr(n, d)
    return buf.getvalue()


@st.composite
def mutated(draw: st.DrawFn) -> tuple[bytes, list[dict[str, str]]]:
    files, rows = SOURCES[draw(st.integers(0, len(SOURCES) - 1))]
    files = dict(files)
    kind = draw(st.sampled_from(["entry", "entry", "ini", "ini", "drop", "zip"]))
    names = sorted(files)
    if kind == "ini":
        ini_name = draw(st.sampled_from([n for n in names if n.endswith("model.ini")]))
        lines = files[ini_name].decode().split("\n")
        i = draw(st.integers(0, len(lines) - 1))
        key = lines[i].split("=")[0].strip() if "=" in lines[i] else lines[i]
        lines[i] = (
            f"{key} = {draw(_INI_VALUES)}"
            if "=" in lines[i]
            else draw(st.sampled_from(["", "x", "[info]", "9: 1 d000.txt"]))
        )
        files[ini_name] = "\n".join(lines).encode()
        return _rezip(files), rows
    if kind == "drop":
        del files[draw(st.sampled_from(names))]
        return _rezip(files), rows
    if kind == "zip":
        data = bytearray(_rezip(files))
    else:
        name = draw(st.sampled_from(names))
        data = bytearray(files[name])
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete" and data:
            del data[pos : pos + draw(st.integers(1, 8))]
        elif op == "truncate":
            del data[pos:]
    if kind == "zip":
        return bytes(data), rows
    files[name] = bytes(data)
    return _rezip(files), rows


@pytest.mark.skipif(not SOURCES, reason="no MOJO fixtures")
@pytest.mark.timeout(300)
@settings(max_examples=1000, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(case=mutated())
def test_mutated_mojos_raise_only_mojo_error(case: tuple[bytes, list[dict[str, str]]]) -> None:
    data, rows = case
    try:
        model = mojo.load(data, limits=LIMITS)
        model.predict_numpy(rows)
        mojo.inspect_text(model)
    except MojoError:
        pass
