"""The examples of docs/pytest.rst, run by tests/test_pytest_plugin_use.py with our plugin.

Not collected by the main run (no ``test_`` prefix): the main run does not load the plugin.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

import pytest
import requests


def test_fresh_server(httpserver):
    httpserver.expect_request("/api/users", method="POST").respond_with_json({"id": 1}, status=201)

    response = requests.post(httpserver.url_for("/api/users"), json={"name": "Ada"}, timeout=5)

    assert response.status_code == 201
    assert httpserver.requests[0].json == {"name": "Ada"}


def test_https(httpsserver):
    httpsserver.serve_content("secret")

    response = requests.get(httpsserver.url, verify=httpsserver.ca_bundle, timeout=5)

    assert response.text == "secret"


class TestShared:
    def test_one(self, httpserver_shared):
        httpserver_shared.expect_request("/status").respond_with_json({"up": True})

        assert requests.get(httpserver_shared.url_for("/status"), timeout=5).json() == {"up": True}

    def test_two(self, httpserver_shared):
        # Same server, but the requests and the expectations of test_one are gone.
        assert httpserver_shared.requests == []
        assert "/status" not in httpserver_shared.format_matchers()


def test_mutual_tls(make_httpsserver):
    server = make_httpsserver(require_client_cert=True)
    server.serve_content("hello, alice")
    alice = server.issue_client_cert("alice")

    response = requests.get(server.url, verify=server.ca_bundle, cert=alice.pem_file, timeout=5)

    assert response.text == "hello, alice"
    assert server.requests[0].client_cert_subject == alice.subject


@pytest.mark.localserver_no_checks
def test_probing_without_checks(httpserver):
    # Nothing answers /health on purpose: the marker keeps the teardown check quiet.
    assert requests.get(httpserver.url_for("/health"), timeout=5).status_code == 500


def test_mail(smtpserver):
    with smtplib.SMTP(*smtpserver.addr, local_hostname="localhost", timeout=5) as client:
        client.send_message(make_mail("Welcome"))

    (mail,) = smtpserver.outbox
    assert mail["Subject"] == "Welcome"
    assert mail.details.rcpttos == ["bob@example.com"]
    smtpserver.assert_mail_sent(to="bob@example.com", subject="Welcome")


def test_mail_with_starttls_and_auth(make_smtpserver):
    server = make_smtpserver(auth={"app": "s3cret"}, starttls=True, auth_require_tls=True)

    with smtplib.SMTP(*server.addr, local_hostname="localhost", timeout=5) as client:
        client.starttls(context=server.client_ssl_context())
        client.login("app", "s3cret")
        client.send_message(make_mail("Invoice"))

    assert server.outbox[0]["Subject"] == "Invoice"


class TestSharedMail:
    def test_one(self, smtpserver_shared):
        with smtpserver_shared.client() as client:
            client.send_message(make_mail("first"))
        assert len(smtpserver_shared.outbox) == 1

    def test_two(self, smtpserver_shared):
        assert smtpserver_shared.outbox == []  # emptied before each test


def make_mail(subject):
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "ada@example.com", "bob@example.com", subject
    mail.set_content("hello")
    return mail
