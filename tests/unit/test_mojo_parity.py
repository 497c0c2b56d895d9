"""Every committed MOJO fixture scores exactly as h2o-genmodel did (labels equal, |Δ| ≤ 1e-9).

The fixtures (MOJO, scoring rows, genmodel's output) come from
tests/fixtures/mojo/make_fixtures.py; no JVM is needed here.
"""

from __future__ import annotations

import pytest

from mojo_parity import Parity, check, manifest

TOLERANCE = 1e-9
_RESULTS: dict[str, Parity] = {}


@pytest.mark.parametrize("name", sorted(manifest()))
def test_parity_with_genmodel(name: str) -> None:
    result = check(name)
    _RESULTS[name] = result
    assert result.label_mismatches == 0, f"{name}: {result.label_mismatches} labels differ"
    assert result.max_abs_diff <= TOLERANCE, f"{name}: max |Δ| {result.max_abs_diff:.3g}"


def test_parity_summary(capsys: pytest.CaptureFixture[str]) -> None:
    """Print the largest difference per model (runs after the parametrised tests)."""
    if not _RESULTS:
        pytest.skip("parity tests did not run in this session")
    with capsys.disabled():
        print("\nMOJO parity vs h2o-genmodel (max |Δ| over all rows and outputs)")
        for name, r in sorted(_RESULTS.items()):
            print(f"  {name:<34} rows={r.rows:<4} max|Δ|={r.max_abs_diff:.2e} genmodel-errors={r.error_rows}")
