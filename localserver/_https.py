"""``HTTPSServer``: ``HTTPServer`` over TLS, with certificates clients can trust."""

from __future__ import annotations

import os
import ssl
from typing import Union

from ._aliases import HTTPSAliases
from ._args import check_seconds
from ._errors import LocalServerError
from ._http import HTTPServer
from ._http1.head import DEFAULT_LIMITS
from ._http1.tls import TLSAcceptor
from ._mistakes import Mistake
from ._public import public
from ._recorded import RecordedRequest
from ._tls import (
    ClientCertificate,
    TestAuthority,
    check_client_cert_mode,
    default_authority,
    make_server_context,
)

__all__ = ["HTTPSServer"]

StrPath = Union[str, "os.PathLike[str]"]


@public
class HTTPSServer(HTTPServer, HTTPSAliases):
    """:class:`HTTPServer` over TLS, with a certificate clients can verify.

    By default the server certificate comes from the process-wide test CA
    (made once, at first use): it is valid for ``localhost``, ``127.0.0.1``
    and ``::1``. Clients trust it through :attr:`ca_bundle` or
    :meth:`client_ssl_context`, never by turning verification off.

    Args:
        host: Address to bind; ``"127.0.0.1"`` by default, ``"::1"`` for IPv6.
        port: Port to bind; ``0`` picks a free one.
        require_client_cert: Mutual TLS: refuse clients without a certificate
            issued by :meth:`issue_client_cert`.
        client_certs: The client-certificate mode in full: ``"none"``,
            ``"optional"`` (verify one if presented) or ``"required"``.
        cert_file: Your own server certificate (PEM; may hold the key too).
        key_file: The key of *cert_file*, when it is a separate file.
        ssl_context: Your own server ``SSLContext``, used as it is.
        authority: The :class:`TestAuthority` to use instead of the default one.
        handshake_timeout: Seconds a client has to complete its TLS handshake.
        connection_timeout: Seconds an idle or silent connection is kept open.

    Example::

        with HTTPSServer() as server:
            server.serve_content("hello")
            response = requests.get(server.url, verify=server.ca_bundle, timeout=5)
            assert response.text == "hello"
    """

    _scheme = "https"

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        require_client_cert: bool = False,
        client_certs: str | None = None,
        cert_file: StrPath | None = None,
        key_file: StrPath | None = None,
        ssl_context: ssl.SSLContext | None = None,
        authority: TestAuthority | None = None,
        handshake_timeout: float | None = 10.0,
        connection_timeout: float | None = DEFAULT_LIMITS.idle_timeout,
        head_timeout: float | None = DEFAULT_LIMITS.head_timeout,
        max_body_size: int | None = DEFAULT_LIMITS.body,
        keep_alive: bool = True,
        strict: bool = True,
    ) -> None:
        super().__init__(
            host,
            port,
            connection_timeout=connection_timeout,
            head_timeout=head_timeout,
            max_body_size=max_body_size,
            keep_alive=keep_alive,
            strict=strict,
        )
        self._client_certs = _client_cert_mode(require_client_cert, client_certs)
        if authority is not None and not isinstance(authority, TestAuthority):
            raise TypeError(f"'authority' must be a TestAuthority (got {authority!r})")
        self._authority = authority
        self._handshake_timeout = check_seconds(
            "handshake_timeout", handshake_timeout, none=True, zero=False
        )
        self._own_cert_file: str | None = None
        self._context: ssl.SSLContext | None = None
        if ssl_context is not None:
            if not isinstance(ssl_context, ssl.SSLContext):
                raise TypeError(f"'ssl_context' must be an ssl.SSLContext (got {ssl_context!r})")
            if cert_file is not None or key_file is not None or authority is not None:
                raise ValueError(
                    "pass either 'ssl_context' or 'cert_file'/'key_file'/'authority', not both: "
                    "a context of your own already holds its certificate"
                )
            if require_client_cert or client_certs is not None:
                raise ValueError(
                    "pass either 'ssl_context' or 'require_client_cert'/'client_certs', not "
                    "both: set verify_mode on your context instead"
                )
            self._context = ssl_context
        elif cert_file is not None:
            self._own_cert_file = os.fspath(cert_file)
            self._context = _load_own_certificate(self._own_cert_file, key_file)
            if self._client_certs != "none":
                self.authority.trust_clients(self._context, self._client_certs)
        elif key_file is not None:
            raise ValueError(
                f"'key_file' was given ({os.fspath(key_file)!r}) without 'cert_file': "
                "pass the certificate as cert_file too"
            )

    # -- TLS material -----------------------------------------------------------------

    @property
    def authority(self) -> TestAuthority:
        """The test CA behind :attr:`ca_bundle` and :meth:`issue_client_cert`."""
        if self._authority is None:
            self._authority = default_authority()
        return self._authority

    @property
    def ca_bundle(self) -> str:
        """Path of the CA certificate (PEM) that clients should trust.

        Pass it as ``requests``' ``verify=`` or set it as ``SSL_CERT_FILE`` /
        ``REQUESTS_CA_BUNDLE``. The file is readable by the owner only and is
        removed when the process exits.

        Raises:
            LocalServerError: The server uses your own certificate or context.
        """
        return self._test_authority("ca_bundle").ca_bundle

    @property
    def ca_pem(self) -> bytes:
        """The CA certificate that clients should trust, PEM-encoded."""
        return self._test_authority("ca_pem").ca_pem

    def client_ssl_context(self, cert: ClientCertificate | None = None) -> ssl.SSLContext:
        """A new client ``SSLContext`` that trusts this server and checks host names.

        For ``http.client``, ``urllib``, ``httpx`` (``verify=``), ``aiohttp``
        (``ssl=``) and ``smtplib``.

        Args:
            cert: A client certificate to present (mutual TLS).

        Raises:
            LocalServerError: The server uses your own certificate or context.
        """
        return self._test_authority("client_ssl_context()").client_ssl_context(cert)

    def issue_client_cert(self, name: str) -> ClientCertificate:
        """A client certificate this server accepts (mutual TLS); once per name.

        Example::

            cert = server.issue_client_cert("alice")
            requests.get(server.url, verify=server.ca_bundle, cert=cert.pem_file, timeout=5)
            assert server.requests[0].client_cert_subject == cert.subject
        """
        return self.authority.issue_client_cert(name)

    @property
    def client_certs(self) -> str:
        """The client-certificate mode, ``"none"``, ``"optional"`` or ``"required"``."""
        return self._client_certs

    def _test_authority(self, what: str) -> TestAuthority:
        if self._own_cert_file is not None or (
            self._context is not None and self._authority is None
        ):
            raise LocalServerError(
                f"{what} is unknown: this server uses your own certificate or ssl_context, "
                "so localserver does not know which CA signed it; have clients trust your CA"
            )
        return self.authority

    def assert_client_cert_presented(
        self,
        cert: ClientCertificate | str | None = None,
        path: object = "",
        timeout: float | None = None,
    ) -> list[RecordedRequest]:
        """Check that a request came with a client certificate (mutual TLS); return those.

        Args:
            cert: The certificate expected: a :class:`~localserver.ClientCertificate`,
                a subject (``"CN=alice,..."``) or a common name (``"alice"``); any
                certificate when left out.
            path: Only requests to this path count (any path when left out).
            timeout: Wait up to this many seconds for such a request.

        Raises:
            ClientCertificateError: None came; the message lists what did.
        """
        return self._assertions.client_cert(cert, path, timeout)

    # -- serving ----------------------------------------------------------------------

    def _before_start(self) -> None:
        # The first HTTPS server of the process creates the test CA (a few ms).
        if self._context is None:
            self._context = self.authority.server_context(self._client_certs)
        engine = self._engine
        self._handler.wrap = TLSAcceptor(
            self._context,
            self._handshake_timeout,
            stopped=engine.stopped,
            track=engine.track,
            on_mistake=lambda kind, peer: self._checks.record_mistake(Mistake(kind, peer)),
            on_handshake=self._checks.handshake_changed,
            https_url=lambda: self.url,
        )
        super()._before_start()


def _client_cert_mode(require_client_cert: object, client_certs: object) -> str:
    if not isinstance(require_client_cert, bool):
        raise TypeError(
            f"'require_client_cert' must be True or False (got {require_client_cert!r})"
        )
    if client_certs is None:
        return "required" if require_client_cert else "none"
    mode = check_client_cert_mode(client_certs)
    if require_client_cert and mode != "required":
        raise ValueError(
            f"'require_client_cert=True' contradicts 'client_certs={mode!r}': pass one of them"
        )
    return mode


def _load_own_certificate(cert_file: str, key_file: StrPath | None) -> ssl.SSLContext:
    key = None if key_file is None else os.fspath(key_file)
    try:
        return make_server_context(cert_file, key)
    except (OSError, ssl.SSLError) as exc:
        raise ValueError(
            f"'cert_file' {cert_file!r} (key_file {key!r}) cannot be loaded: {exc}; pass a "
            "PEM certificate and its private key (in the same file or as key_file)"
        ) from exc
