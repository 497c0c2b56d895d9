"""``sw.steps`` and ``sw.checks``: the spec's step and check kinds as Python calls.

One vocabulary: the names and parameters come from the registries in ``sparkwing.config``
(``STEP_KINDS``, ``CHECK_KINDS``), so a kind added there is a call here too.  A call builds
the same value the YAML line does::

    steps.cast(int_rate="double")        # - cast: {int_rate: double}
    steps.trim("term", "purpose")        # - trim: [term, purpose]
    steps.filter("annual_inc > 0")       # - filter: "annual_inc > 0"
    checks.in_range(int_rate=(0, 40))    # - in_range: {int_rate: [0, 40]}
    checks.row_count(min=500, severity="warn")
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pydantic import ValidationError

from sparkwing.config import CHECK_KINDS, STEP_KINDS, Check, Kind, Step
from sparkwing.errors import ConfigError


class Kinds:
    """Calls named after the kinds of one registry (``steps.cast(...)``, ``checks.not_null(...)``)."""

    def __init__(self, label: str, kinds: Mapping[str, Kind], model: type[Step] | type[Check]) -> None:
        self._label, self._kinds, self._model = label, kinds, model

    def __getattr__(self, name: str) -> Callable[..., Any]:
        kind = self._kinds.get(name)
        if kind is None or name.startswith("_"):
            raise AttributeError(f"sw.{self._label} has no kind {name!r}; known: {', '.join(self._kinds)}")
        return self._builder(kind)

    def __dir__(self) -> list[str]:
        return sorted(self._kinds)

    def __repr__(self) -> str:
        return f"<sw.{self._label}: {', '.join(self._kinds)}>"

    def _builder(self, kind: Kind) -> Callable[..., Any]:
        def build(*args: Any, **kwargs: Any) -> Any:
            severity = kwargs.pop("severity") if "severity" in kwargs and self._model is Check else None
            extra = {"severity": severity} if severity is not None else {}
            if args and kwargs:
                raise ConfigError(f"sw.{self._label}.{kind.name}: positional values or keywords, not both")
            if args:
                params: Any = args[0] if len(args) == 1 else list(args)
            else:  # `with` is a Python keyword: join(with_="other")
                params = {("with" if k == "with_" else k): v for k, v in kwargs.items()}
            return as_item(self._model, {kind.name: params, **extra}, f"sw.{self._label}.{kind.name}")

        build.__name__ = build.__qualname__ = kind.name
        build.__doc__ = kind.summary
        return build


def as_item(model: type[Any], value: Any, where: str) -> Any:
    """A Step/Check from itself or its YAML form (``{"cast": {...}}``); bad values are ConfigErrors."""
    if isinstance(value, model):
        return value
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        first = exc.errors()[0]
        message = str(first["msg"]).replace("Value error, ", "")
        raise ConfigError(f"{where}: {message}", hint="the parameters are those of the YAML spec") from None


steps = Kinds("steps", STEP_KINDS, Step)
checks = Kinds("checks", CHECK_KINDS, Check)
