"""Package attributes imported on first use (PEP 562), written once for every package that has them.

``import sparkwing`` (and ``sparkwing.config``, ``sparkwing.serve``) stays light: a name from a
heavier module is imported the first time it is looked up, then kept in the package's globals
so that the next lookup is a plain one.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_attributes(
    package: str, namespace: dict[str, Any], modules: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package`` for ``modules`` (name -> module).

    A module name starting with ``.`` is relative to ``package``.  ``importlib``, not an import
    statement: lower layers import these packages and must not reach the layers above through them.
    """

    def __getattr__(name: str) -> Any:
        module = modules.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, package), name)
        namespace[name] = value  # the next lookup is a plain one
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *modules})

    return __getattr__, __dir__
