"""TLS files of a listening edge (serve, ui): checked before the server binds."""

from __future__ import annotations

import ssl

from sparkwing.errors import ConfigError


def check_tls(cert: str | None, key: str | None) -> None:
    """Both files or neither, and they load (a wrong path or a key that does not match the
    certificate is a one-line error before binding, not a traceback from the server)."""
    if bool(cert) != bool(key):
        raise ConfigError("TLS needs both a certificate and a key", hint="--tls-cert FILE --tls-key FILE")
    if cert and key:
        try:
            ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(cert, key)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(f"cannot use the TLS certificate {cert} with the key {key}: "
                              f"{getattr(exc, 'strerror', None) or exc}",
                              hint="PEM files; the key must belong to the certificate") from None
