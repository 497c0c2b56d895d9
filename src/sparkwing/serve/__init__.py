"""``sparkwing serve``: a REST scoring service for registered models, with no JVM.

It scores with :mod:`sparkwing.mojo`, follows registry aliases without a restart, and guards
itself with sign-in (API keys, LDAP over HTTP Basic; :mod:`sparkwing.auth`), limits and metrics::

    >>> from sparkwing.serve import ServeConfig, create_app
    >>> app = create_app(ServeConfig(workspace="sparkwing-home"))    # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sparkwing._lazy import lazy_attributes as _lazy_attributes
from sparkwing.serve._config import DEFAULT_ALIAS, ModelRef, ServeConfig, is_loopback
from sparkwing.serve._errors import ServeError
from sparkwing.serve._server import run

if TYPE_CHECKING:
    from sparkwing.serve._app import Service, create_app
    from sparkwing.serve._models import LoadedModel, ModelStore

# The app and the models (FastAPI, NumPy, the scorer: ~0.3-0.4 CPU s) are imported on first use:
# the supervisor of `serve --workers N` never needs them, and each worker process imports them
# itself, so the supervisor starts its workers that much sooner.
_LAZY = {"Service": "_app", "create_app": "_app", "LoadedModel": "_models", "ModelStore": "_models"}


__getattr__, __dir__ = _lazy_attributes(__name__, globals(), {n: f".{m}" for n, m in _LAZY.items()})

__all__ = [
    "DEFAULT_ALIAS",
    "LoadedModel",
    "ModelRef",
    "ModelStore",
    "ServeConfig",
    "ServeError",
    "Service",
    "create_app",
    "is_loopback",
    "run",
]
