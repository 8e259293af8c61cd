"""The request-head parser: request line and header block, per RFC 9112."""

from __future__ import annotations

import pytest

from localserver._request_head import (
    MAX_HEADERS,
    HeadError,
    parse_header_block,
    parse_request_line,
)


class TestRequestLine:
    def test_three_words(self) -> None:
        """Method, target and version come apart, with the version as numbers."""
        assert parse_request_line("POST /a?b=1 HTTP/1.1") == ("POST", "/a?b=1", "HTTP/1.1", (1, 1))

    def test_two_word_get_is_http_10(self) -> None:
        """An HTTP/0.9-style GET is served as HTTP/1.0."""
        assert parse_request_line("GET /") == ("GET", "/", "HTTP/1.0", (1, 0))

    @pytest.mark.parametrize(
        ("line", "status", "text"),
        [
            ("", 400, "Bad request syntax"),
            ("POST /", 400, "Bad request syntax"),
            ("GET / HTTP/1.1 x", 400, "Bad request syntax"),
            ("GET / HTTX/1.1", 400, "Bad request version"),
            ("GET / HTTP/1", 400, "Bad request version"),
            ("GET / HTTP/1.x", 400, "Bad request version"),
            ("GET / HTTP/2.0", 505, "Invalid HTTP version (2.0)"),
            ("G(T / HTTP/1.1", 400, "invalid method"),
        ],
    )
    def test_malformed(self, line: str, status: int, text: str) -> None:
        """Malformed lines give the status to answer and say why."""
        with pytest.raises(HeadError, match=text.replace("(", r"\(").replace(")", r"\)")) as info:
            parse_request_line(line)
        assert info.value.status == status


class TestHeaderBlock:
    def test_lookup_ignores_case_and_keeps_order(self) -> None:
        """Names are matched without regard to case; items() keeps arrival order."""
        headers = parse_header_block(b"Host: x\r\nX-A: 1\r\nx-a: 2\r\n\r\n")
        assert headers.get("HOST") == "x"
        assert headers["x-a"] == "1"
        assert headers.get_all("X-A") == ["1", "2"]
        assert headers.items() == [("Host", "x"), ("X-A", "1"), ("x-a", "2")]
        assert "host" in headers
        assert "missing" not in headers
        assert headers.get("missing", "d") == "d"
        assert len(headers) == 3

    def test_values_are_trimmed_and_latin1(self) -> None:
        """Optional whitespace around values goes; bytes decode as Latin-1."""
        headers = parse_header_block(b"X-V: \t caf\xe9 \r\n\r\n")
        assert headers.get("X-V") == "caf\xe9"

    def test_obsolete_folding_joins_with_a_space(self) -> None:
        """A continuation line is joined to the previous value with one space."""
        headers = parse_header_block(b"X-Long: one\r\n   two\r\n\tthree\r\n\r\n")
        assert headers.get("X-Long") == "one two three"

    def test_bare_lf_lines(self) -> None:
        """Lines ending in LF alone are accepted (RFC 9112 section 2.2)."""
        assert parse_header_block(b"A: 1\nB: 2\n\n").keys() == ["A", "B"]

    @pytest.mark.parametrize(
        "block",
        [
            b"No colon here\r\n\r\n",
            b"Bad Name: x\r\n\r\n",
            b"Name : x\r\n\r\n",
            b" lead: x\r\n\r\n",
        ],
    )
    def test_malformed_lines_are_400(self, block: bytes) -> None:
        """A line that is not name: value (or a space before the colon) is a 400."""
        with pytest.raises(HeadError) as info:
            parse_header_block(block)
        assert info.value.status == 400

    def test_too_many_headers_is_431(self) -> None:
        """More than MAX_HEADERS lines is a 431."""
        block = b"".join(b"X-%d: v\r\n" % i for i in range(MAX_HEADERS + 1)) + b"\r\n"
        with pytest.raises(HeadError, match="more than 100 headers") as info:
            parse_header_block(block)
        assert info.value.status == 431
