"""Generate ``sparkwing/config/h2o_params.json`` from the installed Sparkling Water classes.

``sparkwing.config`` checks algorithm and AutoML parameters before any JVM starts, and must not
import pysparkling, so it reads a table that this module writes. Nothing here starts a JVM:
the parameter names and types are the ``Param`` attributes the PySparkling estimator classes
declare (their type converters say the type), and the values of an enum parameter are read
from the Java enum's class file inside the Sparkling Water assembly jar.

Regenerate after upgrading Sparkling Water (``make h2o-params``)::

    python -m sparkwing.train._param_table > src/sparkwing/config/h2o_params.json

``tests/unit/test_h2o_param_table.py`` fails when the shipped table and the installed classes
disagree.
"""

from __future__ import annotations

import json
import struct
import sys
import zipfile
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from sparkwing.config._h2o_params import AUTOML, ESTIMATORS, GLRM, GRID

TABLE_CLASSES = {**ESTIMATORS, "automl": AUTOML, "glrm": GLRM, "grid": GRID}

# PySparkling converter -> the table's type name ("?" is appended for the nullable variants)
_TYPES = {
    "Boolean": "boolean", "Int": "int", "Float": "float", "String": "string", "EnumString": "enum",
    "ListString": "list[string]", "ListEnumString": "list[enum]", "ListFloat": "list[float]",
    "ListInt": "list[int]", "ListBoolean": "list[boolean]", "ListListString": "list[list[string]]",
    "ListListFloat": "list[list[float]]", "ListPairString": "list[pair[string]]",
    "DictionaryWithFloatElements": "dict[float]", "DictionaryWithAnyElements": "dict[any]",
    "DataFrame": "dataframe", "ListDenseVector": "list[vector]", "ListDenseMatrix": "list[matrix]",
    "H2OGridSearchSupportedAlgo": "estimator",
}  # fmt: skip


def declared_params() -> dict[str, Any]:
    """The table: for each sparkwing name, the estimator class and ``{param: type}``."""
    import pysparkling.ml as ml
    from pyspark.ml.param import Param

    out: dict[str, Any] = {"sparkling_water": metadata.version("h2o-pysparkling-3-5"), "estimators": {}}
    for name, cls_name in TABLE_CLASSES.items():
        cls = getattr(ml, cls_name)
        params: dict[str, Any] = {}
        for attr in sorted(dir(cls)):
            param = getattr(cls, attr, None)
            if isinstance(param, Param):
                params[param.name] = _describe(param)
        out["estimators"][name] = {"class": cls_name, "params": dict(sorted(params.items()))}
    return out


def _describe(param: Any) -> Any:
    converter = param.typeConverter
    kind = converter.__qualname__.split(".")[1].removeprefix("to")
    nullable = kind.startswith("Nullable")
    kind = kind.removeprefix("Nullable")
    if kind not in _TYPES:
        raise ValueError(f"{param.name}: no table type for PySparkling's converter {kind!r}")
    type_ = _TYPES[kind] + ("?" if nullable else "")
    if "enum" not in type_:
        return type_
    (enum_class,) = [c.cell_contents for c in converter.__closure__ or () if isinstance(c.cell_contents, str)]
    return {"type": type_, "values": enum_values(enum_class)}


def enum_values(java_class: str) -> list[str]:
    """The constants of a Java enum, in declaration order, read from its class file in the jar."""
    data = _jar().read(java_class.replace(".", "/") + ".class")
    return _enum_fields(data)


@cache
def _jar() -> zipfile.ZipFile:
    import sparkling_water

    return zipfile.ZipFile(Path(sparkling_water.__file__).parent / "sparkling_water_assembly.jar")


_ACC_ENUM = 0x4000
_CP_SIZES = {3: 4, 4: 4, 5: 8, 6: 8, 7: 2, 8: 2, 9: 4, 10: 4, 11: 4, 12: 4, 15: 3, 16: 2, 17: 4, 18: 4,
             19: 2, 20: 2}  # fmt: skip  # constant-pool tag -> payload bytes (1, utf8, has a length)


def _enum_fields(data: bytes) -> list[str]:
    """Names of the ACC_ENUM fields of a class file (JVM spec, chapter 4)."""
    (count,) = struct.unpack_from(">H", data, 8)
    utf8: dict[int, str] = {}
    pos, index = 10, 1
    while index < count:
        tag = data[pos]
        if tag == 1:
            (length,) = struct.unpack_from(">H", data, pos + 1)
            utf8[index] = data[pos + 3 : pos + 3 + length].decode("utf-8", "replace")
            pos += 3 + length
        else:
            pos += 1 + _CP_SIZES[tag]
        index += 2 if tag in (5, 6) else 1  # longs and doubles take two slots
    pos += 6  # access flags, this class, super class
    (interfaces,) = struct.unpack_from(">H", data, pos)
    pos += 2 + 2 * interfaces
    (fields,) = struct.unpack_from(">H", data, pos)
    pos += 2
    names = []
    for _ in range(fields):
        flags, name, _descriptor, attributes = struct.unpack_from(">HHHH", data, pos)
        pos += 8
        for _ in range(attributes):
            (length,) = struct.unpack_from(">I", data, pos + 2)
            pos += 6 + length
        if flags & _ACC_ENUM:
            names.append(utf8[name])
    return names


def render(table: dict[str, Any]) -> str:
    """The table as JSON with one parameter a line (reviewable diffs after an upgrade)."""
    lines = ["{", f' "sparkling_water": {json.dumps(table["sparkling_water"])},', ' "estimators": {']
    entries = list(table["estimators"].items())
    for i, (name, entry) in enumerate(entries):
        lines.append(f'  {json.dumps(name)}: {{"class": {json.dumps(entry["class"])}, "params": {{')
        params = [f"   {json.dumps(k)}: {json.dumps(v)}" for k, v in entry["params"].items()]
        lines.append(",\n".join(params))
        lines.append("  }}" + ("," if i < len(entries) - 1 else ""))
    lines += [" }", "}"]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render(declared_params()))
