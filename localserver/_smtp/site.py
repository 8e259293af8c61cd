"""What a session gets from its server: settings and collaborators, fixed while it runs.

:class:`SMTPSettings` holds the server's options, checked once. A
:class:`SessionSite` is everything else a session may use: the authenticator, the
TLS handshake, the fault book, and where accepted mail, AUTH attempts and errors
go. The server builds one per start; a session never sees the server itself.
"""

from __future__ import annotations

import socket
import ssl
import threading
from dataclasses import dataclass
from typing import Callable

from .._args import check_bool, check_choice, check_count, check_seconds
from .._tls import accept_tls
from .auth import AuthAttempt, Authenticator
from .faults import FaultBook
from .io import SessionClosed
from .mail import ReceivedMail

__all__ = [
    "DEFAULT_MAX_MESSAGE_SIZE",
    "DEFAULT_MAX_RECIPIENTS",
    "SMTPSettings",
    "SessionSite",
    "TLSUpgrade",
]

#: aiosmtpd's default, and what most mail services take.
DEFAULT_MAX_MESSAGE_SIZE = 32 * 1024 * 1024
#: RFC 5321 section 4.5.3.1.8: a server must take at least 100 recipients.
DEFAULT_MAX_RECIPIENTS = 100
# Used when connection_timeout is None: a handshake must not wait for ever.
_HANDSHAKE_TIMEOUT = 10.0


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


@dataclass(frozen=True)
class SMTPSettings:
    """The options of one SMTP server (see :class:`~localserver.SMTPServer`)."""

    hostname: str = "localhost"
    max_message_size: int | None = DEFAULT_MAX_MESSAGE_SIZE
    max_recipients: int = DEFAULT_MAX_RECIPIENTS
    connection_timeout: float | None = 60.0
    require_auth: bool = False
    auth_require_tls: bool = False
    starttls: bool = False
    require_starttls: bool = False
    smtps: bool = False
    bare_lf: str = "reject"

    @classmethod
    def checked(
        cls,
        *,
        hostname: object,
        max_message_size: object,
        max_recipients: object,
        connection_timeout: object,
        require_auth: object,
        auth_require_tls: object,
        starttls: object,
        require_starttls: object,
        smtps: object,
        bare_lf: str,
        has_auth: bool,
    ) -> SMTPSettings:
        """Check the options as given to the server; ``require_starttls`` implies STARTTLS.

        Raises:
            TypeError: An option of the wrong type.
            ValueError: An option out of range, or options that exclude each other.
        """
        require_starttls = check_bool("require_starttls", require_starttls)
        starttls = check_bool("starttls", starttls) or require_starttls
        smtps = check_bool("smtps", smtps)
        require_auth = check_bool("require_auth", require_auth)
        auth_require_tls = check_bool("auth_require_tls", auth_require_tls)
        if require_auth and not has_auth:
            raise ValueError("'require_auth' needs 'auth': pass auth='any' or a dict of users")
        if smtps and starttls:
            raise ValueError(
                "'smtps' and 'starttls' exclude each other: SMTPS is encrypted from the start"
            )
        if auth_require_tls and not (starttls or smtps):
            raise ValueError(
                "'auth_require_tls' needs TLS to log in over: pass starttls=True or smtps=True"
            )
        return cls(
            hostname=_check_hostname(hostname),
            max_message_size=check_count(
                "max_message_size", max_message_size, minimum=1, none=True
            ),
            max_recipients=check_count("max_recipients", max_recipients, minimum=1) or 1,
            connection_timeout=check_seconds(
                "connection_timeout", connection_timeout, none=True, zero=False
            ),
            require_auth=require_auth,
            auth_require_tls=auth_require_tls,
            starttls=starttls,
            require_starttls=require_starttls,
            smtps=smtps,
            bare_lf=check_choice("bare_lf", bare_lf, ("reject", "accept")),
        )

    def ehlo_lines(self, *, starttls: bool, auth: tuple[str, ...]) -> list[str]:
        """The lines of the EHLO reply: the name, then the extensions offered.

        Args:
            starttls: Offer STARTTLS (if configured): the session is not encrypted yet.
            auth: The AUTH mechanisms to offer now (none: leave AUTH out).
        """
        size = self.max_message_size
        lines = [
            self.hostname,
            "SIZE" if size is None else f"SIZE {size}",
            "8BITMIME",
            "SMTPUTF8",
            "PIPELINING",
            "ENHANCEDSTATUSCODES",
        ]
        if self.starttls and starttls:
            lines.append("STARTTLS")
        if auth:
            lines.append("AUTH " + " ".join(auth))
        lines.append("HELP")
        return lines


class TLSUpgrade:
    """Runs the server side of a TLS handshake on a connection's own thread.

    Args:
        context: The server ``SSLContext``.
        timeout: Seconds the client has for the handshake (``None``: a default).
        track: Tells the engine which socket to shut down on stop() from now on.
        stopped: Set while the server is not serving.
    """

    def __init__(
        self,
        context: ssl.SSLContext,
        timeout: float | None,
        *,
        track: Callable[[int, socket.socket], None],
        stopped: threading.Event,
    ) -> None:
        self._context = context
        self._timeout = timeout or _HANDSHAKE_TIMEOUT
        self._track = track
        self._stopped = stopped

    def __call__(self, sock: socket.socket, conn_id: int) -> socket.socket:
        """The TLS socket over *sock*, once the handshake succeeded.

        Raises:
            SessionClosed: The server stopped while the socket changed hands.
            OSError: The handshake failed or timed out.
        """
        tls_sock = accept_tls(
            sock,
            self._context,
            self._timeout,
            # Tracked before the handshake, so stop() can cut a stalled one short.
            on_wrap=lambda wrapped: self._track(conn_id, wrapped),
        )
        if self._stopped.is_set():
            tls_sock.close()
            raise SessionClosed("server stopped")
        return tls_sock


@dataclass(frozen=True)
class SessionSite:
    """Everything a session uses besides its socket, built by the server at start.

    Attributes:
        settings: The server's options.
        authenticator: Checks ``(mechanism, user, password)``; ``None``: AUTH is off.
        upgrade: Turns a plain socket into a TLS one (STARTTLS, SMTPS); ``None``
            when the server offers no TLS.
        faults: The fault rules; the session asks which one fires.
        deliver: Keeps an accepted mail (appends it to the outbox).
        record_auth: Keeps an AUTH attempt.
        record_error: Reports an unexpected exception (raised by ``stop()``).
        wait_stopped: Sleeps up to n seconds; True if the server stopped meanwhile.
    """

    settings: SMTPSettings
    authenticator: Authenticator | None
    faults: FaultBook
    deliver: Callable[[ReceivedMail], None]
    record_auth: Callable[[AuthAttempt], None]
    record_error: Callable[[BaseException], None]
    wait_stopped: Callable[[float | None], bool]
    upgrade: Callable[[socket.socket, int], socket.socket] | None
