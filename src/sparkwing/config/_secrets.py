"""Secret settings: pydantic ``SecretStr`` values read from the settings, the environment or a file.

A secret setting (S3 keys, the H2O password, LDAP bind passwords, ...) is declared with the
:data:`Secret` type.  Its value may be written three ways, in ``sparkwing.yaml``, a
``SPARKWING__SECTION__KEY`` variable or a CLI override:

- the secret itself (fine in an environment variable, poor in a file checked in);
- ``env:NAME``: read from the environment variable ``NAME`` when the settings load;
- ``file:PATH``: read from a file (``~`` expands; one trailing newline is dropped), e.g. a
  Kubernetes or Docker secret mount.

Once loaded a secret is a ``SecretStr``: ``repr``, ``str``, logs, JSON dumps and error messages
show ``**********``.  The code that hands it to a client (boto3, H2O) calls
``get_secret_value()``; the one place a secret crosses a process boundary in JSON (the scoring
service's worker processes) dumps with ``context=REVEAL_SECRETS``.

:func:`is_secret_key` tells which free-form settings (``spark.conf``, ``h2o.conf``) hold
secrets by their key, as Spark's own ``spark.redaction.regex`` does.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, SecretStr, SerializationInfo

from sparkwing.errors import ConfigError

ENV_REF = "env:"
FILE_REF = "file:"
MAX_SECRET_FILE_BYTES = 64 * 1024
MASK = "**********"
#: Serialisation context that writes secrets in clear (only for a private pipe or 0600 file).
REVEAL_SECRETS = {"secrets": "reveal"}

# Spark's spark.redaction.regex default, plus the spellings H2O and Hadoop use.
_SECRET_KEY = re.compile(r"secret|password|passwd|token|credential|access[._-]?key|(?:^|[._])pass$",
                         re.IGNORECASE)


def resolve_secret(value: Any) -> Any:
    """The secret an ``env:NAME`` or ``file:PATH`` reference stands for; any other value as given.

    Errors name the reference, never a secret.
    """
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if not isinstance(value, str):
        return value
    if value.startswith(ENV_REF):
        name = value[len(ENV_REF):].strip()
        if not name:
            raise ValueError("env: needs a variable name, e.g. env:AWS_SECRET_ACCESS_KEY")
        found = os.environ.get(name)
        if not found:
            raise ValueError(f"the environment variable {name} (from {ENV_REF}{name}) is not set or empty")
        return found
    if value.startswith(FILE_REF):
        path = Path(os.path.expanduser(value[len(FILE_REF):].strip()))
        try:
            size = path.stat().st_size
            if size > MAX_SECRET_FILE_BYTES:
                raise ValueError(f"the secret file {path} holds {size} bytes, more than a secret")
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"the secret file {path} cannot be read: {type(exc).__name__}") from None
        text = text[:-1] if text.endswith("\n") else text
        text = text[:-1] if text.endswith("\r") else text
        if not text:
            raise ValueError(f"the secret file {path} is empty")
        return text
    return value


def _dump(value: SecretStr | None, info: SerializationInfo) -> str | None:
    if value is None:
        return None
    context = info.context if isinstance(info.context, dict) else {}
    return value.get_secret_value() if context.get("secrets") == "reveal" else MASK


#: A secret setting: ``SecretStr`` or ``None``, from a value, ``env:NAME`` or ``file:PATH``.
Secret = Annotated[
    SecretStr | None,
    BeforeValidator(resolve_secret),
    PlainSerializer(_dump, return_type=str | None, when_used="json"),
]


def reveal(secret: SecretStr | None) -> str | None:
    """The clear text of a secret setting, for the client that needs it (``None`` stays ``None``)."""
    return secret.get_secret_value() if secret is not None else None


def is_secret_key(key: str) -> bool:
    """Whether a free-form setting's key names a secret (``spark.hadoop.fs.s3a.secret.key``, ...)."""
    return _SECRET_KEY.search(key) is not None


def refuse_secret_conf(conf: Mapping[str, str], what: str) -> None:
    """Raise ``ConfigError`` when ``conf`` (about to be written into ``what``) holds a secret key.

    Exported files (Oozie, Airflow, EMR, a printed spark-submit line) are read by many and kept
    in version control: a secret is named there, never written.  The message names the keys only.
    """
    found = sorted(k for k in conf if is_secret_key(k))
    if found:
        raise ConfigError(
            f"{what} would hold the secret setting(s) {', '.join(found)} in clear; it is not written",
            hint="leave credentials to the cluster (an EMR instance profile for S3, SPARKWING__* "
                 "environment variables or env:/file: references on the nodes); see docs/security.md",
        )
