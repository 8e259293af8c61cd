"""TLS material made at run time: one test CA per process, server and client certificates.

Nothing here ships a key: ``default_authority()`` makes a trustme CA (ECDSA) the
first time it is asked for, with a server certificate for ``localhost``,
``127.0.0.1`` and ``::1``. The server's key goes into its ``SSLContext`` without
being left in any file; the files clients need (the CA bundle, client
certificates and keys) live in a private temporary directory, readable by the
owner only, removed when the interpreter exits (see ``_tls_files``).

:func:`accept_tls` is the server side of a handshake, run on a connection's own
thread with a timeout, telling a plain-text client apart from a TLS one.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from ._public import public
from ._tls_files import PrivateDirectory, load_key_and_chain, sweep_once

if TYPE_CHECKING:
    import trustme

__all__ = [
    "CLIENT_CERT_MODES",
    "ClientCertificate",
    "PlaintextOnTLSPort",
    "TLSHandshakeError",
    "TLSHandshakeTimeout",
    "TestAuthority",
    "accept_tls",
    "check_client_cert_mode",
    "default_authority",
    "subject_of_pem",
]

SERVER_NAMES = ("localhost", "127.0.0.1", "::1")

CLIENT_CERT_MODES = {
    "none": ssl.CERT_NONE,
    "optional": ssl.CERT_OPTIONAL,
    "required": ssl.CERT_REQUIRED,
}

# A client certificate whose name is not a host name or an e-mail address still
# needs one subjectAltName (trustme requires an identity); this one never resolves.
_FALLBACK_CLIENT_IDENTITY = "client.localserver.invalid"

_PEEK_SIZE = 8


class TLSHandshakeError(ConnectionError):
    """The server side of a TLS handshake could not start or finish."""


class PlaintextOnTLSPort(TLSHandshakeError):
    """The client sent plain text (e.g. an HTTP request line) to a TLS port.

    Attributes:
        data: The first bytes the client sent, still unread on the socket.
    """

    def __init__(self, message: str, data: bytes) -> None:
        super().__init__(message)
        self.data = data


class TLSHandshakeTimeout(TLSHandshakeError, TimeoutError):
    """The client sent nothing, or not a whole handshake, within the timeout."""


def check_client_cert_mode(value: object) -> str:
    """Return *value* if it is a client-certificate mode, else raise ``ValueError``."""
    if not isinstance(value, str) or value not in CLIENT_CERT_MODES:
        raise ValueError(f"'client_certs' must be 'none', 'optional' or 'required' (got {value!r})")
    return value


@public
@dataclass(frozen=True)
class ClientCertificate:
    """A client certificate for mutual TLS, issued by a :class:`TestAuthority`.

    Attributes:
        common_name: The name it was issued for (its subject's CN).
        subject: The subject as an RFC 4514 string, e.g.
            ``"CN=alice,OU=test client,O=localserver"``; the server records the
            same text as ``RecordedRequest.client_cert_subject``.
        cert_file: Path of the certificate (PEM).
        key_file: Path of the private key (PEM), readable by the owner only.
        pem_file: Path of one file holding the key and the certificate, as
            ``requests``' ``cert=`` accepts.
        cert_pem: The certificate as PEM bytes.
        key_pem: The private key as PEM bytes.
    """

    common_name: str
    subject: str
    cert_file: str
    key_file: str
    pem_file: str
    cert_pem: bytes
    key_pem: bytes

    def __repr__(self) -> str:  # keeps the key out of test reports
        return f"<ClientCertificate {self.subject!r} {self.pem_file}>"


def subject_of_pem(pem: str | bytes) -> str:
    """Return the subject of a PEM certificate as an RFC 4514 string."""
    from cryptography import x509

    data = pem.encode("ascii") if isinstance(pem, str) else pem
    return x509.load_pem_x509_certificate(data).subject.rfc4514_string()


@public
class TestAuthority:
    """A certificate authority for tests, and the server certificate it signed.

    Creating one costs a few milliseconds (ECDSA keys), so every server made
    without ``authority=`` shares one per process. Make your own to get a CA
    that the shared one's clients do not trust.

    Args:
        server_names: Host names and IP addresses the server certificate is
            valid for.
    """

    __test__ = False  # not a pytest test class, despite its name

    def __init__(self, server_names: Iterable[str] = SERVER_NAMES) -> None:
        import trustme

        names = tuple(server_names)
        if not names or not all(isinstance(n, str) and n for n in names):
            raise ValueError(
                f"'server_names' must be non-empty host names or IP addresses (got {names!r})"
            )
        self.server_names = names
        # Once per process, whether or not this one ever writes a file: remove the
        # private directories that killed processes left behind.
        sweep_once()
        self._ca = trustme.CA()
        self._leaf = self._ca.issue_cert(*names)
        self._ca_pem = self._ca.cert_pem.bytes()
        self._lock = threading.Lock()
        self._directory: PrivateDirectory | None = None
        self._ca_bundle: str | None = None
        self._server_pem_file: str | None = None
        self._server_contexts: dict[str, ssl.SSLContext] = {}
        self._client_certs: dict[str, ClientCertificate] = {}

    def __repr__(self) -> str:
        return f"<TestAuthority for {', '.join(self.server_names)}>"

    @property
    def ca_pem(self) -> bytes:
        """The CA certificate, PEM-encoded."""
        return self._ca_pem

    @property
    def ca_bundle(self) -> str:
        """Path of a PEM file holding the CA certificate.

        Usable as ``requests``' ``verify=``, as ``SSL_CERT_FILE`` or
        ``REQUESTS_CA_BUNDLE``, or as ``cafile=`` of ``ssl.create_default_context``.
        """
        with self._lock:
            if self._ca_bundle is None:
                self._ca_bundle = self._directory_locked().write("ca", self._ca_pem)
            return self._ca_bundle

    @property
    def server_pem_file(self) -> str:
        """Path of the server's key and certificate in one PEM file (owner-only).

        For a server context of your own: ``context.load_cert_chain(path)``.
        The file is written when first asked for and stays until the process
        exits, like the client keys; the servers of this authority never need
        it (their key is loaded without a file left on disk).
        """
        with self._lock:
            return self._server_pem_file_locked()

    def server_context(self, client_certs: str = "none") -> ssl.SSLContext:
        """The server-side ``SSLContext``, TLS 1.2 at least, made once per mode.

        The context is shared by every server using this authority: do not
        change it; build your own and pass it as ``ssl_context=`` instead.

        Args:
            client_certs: ``"none"``, ``"optional"`` (verify a client certificate
                when one is presented) or ``"required"`` (refuse clients without
                one at the handshake).

        Raises:
            ValueError: *client_certs* is not one of the three modes.
        """
        mode = check_client_cert_mode(client_certs)
        with self._lock:
            context = self._server_contexts.get(mode)
            if context is None:
                context = _new_server_context()
                load_key_and_chain(
                    context,
                    self._leaf.private_key_and_cert_chain_pem.bytes(),
                    self._directory_locked,
                )
                if mode != "none":
                    self.trust_clients(context, mode)
                self._server_contexts[mode] = context
            return context

    def trust_clients(self, context: ssl.SSLContext, client_certs: str = "required") -> None:
        """Make a server *context* ask for client certificates issued by this CA."""
        context.verify_mode = CLIENT_CERT_MODES[check_client_cert_mode(client_certs)]
        context.load_verify_locations(cadata=self._ca_pem.decode("ascii"))

    def client_ssl_context(self, cert: ClientCertificate | None = None) -> ssl.SSLContext:
        """A new client ``SSLContext`` that trusts this CA and checks host names.

        Verification is on, with ``VERIFY_X509_STRICT`` on every Python version
        (3.13 turns it on by default), so what passes here passes there.

        Args:
            cert: A client certificate to present, for mutual TLS.
        """
        if cert is not None and not isinstance(cert, ClientCertificate):
            raise TypeError(
                f"'cert' must be a ClientCertificate from issue_client_cert() (got {cert!r})"
            )
        context = ssl.create_default_context(cadata=self._ca_pem.decode("ascii"))
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.verify_flags |= ssl.VERIFY_X509_STRICT
        if cert is not None:
            context.load_cert_chain(cert.cert_file, cert.key_file)
        return context

    def issue_client_cert(self, name: str) -> ClientCertificate:
        """Issue (once per name) a client certificate for mutual TLS.

        Args:
            name: The certificate's common name. When it is also a valid host
                name or e-mail address it is its subjectAltName too.

        Returns:
            The certificate; asking again for the same name returns the same one.

        Raises:
            ValueError: *name* is empty or holds control characters.
        """
        if not isinstance(name, str) or not name or not name.isprintable():
            raise ValueError(
                f"'name' must be a non-empty printable str, e.g. 'alice' (got {name!r})"
            )
        with self._lock:
            cached = self._client_certs.get(name)
            if cached is not None:
                return cached
            leaf = self._issue_client_leaf(name)
            cert_pem = leaf.cert_chain_pems[0].bytes()
            key_pem = leaf.private_key_pem.bytes()
            directory = self._directory_locked()
            cert = ClientCertificate(
                common_name=name,
                subject=subject_of_pem(cert_pem),
                cert_file=directory.write("client-cert", cert_pem),
                key_file=directory.write("client-key", key_pem),
                pem_file=directory.write("client", key_pem + cert_pem),
                cert_pem=cert_pem,
                key_pem=key_pem,
            )
            self._client_certs[name] = cert
            return cert

    def _issue_client_leaf(self, name: str) -> trustme.LeafCert:
        for identity in (name, _FALLBACK_CLIENT_IDENTITY):
            try:
                return self._ca.issue_cert(
                    identity,
                    common_name=name,
                    organization_name="localserver",
                    organization_unit_name="test client",
                )
            except ValueError:  # not a host name (idna's errors are ValueErrors)
                continue
        raise ValueError(f"cannot issue a client certificate for {name!r}")

    def _server_pem_file_locked(self) -> str:
        if self._server_pem_file is None:
            pem = self._leaf.private_key_and_cert_chain_pem.bytes()
            self._server_pem_file = self._directory_locked().write("server", pem)
        return self._server_pem_file

    def _directory_locked(self) -> PrivateDirectory:
        if self._directory is None:
            self._directory = PrivateDirectory()
        return self._directory


def _new_server_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def make_server_context(cert_file: str, key_file: str | None) -> ssl.SSLContext:
    """A server ``SSLContext`` (TLS 1.2 at least) with this certificate and key."""
    context = _new_server_context()
    context.load_cert_chain(cert_file, key_file)
    return context


_default: TestAuthority | None = None
_default_lock = threading.Lock()


def default_authority() -> TestAuthority:
    """The process-wide :class:`TestAuthority`, created on first use."""
    global _default
    authority = _default
    if authority is None:
        with _default_lock:
            if _default is None:
                _default = TestAuthority()
            authority = _default
    return authority


def _looks_like_plaintext(head: bytes) -> bool:
    # A TLS record starts with 0x16 (handshake); a text protocol's first command
    # (GET, POST, EHLO, ...) starts with a letter.
    return head[:1].isalpha()


def accept_tls(
    conn: socket.socket,
    context: ssl.SSLContext,
    timeout: float | None,
    *,
    on_wrap: Callable[[ssl.SSLSocket], None] | None = None,
) -> ssl.SSLSocket:
    """Run the server side of a TLS handshake on an accepted connection.

    Meant for the connection's own thread: a client that never speaks holds
    only that thread, for at most *timeout* seconds.

    Args:
        conn: The accepted socket; on success it belongs to the returned one.
        context: The server ``SSLContext``.
        timeout: Seconds the client has to send its whole handshake; ``None``
            waits forever. The returned socket keeps this timeout: set your own.
        on_wrap: Called with the ``SSLSocket`` before the handshake, e.g. to let
            a server's ``stop()`` shut it down mid-handshake.

    Returns:
        The ``SSLSocket``, handshake done.

    Raises:
        PlaintextOnTLSPort: The client sent plain text; nothing was read, so
            the caller can still read it from *conn* and answer in plain text.
        TLSHandshakeTimeout: The client sent no whole handshake within *timeout*.
        TLSHandshakeError: The client closed the connection before a handshake.
        ssl.SSLError: The handshake failed (garbage, untrusted certificate, ...).
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    conn.settimeout(timeout)
    try:
        head = conn.recv(_PEEK_SIZE, socket.MSG_PEEK)
    except socket.timeout as exc:  # socket.timeout: TimeoutError is 3.10+
        raise TLSHandshakeTimeout(
            f"the client sent nothing within {timeout} s of connecting (a TLS client "
            "starts with its ClientHello)"
        ) from exc
    if not head:
        raise TLSHandshakeError("the client closed the connection before a TLS handshake")
    if _looks_like_plaintext(head):
        raise PlaintextOnTLSPort(
            f"the client sent plain text to a TLS port (it began with {head!r})", head
        )
    tls = context.wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
    try:
        if on_wrap is not None:
            on_wrap(tls)
        if deadline is not None:
            tls.settimeout(max(deadline - time.monotonic(), 0.001))
        tls.do_handshake()
    except socket.timeout as exc:
        tls.close()
        raise TLSHandshakeTimeout(
            f"the client did not finish its TLS handshake within {timeout} s"
        ) from exc
    except BaseException:
        tls.close()
        raise
    return tls
