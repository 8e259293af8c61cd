"""The examples in localserver's docstrings, which the API reference shows.

tests/test_docs.py checks that each docstring example appears, line for line, in
a file the test run executes; most of them are here, inside real tests.
"""

from __future__ import annotations

import smtplib
import unittest
import urllib.error
import urllib.request
from email.message import EmailMessage
from typing import Any

import requests

from localserver import (
    HTTPServerMixin,
    HTTPSServer,
    HTTPSServerMixin,
    SMTPServer,
    SMTPServerMixin,
    WSGIServer,
    without_server_checks,
)

# -- the code the examples test ---------------------------------------------------------


def fetch_items(base_url: str) -> Any:
    return requests.get(f"{base_url}/v1/items", timeout=5).json()


def send_welcome(to: str, smtp: tuple[str, int]) -> None:
    message = EmailMessage()
    message["From"] = "signup@example.com"
    message["To"] = to
    message["Subject"] = "Welcome"
    message.set_content("Hello!")
    with smtplib.SMTP(*smtp, local_hostname="localhost", timeout=5) as client:
        client.send_message(message)


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        error.close()
        return error.code


def my_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"healthy"]


# -- the mixins -------------------------------------------------------------------------


class ClientTests(HTTPServerMixin, unittest.TestCase):
    def test_fetch(self):
        self.http_server.expect_request("/v1/items").respond_with_json([])
        self.assertEqual(fetch_items(self.http_server.url), [])
        self.assertRequestReceived("/v1/items", method="GET")


class SecureTests(HTTPSServerMixin, unittest.TestCase):
    def test_verified(self):
        self.https_server.expect_request("/").respond_with_data("ok")
        response = requests.get(
            self.https_server.url, verify=self.https_server.ca_bundle, timeout=5
        )
        self.assertEqual(response.text, "ok")


class SignupTests(SMTPServerMixin, unittest.TestCase):
    def test_welcome_mail(self):
        send_welcome("ada@example.com", smtp=self.smtp_server.addr)
        self.assertMailSent(to="ada@example.com", subject="Welcome")


class ProbeTests(HTTPServerMixin, unittest.TestCase):
    @without_server_checks
    def test_unknown_path(self):
        status = status_of(self.http_server.url_for("/nowhere"))
        self.assertEqual(status, 500)


# -- the servers ------------------------------------------------------------------------


def test_https_server() -> None:
    with HTTPSServer() as server:
        server.serve_content("hello")
        response = requests.get(server.url, verify=server.ca_bundle, timeout=5)
        assert response.text == "hello"


def test_issue_client_cert() -> None:
    with HTTPSServer(require_client_cert=True) as server:
        server.serve_content("hello")
        cert = server.issue_client_cert("alice")
        requests.get(server.url, verify=server.ca_bundle, cert=cert.pem_file, timeout=5)
        assert server.requests[0].client_cert_subject == cert.subject


def test_smtp_server() -> None:
    message = EmailMessage()
    message["From"] = "a@example.com"
    message["To"] = "b@example.com"
    message["Subject"] = "Hi"
    message.set_content("Hello")
    with SMTPServer() as server:
        with server.client() as client:
            client.send_message(message)
        assert server.outbox[0]["Subject"] == message["Subject"]


def test_wsgi_server() -> None:
    with WSGIServer(my_app) as server:
        response = requests.get(server.url_for("/health"), timeout=5)
        assert response.status_code == 200
    assert response.text == "healthy"
