"""The model reference ``NAME``, ``NAME@VERSION``, ``NAME@latest`` or ``NAME@ALIAS``: one grammar.

The spec (``scores.<x>.model``), the registry (``Registry.get``), the scoring service
(``--model``) and the CLI all parse references here, so a reference that one accepts the others
accept too.  Model names are letters, digits and ``_`` (they name folders); an alias starts with
a letter or ``_`` and may hold ``.`` and ``-``; digits alone are a version (from 1); ``latest``
is reserved for the newest version.  The name and the alias are checked by
:func:`~sparkwing.config.check_name` (an :class:`~sparkwing.errors.InvalidName`); the rest of
the grammar is a ``RegistryError``.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, model_validator

from sparkwing.config._names import MAX_NAME_LENGTH, check_name, is_name
from sparkwing.errors import InvalidName, RegistryError

NAME_PATTERN = r"[A-Za-z_][A-Za-z0-9_]*"
ALIAS_PATTERN = r"[A-Za-z_][A-Za-z0-9_.-]*"
LATEST = "latest"
#: The whole reference, for JSON Schema ``pattern`` fields.
REFERENCE_PATTERN = rf"^{NAME_PATTERN}(@([0-9]+|{ALIAS_PATTERN}))?$"

_ALIAS = re.compile(rf"^{ALIAS_PATTERN}$")
_HINT = "NAME, NAME@VERSION, NAME@latest or NAME@ALIAS, e.g. loan_default@production"


class ModelRef(BaseModel):
    """A parsed reference: ``name`` at ``version``, at ``alias``, or (neither) the newest version.

    >>> ModelRef.parse("loan_default@production").alias
    'production'
    >>> ModelRef.parse("loan_default@3").version
    3
    >>> ModelRef.parse("loan_default").latest, str(ModelRef.parse("loan_default"))
    (True, 'loan_default@latest')
    >>> str(ModelRef.parse("loan_default", default_alias="production"))
    'loan_default@production'
    """

    model_config = ConfigDict(frozen=True)

    name: str
    alias: str | None = None
    version: int | None = None

    @model_validator(mode="after")
    def _valid(self) -> ModelRef:
        try:
            check_model_name(self.name)
            if self.alias is not None:
                check_alias(self.alias)
        except (RegistryError, InvalidName) as exc:
            raise ValueError(exc.message) from None
        if self.alias is not None and self.version is not None:
            raise ValueError("a reference names an alias or a version, not both")
        if self.version is not None and self.version < 1:
            raise ValueError(f"model versions start at 1, got {self.version}")
        return self

    @classmethod
    def parse(cls, text: str, *, default_alias: str | None = None) -> ModelRef:
        """Parse ``text``; a bare ``NAME`` means ``default_alias`` if given, else the newest version.

        A bad reference is a ``RegistryError`` saying which part is wrong; a bad name or alias
        an ``InvalidName``.
        """
        raw = text.strip() if isinstance(text, str) else text
        if not isinstance(raw, str) or not raw:
            raise RegistryError(f"invalid model reference {text!r}: it is empty", hint=_HINT)
        if len(raw) > 2 * MAX_NAME_LENGTH + 1:
            raise RegistryError(f"invalid model reference {raw[:60]!r}...: it is longer than "
                                f"{2 * MAX_NAME_LENGTH + 1} characters", hint=_HINT)
        name, at, tag = raw.partition("@")
        check_name(name, "model")
        if not at:
            return cls(name=name, alias=default_alias)
        if tag == LATEST:
            return cls(name=name)
        if tag.isascii() and tag.isdigit():
            if int(tag) < 1:
                raise RegistryError(f"invalid model reference {text!r}: versions start at 1", hint=_HINT)
            return cls(name=name, version=int(tag))
        if not _ALIAS.match(tag):
            why = "nothing after '@'" if not tag else f"{tag!r} is neither a version nor an alias"
            raise RegistryError(
                f"invalid model reference {text!r}: {why}",
                hint="an alias starts with a letter or _ and holds letters, digits, _ . -; " + _HINT,
            )
        check_alias(tag)  # the name rules: length, no '..'
        return cls(name=name, alias=tag)

    @property
    def latest(self) -> bool:
        """True when the reference means the newest complete version."""
        return self.alias is None and self.version is None

    @property
    def tag(self) -> str:
        """What follows the ``@``: the version, the alias, or ``latest``."""
        return str(self.version) if self.version is not None else self.alias or LATEST

    def __str__(self) -> str:
        return f"{self.name}@{self.tag}"


def is_model_name(text: str) -> bool:
    return is_name(text, "model")


def check_model_name(name: str) -> None:
    """Raise :class:`InvalidName` unless ``name`` is a valid model name."""
    check_name(name, "model")


def check_alias(alias: str) -> None:
    """Raise :class:`InvalidName` unless ``alias`` can name an alias (not a number, not ``latest``)."""
    check_name(alias, "alias")
    if alias == LATEST:
        raise InvalidName(
            f"invalid alias {alias!r}: it is reserved for the newest version", kind="alias",
            hint="an alias starts with a letter or _ and holds letters, digits, _ . -; not 'latest'",
        )
