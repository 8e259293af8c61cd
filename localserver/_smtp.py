"""``SMTPServer``: catches every mail on loopback, with its envelope."""

from __future__ import annotations

import smtplib
import socket
import ssl
from collections.abc import Mapping
from typing import Any, Callable, Union

from ._aliases import SMTPAliases
from ._engine import Engine, format_host
from ._journal import Journal
from ._lifecycle import ServerLifecycle
from ._mail import Outbox, ReceivedMail
from ._smtp_auth import check_auth_option
from ._smtp_faults import FaultRule, Faults
from ._smtp_io import SessionClosed
from ._smtp_session import SMTPSession
from ._tls import accept_tls, default_authority

__all__ = ["SMTPServer"]

#: aiosmtpd's default, and what most mail services take.
DEFAULT_MAX_MESSAGE_SIZE = 32 * 1024 * 1024
#: RFC 5321 section 4.5.3.1.8: a server must take at least 100 recipients.
DEFAULT_MAX_RECIPIENTS = 100
# Used when connection_timeout is None: a handshake must not wait for ever.
_HANDSHAKE_TIMEOUT = 10.0

AuthOption = Union[str, Mapping[str, str], Callable[[str, str, str], bool], None]


def _check_limit(name: str, value: object, *, allow_none: bool) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        none = " or None" if allow_none else ""
        raise ValueError(f"{name!r} must be a positive int{none} (got {value!r})")
    return value


def _check_hostname(hostname: object) -> str:
    if (
        not isinstance(hostname, str)
        or not hostname
        or not hostname.isascii()
        or any(char.isspace() for char in hostname)
    ):
        raise ValueError(
            f"'hostname' must be a non-empty ASCII name without spaces (got {hostname!r})"
        )
    return hostname


class SMTPServer(ServerLifecycle, SMTPAliases):
    """An SMTP server on loopback that keeps every mail it is sent.

    Each accepted mail lands in :attr:`outbox` as a :class:`ReceivedMail`: an
    ``email.message.EmailMessage`` (``email.policy.default``) that also carries
    its envelope and session facts. The server never looks up a host name: it
    calls itself *hostname* (``"localhost"``).

    Args:
        host: Address to bind; ``"127.0.0.1"`` by default, ``"::1"`` for IPv6.
        port: Port to bind; ``0`` picks a free one.
        hostname: The name in the banner and the EHLO reply.
        max_message_size: Largest message accepted, in octets (advertised as
            SIZE, also checked against ``MAIL FROM ... SIZE=``); ``None`` for no limit.
        max_recipients: Most ``RCPT TO`` per mail; more get ``452 4.5.3``.
        connection_timeout: Seconds an idle connection is kept open before
            ``421 4.4.2``; ``None`` keeps it until stop().
        auth: ``None`` (AUTH off), ``"any"`` (any credentials pass), a dict of
            user names to passwords, or a callable ``(mechanism, user, password)
            -> bool``. PLAIN and LOGIN are offered.
        require_auth: Answer MAIL, RCPT and DATA with ``530`` until AUTH succeeds.
        auth_require_tls: Offer and take AUTH only over TLS (STARTTLS or SMTPS).
        starttls: Offer STARTTLS.
        require_starttls: Offer STARTTLS and refuse mail and AUTH before it.
        smtps: Implicit TLS: every connection starts with a TLS handshake.
        ssl_context: A server ``ssl.SSLContext`` to use instead of the one made
            from localserver's test certificate authority.
        bare_lf: ``"reject"`` (default) refuses a message holding a bare LF or CR
            with ``554``; ``"accept"`` keeps it byte for byte. Either way only
            ``<CRLF>.<CRLF>`` ends the data.

    Attributes:
        outbox: The mails accepted, in order of arrival: a list of
            :class:`ReceivedMail`, safe to read while mail arrives.
            ``outbox.wait_for(count, timeout)`` waits for mail sent from other
            threads or processes.
        auth_attempts: Every AUTH attempt, as ``(mechanism, user, success,
            connection_id)``.
        faults: The fault rules: ``faults.add(stage, reply, ...)`` and its
            presets; what fired is in ``faults.injected``.

    Example::

        with SMTPServer() as server:
            with server.client() as client:
                client.send_message(message)
            assert server.outbox[0]["Subject"] == message["Subject"]
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        hostname: str = "localhost",
        max_message_size: int | None = DEFAULT_MAX_MESSAGE_SIZE,
        max_recipients: int = DEFAULT_MAX_RECIPIENTS,
        connection_timeout: float | None = 60.0,
        auth: AuthOption = None,
        require_auth: bool = False,
        auth_require_tls: bool = False,
        starttls: bool = False,
        require_starttls: bool = False,
        smtps: bool = False,
        ssl_context: ssl.SSLContext | None = None,
        bare_lf: str = "reject",
    ) -> None:
        self._engine = Engine(host, port, self._handle_connection, name=type(self).__name__)
        self.hostname = _check_hostname(hostname)
        self.max_message_size = _check_limit("max_message_size", max_message_size, allow_none=True)
        self.max_recipients: int = (
            _check_limit("max_recipients", max_recipients, allow_none=False)
            or DEFAULT_MAX_RECIPIENTS
        )
        if connection_timeout is not None and (
            isinstance(connection_timeout, bool)
            or not isinstance(connection_timeout, (int, float))
            or connection_timeout <= 0
        ):
            raise ValueError(
                "'connection_timeout' must be a positive number of seconds or None "
                f"(got {connection_timeout!r})"
            )
        self.connection_timeout = None if connection_timeout is None else float(connection_timeout)
        self._authenticator = check_auth_option(auth)
        if require_auth and self._authenticator is None:
            raise ValueError("'require_auth' needs 'auth': pass auth='any' or a dict of users")
        if smtps and (starttls or require_starttls):
            raise ValueError(
                "'smtps' and 'starttls' exclude each other: SMTPS is encrypted from the start"
            )
        self.starttls = bool(starttls or require_starttls)
        self.require_starttls = bool(require_starttls)
        self.smtps = bool(smtps)
        if auth_require_tls and not (self.starttls or self.smtps):
            raise ValueError(
                "'auth_require_tls' needs TLS to log in over: pass starttls=True or smtps=True"
            )
        self.require_auth = bool(require_auth)
        self.auth_require_tls = bool(auth_require_tls)
        if ssl_context is not None and not isinstance(ssl_context, ssl.SSLContext):
            raise TypeError(f"'ssl_context' must be an ssl.SSLContext (got {ssl_context!r})")
        self._ssl_context = ssl_context
        if bare_lf not in ("reject", "accept"):
            raise ValueError(f"'bare_lf' must be 'reject' or 'accept' (got {bare_lf!r})")
        self.bare_lf = bare_lf
        self.outbox = Outbox()
        self.auth_attempts: Journal[Any] = Journal()
        self.faults = Faults()

    # -- addresses -----------------------------------------------------------------------

    @property
    def addr(self) -> tuple[str, int]:
        """``(host, port)``, as pytest-localserver's ``smtpserver.addr``."""
        return (self.host, self.port)

    @property
    def url(self) -> str:
        """``smtp://host:port`` (``smtps://`` with implicit TLS)."""
        scheme = "smtps" if self.smtps else "smtp"
        return f"{scheme}://{format_host(self.host)}:{self.port}"

    # -- TLS -----------------------------------------------------------------------------

    @property
    def ssl_context(self) -> ssl.SSLContext:
        """The server-side context for STARTTLS and SMTPS (made on first use)."""
        if self._ssl_context is None:
            self._ssl_context = default_authority().server_context()
        return self._ssl_context

    @property
    def ca_bundle(self) -> str:
        """Path of the PEM file of the CA that signed the server's certificate."""
        return str(default_authority().ca_bundle)

    def client_ssl_context(self) -> ssl.SSLContext:
        """A client ``ssl.SSLContext`` that trusts this server's certificate."""
        return default_authority().client_ssl_context()

    def client(self, timeout: float = 10.0) -> smtplib.SMTP:
        """An ``smtplib`` client connected to this server (``SMTP_SSL`` for SMTPS).

        It says ``EHLO localhost`` instead of looking up this machine's name.
        Close it, or use it in a ``with`` block.
        """
        host, port = self.addr
        if self.smtps:
            return smtplib.SMTP_SSL(
                host,
                port,
                local_hostname="localhost",
                timeout=timeout,
                context=self.client_ssl_context(),
            )
        return smtplib.SMTP(host, port, local_hostname="localhost", timeout=timeout)

    def _accept_tls(self, sock: socket.socket, conn_id: int) -> socket.socket:
        """Run the server side of a TLS handshake on the connection's thread."""
        timeout = self.connection_timeout or _HANDSHAKE_TIMEOUT
        tls_sock = accept_tls(
            sock,
            self.ssl_context,
            timeout,
            # Tracked before the handshake, so stop() can cut a stalled one short.
            on_wrap=lambda wrapped: self._engine.track(conn_id, wrapped),
        )
        if self._engine.stopped.is_set():  # stopped while the socket changed hands
            tls_sock.close()
            raise SessionClosed("server stopped")
        return tls_sock

    # -- mail ----------------------------------------------------------------------------

    def wait_for(self, count: int = 1, timeout: float | None = 5.0) -> list[ReceivedMail]:
        """Wait until at least *count* mails are in the outbox; see ``outbox.wait_for()``."""
        return self.outbox.wait_for(count, timeout)

    def clear(self) -> None:
        """Empty the outbox, forget AUTH attempts, remove fault rules and their record."""
        self.outbox.clear()
        self.auth_attempts.clear()
        self.faults.clear()

    # -- per-test isolation, shared by the unittest mixins and the pytest module -----

    def begin_test(self) -> list[FaultRule]:
        """Start a test on a shared server: empty the outbox and the AUTH and fault logs.

        Fault rules already set (e.g. in ``setUpClass``) stay.

        Returns:
            A mark for :meth:`end_test`.
        """
        self.outbox.clear()
        self.auth_attempts.clear()
        self.faults.injected.clear()
        return self.faults.rules

    def end_test(self, mark: list[FaultRule], check: bool = True) -> None:
        """End the test begun at *mark*: remove the fault rules it added.

        Args:
            mark: What :meth:`begin_test` returned.
            check: Accepted for symmetry with the HTTP servers; SMTP has no
                end-of-test checks (assert on the outbox instead).
        """
        for rule in self.faults.rules:
            if rule not in mark:
                self.faults.remove(rule)

    # -- engine hooks --------------------------------------------------------------------

    def _before_start(self) -> None:
        if self.starttls or self.smtps:
            self.ssl_context  # noqa: B018 - build the context on the caller's thread

    def _handle_connection(self, conn: socket.socket, address: Any, conn_id: int) -> None:
        SMTPSession(self, conn, address, conn_id).run()

    # -- for the session (to become an explicit interface) ------------------------------

    def _wait_stopped(self, timeout: float | None) -> bool:
        return self._engine.wait_stopped(timeout)

    def _record_error(self, error: BaseException) -> None:
        self._engine.record_error(error)
