"""``HTTPSServer``: ``HTTPServer`` over TLS, with certificates clients can trust."""

from __future__ import annotations

import os
import socket
import ssl
from typing import Union

from ._engine import format_host
from ._errors import LocalServerError
from ._http import HTTPServer
from ._tls import (
    ClientCertificate,
    PlaintextOnTLSPort,
    TestAuthority,
    accept_tls,
    check_client_cert_mode,
    default_authority,
    make_server_context,
)
from ._wsgi import _check_timeout

__all__ = ["HTTPSServer"]

StrPath = Union[str, "os.PathLike[str]"]

# OpenSSL's reason for a failed server-side handshake -> the kind of mistake.
_HANDSHAKE_MISTAKES = {
    "TLSV1_ALERT_UNKNOWN_CA": "untrusted-certificate",
    "SSLV3_ALERT_BAD_CERTIFICATE": "rejected-certificate",
    "SSLV3_ALERT_CERTIFICATE_UNKNOWN": "rejected-certificate",
    "PEER_DID_NOT_RETURN_A_CERTIFICATE": "no-client-certificate",
    "CERTIFICATE_VERIFY_FAILED": "bad-client-certificate",
    "UNSUPPORTED_PROTOCOL": "tls-version",
    "TLSV1_ALERT_PROTOCOL_VERSION": "tls-version",
    "VERSION_TOO_LOW": "tls-version",
}

# Bounds for reading the plain-text request we answer with a 400.
_PLAIN_HEAD_LIMIT = 64 * 1024
_PLAIN_ANSWER_TIMEOUT = 2.0


class HTTPSServer(HTTPServer):
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

    scheme = "https"

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
        connection_timeout: float | None = 60.0,
    ) -> None:
        super().__init__(host, port, connection_timeout=connection_timeout)
        self._client_certs = _client_cert_mode(require_client_cert, client_certs)
        if authority is not None and not isinstance(authority, TestAuthority):
            raise TypeError(f"'authority' must be a TestAuthority (got {authority!r})")
        self._authority = authority
        self.handshake_timeout = _check_timeout("handshake_timeout", handshake_timeout)
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

    @property
    def certificate(self) -> str:
        """The file a client trusts, under pytest-localserver's name; the same as :attr:`ca_bundle`.

        With ``cert_file=``, that file, as pytest-localserver does.
        """
        if self._own_cert_file is not None:
            return self._own_cert_file
        return self.ca_bundle

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

    @property
    def require_client_cert(self) -> bool:
        """Whether a client without a certificate is refused at the handshake."""
        return self._client_certs == "required"

    def _test_authority(self, what: str) -> TestAuthority:
        if self._own_cert_file is not None or (
            self._context is not None and self._authority is None
        ):
            raise LocalServerError(
                f"{what} is unknown: this server uses your own certificate or ssl_context, "
                "so localserver does not know which CA signed it; have clients trust your CA"
            )
        return self.authority

    # -- serving ----------------------------------------------------------------------

    def start(self) -> HTTPSServer:
        """Bind, listen and serve HTTPS on a daemon thread.

        The first HTTPS server of the process creates the test CA (a few
        milliseconds); later starts do no certificate work.
        """
        if self._context is None:
            self._context = self.authority.server_context(self._client_certs)
        # werkzeug reads this to fill wsgi.url_scheme.
        self.ssl_context = self._context
        return super().start()

    def _wrap_connection(self, conn: socket.socket, conn_id: int) -> socket.socket:
        context = self._context
        if context is None:
            raise RuntimeError("HTTPSServer accepted a connection before start()")
        peer = conn.getpeername()

        def adopt(tls: ssl.SSLSocket) -> None:
            # From here stop() must shut down the TLS socket; the plain one is detached.
            self._track_connection(conn_id, tls)
            if self._stopped.is_set():
                raise ConnectionAbortedError("the server is stopping")

        self._handshake_started()
        try:
            return accept_tls(conn, context, self.handshake_timeout, on_wrap=adopt)
        except PlaintextOnTLSPort:
            self._protocol_mismatch("plain-to-tls", peer)
            self._answer_plaintext(conn)
            raise
        except ssl.SSLError as exc:
            kind = _HANDSHAKE_MISTAKES.get(str(exc.reason))
            if kind is not None:
                self._protocol_mismatch(kind, peer)
            raise
        finally:
            self._handshake_ended()

    def _answer_plaintext(self, conn: socket.socket) -> None:
        """Tell a plain-HTTP client, in plain HTTP, that this port speaks TLS."""
        timeout = _PLAIN_ANSWER_TIMEOUT
        if self.handshake_timeout is not None:
            timeout = min(timeout, self.handshake_timeout)
        url = f"https://{format_host(self.host)}:{self.port}/"
        body = (
            f"This port speaks TLS: the request was sent as plain HTTP. Use {url} "
            "and trust the server's CA (server.ca_bundle).\n"
        ).encode("ascii")
        response = (
            b"HTTP/1.1 400 Bad Request\r\n"
            b"Content-Type: text/plain; charset=utf-8\r\n"
            b"Content-Length: %d\r\n"
            b"Connection: close\r\n\r\n%s" % (len(body), body)
        )
        try:
            conn.settimeout(timeout)
            # Read the request head first: closing with unread data would reset
            # the connection before the client reads the answer.
            head = b""
            while b"\r\n\r\n" not in head and len(head) < _PLAIN_HEAD_LIMIT:
                data = conn.recv(4096)
                if not data:
                    return
                head += data
            conn.sendall(response)
            conn.shutdown(socket.SHUT_WR)
            while conn.recv(4096) and not self._stopped.is_set():
                pass
        except OSError:
            pass


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
