"""The mixins with Django's test cases, run by Django's test runner."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request

from django.core import mail
from django.core.mail import send_mail
from django.test import LiveServerTestCase, SimpleTestCase, override_settings

from localserver import HTTPServerMixin, SMTPServerMixin

# The number of tests here; tests/test_mixin_runners.py checks it.
EXPECTED_TESTS = 4


def route_settings(cls: type) -> None:
    """Point the payment API and Django's SMTP backend at the class's servers."""
    overrides = override_settings(
        PAYMENT_API_URL=cls.http_server.url,  # type: ignore[attr-defined]
        **cls.smtp_server_django_settings(),  # type: ignore[attr-defined]
    )
    overrides.enable()
    cls.addClassCleanup(overrides.disable)  # type: ignore[attr-defined]


class CheckoutLiveTests(HTTPServerMixin, SMTPServerMixin, LiveServerTestCase):
    """Django's live server calls our HTTP server; its mail goes to our SMTP server."""

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        route_settings(cls)

    def post_checkout(self, amount: int, email: str) -> dict[str, str]:
        data = urllib.parse.urlencode({"amount": amount, "email": email}).encode()
        with urllib.request.urlopen(
            f"{self.live_server_url}/checkout", data, timeout=5
        ) as response:
            return json.loads(response.read())  # type: ignore[no-any-return]

    def test_checkout_charges_and_mails(self) -> None:
        """The view charges through the API and mails a receipt over SMTP."""
        self.http_server.expect_oneshot_request("/charges", method="POST").respond_with_json(
            {"id": "ch_1"}
        )
        self.assertEqual(self.post_checkout(4200, "ada@example.com"), {"charge": "ch_1"})
        self.assertRequestReceived("/charges", method="POST", json={"amount": 4200})
        self.assertMailSent(
            to="ada@example.com", subject="Receipt ch_1", body_contains="4200 cents"
        )

    def test_state_is_per_test(self) -> None:
        """The journal and the outbox start empty; Django's own live server is untouched."""
        self.assertNoRequestReceived()
        self.assertNoMailSent()
        self.assertTrue(self.live_server_url.startswith("http://localhost:"))
        self.assertNotEqual(self.server_thread.port, self.http_server.port)


class MailTests(SMTPServerMixin, SimpleTestCase):
    """Django's SMTP backend routed to SMTPServerMixin, without a live server."""

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        overrides = override_settings(**cls.smtp_server_django_settings())
        overrides.enable()
        cls.addClassCleanup(overrides.disable)

    def test_send_mail_goes_over_smtp(self) -> None:
        """send_mail() reaches the SMTP server, not Django's in-memory outbox."""
        send_mail("Hello", "Body", "shop@example.com", ["bob@example.com"])
        self.assertMailSent(to="bob@example.com", subject="Hello", from_="shop@example.com")
        self.assertEqual(mail.outbox, [])

    def test_outbox_starts_empty(self) -> None:
        """The mail of the test before is gone."""
        self.assertMailCount(0)
