"""Lenient mode, tightened test by test: run with ``localserver_strict = false``.

docs/pytest.rst shows this file; tests/test_lenient.py runs it under localserver's
pytest module and under the pytest-httpserver replacement.
"""

import pytest
import requests


def test_probes_what_it_likes(httpserver):
    # An unexpected request: lenient mode lets the test pass and sums it up.
    url = httpserver.url_for("/v1/.well-known/openid-configuration")
    assert requests.get(url, timeout=5).status_code == 500


@pytest.mark.localserver_strict
def test_login(httpserver):
    # Strict again for this test: an unexpected request here would fail it.
    httpserver.expect_request("/login", method="POST").respond_with_json({"token": "t"})
    assert requests.post(httpserver.url_for("/login"), timeout=5).json() == {"token": "t"}
