"""The HTTPS how-to's examples: each is included into docs/https.rst."""

from __future__ import annotations

import ssl
import urllib.error
import urllib.request

import httpx
import pytest
import requests

from localserver import HTTPSServer, TestAuthority


def test_verify_with_requests() -> None:
    with HTTPSServer() as server:
        server.serve_content("secret")

        response = requests.get(server.url, verify=server.ca_bundle, timeout=5)

        assert response.text == "secret"
        assert server.url.startswith("https://127.0.0.1:")


def test_client_ssl_context() -> None:
    with HTTPSServer() as server:
        server.serve_content("secret")
        context = server.client_ssl_context()

        with httpx.Client(verify=context) as client:
            assert client.get(server.url).text == "secret"
        with urllib.request.urlopen(server.url, context=context, timeout=5) as response:
            assert response.read() == b"secret"


def test_trust_through_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    with HTTPSServer() as server:
        server.serve_content("secret")
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", server.ca_bundle)
        monkeypatch.setenv("SSL_CERT_FILE", server.ca_bundle)

        assert requests.get(server.url, timeout=5).text == "secret"
        with urllib.request.urlopen(
            server.url, context=ssl.create_default_context(), timeout=5
        ) as response:
            assert response.read() == b"secret"


def test_mutual_tls() -> None:
    with HTTPSServer(require_client_cert=True) as server:
        server.serve_content("hello, alice")
        cert = server.issue_client_cert("alice")

        response = requests.get(server.url, verify=server.ca_bundle, cert=cert.pem_file, timeout=5)

        assert response.text == "hello, alice"
        assert server.requests[0].client_cert_subject == "CN=alice,OU=test client,O=localserver"


def test_mutual_tls_refuses_anonymous_clients() -> None:
    server = HTTPSServer(require_client_cert=True)
    with server, pytest.raises(requests.exceptions.RequestException):
        requests.get(server.url, verify=server.ca_bundle, timeout=5)

    assert server.requests == []
    (error,) = server.protocol_errors
    assert "presented no client certificate" in error


def test_plain_http_to_the_https_port() -> None:
    with HTTPSServer() as server:
        plain_url = server.url.replace("https://", "http://")

        response = requests.get(plain_url, timeout=5)

        assert response.status_code == 400
        assert "This port speaks TLS" in response.text
        assert "sent plain HTTP to this HTTPS server" in server.protocol_errors[0]


def test_a_server_nobody_trusts() -> None:
    stranger = TestAuthority()
    with HTTPSServer() as usual, HTTPSServer(authority=stranger) as server:
        server.serve_content("who am I?")

        with pytest.raises(urllib.error.URLError) as refused:
            urllib.request.urlopen(server.url, context=usual.client_ssl_context(), timeout=5)

        assert isinstance(refused.value.reason, ssl.SSLCertVerificationError)
        assert server.requests == []
