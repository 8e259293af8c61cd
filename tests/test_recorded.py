"""Recorded requests keep the path as the client sent it (issue 14, item 5).

``GET //api/users`` is a client's URL-joining bug: it does not match
``expect_request("/api/users")``, it is recorded as ``//api/users``, and the
near-miss report points at the doubled slash. Checked with both parsers.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from localserver import HTTPServer, RequestCountError, UnmatchedRequestError
from localserver._http1 import connection

from .conftest import RawClient

DOUBLED = "the path has a doubled slash ('//')"


@pytest.fixture(params=["httptools", "h11"])
def server(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[HTTPServer]:
    monkeypatch.setattr(connection, "_PARSER", request.param)
    with HTTPServer() as srv:
        srv.expect_request("/api/users").respond_with_data("users")
        yield srv


def _get(server: HTTPServer, target: bytes) -> bytes:
    client = RawClient(server.server_address)
    try:
        client.send(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        return client.read_all()
    finally:
        client.close()


class TestPathAsSent:
    def test_doubled_slash_does_not_match(self, server: HTTPServer) -> None:
        """//api/users gets the miss answer, pointing at the doubled slash."""
        answer = _get(server, b"//api/users")
        assert answer.startswith(b"HTTP/1.1 500 ")
        assert DOUBLED.encode() in answer
        with pytest.raises(UnmatchedRequestError, match=r"GET //api/users") as caught:
            server.check_assertions()
        assert DOUBLED in str(caught.value)

    def test_recorded_as_sent(self, server: HTTPServer) -> None:
        """The journal keeps //api/users, query included, where werkzeug would drop a slash."""
        _get(server, b"//api/users?page=2")
        request = server.requests[0]
        assert request.path == "//api/users"
        assert request.full_path == "//api/users?page=2"
        assert request.args["page"] == "2"
        server.assert_request_made("//api/users")

    def test_assertion_points_at_the_doubled_slash(self, server: HTTPServer) -> None:
        """assert_request_made('/api/users') fails, and says why."""
        _get(server, b"//api/users")
        with pytest.raises(RequestCountError, match="found 0") as caught:
            server.assert_request_made("/api/users")
        assert DOUBLED in str(caught.value)

    def test_single_slash_still_matches(self, server: HTTPServer) -> None:
        """The path the expectation names is answered as before."""
        assert _get(server, b"/api/users").endswith(b"users")
        server.check()

    def test_percent_encoded_path_is_decoded_once(self, server: HTTPServer) -> None:
        """A percent-encoded path is recorded decoded, once."""
        _get(server, b"/api%20list/users")
        assert server.requests[0].path == "/api list/users"
