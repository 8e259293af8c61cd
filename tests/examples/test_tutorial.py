"""The tutorial's test file, as it stands at its end: included into docs/tutorial.rst."""

from __future__ import annotations

import json
import smtplib
import ssl
import unittest
import urllib.request
from email.message import EmailMessage
from typing import Any, ClassVar

from localserver import HTTPServerMixin, HTTPSServerMixin, SMTPServerMixin

# -- the code under test ----------------------------------------------------------------


def fetch_forecast(base_url: str, city: str, context: ssl.SSLContext | None = None) -> Any:
    """Ask a weather API for a city's forecast."""
    request = urllib.request.Request(
        f"{base_url}/v1/forecast?city={city}", headers={"Accept": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=5, context=context) as response:
        return json.loads(response.read())


def mail_forecast(smtp_address: tuple[str, int], to: str, forecast: dict[str, Any]) -> None:
    """Mail a forecast to a subscriber."""
    message = EmailMessage()
    message["From"] = "weather@example.com"
    message["To"] = to
    message["Subject"] = f"Forecast for {forecast['city']}"
    message.set_content(f"Tomorrow: {forecast['sky']}.")
    with smtplib.SMTP(*smtp_address, local_hostname="localhost", timeout=5) as client:
        client.send_message(message)


# -- step 1: a first HTTP test -----------------------------------------------------------


class ForecastTests(HTTPServerMixin, unittest.TestCase):
    def test_fetch_forecast(self) -> None:
        self.http_server.expect_request(
            "/v1/forecast", query_string={"city": "Oslo"}
        ).respond_with_json({"city": "Oslo", "sky": "snow"})

        forecast = fetch_forecast(self.http_server.url, "Oslo")

        self.assertEqual(forecast["sky"], "snow")
        self.assertRequestReceived(
            "/v1/forecast", query_string={"city": "Oslo"}, headers={"Accept": "application/json"}
        )


# -- step 2: set up once for the class ---------------------------------------------------


class ForecastClassSetupTests(HTTPServerMixin, unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.http_server.expect_request("/v1/forecast").respond_with_json(
            {"city": "anywhere", "sky": "clear"}
        )

    def test_first(self) -> None:
        fetch_forecast(self.http_server.url, "Oslo")
        self.assertRequestReceived("/v1/forecast", count=1)

    def test_second(self) -> None:
        # The request of test_first is forgotten; the expectation stays.
        self.assertNoRequestReceived()
        self.assertEqual(fetch_forecast(self.http_server.url, "Rome")["sky"], "clear")


# -- step 3: HTTPS, and mutual TLS -------------------------------------------------------


class SecureForecastTests(HTTPSServerMixin, unittest.TestCase):
    https_server_options: ClassVar[dict[str, Any]] = {"require_client_cert": True}

    def test_fetch_over_mutual_tls(self) -> None:
        self.https_server.expect_request("/v1/forecast").respond_with_json(
            {"city": "Oslo", "sky": "fog"}
        )
        cert = self.https_server.issue_client_cert("weather-app")
        context = self.https_server.client_ssl_context(cert)

        forecast = fetch_forecast(self.https_server.url, "Oslo", context)

        self.assertEqual(forecast["sky"], "fog")
        self.assertClientCertPresented(cert, "/v1/forecast")


# -- step 4: mail ------------------------------------------------------------------------


class ForecastMailTests(SMTPServerMixin, unittest.TestCase):
    def test_mail_forecast(self) -> None:
        mail_forecast(self.smtp_server.addr, "ada@example.com", {"city": "Oslo", "sky": "snow"})

        self.assertMailSent(to="ada@example.com", subject="Forecast for Oslo", body_contains="snow")
        self.assertMailCount(1)


# -- step 5: all together ----------------------------------------------------------------


class ForecastServiceTests(HTTPServerMixin, SMTPServerMixin, unittest.TestCase):
    def test_fetch_and_mail(self) -> None:
        self.http_server.expect_oneshot_request("/v1/forecast").respond_with_json(
            {"city": "Lima", "sky": "sun"}
        )

        forecast = fetch_forecast(self.http_server.url, "Lima")
        mail_forecast(self.smtp_server.addr, "bob@example.com", forecast)

        self.assertMailSent(to="bob@example.com", subject="Forecast for Lima")
