"""``SMTPServer``: catches every mail on loopback, with its envelope. A façade over its parts.

The parts, each built here once: the :class:`~localserver._engine.Engine`
(lifecycle), the checked :class:`~.site.SMTPSettings`, the outbox, the AUTH
journal, the :class:`~.faults.FaultBook` and its public :class:`~.faults.Faults`,
and the :class:`~.checks.MailChecks`. Each start builds the
:class:`~.site.SessionSite` the sessions run on.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable, Mapping
from typing import NamedTuple, Union

from .._aliases import SMTPAliases
from .._engine import Engine, format_host
from .._journal import Journal
from .._lifecycle import ServerLifecycle
from .._public import public
from .._tls import default_authority
from .auth import AuthAttempt, check_auth_option
from .checks import MailChecks, MailCriteria, Recipients, Text
from .faults import FaultBook, FaultRule, Faults
from .mail import Outbox, ReceivedMail
from .session import session_handler
from .site import (
    DEFAULT_MAX_MESSAGE_SIZE,
    DEFAULT_MAX_RECIPIENTS,
    SessionSite,
    SMTPSettings,
    TLSUpgrade,
)

__all__ = ["AuthOption", "SMTPServer", "SMTPTestMark"]

#: What ``auth=`` takes: off, anyone, these accounts, or a checking function.
AuthOption = Union[str, Mapping[str, str], Callable[[str, str, str], bool], None]


class SMTPTestMark(NamedTuple):
    """Where a test on a shared server began (see :meth:`SMTPServer.begin_test`)."""

    rules: list[FaultRule]


@public
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

    Raises:
        TypeError: An option of the wrong type.
        ValueError: An option out of range, or options that exclude each other.

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
        self._engine = Engine(host, port, name=type(self).__name__)
        self._authenticator = check_auth_option(auth)
        self._settings = SMTPSettings.checked(
            hostname=hostname,
            max_message_size=max_message_size,
            max_recipients=max_recipients,
            connection_timeout=connection_timeout,
            require_auth=require_auth,
            auth_require_tls=auth_require_tls,
            starttls=starttls,
            require_starttls=require_starttls,
            smtps=smtps,
            bare_lf=bare_lf,
            has_auth=self._authenticator is not None,
        )
        if ssl_context is not None and not isinstance(ssl_context, ssl.SSLContext):
            raise TypeError(f"'ssl_context' must be an ssl.SSLContext (got {ssl_context!r})")
        self._ssl_context = ssl_context
        self._outbox = Outbox()
        self._auth_attempts: Journal[AuthAttempt] = Journal()
        self._fault_book = FaultBook()
        self._faults = Faults(self._fault_book)
        self._checks = MailChecks(self._outbox, lambda: (self.url, self.host, self.port))

    # -- options -------------------------------------------------------------------------

    @property
    def hostname(self) -> str:
        """The name in the banner and the EHLO reply."""
        return self._settings.hostname

    @property
    def max_message_size(self) -> int | None:
        """The largest message accepted, in octets (``None``: no limit)."""
        return self._settings.max_message_size

    @property
    def max_recipients(self) -> int:
        """The most ``RCPT TO`` per mail."""
        return self._settings.max_recipients

    @property
    def connection_timeout(self) -> float | None:
        """Seconds an idle connection is kept open (``None``: until stop())."""
        return self._settings.connection_timeout

    @property
    def require_auth(self) -> bool:
        """Whether MAIL, RCPT and DATA need a successful AUTH first."""
        return self._settings.require_auth

    @property
    def auth_require_tls(self) -> bool:
        """Whether AUTH is offered and taken only over TLS."""
        return self._settings.auth_require_tls

    @property
    def starttls(self) -> bool:
        """Whether STARTTLS is offered."""
        return self._settings.starttls

    @property
    def require_starttls(self) -> bool:
        """Whether mail and AUTH are refused before STARTTLS."""
        return self._settings.require_starttls

    @property
    def smtps(self) -> bool:
        """Whether every connection starts with a TLS handshake (implicit TLS)."""
        return self._settings.smtps

    @property
    def bare_lf(self) -> str:
        """``"reject"`` or ``"accept"``: what becomes of a message with a bare LF or CR."""
        return self._settings.bare_lf

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

    # -- what arrived --------------------------------------------------------------------

    @property
    def outbox(self) -> Outbox:
        """The mails accepted, oldest first, each a :class:`ReceivedMail`.

        A sequence, safe to read while mail arrives. ``outbox.clear()`` empties
        it and ``outbox.wait_for(count, timeout)`` waits for mail sent from
        elsewhere.
        """
        return self._outbox

    @property
    def auth_attempts(self) -> Journal[AuthAttempt]:
        """Every AUTH attempt, oldest first.

        Each is a named tuple ``(mechanism, user, success, connection_id)``; the
        password is never kept.
        """
        return self._auth_attempts

    @property
    def faults(self) -> Faults:
        """The fault rules of this server.

        ``faults.add(stage, reply, ...)`` and its presets add rules; what fired is
        in ``faults.injected``.
        """
        return self._faults

    def wait_for(self, count: int = 1, timeout: float | None = 5.0) -> list[ReceivedMail]:
        """Wait until at least *count* mails are in the outbox; see ``outbox.wait_for()``."""
        return self._outbox.wait_for(count, timeout)

    def clear(self) -> None:
        """Empty the outbox, forget AUTH attempts, remove fault rules and their record."""
        self._outbox.clear()
        self._auth_attempts.clear()
        self._fault_book.clear()

    # -- checks --------------------------------------------------------------------------

    def assert_mail_sent(
        self,
        to: Recipients | None = None,
        from_: str | None = None,
        subject: Text | None = None,
        body_contains: str | None = None,
        *,
        count: int | None = None,
        timeout: float | None = None,
    ) -> list[ReceivedMail]:
        """Check that mail like this arrived; return the matching mails, oldest first.

        Args:
            to: Recipients that must all be among the envelope recipients
                (``To``, ``Cc`` and ``Bcc`` alike): a str or a list of str.
            from_: The sender: the ``From`` address or the envelope sender.
            subject: The decoded subject: a str (equal) or a ``re.compile``
                pattern (found in it).
            body_contains: Text found in a text part (plain or HTML) of the body.
            count: ``None`` (at least one) or the exact number of matching mails.
            timeout: Wait up to this many seconds for them (mail sent from
                another thread or process); each arrival is looked at once.

        Raises:
            MailAssertionError: Not so many matching mails arrived; the message
                lists the closest mails with each field side by side, or says
                that no mail arrived at all and where the server listens.
            TypeError: A criterion of the wrong type.
            ValueError: A negative *count* or *timeout*.
        """
        criteria = MailCriteria(to, from_, subject, body_contains)
        return self._checks.mail_sent(criteria, count, timeout)

    def assert_no_mail_sent(
        self,
        to: Recipients | None = None,
        from_: str | None = None,
        subject: Text | None = None,
        body_contains: str | None = None,
    ) -> None:
        """Check that no mail like this arrived (with no criteria: no mail at all).

        The criteria are those of :meth:`assert_mail_sent`.

        Raises:
            MailAssertionError: Such mail arrived; the message lists it.
        """
        self._checks.no_mail_sent(MailCriteria(to, from_, subject, body_contains))

    def assert_mail_count(self, count: int, *, timeout: float | None = None) -> list[ReceivedMail]:
        """Check that exactly *count* mails arrived; return them, oldest first.

        Args:
            count: The number of mails expected.
            timeout: Wait up to this many seconds for *count* mails to arrive.

        Raises:
            MailAssertionError: Another number arrived; the message lists them.
        """
        return self._checks.mail_count(count, timeout)

    # -- per-test isolation, shared by the unittest mixins and the pytest module -----

    def begin_test(self) -> SMTPTestMark:
        """Start a test on a shared server: empty the outbox and the AUTH and fault logs.

        Fault rules already set (e.g. in ``setUpClass``) stay.

        Returns:
            A mark for :meth:`end_test`.
        """
        self._outbox.clear()
        self._auth_attempts.clear()
        self._fault_book.injected.clear()
        return SMTPTestMark(self._fault_book.rules)

    def end_test(self, mark: SMTPTestMark, *, check: bool = True) -> list[str]:
        """End the test begun at *mark*: remove the fault rules it added.

        Args:
            mark: What :meth:`begin_test` returned.
            check: Accepted for symmetry with the HTTP servers; SMTP has no
                end-of-test checks (assert on the outbox instead).

        Returns:
            ``[]``: SMTP has no lenient notes.
        """
        for rule in self._fault_book.rules:
            if rule not in mark.rules:
                self._fault_book.remove(rule)
        return []

    # -- lifecycle -----------------------------------------------------------------------

    def _before_start(self) -> None:
        settings = self._settings
        upgrade = None
        if settings.starttls or settings.smtps:
            # The context is built here, on the caller's thread.
            upgrade = TLSUpgrade(
                self.ssl_context,
                settings.connection_timeout,
                track=self._engine.track,
                stopped=self._engine.stopped,
            )
        site = SessionSite(
            settings=settings,
            authenticator=self._authenticator,
            faults=self._fault_book,
            deliver=self._outbox.append,
            record_auth=self._auth_attempts.append,
            record_error=self._engine.record_error,
            wait_stopped=self._engine.wait_stopped,
            upgrade=upgrade,
        )
        self._engine.handler = session_handler(site)
