"""``pytest_localserver.https``: ``SecureContentServer``, a ``ContentServer`` over TLS.

No private key ships with localserver. The peer's ``DEFAULT_KEY`` and
``DEFAULT_CERTIFICATE`` are paths to files made when first read, from
localserver's test CA (owner-only, removed when the process exits):
``DEFAULT_KEY`` holds the server's key, ``DEFAULT_CERTIFICATE`` the server's
certificate followed by the CA's, so a client told to trust it (``verify=``)
trusts the server.
"""

from __future__ import annotations

import os
import re
import threading
from typing import Any, Union

from ..._tls import default_authority
from ..._tls_files import PrivateDirectory
from .._absent import absent_names
from .._tls_variant import with_tls
from ._names import NOT_OFFERED
from .http import ContentServer

# DEFAULT_KEY and DEFAULT_CERTIFICATE are made when first read (module __getattr__).
__all__ = ["DEFAULT_CERTIFICATE", "DEFAULT_KEY", "SecureContentServer"]  # noqa: F822

StrPath = Union[str, "os.PathLike[str]"]

_CERTIFICATE = re.compile(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----\r?\n?", re.S)
_material: tuple[str, str] | None = None
_material_lock = threading.Lock()


def default_material() -> tuple[str, str]:
    """``(key_file, certificate_file)`` of the test CA's server certificate, made once."""
    global _material
    with _material_lock:
        if _material is None:
            authority = default_authority()
            key_file = authority.server_pem_file  # the key and the server's certificate
            with open(key_file, "rb") as file:
                chain = b"".join(_CERTIFICATE.findall(file.read()))
            certificate = PrivateDirectory().write("certificate", chain + authority.ca_pem)
            _material = (key_file, certificate)
        return _material


class SecureContentServer(ContentServer):
    """A :class:`~.http.ContentServer` over TLS: localserver's ``HTTPSServer``.

    Args:
        host: The address to listen on.
        port: The port; 0 picks a free one.
        key: The server's private key file; with *cert*, your own certificate.
        cert: The server's certificate file.

    By default the certificate is one of localserver's test CA, valid for
    ``localhost``, ``127.0.0.1`` and ``::1``; :attr:`certificate` is then a file
    clients can trust (``requests.get(url, verify=server.certificate)``).
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        return object.__new__(with_tls(cls))

    def __init__(
        self,
        host: str = "localhost",
        port: int = 0,
        key: StrPath | None = None,
        cert: StrPath | None = None,
    ) -> None:
        if key is None and cert is None:
            super().__init__(host, port, ssl_context="adhoc")
            self._cert: str | None = None
        else:
            cert_file = os.fspath(cert) if cert is not None else default_material()[1]
            key_file = os.fspath(key) if key is not None else default_material()[0]
            super().__init__(host, port, ssl_context=(cert_file, key_file))
            self._cert = cert_file

    @property
    def certificate(self) -> str:
        """Path of the certificate given, or of one a client can trust as it is."""
        return self._cert if self._cert is not None else default_material()[1]


def __getattr__(name: str) -> Any:
    if name == "DEFAULT_KEY":
        return default_material()[0]
    if name == "DEFAULT_CERTIFICATE":
        return default_material()[1]
    return _absent(name)


_absent = absent_names(__name__, NOT_OFFERED["https"])
