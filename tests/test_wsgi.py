"""WSGIServer: any WSGI application on the shared engine."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any, Callable

import pytest
import requests
from werkzeug.wrappers import Request, Response

from localserver import WSGIServer

from .conftest import TIMEOUT, RawClient

StartResponse = Callable[..., Any]


def hello_app(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
    """A minimal WSGI application, as in pytest-localserver's README."""
    start_response("200 OK", [("Content-type", "text/plain")])
    return [b"success"]


class TestServing:
    def test_serves_a_wsgi_app(self) -> None:
        """The application answers on url, with host and port exposed."""
        with WSGIServer(hello_app) as server:
            assert requests.get(server.url, timeout=TIMEOUT).text == "success"
            assert server.server_address == (server.host, server.port)
            assert server.url == f"http://127.0.0.1:{server.port}"

    def test_application_keyword_as_in_pytest_localserver(self) -> None:
        """WSGIServer(application=...) with start()/stop(), as pytest-localserver users write."""
        server = WSGIServer(application=hello_app)
        server.start()
        try:
            assert server.is_alive()
            assert requests.get(server.url, timeout=TIMEOUT).text == "success"
        finally:
            server.stop()
        assert not server.is_alive()

    def test_werkzeug_app_sees_the_request(self) -> None:
        """A werkzeug application reads path, query and body."""

        @Request.application  # type: ignore[arg-type]
        def echo(request: Request) -> Response:
            return Response(f"{request.method} {request.path} {request.args['q']} {request.data!r}")

        with WSGIServer(echo) as server:
            text = requests.post(server.url_for("/p?q=1"), data=b"xy", timeout=TIMEOUT).text
            assert text == "POST /p 1 b'xy'"

    def test_streaming_app_without_length_is_chunked(self, raw: type[RawClient]) -> None:
        """A response without Content-Length is chunked for HTTP/1.1 and keeps the connection."""

        def stream(environ: dict[str, Any], start_response: StartResponse) -> Iterator[bytes]:
            start_response("200 OK", [])
            yield b"part1"
            yield b"part2"

        with WSGIServer(stream) as server:
            with requests.Session() as session:
                assert session.get(server.url, timeout=TIMEOUT).text == "part1part2"
                assert session.get(server.url, timeout=TIMEOUT).text == "part1part2"
            client = raw(server.server_address)
            client.send(b"GET / HTTP/1.0\r\n\r\n")
            data = client.read_all()
            assert b"transfer-encoding" not in data.lower()
            assert data.endswith(b"part1part2")

    def test_app_error_is_a_500_with_the_traceback(self) -> None:
        """An application that raises answers 500 with its traceback; the server goes on."""

        def broken(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
            raise ValueError("app bug")

        with WSGIServer(broken) as server:
            response = requests.get(server.url, timeout=TIMEOUT)
            assert response.status_code == 500
            assert "ValueError: app bug" in response.text
            assert requests.get(server.url, timeout=TIMEOUT).status_code == 500

    def test_short_body_closes_the_connection(self, raw: type[RawClient]) -> None:
        """Fewer bytes than Content-Length end the connection instead of corrupting it."""

        def short(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
            start_response("200 OK", [("Content-Length", "10")])
            return [b"abc"]

        with WSGIServer(short) as server:
            client = raw(server.server_address)
            client.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            assert client.read_all().endswith(b"abc")

    def test_one_slow_request_does_not_block_another(self) -> None:
        """Requests are served on their own threads."""
        release = threading.Event()

        def app(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
            if environ["PATH_INFO"] == "/slow":
                release.wait(TIMEOUT)
            start_response("200 OK", [("Content-Length", "2")])
            return [b"ok"]

        with WSGIServer(app) as server:
            results: list[int] = []
            slow = threading.Thread(
                target=lambda: results.append(
                    requests.get(server.url_for("/slow"), timeout=TIMEOUT).status_code
                )
            )
            slow.start()
            assert requests.get(server.url_for("/fast"), timeout=TIMEOUT).text == "ok"
            release.set()
            slow.join()
            assert results == [200]


class TestArguments:
    def test_non_callable_application(self) -> None:
        """A non-callable first argument explains the signature."""
        with pytest.raises(TypeError, match=r"'application' must be a WSGI callable \(got '127"):
            WSGIServer("127.0.0.1", 0)  # type: ignore[arg-type]

    def test_missing_application(self) -> None:
        """A server without an application answers 500 saying so."""
        with WSGIServer() as server:
            response = requests.get(server.url, timeout=TIMEOUT)
            assert response.status_code == 500
            assert "WSGIServer has no application" in response.text
