"""The proxy and replay how-to's examples: each is included into docs/proxy-replay.rst.

A second local server stands in for the real service each example talks to.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
import requests

from localserver import HTTPServer, HTTPSServer, UpstreamError


@pytest.fixture
def real_service():
    """Stands in for the service a test would otherwise reach over the network."""
    with HTTPServer() as service:
        service.expect_request("/users/7").respond_with_json({"id": 7, "name": "Ann"})
        service.expect_request("/health").respond_with_data("ok")
        yield service


def test_forward_what_is_not_stubbed(real_service):
    """One endpoint is stubbed; everything else reaches the real service."""
    with HTTPServer() as server:
        server.proxy_to(real_service.url)
        server.expect_request("/health").respond_with_data("degraded", status=503)

        assert requests.get(server.url_for("/users/7"), timeout=5).json()["name"] == "Ann"
        assert requests.get(server.url_for("/health"), timeout=5).status_code == 503


def test_record_then_replay(real_service, tmp_path):
    """Record the exchanges to a HAR file once; replay them with the service gone."""
    har = tmp_path / "users.har"
    with HTTPServer() as server:
        server.proxy_to(real_service.url, record_to=har)
        requests.get(server.url_for("/users/7"), timeout=5)
    real_service.stop()

    with HTTPServer() as server:
        server.replay(har)
        response = requests.get(server.url_for("/users/7"), timeout=5)

    assert response.json() == {"id": 7, "name": "Ann"}


def serve_recorded(server, har, service_url):
    """Replay the recording when there is one; else record it from the service."""
    if har.exists():
        server.replay(har)
    else:
        server.proxy_to(service_url, record_to=har)


def test_record_once(real_service, tmp_path):
    """The first run records, later runs replay: the service is needed only once."""
    har = tmp_path / "users.har"
    for _ in range(2):
        with HTTPServer() as server:
            serve_recorded(server, har, real_service.url)
            assert requests.get(server.url_for("/users/7"), timeout=5).json()["id"] == 7

    assert len(real_service.requests) == 1


CASSETTE = textwrap.dedent(
    """\
    version: 1
    interactions:
    - request:
        method: GET
        uri: https://api.example.test/v1/rates?base=EUR
        body: null
        headers: {}
      response:
        status: {code: 200, message: OK}
        headers:
          Content-Type: [application/json]
        body: {string: '{"USD": 1.08}'}
    """
)


def test_replay_a_vcr_cassette_to_a_subprocess(tmp_path):
    """A VCR.py cassette answers over a real socket: any client, even another process."""
    cassette = tmp_path / "rates.yaml"
    cassette.write_text(CASSETTE)
    with HTTPServer() as server:
        server.replay(cassette)
        client = (
            "import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1]).read().decode())"
        )
        url = server.url_for("/v1/rates?base=EUR")
        result = subprocess.run(
            [sys.executable, "-c", client, url], capture_output=True, text=True, timeout=30
        )

    assert json.loads(result.stdout) == {"USD": 1.08}


def test_https_upstream():
    """An HTTPS upstream is verified; a localserver one with its client_ssl_context()."""
    with HTTPSServer() as secure, HTTPServer() as server:
        secure.expect_request("/secret").respond_with_data("verified")
        server.proxy_to(secure.url, ssl_context=secure.client_ssl_context())

        assert requests.get(server.url_for("/secret"), timeout=5).text == "verified"


def test_upstream_down(real_service):
    """An upstream that cannot be reached: 502 with the reason, and a failed check."""
    with HTTPServer() as server:
        server.proxy_to(real_service.url)
        real_service.stop()

        response = requests.get(server.url_for("/users/7"), timeout=5)

        assert response.status_code == 502
        assert "refused the connection" in response.text
        with pytest.raises(UpstreamError):
            server.check_assertions()
