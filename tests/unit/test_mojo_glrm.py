"""GLRM's two batch solvers, the compiled one (numba) and the NumPy lockstep, against the one-row
reference ``GlrmScorer._project``: the same bits on hostile rows, and numba loaded only when a
GLRM model scores."""

from __future__ import annotations

import platform
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mojo_parity import FIXTURES, manifest
from sparkwing import mojo

ROOT = Path(__file__).resolve().parents[2]
PATHS = ["compiled", "numpy"]


def _model(name: str, path: str) -> mojo.MojoModel:
    if path == "compiled":
        pytest.importorskip("numba")
    model = mojo.load(FIXTURES / manifest()[name]["mojo"])
    model._scorer.use_kernel = path == "compiled"
    return model


def _hostile(model: mojo.MojoModel, n: int, seed: int, scale: float = 3.0) -> np.ndarray:
    """Rows with missing cells, levels past the domain and below it (-1, -0.5: genmodel's
    ``(int)`` truncation), huge and infinite numbers."""
    rnd = np.random.default_rng(seed)
    x = rnd.normal(0, scale, (n, len(model.info.features)))
    for j, f in enumerate(model.info.features):
        if f.domain is not None:
            x[:, j] = rnd.choice([-1.0, -0.5, *range(len(f.domain) + 2), 0.9], n)
        else:
            odd = rnd.random(n) < 0.05
            x[odd, j] = rnd.choice([np.inf, -np.inf, 1e300, -1e-300, 0.0, -0.0], int(odd.sum()))
    x[rnd.random(x.shape) < 0.15] = np.nan
    return x


def _reference(model: mojo.MojoModel, x: np.ndarray, first: int = 0) -> np.ndarray:
    sc = model._scorer
    return np.array([sc._project(x[r].tolist(), sc.seed + first + r) for r in range(len(x))])


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("name", ["glrm_prostate", "glrm_iris"])
def test_batch_solvers_are_the_one_row_solver(name: str, path: str) -> None:
    """Calls of 1 to 200 rows in a row (the row counter carried over): the reference's bits."""
    model = _model(name, path)
    x = _hostile(model, 320, seed=3)
    model._scorer.reset()
    got = np.vstack([model.predict_numpy(x[lo:hi]) for lo, hi in [(0, 1), (1, 9), (9, 18), (18, 320)]])
    assert got.tobytes() == _reference(model, x).tobytes()  # signed zeros and NaNs included


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("scale", [1.0, 1e100, 1e300, 0.0, np.inf, np.nan, -0.0])
def test_batch_solvers_on_extreme_archetypes(scale: float, path: str) -> None:
    """Overflowing, zero, infinite and NaN archetypes, and for the NumPy lockstep a small pool
    (rows leave and join it while others iterate; non-finite archetypes go to the one-row code):
    still the reference's bits."""
    model = _model("glrm_prostate", path)
    sc = model._scorer
    sc._pool = 16
    with np.errstate(all="ignore"):
        sc._y[1] *= scale
    sc._yl, sc.y = sc._y.tolist(), sc._y.tolist()
    sc._lockstep = bool(np.isfinite(sc._y).all())  # as __init__ decides it
    x = _hostile(model, 120, seed=4, scale=30.0)
    sc.reset()
    assert model.predict_numpy(x).tobytes() == _reference(model, x).tobytes()


def test_compiled_and_numpy_paths_agree_on_the_fixture_rows() -> None:
    """The parity fixture's own rows, in one call: both paths give the same bits."""
    from mojo_parity import read_tsv

    entry = manifest()["glrm_prostate"]
    compiled, lockstep = _model("glrm_prostate", "compiled"), _model("glrm_prostate", "numpy")
    x = compiled.encode(read_tsv(FIXTURES / entry["input"])).values
    assert compiled.predict_numpy(x).tobytes() == lockstep.predict_numpy(x).tobytes()


def test_without_numba_the_numpy_lockstep_scores(monkeypatch: pytest.MonkeyPatch) -> None:
    """numba not importable: no kernel, the NumPy lockstep, the same bits."""
    monkeypatch.setitem(sys.modules, "numba", None)  # `import numba` raises ImportError
    monkeypatch.delitem(sys.modules, "sparkwing.mojo._glrm_numba", raising=False)
    model = mojo.load(FIXTURES / manifest()["glrm_prostate"]["mojo"])
    x = _hostile(model, 60, seed=5)
    got = model.predict_numpy(x)
    assert model._scorer._kernel() is None
    assert got.tobytes() == _reference(model, x).tobytes()


def _modules_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys; print(','.join(sorted(sys.modules)))"],
                         capture_output=True, text=True, check=True, cwd=ROOT)  # fmt: skip
    return set(out.stdout.strip().splitlines()[-1].split(","))


def test_numba_is_imported_only_when_a_glrm_model_scores() -> None:
    pytest.importorskip("numba")
    load = (f"import numpy as np, sparkwing\nfrom sparkwing import mojo\n"
            f"m = mojo.load({str(FIXTURES / manifest()['glrm_prostate']['mojo'])!r})\n"
            f"g = mojo.load({str(FIXTURES / manifest()['gbm_bernoulli_prostate']['mojo'])!r})\n"
            "g.predict_numpy(np.zeros((20, len(g.info.features))))\n")  # fmt: skip
    assert "numba" not in _modules_after(load)
    assert "numba" in _modules_after(load + "m.predict_numpy(np.zeros((20, len(m.info.features))))\n")


def test_compiled_solver_has_no_fused_or_reordered_arithmetic() -> None:
    """The machine code of a fresh compile: no FMA instructions, no fast-math flags in the IR."""
    pytest.importorskip("numba")
    from sparkwing.mojo import _glrm_numba

    fresh = _glrm_numba.compile_solver(cache=False)  # a cached compile has no code to inspect
    asm = "\n".join(fresh.inspect_asm().values())  # type: ignore[attr-defined]
    ir = "\n".join(fresh.inspect_llvm().values())  # type: ignore[attr-defined]
    assert re.search(r"\bv?fn?m(add|sub)", asm) is None  # x86 vfmadd231sd..., arm64 fmadd
    assert "fmuladd" not in ir
    assert re.search(r"\bf(add|sub|mul|div|cmp) (fast|reassoc|contract|nnan|ninf|nsz|arcp|afn)\b", ir) is None
    if platform.machine() == "x86_64":
        assert re.search(r"\bv?mulsd\b", asm) and re.search(r"\bv?addsd\b", asm)  # the code we read
