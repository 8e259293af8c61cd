"""The failure texts: their important lines are part of the API."""

from __future__ import annotations

import socket
import ssl

import pytest

from localserver import HTTPServer, RequestCountError, UnmatchedRequestError
from localserver._mistakes import Mistake
from localserver._report import Situation, bypasses_proxy, nothing_arrived, proxy_hints

from .conftest import TIMEOUT


@pytest.fixture
def server(bare_server: HTTPServer) -> HTTPServer:
    return bare_server


# How a TLS client sees a plain server hang up on its handshake.
_HANG_UP = (ssl.SSLError, ConnectionResetError)


def unmatched_text(server):
    with pytest.raises(UnmatchedRequestError) as info:
        server.check_assertions()
    return str(info.value)


class TestUnmatchedRequest:
    def test_closest_expectation_field_by_field(self, server, client):
        """The nearest expectation comes first, each field a row, differences marked."""
        server.expect_request("/users", method="GET").respond_with_data("list")
        server.expect_request(
            "/users", method="POST", headers={"X-Key": "k"}, json={"name": "Ann"}
        ).respond_with_data("made")
        server.expect_request("/health").respond_with_data("ok")
        response = client.post(
            server.url_for("/users"), json={"name": "Bob"}, headers={"X-Key": "k"}, timeout=5
        )
        assert response.status_code == 500
        text = unmatched_text(server)
        assert response.text in text
        lines = text.splitlines()
        assert lines[0] == "localserver: no expectation matched this request (answered 500):"
        assert lines[1] == "  POST /users"
        assert "Closest expectations (3 of 3), best first:" in lines
        first = lines.index("Closest expectations (3 of 3), best first:") + 2
        assert lines[first].startswith("1. expect_request('/users', method='POST'")
        assert lines[first].endswith("[3 of 4 fields agree]")
        assert lines[first + 1].split() == ["field", "expected", "received"]
        assert lines[first + 2].split() == ["path", "/users", "/users"]
        assert lines[first + 5].split() == [
            ">>",
            "json",
            '{"name":',
            '"Ann"}',
            '{"name":',
            '"Bob"}',
        ]
        assert lines[first + 6] == "   ^ at $.name: expected 'Ann', got 'Bob'"
        second = lines.index("2. expect_request('/users', method='GET')  [1 of 2 fields agree]")
        assert lines[second + 3].split() == [">>", "method", "GET", "POST"]
        assert "3. expect_request('/health')  [0 of 1 fields agree]" in lines
        assert max(len(line) for line in lines) <= 100

    def test_long_bodies_are_cut_with_their_length(self, server, client):
        """A long body shows its start and its full length; every line fits 100 columns."""
        server.expect_request("/up", data="x" * 5000).respond_with_data("ok")
        client.post(server.url_for("/up"), data="y" * 6000, timeout=TIMEOUT)
        text = unmatched_text(server)
        assert "(6000 bytes)" in text
        assert "^ expected 5000 bytes, got 6000" in text
        assert max(len(line) for line in text.splitlines()) <= 100

    def test_no_expectations_says_what_to_do(self, server, client):
        """With nothing registered the text says how to register or set a default."""
        client.get(server.url_for("/x?q=1"), timeout=TIMEOUT)
        text = unmatched_text(server)
        assert "  GET /x?q=1" in text.splitlines()
        assert "No expectations are registered: add one with expect_request(...)" in text

    def test_more_failures_are_counted(self, server, client):
        """check_assertions raises the first failure and says how many more wait."""
        for path in ("/a", "/b"):
            client.get(server.url_for(path), timeout=TIMEOUT)
        assert "(1 more failure(s) recorded" in unmatched_text(server)
        assert "  GET /b" in unmatched_text(server)
        server.check_assertions()


class TestCountReport:
    def test_closest_requests_received(self, server, client):
        """assert_request_made shows the nearest requests, differences marked."""
        server.serve_content("ok")
        client.get(server.url_for("/items?page=2"), timeout=TIMEOUT)
        client.get(server.url_for("/other"), timeout=TIMEOUT)
        expectation = server.expect_request("/items", method="POST", query_string="page=2")
        with pytest.raises(RequestCountError) as info:
            server.assert_request_made(expectation)
        lines = str(info.value).splitlines()
        assert lines[0] == (
            "expected 1 request(s) matching '/items', method='POST', query_string='page=2'; "
            "found 0."
        )
        assert "Closest requests received (2 of 2), best first:" in lines
        assert "1. GET /items?page=2  [2 of 3 fields agree]" in lines
        assert any(line.split() == [">>", "method", "POST", "GET"] for line in lines)

    def test_nothing_arrived_names_the_causes(self, server, monkeypatch):
        """With no request at all, the text says so and names proxy and port causes."""
        monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        with pytest.raises(RequestCountError) as info:
            server.assert_request_made("/never")
        text = str(info.value)
        assert f"The server at {server.url} received no request at all. Likely causes:" in text
        assert "- HTTPS_PROXY is set and NO_PROXY is not set: clients such as requests" in text
        assert f"  url_for(...); this server is {server.url}." in text
        assert max(len(line) for line in text.splitlines()) <= 100

    def test_tls_sent_to_the_plain_port(self, server):
        """A TLS handshake on the plain port is detected and named."""
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        connection = socket.create_connection(server.server_address, timeout=TIMEOUT)
        with connection as raw, pytest.raises(_HANG_UP), context.wrap_socket(raw) as tls:
            tls.recv(1)  # the server hangs up on the handshake: ssl.SSLError or a reset
        with pytest.raises(RequestCountError) as info:
            server.assert_request_made("/any")
        assert "- A client spoke TLS (https://) to this plain HTTP port from 127.0.0.1:" in str(
            info.value
        )

    def test_server_not_running(self):
        """A stopped server says it is not running."""
        server = HTTPServer()
        with pytest.raises(RequestCountError, match=r"The server is not running: call start"):
            server.assert_request_made("/x")


class TestHints:
    @pytest.mark.parametrize(
        ("host", "no_proxy", "covered"),
        [
            ("127.0.0.1", "", False),
            ("127.0.0.1", "localhost", False),
            ("127.0.0.1", "localhost,127.0.0.1", True),
            ("127.0.0.1", "127.0.0.0/8", True),
            ("127.0.0.1", "*", True),
            ("::1", "::1", True),
            ("::1", "[::1]", True),
            ("localhost", ".localhost", True),
            ("api.localhost", "localhost", True),
            ("localhost", "example.com, other", False),
        ],
    )
    def test_no_proxy_coverage(self, host, no_proxy, covered):
        """NO_PROXY names, suffixes, '*' and CIDR ranges are understood."""
        assert bypasses_proxy(host, no_proxy) is covered

    def test_lowercase_proxy_variables(self):
        """http_proxy in lower case counts too; NO_PROXY covering the host silences it."""
        assert proxy_hints("127.0.0.1", {"http_proxy": "http://p:1"})[0].startswith(
            "- HTTP_PROXY is set and NO_PROXY is not set"
        )
        assert proxy_hints("127.0.0.1", {"http_proxy": "http://p:1", "no_proxy": "127.0.0.1"}) == []

    def test_plain_http_to_a_tls_port(self, monkeypatch):
        """The plain-to-TLS mismatch an HTTPS server records is named with the https URL."""
        monkeypatch.delenv("HTTP_PROXY", raising=False)
        situation = Situation(
            "https://127.0.0.1:4443",
            "127.0.0.1",
            4443,
            True,
            [Mistake("plain-to-tls", ("127.0.0.1", 5))],
        )
        lines = nothing_arrived(situation)
        assert (
            "- A client sent plain HTTP (http://) to this TLS port from 127.0.0.1:5: use "
            "https://127.0.0.1:4443." in lines
        )
