"""``sparkwing ui``: read-only web pages over a workspace's runs, quarantine, tables and models.

Server-rendered HTML (Jinja2, autoescaped) with inline SVG charts; no JavaScript, nothing from
the network; plain-file reads only, so it needs no Spark and takes no lock, and works while a
pipeline runs.  Bound to loopback unless a login is configured (``auth.ldap``: a sign-in form
and a signed session cookie; docs/security.md); :class:`Viewer` and the ``authenticate`` hook
of :func:`create_app` are where other logins plug in::

    >>> from sparkwing.ui import UiConfig, create_app
    >>> app = create_app(UiConfig(workspace="sparkwing-home"))    # doctest: +SKIP
"""

from sparkwing.ui._app import create_app
from sparkwing.ui._auth import Authenticate, Viewer, local_viewer
from sparkwing.ui._config import UiConfig
from sparkwing.ui._server import run

__all__ = ["Authenticate", "UiConfig", "Viewer", "create_app", "local_viewer", "run"]
