"""One SMTP session: the RFC 5321 state machine run on a connection's own thread."""

from __future__ import annotations

import contextlib
import socket
from typing import Callable

from .._engine import Address, ConnectionHandler
from .auth import MECHANISMS, AuthAttempt, AuthError, parse_auth_argument, read_credentials
from .data import read_data
from .faults import FaultRule
from .io import LINE_LIMIT, Connection, SessionClosed
from .mail import ReceivedMail
from .path import PathError, parse_recipient, parse_sender
from .site import SessionSite

__all__ = ["SMTPSession", "session_handler"]

# RFC 4954 section 4: an AUTH line may carry up to 12288 octets of initial response.
_AUTH_LINE_LIMIT = 12288


class SMTPSession:
    """Serve one client: greet, answer each command in order, keep accepted mail.

    Commands are read and answered strictly in order, which is all PIPELINING
    (RFC 2920) asks of a server.
    """

    def __init__(
        self, site: SessionSite, sock: socket.socket, address: Address, conn_id: int
    ) -> None:
        self.site = site
        self.settings = site.settings
        self.sock = sock
        # (host, port) of TCP over IPv4 and IPv6 alike (IPv6 adds flow and scope).
        self.peer: tuple[str, int] = (str(address[0]), int(address[1]))
        self.conn_id = conn_id
        self.conn: Connection | None = None
        self.tls: str | None = None
        self.auth_user: str | None = None
        self.helo: str | None = None
        self.esmtp = False
        self._reset_transaction()

    # -- the session loop ----------------------------------------------------------------

    def run(self) -> None:
        """Serve the connection until QUIT, a drop, a timeout or the server's stop."""
        try:
            self._open()
            while True:
                self._command()
        except SessionClosed:
            pass
        except (socket.timeout, TimeoutError):
            self._say_goodbye(
                f"421 4.4.2 {self.settings.hostname} Idle timeout, closing connection"
            )
        finally:
            if self.conn is not None:
                self.conn.close()

    def _say_goodbye(self, line: str) -> None:
        if self.conn is not None:
            with contextlib.suppress(OSError, EOFError):  # the client may be gone
                self.conn.send(line)

    def _open(self) -> None:
        site, settings = self.site, self.settings
        rule = self._fire("connect", str(self.peer[0]))
        if rule is not None and rule.disconnect:
            raise SessionClosed("injected disconnect")
        sock = self.sock
        if settings.smtps:
            sock = self._upgrade(sock)
            self.tls = "smtps"
        self.conn = Connection(sock, settings.connection_timeout, site.wait_stopped)
        if rule is not None:
            self.conn.bytes_per_second = rule.bytes_per_second
        if self._fault("greeting", str(self.peer[0]), close_unless_2xx=True):
            return
        self.conn.send(f"220 {settings.hostname} ESMTP localserver ready")

    def _command(self) -> None:
        conn = self._connection()
        line = conn.readline(_AUTH_LINE_LIMIT)
        if line.too_long or (len(line.data) > LINE_LIMIT and line.data[:5].upper() != b"AUTH "):
            conn.send("500 5.5.2 Line too long (the limit is 1000 octets with CRLF)")
            return
        if line.bare:
            conn.send("500 5.5.2 Bare LF or CR in a command; lines must end with CRLF")
            return
        try:
            text = line.content.decode("utf-8")
        except UnicodeDecodeError:
            conn.send("500 5.5.2 Command is not valid UTF-8")
            return
        verb, _, arg = text.partition(" ")
        handler = _COMMANDS.get(verb.upper())
        if handler is None:
            if not verb:
                conn.send("500 5.5.2 Empty command")
            else:
                conn.send(f"500 5.5.1 Command not recognized: {verb[:40]!r}")
            return
        handler(self, arg.strip(" "))

    def _connection(self) -> Connection:
        if self.conn is None:  # pragma: no cover - _open() sets it first
            raise SessionClosed("no connection")
        return self.conn

    def _upgrade(self, sock: socket.socket) -> socket.socket:
        if self.site.upgrade is None:  # pragma: no cover - STARTTLS and SMTPS come with one
            raise SessionClosed("the server offers no TLS")
        return self.site.upgrade(sock, self.conn_id)

    def _reply(self, line: str) -> None:
        self._connection().send(line)

    def _fault(self, stage: str, argument: str, *, close_unless_2xx: bool = False) -> bool:
        """Apply the fault rule that fires here, if any; True if it sent the reply."""
        return self._answer(self._fire(stage, argument), close_unless_2xx=close_unless_2xx)

    def _fire(self, stage: str, argument: str) -> FaultRule | None:
        """Pick the fault rule that fires here and sit out its delay."""
        rule = self.site.faults.pick(stage, argument, self.conn_id)
        if rule is not None and rule.delay and self.site.wait_stopped(rule.delay):
            raise SessionClosed("server stopped")
        return rule

    def _answer(self, rule: FaultRule | None, *, close_unless_2xx: bool = False) -> bool:
        """Send a fired rule's reply and drop the line if it says so."""
        if rule is None:
            return False
        if rule.reply is not None:
            self._reply(rule.reply)
            if rule.reply.startswith("421") or (close_unless_2xx and rule.reply[0] != "2"):
                raise SessionClosed("injected reply closes the connection")
        if rule.disconnect:
            raise SessionClosed("injected disconnect")
        return rule.reply is not None

    def _reset_transaction(self) -> None:
        self.mail_from: str | None = None
        self.rcpt_tos: list[str] = []
        self.mail_options: list[str] = []
        self.rcpt_options: list[str] = []
        self.smtputf8 = False

    def _may_transact(self) -> bool:
        """Check what MAIL, RCPT and DATA need besides the greeting; reply if refused."""
        if self.settings.require_starttls and self.tls is None:
            self._reply("530 5.7.0 Must issue a STARTTLS command first")
            return False
        if self.settings.require_auth and self.auth_user is None:
            self._reply("530 5.7.0 Authentication required")
            return False
        return True

    # -- greeting ------------------------------------------------------------------------

    def smtp_HELO(self, arg: str) -> None:
        self._hello(arg, esmtp=False)

    def smtp_EHLO(self, arg: str) -> None:
        self._hello(arg, esmtp=True)

    def _hello(self, arg: str, *, esmtp: bool) -> None:
        verb = "EHLO" if esmtp else "HELO"
        if not arg or " " in arg:
            self._reply(f"501 5.5.4 Syntax: {verb} hostname")
            return
        if self._fault("ehlo", arg):
            return
        self._reset_transaction()
        self.helo, self.esmtp = arg, esmtp
        if not esmtp:
            self._reply(f"250 {self.settings.hostname}")
            return
        lines = self.settings.ehlo_lines(
            starttls=self.tls is None, auth=MECHANISMS if self._auth_offered() else ()
        )
        self._connection().send(*(f"250-{line}" for line in lines[:-1]), f"250 {lines[-1]}")

    def _auth_offered(self) -> bool:
        if self.site.authenticator is None or self.auth_user is not None:
            return False
        settings = self.settings
        return self.tls is not None or not (settings.auth_require_tls or settings.require_starttls)

    # -- the mail transaction ------------------------------------------------------------

    def smtp_MAIL(self, arg: str) -> None:
        if self.helo is None:
            self._reply("503 5.5.1 Send HELO or EHLO first")
            return
        if not self._may_transact():
            return
        if self.mail_from is not None:
            self._reply("503 5.5.1 Sender already given; send RSET to start again")
            return
        try:
            sender = parse_sender(arg, esmtp=self.esmtp, max_size=self.settings.max_message_size)
        except PathError as exc:
            self._reply(exc.reply)
            return
        if self._fault("mail", sender.address):
            return
        self.mail_from, self.smtputf8 = sender.address, sender.smtputf8
        self.mail_options = sender.params
        self._reply("250 2.1.0 Sender OK")

    def smtp_RCPT(self, arg: str) -> None:
        if self.mail_from is None:
            self._reply("503 5.5.1 Send MAIL FROM first")
            return
        if not self._may_transact():
            return
        try:
            recipient = parse_recipient(arg, esmtp=self.esmtp, smtputf8=self.smtputf8)
        except PathError as exc:
            self._reply(exc.reply)
            return
        limit = self.settings.max_recipients
        if len(self.rcpt_tos) >= limit:
            self._reply(f"452 4.5.3 Too many recipients (the limit is {limit})")
            return
        if self._fault("rcpt", recipient.address):
            return
        self.rcpt_tos.append(recipient.address)
        self.rcpt_options.extend(recipient.params)
        self._reply("250 2.1.5 Recipient OK")

    def smtp_DATA(self, arg: str) -> None:
        if self.mail_from is None:
            self._reply("503 5.5.1 Send MAIL FROM first")
            return
        if not self._may_transact():
            return
        if not self.rcpt_tos:
            self._reply("554 5.5.1 No valid recipients")
            return
        if arg:
            self._reply("501 5.5.4 Syntax: DATA (no argument)")
            return
        if self._fault("data", self.mail_from):
            return
        self._reply("354 End data with <CR><LF>.<CR><LF>")
        conn = self._connection()
        raw, error = read_data(
            conn, self.settings.max_message_size, keep_bare=self.settings.bare_lf == "accept"
        )
        try:
            if error is not None:
                self._reply(error)
                return
            rule = None
            if self.site.faults.rules:
                rule = self._fire("data_end", raw.decode("utf-8", "replace"))
            if rule is not None and rule.disconnect and rule.reply is None:
                raise SessionClosed("injected disconnect")  # the mail is lost
            if rule is None or rule.reply is None or rule.reply[0] == "2":
                self._keep(raw)  # before the reply: a client that saw 250 finds it
            if not self._answer(rule):
                self._reply("250 2.0.0 OK: message accepted")
        finally:
            self._reset_transaction()

    def _keep(self, raw: bytes) -> None:
        mail = ReceivedMail(
            raw,
            mail_from=self.mail_from or "",
            rcpt_tos=self.rcpt_tos,
            mail_options=self.mail_options,
            rcpt_options=self.rcpt_options,
            peer=self.peer,
            helo=self.helo,
            esmtp=self.esmtp,
            tls=self.tls,
            auth_user=self.auth_user,
            smtputf8=self.smtputf8,
            connection_id=self.conn_id,
        )
        self.site.deliver(mail)

    # -- small commands ------------------------------------------------------------------

    def smtp_RSET(self, arg: str) -> None:
        if arg:
            self._reply("501 5.5.4 Syntax: RSET (no argument)")
            return
        self._reset_transaction()
        self._reply("250 2.0.0 OK")

    def smtp_NOOP(self, arg: str) -> None:
        self._reply("250 2.0.0 OK")

    def smtp_QUIT(self, arg: str) -> None:
        self._reply(f"221 2.0.0 {self.settings.hostname} closing connection")
        raise SessionClosed("QUIT")

    def smtp_VRFY(self, arg: str) -> None:
        if not arg:
            self._reply("501 5.5.4 Syntax: VRFY address")
            return
        self._reply("252 2.5.0 Cannot verify the user, but will accept mail for it")

    def smtp_HELP(self, arg: str) -> None:
        self._reply("214 2.0.0 Commands: " + " ".join(sorted(_COMMANDS)))

    # -- STARTTLS and AUTH ---------------------------------------------------------------

    def smtp_STARTTLS(self, arg: str) -> None:
        if not self.settings.starttls:
            self._reply("502 5.5.1 STARTTLS not offered")
            return
        if self.tls is not None:
            self._reply("503 5.5.1 TLS already active")
            return
        if arg:
            self._reply("501 5.5.4 Syntax: STARTTLS (no argument)")
            return
        conn = self._connection()
        conn.send("220 2.0.0 Ready to start TLS")
        # RFC 3207 section 4.2: anything the client pipelined after STARTTLS is
        # dropped with the plaintext reader, and the session starts afresh.
        conn.drop_reader()
        conn.replace_socket(self._upgrade(conn.sock))
        self.tls = "starttls"
        self.helo, self.esmtp, self.auth_user = None, False, None
        self._reset_transaction()

    def smtp_AUTH(self, arg: str) -> None:
        settings, authenticator = self.settings, self.site.authenticator
        if authenticator is None:
            self._reply("502 5.5.1 AUTH not offered")
            return
        if self.helo is None or not self.esmtp:
            self._reply("503 5.5.1 Send EHLO first")
            return
        if self.auth_user is not None:
            self._reply("503 5.5.1 Already authenticated")
            return
        if self.mail_from is not None:
            self._reply("503 5.5.1 AUTH is not allowed during a mail transaction")
            return
        if self.tls is None and settings.require_starttls:
            self._reply("530 5.7.0 Must issue a STARTTLS command first")
            return
        if self.tls is None and settings.auth_require_tls:
            self._reply("538 5.7.11 Encryption required for requested authentication mechanism")
            return
        try:
            mechanism, initial = parse_auth_argument(arg)
            user, password = read_credentials(mechanism, initial, self._ask)
        except AuthError as exc:
            self._reply(exc.reply)
            return
        rule = self._fire("auth", user)
        if rule is not None and rule.reply is not None:
            self.site.record_auth(AuthAttempt(mechanism, user, rule.reply[0] == "2", self.conn_id))
            if rule.reply[0] == "2":
                self.auth_user = user
        if self._answer(rule):
            return
        try:
            success = authenticator(mechanism, user, password)
        except Exception as exc:  # the user's callable failed: report it at stop()
            self.site.record_error(exc)
            self._reply("454 4.7.0 Temporary authentication failure")
            return
        self._finish_auth(mechanism, user, success)

    def _finish_auth(self, mechanism: str, user: str, success: bool) -> None:
        self.site.record_auth(AuthAttempt(mechanism, user, success, self.conn_id))
        if success:
            self.auth_user = user
            self._reply("235 2.7.0 Authentication successful")
        else:
            self._reply("535 5.7.8 Authentication credentials invalid")

    def _ask(self, challenge: str) -> str:
        conn = self._connection()
        conn.send(f"334 {challenge}")
        line = conn.readline(_AUTH_LINE_LIMIT)
        if line.too_long:
            raise AuthError("500 5.5.6 Authentication exchange line is too long")
        if line.bare:
            raise AuthError("500 5.5.2 Bare LF or CR; lines must end with CRLF")
        return line.content.decode("ascii", "replace").strip(" ")


# Verb to handler; a table rather than getattr() so that no client-chosen name
# ever reaches attribute lookup.
_COMMANDS: dict[str, Callable[[SMTPSession, str], None]] = {
    name[5:]: function for name, function in vars(SMTPSession).items() if name.startswith("smtp_")
}


def session_handler(site: SessionSite) -> ConnectionHandler:
    """The engine's handler: serve each connection with a session on *site*."""

    def serve(sock: socket.socket, address: Address, conn_id: int) -> None:
        SMTPSession(site, sock, address, conn_id).run()

    return serve
