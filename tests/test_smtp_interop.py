"""Other clients and a reference server: Django's SMTP backend, and aiosmtpd as an oracle.

The same smtplib sessions run against aiosmtpd's ``Controller`` and against
``SMTPServer`` must leave the same envelopes and the same message bytes.
"""

from __future__ import annotations

import asyncio
import smtplib
import socket
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any, Callable

import pytest

from localserver import SMTPServer

# -- Django ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def django_mail() -> Any:
    """django.core.mail with minimal settings (no project, no database)."""
    import django
    from django.conf import settings

    if not settings.configured:
        settings.configure(DEFAULT_CHARSET="utf-8", DEFAULT_FROM_EMAIL="app@example.com")
        django.setup()
    from django.core import mail

    return mail


@pytest.fixture
def server() -> Iterator[SMTPServer]:
    with SMTPServer(starttls=True, auth={"app": "s3cret"}) as server:
        yield server


def django_backend(server: SMTPServer, **options: Any) -> Any:
    """Django's SMTP email backend, pointed at *server*.

    Built directly with an alias: Django 6.1 deprecates get_connection() and
    backends without one in favour of its MAILERS setting, and older versions
    ignore the alias.
    """
    from django.core.mail.backends.smtp import EmailBackend

    host, port = server.addr
    return EmailBackend(alias="localserver", host=host, port=port, timeout=5, **options)


class TestDjango:
    def test_send_a_message(self, django_mail: Any, server: SMTPServer) -> None:
        """A Django EmailMessage sent through the SMTP backend lands in the outbox."""
        message = django_mail.EmailMessage("Welcome", "Hello from Django", to=["user@example.com"])
        assert django_backend(server).send_messages([message]) == 1
        [mail] = server.outbox
        assert mail["Subject"] == "Welcome"
        assert mail.text == "Hello from Django\n"
        assert mail.mail_from == "app@example.com"
        assert mail.rcpt_tos == ["user@example.com"]

    def test_cc_bcc_and_attachment(self, django_mail: Any, server: SMTPServer) -> None:
        """Django's bcc recipients show up in bcc; its attachment arrives intact."""
        message = django_mail.EmailMessage(
            "Report",
            "See attached.",
            "reports@example.com",
            ["boss@example.com"],
            cc=["team@example.com"],
            bcc=["audit@example.com"],
        )
        message.attach("report.csv", "a,b\n1,2\n", "text/csv")
        django_backend(server).send_messages([message])
        [mail] = server.outbox
        assert mail.bcc == ["audit@example.com"]
        assert sorted(mail.rcpt_tos) == [
            "audit@example.com",
            "boss@example.com",
            "team@example.com",
        ]
        [attachment] = mail.iter_attachments()
        assert attachment.get_filename() == "report.csv"
        assert attachment.get_content() == "a,b\n1,2\n"

    def test_starttls_and_login(self, django_mail: Any, server: SMTPServer) -> None:
        """use_tls with a user name: STARTTLS, then AUTH, then the mail."""
        backend = django_backend(server, use_tls=True, username="app", password="s3cret")
        # Django builds its client context once per backend; trust the test CA there.
        backend.ssl_context = server.client_ssl_context()
        backend.send_messages([django_mail.EmailMessage("Secure", "body", to=["u@example.com"])])
        [mail] = server.outbox
        assert (mail.tls, mail.auth_user) == ("starttls", "app")

    def test_trust_through_ssl_cert_file(
        self, django_mail: Any, server: SMTPServer, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """SSL_CERT_FILE=server.ca_bundle makes Django's default context trust the server."""
        monkeypatch.setenv("SSL_CERT_FILE", server.ca_bundle)
        backend = django_backend(server, use_tls=True)
        backend.send_messages([django_mail.EmailMessage("Env", "body", to=["u@example.com"])])
        assert server.outbox[0].tls == "starttls"

    def test_refused_login_raises(self, django_mail: Any, server: SMTPServer) -> None:
        """A wrong password surfaces in Django as smtplib.SMTPAuthenticationError."""
        backend = django_backend(server, username="app", password="nope")
        try:
            with pytest.raises(smtplib.SMTPAuthenticationError):
                backend.send_messages([django_mail.EmailMessage("x", "y", to=["u@example.com"])])
        finally:
            backend.close()  # Django keeps the socket open when login fails
        assert len(server.outbox) == 0
        assert [attempt.success for attempt in server.auth_attempts] == [False, False]


# -- aiosmtpd as a reference -----------------------------------------------------------


class _Recorder:
    """An aiosmtpd handler that keeps what our outbox keeps."""

    def __init__(self) -> None:
        self.mails: list[tuple[str, list[str], list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.mails.append(
            (
                envelope.mail_from,
                list(envelope.rcpt_tos),
                list(envelope.mail_options),
                envelope.original_content,
            )
        )
        return "250 OK"


@pytest.fixture
def aiosmtpd_address() -> Iterator[tuple[tuple[str, int], _Recorder]]:
    from aiosmtpd.controller import Controller

    recorder = _Recorder()
    # aiosmtpd cannot bind port 0 (aio-libs/aiosmtpd#276): borrow a free port.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(
        recorder, hostname="127.0.0.1", port=port, server_hostname="localhost", ready_timeout=5
    )
    controller.start()
    try:
        yield ("127.0.0.1", port), recorder
    finally:
        controller.stop()
        asyncio.set_event_loop(None)


def _rich_message() -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Jürgen <jürgen@exämple.com>"
    message["To"] = "zoë@example.com"
    message["Subject"] = "Grüße, with an attachment"
    message.set_content("Hällo\n.starts with a dot\n..two dots\n")
    message.add_attachment(bytes(range(256)), maintype="application", subtype="octet-stream")
    return message


def _plain(client: smtplib.SMTP) -> None:
    client.sendmail(
        "a@example.com",
        ["b@example.com", "c@example.com"],
        b"From: a@example.com\r\nSubject: plain\r\n\r\nline\r\n.dot\r\n\r\nend\r\n",
    )


# Made once: flattening fixes the MIME boundary, so both servers get the same bytes.
_RICH = _rich_message()
_RICH.as_bytes()


def _rich(client: smtplib.SMTP) -> None:
    client.send_message(_RICH)


def _two_mails_and_rset(client: smtplib.SMTP) -> None:
    client.sendmail("x@example.com", ["y@example.com"], b"Subject: one\r\n\r\n1\r\n")
    client.ehlo()
    client.mail("dropped@example.com")
    client.rset()
    client.sendmail(
        "", ["postmaster@example.com"], b"Subject: bounce\r\n\r\n" + b"z" * 998 + b"\r\n"
    )


def _helo_only(client: smtplib.SMTP) -> None:
    client.helo("old-client")
    client.sendmail("h@example.com", ["i@example.com"], "Subject: helo\n\nbare str body\n")


SESSIONS: list[Callable[[smtplib.SMTP], None]] = [_plain, _rich, _two_mails_and_rset, _helo_only]


class TestAiosmtpdOracle:
    @pytest.mark.parametrize("session", SESSIONS, ids=lambda f: f.__name__.strip("_"))
    def test_same_envelopes_and_bytes(
        self,
        session: Callable[[smtplib.SMTP], None],
        aiosmtpd_address: tuple[tuple[str, int], _Recorder],
    ) -> None:
        """The same session yields the same envelope, options and bytes on both servers."""
        address, recorder = aiosmtpd_address
        with smtplib.SMTP(*address, local_hostname="localhost", timeout=5) as client:
            session(client)
        with SMTPServer() as ours:
            with ours.client(timeout=5) as client:
                session(client)
            # details.mailfrom spells the null sender "<>", as aiosmtpd does
            got = [
                (mail.details.mailfrom, mail.rcpt_tos, mail.mail_options, mail.raw)
                for mail in ours.outbox
            ]
        assert recorder.mails  # the oracle saw something
        assert got == recorder.mails
