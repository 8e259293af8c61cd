"""The mail assertions of SMTPServerMixin, as real TestCase classes using them."""

from __future__ import annotations

import asyncio
import re
import threading
import unittest
from email.message import EmailMessage
from typing import Any

from localserver import SMTPServer, SMTPServerMixin

from .conftest import TIMEOUT


def message(
    to: str = "ada@example.com",
    subject: str = "Welcome",
    body: str = "Hello Ada",
    sender: str = "Shop <shop@example.com>",
    html: str | None = None,
) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = to
    mail["Subject"] = subject
    mail.set_content(body)
    if html is not None:
        mail.add_alternative(html, subtype="html")
    return mail


class SendMixin:
    smtp_server: Any

    def send(self, mail: EmailMessage, **kwargs: Any) -> None:
        with self.smtp_server.client(timeout=TIMEOUT) as client:
            client.send_message(mail, **kwargs)


class AssertMailSentTests(SendMixin, SMTPServerMixin, unittest.TestCase):
    def test_each_criterion(self) -> None:
        """to, from_, subject (str or pattern) and body_contains all match."""
        self.send(message(html="<p>Your <b>code</b> is 42</p>"))
        found = self.assertMailSent(
            to="ada@example.com",
            from_="shop@example.com",
            subject="Welcome",
            body_contains="Hello Ada",
        )
        self.assertEqual(len(found), 1)
        self.assertMailSent(subject=re.compile("^Wel"), body_contains="<b>code</b>")
        self.assertMailSent(to=["Ada <ADA@example.com>"])

    def test_bcc_recipients_count(self) -> None:
        """to= looks at the envelope, so Bcc recipients count too."""
        self.send(message(), to_addrs=["ada@example.com", "audit@example.com"])
        self.assertMailSent(to=["ada@example.com", "audit@example.com"])

    def test_envelope_sender(self) -> None:
        """from_= also accepts the envelope sender when it differs from From."""
        self.send(message(), from_addr="bounces@example.com")
        self.assertMailSent(from_="bounces@example.com")
        self.assertMailSent(from_="shop@example.com")

    def test_count(self) -> None:
        """count=None means at least one; an int means exactly."""
        self.send(message())
        self.send(message())
        self.assertMailSent(subject="Welcome", count=2)
        with self.assertRaises(self.failureException) as caught:
            self.assertMailSent(subject="Welcome", count=1)
        self.assertIn(
            "expected 1 mail(s) matching subject='Welcome'; found 2.", str(caught.exception)
        )

    def test_failure_shows_closest_first(self) -> None:
        """The report ranks the mails by how many criteria agree, marking differences."""
        self.send(message(to="bob@example.com", subject="Invoice"))
        self.send(message(to="ada@example.com", subject="Welcom"))
        with self.assertRaises(self.failureException) as caught:
            self.assertMailSent(to="ada@example.com", subject="Welcome")
        text = str(caught.exception)
        self.assertTrue(text.startswith("expected at least 1 mail matching to=['ada@example.com']"))
        self.assertLess(text.index("1. from shop@example.com to ada@"), text.index("2. from"))
        self.assertIn("[1 of 2 agree]", text)
        self.assertRegex(text, r">> subject +Welcome +Welcom")
        self.assertIn("not a recipient: ada@example.com", text)

    def test_nothing_sent(self) -> None:
        """With no mail at all, the report says where the server listens."""
        with self.assertRaises(self.failureException) as caught:
            self.assertMailSent(to="ada@example.com", msg="welcome mail")
        text = str(caught.exception)
        self.assertTrue(text.startswith("welcome mail\nexpected at least 1 mail"))
        self.assertIn("received no mail at all", text)
        self.assertIn(f"{self.smtp_server.host}:{self.smtp_server.port}", text)

    def test_timeout_waits_for_mail_from_another_thread(self) -> None:
        """timeout= waits on the outbox until the mail arrives."""
        with self.assertRaises(self.failureException):
            self.assertMailSent(subject="Later")
        sender = threading.Timer(0.05, self.send, (message(subject="Later"),))
        sender.start()
        self.addCleanup(sender.join, TIMEOUT)
        self.assertMailSent(subject="Later", timeout=TIMEOUT)

    def test_bad_arguments(self) -> None:
        """Arguments are checked, naming the one that is wrong."""
        with self.assertRaisesRegex(TypeError, "'to' must be a str"):
            self.assertMailSent(to=[1])  # type: ignore[list-item]
        with self.assertRaisesRegex(TypeError, "'subject' must be a str or a re.compile"):
            self.assertMailSent(subject=1)  # type: ignore[arg-type]
        with self.assertRaisesRegex(ValueError, "'count' must be 0 or more or None"):
            self.assertMailSent(count=-1)
        with self.assertRaisesRegex(TypeError, "'server' must be an SMTPServer"):
            self.assertMailSent(server="x")  # type: ignore[arg-type]


class AssertNoMailAndCountTests(SendMixin, SMTPServerMixin, unittest.TestCase):
    def test_no_mail(self) -> None:
        """Bare, it checks that no mail at all was sent; with criteria, none like that."""
        self.assertNoMailSent()
        self.send(message())
        self.assertNoMailSent(to="bob@example.com")
        with self.assertRaises(self.failureException) as caught:
            self.assertNoMailSent(subject="Welcome")
        text = str(caught.exception)
        self.assertIn("expected no mail matching subject='Welcome'; found 1:", text)
        self.assertIn("from shop@example.com to ada@example.com: 'Welcome'", text)

    def test_count(self) -> None:
        """assertMailCount checks the exact number and lists what arrived."""
        self.assertMailCount(0)
        self.send(message(subject="One"))
        self.send(message(subject="Two"))
        self.assertEqual(len(self.assertMailCount(2)), 2)
        with self.assertRaises(self.failureException) as caught:
            self.assertMailCount(3)
        text = str(caught.exception)
        self.assertIn("expected 3 mail(s); found 2.", text)
        self.assertIn("'Two'", text)
        with self.assertRaisesRegex(TypeError, "'count' must be an int of 0 or more"):
            self.assertMailCount(None)  # type: ignore[arg-type]

    def test_count_timeout(self) -> None:
        """assertMailCount waits with timeout=."""
        sender = threading.Timer(0.05, self.send, (message(),))
        sender.start()
        self.addCleanup(sender.join, TIMEOUT)
        self.assertMailCount(1, timeout=TIMEOUT)


class DjangoSettingsTests(SMTPServerMixin, unittest.TestCase):
    def test_settings_point_at_the_server(self) -> None:
        """smtp_server_django_settings() names Django's SMTP backend and this server."""
        settings = self.smtp_server_django_settings()
        backend = "django.core.mail.backends.smtp.EmailBackend"
        host, port = self.smtp_server.addr
        if "MAILERS" in settings:  # Django 6.1 and later
            mailer = settings["MAILERS"]["default"]
            self.assertEqual(mailer["BACKEND"], backend)
            self.assertEqual(mailer["OPTIONS"]["host"], host)
            self.assertEqual(mailer["OPTIONS"]["port"], port)
        else:
            self.assertEqual(settings["EMAIL_BACKEND"], backend)
            self.assertEqual((settings["EMAIL_HOST"], settings["EMAIL_PORT"]), (host, port))


async def send_async(server: SMTPServer, subject: str) -> None:
    """Send one mail over asyncio streams, on the running loop."""
    reader, writer = await asyncio.open_connection(*server.addr)
    try:
        data = f"Subject: {subject}\r\n\r\nbody\r\n.\r\n"
        for line in ("EHLO localhost", "MAIL FROM:<a@example.com>", "RCPT TO:<b@example.com>"):
            await _reply(reader)
            writer.write(f"{line}\r\n".encode())
        await _reply(reader)
        writer.write(b"DATA\r\n")
        await _reply(reader)
        writer.write(data.encode())
        await _reply(reader)
        writer.write(b"QUIT\r\n")
        await _reply(reader)
    finally:
        writer.close()
        await writer.wait_closed()


async def _reply(reader: asyncio.StreamReader) -> str:
    while True:
        line = await asyncio.wait_for(reader.readline(), TIMEOUT)
        if line[3:4] != b"-":
            return line.decode()


class AsyncMailTests(SMTPServerMixin, unittest.IsolatedAsyncioTestCase):
    async def test_mail_sent_while_the_loop_sends(self) -> None:
        """assertMailSentAsync waits while a client on the same loop sends."""
        waiting = asyncio.ensure_future(self.assertMailSentAsync(subject="Hi", timeout=TIMEOUT))
        await asyncio.sleep(0)
        await send_async(self.smtp_server, "Hi")
        self.assertEqual(len(await waiting), 1)

    async def test_count(self) -> None:
        """assertMailCountAsync waits the same way."""
        waiting = asyncio.ensure_future(self.assertMailCountAsync(2, timeout=TIMEOUT))
        await asyncio.sleep(0)
        await send_async(self.smtp_server, "1")
        await send_async(self.smtp_server, "2")
        await waiting
