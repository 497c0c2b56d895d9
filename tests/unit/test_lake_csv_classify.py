"""Pass-1 cell classes (lake/_csv_infer.classify) on the digits-only shortcut's edges."""

from __future__ import annotations

import pyarrow as pa
import pytest

from sparkwing.lake._csv_infer import INT, LONG, QEMPTY, UNK, classify


@pytest.mark.parametrize(
    ("cells", "null_value", "flags"),
    [
        (["1", "22", None], "", INT),
        (["1", "9999999999"], "", LONG),
        (["0", "0", None], "0", 0),  # every cell is the null marker: no value, no type
        (["0", "7"], "0", INT),
        ([None, None], "", 0),
        (["1", ""], "NA", INT | QEMPTY),  # a quoted empty cell under a marker
        (["1", "+2"], "", INT),  # a sign: the pattern decides
        (["1", "\u0661"], "", INT | UNK),  # an Arabic-Indic digit is no ASCII digit
        (["1", "1234567890123456789"], "", INT | UNK),  # 19 digits: not a long for certain
    ],
)
def test_classify_integers(cells, null_value, flags):
    assert classify(pa.array(cells, pa.string()), null_value) == flags
