"""The SMTP how-to's examples: each is included into docs/smtp.rst."""

from __future__ import annotations

import smtplib
import threading
from email.message import EmailMessage

import pytest

from localserver import SMTPServer


def send_welcome(host: str, port: int, to: str) -> None:
    """The code under test: it sends one mail with smtplib."""
    message = EmailMessage()
    message["From"] = "shop@example.com"
    message["To"] = to
    message["Subject"] = "Welcome, Zoë"
    message.set_content("Thanks for signing up.\n")
    with smtplib.SMTP(host, port, local_hostname="localhost", timeout=10) as client:
        client.send_message(message)


def test_catch_a_mail() -> None:
    with SMTPServer() as server:
        host, port = server.addr

        send_welcome(host, port, "zoe@example.com")

        [mail] = server.outbox
        assert mail["Subject"] == "Welcome, Zoë"
        assert mail["To"].addresses[0].addr_spec == "zoe@example.com"
        assert mail.get_content() == "Thanks for signing up.\n"
        assert mail.mail_from == "shop@example.com"
        assert mail.rcpt_tos == ["zoe@example.com"]


def test_envelope_and_bcc() -> None:
    with SMTPServer() as server, server.client() as client:
        client.sendmail(
            "shop@example.com",
            ["zoe@example.com", "audit@example.com"],
            b"To: zoe@example.com\r\nSubject: Receipt\r\n\r\nTotal: 10 EUR\r\n",
        )

        [mail] = server.outbox
        assert mail.bcc == ["audit@example.com"]
        assert mail.raw.endswith(b"Total: 10 EUR\r\n")
        assert mail.text == "Total: 10 EUR\n"


def test_wait_for_a_background_sender() -> None:
    with SMTPServer() as server:
        sender = threading.Thread(target=send_welcome, args=(*server.addr, "zoe@example.com"))
        sender.start()

        [mail] = server.wait_for(1, timeout=5)

        sender.join()
        assert mail["Subject"] == "Welcome, Zoë"


def test_check_what_arrived() -> None:
    with SMTPServer() as server:
        send_welcome(*server.addr, "zoe@example.com")

        [mail] = server.assert_mail_sent(to="zoe@example.com", subject="Welcome, Zoë")
        server.assert_mail_sent(body_contains="Thanks for signing up")
        server.assert_no_mail_sent(to="admin@example.com")
        server.assert_mail_count(1)
        assert mail.mail_from == "shop@example.com"


def test_check_a_background_sender() -> None:
    with SMTPServer() as server:
        sender = threading.Thread(target=send_welcome, args=(*server.addr, "zoe@example.com"))
        sender.start()

        server.assert_mail_sent(to="zoe@example.com", timeout=5)

        sender.join()


def test_starttls_and_login() -> None:
    with SMTPServer(require_starttls=True, auth={"shop": "s3cret"}) as server:
        with server.client() as client:
            client.starttls(context=server.client_ssl_context())
            client.login("shop", "s3cret")
            client.sendmail("shop@example.com", ["zoe@example.com"], b"Subject: hi\r\n\r\nhi\r\n")

        mail = server.outbox[0]
        assert mail.tls == "starttls"
        assert mail.auth_user == "shop"
        assert server.auth_attempts[0].success


def test_retry_after_a_temporary_failure() -> None:
    with SMTPServer() as server:
        server.faults.temporary_failure("mail", times=1)

        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            send_welcome(*server.addr, "zoe@example.com")
        send_welcome(*server.addr, "zoe@example.com")  # the retry

        assert refused.value.smtp_code == 451
        assert len(server.outbox) == 1
        assert [fault.stage for fault in server.faults.injected] == ["mail"]


def test_reject_one_recipient() -> None:
    with SMTPServer() as server:
        server.faults.reject_recipient("gone@")

        with server.client() as client:
            refused = client.sendmail(
                "shop@example.com", ["zoe@example.com", "gone@example.com"], b"\r\nhi\r\n"
            )

        assert refused == {"gone@example.com": (550, b"5.1.1 Mailbox unavailable")}
        assert server.outbox[0].rcpt_tos == ["zoe@example.com"]


def test_fault_rules() -> None:
    with SMTPServer() as server:
        server.faults.add("rcpt", 550, match="gone@")  # refuse a recipient
        server.faults.add("mail", 451, times=1)  # fail once, then succeed
        server.faults.add("data", delay=2.0)  # a slow server
        server.faults.add("data_end", disconnect=True)  # hang up after the data
        server.faults.add("greeting", "554 5.3.2 No service")  # refuse the connection

        assert [rule.stage for rule in server.faults.rules] == [
            "rcpt", "mail", "data", "data_end", "greeting",
        ]  # fmt: skip
        with pytest.raises(smtplib.SMTPConnectError) as refused:
            server.client()
        assert refused.value.smtp_code == 554
