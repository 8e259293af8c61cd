"""The examples of docs/pytest.rst, run by tests/test_pytest_plugin_use.py with our plugin.

Not collected by the main run (no ``test_`` prefix): the main run does not load the plugin.
"""

from __future__ import annotations

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
