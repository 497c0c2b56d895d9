"""Issue 14 item 8: a MOJO's declared sizes are bounded by what it holds and by a work budget."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from sparkwing import mojo
from sparkwing.errors import MojoError
from sparkwing.mojo import Limits

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mojo"


def rewrite(fixture: str, *, ini: dict[str, str], keep_trees: bool) -> bytes:
    """The fixture with ``model.ini`` keys replaced and, unless ``keep_trees``, no tree entries."""
    src = zipfile.ZipFile(FIXTURES / f"{fixture}.zip")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename.startswith("trees/") and not keep_trees:
                continue
            data = src.read(info)
            if info.filename == "model.ini":
                lines = data.decode().split("\n")
                for i, line in enumerate(lines):
                    key = line.split(" = ")[0]
                    if key in ini:
                        lines[i] = f"{key} = {ini[key]}"
                data = "\n".join(lines).encode()
            dst.writestr(info.filename, data)
    return out.getvalue()


def test_million_declared_trees_fail_at_load() -> None:
    # Before: this 46 KB-class file loaded; 100 rows took 20 s and 1,000 rows a 7.45 GiB MemoryError.
    data = rewrite("gbm_bernoulli_prostate", ini={"n_trees": "1000000"}, keep_trees=False)
    with pytest.raises(MojoError, match="trees"):
        mojo.load(data)


def test_absent_trees_cost_nothing() -> None:
    # Declared within H2O's limit but absent: scored as 0 (genmodel skips them), and not walked.
    data = rewrite("gbm_bernoulli_prostate", ini={"n_trees": "90000"}, keep_trees=False)
    model = mojo.load(data)
    assert model._scorer.forest.n_trees == 0
    t = time.perf_counter()
    out = model.predict_numpy(np.zeros((1000, 7)))
    elapsed = time.perf_counter() - t
    assert out.shape == (1000, 3)
    print(f"1,000 rows with 90,000 declared, absent trees: {elapsed * 1000:.1f} ms")


def test_row_cost_budget_refuses_at_load() -> None:
    with pytest.raises(MojoError, match="tree steps per row"):
        mojo.load(FIXTURES / "gbm_bernoulli_prostate.zip", limits=Limits(max_row_cost=50))
    with pytest.raises(MojoError, match="tree steps per row"):
        mojo.load(FIXTURES / "se_automl_all_prostate.zip", limits=Limits(max_row_cost=50))


def test_partial_forest_scores_like_the_full_one_minus_the_absent_trees() -> None:
    full = mojo.load(FIXTURES / "gbm_bernoulli_prostate.zip")
    x = np.random.default_rng(0).uniform(0, 3, size=(300, 7))
    # Drop every tree after the 10th: the sum of the first 10 trees is what remains.
    src = zipfile.ZipFile(FIXTURES / "gbm_bernoulli_prostate.zip")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            name = info.filename
            if name.startswith("trees/t00_") and int(name[10:13]) >= 10:
                continue
            dst.writestr(name, src.read(info))
    partial = mojo.load(out.getvalue())
    ten = full._scorer.forest.leaf_values(x)[:10].sum(axis=0)
    assert np.allclose(partial._scorer.sums(x)[:, 1], ten)


def test_memory_budget_chunks_rows_without_changing_scores() -> None:
    x = np.random.default_rng(1).uniform(0, 3, size=(2000, 7))
    free = mojo.load(FIXTURES / "gbm_bernoulli_prostate.zip")
    tight = mojo.load(FIXTURES / "gbm_bernoulli_prostate.zip", limits=Limits(max_batch_bytes=4096))
    assert tight._chunk_rows < 20 < free._chunk_rows
    assert np.array_equal(free.predict_numpy(x), tight.predict_numpy(x), equal_nan=True)
