"""``sparkwing serve``: a REST scoring service for registered models, with no JVM.

It scores with :mod:`sparkwing.mojo`, follows registry aliases without a restart, and guards
itself with sign-in (API keys, LDAP over HTTP Basic; :mod:`sparkwing.auth`), limits and metrics::

    >>> from sparkwing.serve import ServeConfig, create_app
    >>> app = create_app(ServeConfig(workspace="sparkwing-home"))    # doctest: +SKIP
"""

from sparkwing.serve._app import Service, create_app
from sparkwing.serve._config import DEFAULT_ALIAS, ModelRef, ServeConfig, is_loopback
from sparkwing.serve._errors import ServeError
from sparkwing.serve._models import LoadedModel, ModelStore
from sparkwing.serve._server import run

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
