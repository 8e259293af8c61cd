"""The pytest tutorial's test file, as it stands at its end: included into docs/tutorial-pytest.rst.

Not collected by the main run (no ``test_`` prefix): tests/test_docs.py runs it with
tests/examples/plugin_conftest.py as its conftest.py, as a user's project would.
"""

from __future__ import annotations

import json
import smtplib
import ssl
import urllib.error
import urllib.request
from email.message import EmailMessage
from typing import Any

import pytest

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


def test_fetch_forecast(httpserver):
    httpserver.expect_request("/v1/forecast", query_string={"city": "Oslo"}).respond_with_json(
        {"city": "Oslo", "sky": "snow"}
    )

    forecast = fetch_forecast(httpserver.url, "Oslo")

    assert forecast["sky"] == "snow"
    assert httpserver.requests[0].headers["Accept"] == "application/json"


# -- step 2: HTTPS, and mutual TLS -------------------------------------------------------


def test_fetch_over_https(httpsserver):
    httpsserver.expect_request("/v1/forecast").respond_with_json({"city": "Oslo", "sky": "fog"})

    forecast = fetch_forecast(httpsserver.url, "Oslo", httpsserver.client_ssl_context())

    assert forecast["sky"] == "fog"


def test_fetch_over_mutual_tls(make_httpsserver):
    server = make_httpsserver(require_client_cert=True)
    server.expect_request("/v1/forecast").respond_with_json({"city": "Oslo", "sky": "fog"})
    cert = server.issue_client_cert("weather-app")

    forecast = fetch_forecast(server.url, "Oslo", server.client_ssl_context(cert))

    assert forecast["sky"] == "fog"
    assert server.requests[0].client_cert_subject == cert.subject


def test_no_certificate_no_forecast(make_httpsserver):
    server = make_httpsserver(require_client_cert=True)

    # The handshake fails: urllib raises an SSLError, or a URLError wrapping one.
    with pytest.raises((ssl.SSLError, urllib.error.URLError)):
        fetch_forecast(server.url, "Oslo", server.client_ssl_context())

    assert server.requests == []


# -- step 3: mail ------------------------------------------------------------------------


def test_mail_forecast(smtpserver):
    mail_forecast(smtpserver.addr, "ada@example.com", {"city": "Oslo", "sky": "snow"})

    [mail] = smtpserver.outbox
    assert mail["To"] == "ada@example.com"
    assert mail["Subject"] == "Forecast for Oslo"
    assert "snow" in mail.get_content()


# -- step 4: all together ----------------------------------------------------------------


def test_fetch_and_mail(httpserver, smtpserver):
    httpserver.expect_oneshot_request("/v1/forecast").respond_with_json(
        {"city": "Lima", "sky": "sun"}
    )

    forecast = fetch_forecast(httpserver.url, "Lima")
    mail_forecast(smtpserver.addr, "bob@example.com", forecast)

    assert [mail["Subject"] for mail in smtpserver.outbox] == ["Forecast for Lima"]


# -- step 5: one server for many tests ---------------------------------------------------


@pytest.fixture
def weather_api(httpserver_shared):
    httpserver_shared.expect_request("/v1/forecast").respond_with_json(
        {"city": "anywhere", "sky": "clear"}
    )
    return httpserver_shared


def test_first(weather_api):
    fetch_forecast(weather_api.url, "Oslo")
    assert len(weather_api.requests) == 1


def test_second(weather_api):
    # The request of test_first is forgotten; each test adds its expectation again.
    assert weather_api.requests == []
    assert fetch_forecast(weather_api.url, "Rome")["sky"] == "clear"


# -- end
