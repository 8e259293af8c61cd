"""SMTPServerMixin: code that sends mail, checked on a real SMTP server."""

from __future__ import annotations

import smtplib
import unittest
from email.message import EmailMessage

from localserver import SMTPServerMixin


def send_receipt(host: str, port: int, to: str, order: int) -> None:
    """The code under test: mails a receipt."""
    mail = EmailMessage()
    mail["From"] = "shop@example.com"
    mail["To"] = to
    mail["Subject"] = f"Receipt for order {order}"
    mail.set_content(f"Thank you for order {order}.")
    with smtplib.SMTP(host, port, local_hostname="localhost", timeout=5) as client:
        client.send_message(mail)


class ReceiptTests(SMTPServerMixin, unittest.TestCase):
    def test_receipt_sent(self) -> None:
        """The receipt goes to the customer, with the order number."""
        send_receipt(*self.smtp_server.addr, "ada@example.com", 12)
        self.assertMailSent(
            to="ada@example.com", subject="Receipt for order 12", body_contains="order 12"
        )
        self.assertMailCount(1)

    def test_outbox_starts_empty(self) -> None:
        """Mail of other tests is gone."""
        self.assertNoMailSent()
