"""The WSGI environ built from a parsed request head, as werkzeug's Request reads it."""

from __future__ import annotations

import io
from typing import Any

from werkzeug.wrappers import Request

from localserver._environ import build_environ
from localserver._request_head import parse_header_block


def environ_for(target: str, block: bytes = b"\r\n", **kwargs: Any) -> dict[str, Any]:
    options: dict[str, Any] = {
        "method": "GET",
        "target": target,
        "version": "HTTP/1.1",
        "headers": parse_header_block(block),
        "rfile": io.BytesIO(),
        "connection": None,
        "client_address": ("127.0.0.1", 5555),
        "server_address": ("127.0.0.1", 8000),
        "secure": False,
        "server_software": "test",
    }
    options.update(kwargs)
    return build_environ(**options)


class TestTarget:
    def test_origin_form(self) -> None:
        """Path and query are split; the raw target is kept in REQUEST_URI."""
        environ = environ_for("/a/b?x=1&y=2")
        assert (environ["PATH_INFO"], environ["QUERY_STRING"]) == ("/a/b", "x=1&y=2")
        assert environ["REQUEST_URI"] == "/a/b?x=1&y=2"

    def test_percent_encoded_utf8_path(self) -> None:
        """A percent-encoded UTF-8 path reaches werkzeug as the decoded text."""
        request = Request(environ_for("/caf%C3%A9?q=%C3%A9"))
        assert request.path == "/café"
        assert request.args["q"] == "é"

    def test_absolute_form_sets_the_host(self) -> None:
        """An absolute URL (as sent to a proxy) gives the path and the Host."""
        environ = environ_for("http://example.test:81/p?q=1", b"Host: other\r\n\r\n")
        assert (environ["PATH_INFO"], environ["QUERY_STRING"]) == ("/p", "q=1")
        assert environ["HTTP_HOST"] == "example.test:81"

    def test_double_slash_is_a_path(self) -> None:
        """A path starting with // is a path, not a host."""
        assert environ_for("//a/b")["PATH_INFO"] == "//a/b"


class TestHeaders:
    def test_headers_become_http_keys(self) -> None:
        """Headers are HTTP_*; Content-Type and Content-Length keep their CGI names."""
        environ = environ_for(
            "/", b"X-Id: 7\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\n"
        )
        assert environ["HTTP_X_ID"] == "7"
        assert (environ["CONTENT_TYPE"], environ["CONTENT_LENGTH"]) == ("text/plain", "3")

    def test_repeated_headers_are_joined(self) -> None:
        """A header sent twice is one comma-separated value."""
        assert environ_for("/", b"Accept: a\r\naccept: b\r\n\r\n")["HTTP_ACCEPT"] == "a,b"

    def test_names_with_underscores_are_dropped(self) -> None:
        """X_Forwarded_For cannot pose as X-Forwarded-For."""
        environ = environ_for("/", b"X_Forwarded_For: evil\r\n\r\n")
        assert "HTTP_X_FORWARDED_FOR" not in environ

    def test_repeated_content_length_is_kept_for_the_body_check(self) -> None:
        """Two Content-Length headers stay visible, so conflicts can be refused."""
        environ = environ_for("/", b"Content-Length: 2\r\nContent-Length: 5\r\n\r\n")
        assert environ["CONTENT_LENGTH"] == "2,5"


class TestServerFacts:
    def test_addresses_and_scheme(self) -> None:
        """Client and server addresses, protocol and scheme are filled in."""
        environ = environ_for("/", secure=True, connection=object())
        assert (environ["REMOTE_ADDR"], environ["REMOTE_PORT"]) == ("127.0.0.1", 5555)
        assert (environ["SERVER_NAME"], environ["SERVER_PORT"]) == ("127.0.0.1", "8000")
        assert environ["SERVER_PROTOCOL"] == "HTTP/1.1"
        assert environ["wsgi.url_scheme"] == "https"
        assert "SSL_CLIENT_CERT" not in environ
