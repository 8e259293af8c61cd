"""The expectations how-to's examples: each is included into docs/expectations.rst."""

from __future__ import annotations

import pytest
import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from localserver import Delay, Fault, HTTPServer, RequestCountError, UnmatchedRequestError


@pytest.fixture
def server():
    with HTTPServer() as server:
        yield server


def test_expect_and_check(server):
    """An expectation answers; check_assertions() passes when nothing went astray."""
    server.expect_request("/api/users", method="POST", json={"name": "Ann"}).respond_with_json(
        {"id": 7}, status=201
    )

    response = requests.post(server.url_for("/api/users"), json={"name": "Ann"}, timeout=5)

    assert response.status_code == 201
    assert response.json() == {"id": 7}
    server.check_assertions()


def test_path_template(server):
    """Named parts of a path template reach the handler as request.path_params."""

    def show_user(request):
        return f"user {request.path_params['user_id']}"

    server.expect_request("/users/<int:user_id>").respond_with_handler(show_user)

    assert requests.get(server.url_for("/users/42"), timeout=5).text == "user 42"


def test_catch_all_and_override(server):
    """A low-priority catch-all answers what the specific expectations leave."""
    server.expect_request("", priority=10).respond_with_data("not here", status=404)
    server.expect_request("/health").respond_with_data("ok")

    assert requests.get(server.url_for("/health"), timeout=5).text == "ok"
    assert requests.get(server.url_for("/other"), timeout=5).status_code == 404


def test_retry_after_reset(server):
    """A client that retries survives one connection reset."""
    server.expect_request("/flaky").respond_with_sequence([Fault.CONNECTION_RESET, "ok"])

    with requests.Session() as session:
        retries = Retry(total=2, backoff_factor=0, allowed_methods=None)
        session.mount("http://", HTTPAdapter(max_retries=retries))
        response = session.get(server.url_for("/flaky"), timeout=5)

    assert response.text == "ok"
    assert len(server.requests) == 2


def test_client_timeout(server):
    """A slow answer makes the client's timeout fire; stop() ends the delay at once."""
    server.expect_request("/slow").with_delay(Delay.lognormal(2.0, 0.3, cap=10)).respond_with_data(
        "late"
    )

    with pytest.raises(requests.Timeout):
        requests.get(server.url_for("/slow"), timeout=0.1)


def test_reading_a_failure(server):
    """An unmatched request is explained field by field."""
    server.expect_request("/api/users", method="POST", json={"name": "Ann"}).respond_with_json(
        {"id": 7}
    )

    requests.post(server.url_for("/api/users"), json={"name": "Bob"}, timeout=5)

    with pytest.raises(UnmatchedRequestError) as failure:
        server.check_assertions()
    assert ">> json" in str(failure.value)
    assert "^ at $.name: expected 'Ann', got 'Bob'" in str(failure.value)


def test_count_with_timeout(server):
    """assert_request_made waits for requests made by code running elsewhere."""
    server.serve_content("ok")
    requests.get(server.url_for("/ping"), timeout=5)

    server.assert_request_made("/ping", count=1, timeout=5)
    with pytest.raises(RequestCountError):
        server.assert_request_made("/pong")
