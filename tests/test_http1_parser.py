"""HTTP/1.1 framing (RFC 9112), with httptools and with the h11 fallback: the same answers."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from localserver import HTTPServer
from localserver._http1 import connection

from .conftest import TIMEOUT, RawClient


@pytest.fixture(params=["httptools", "h11"])
def parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test runs once with each parser."""
    monkeypatch.setattr(connection, "_PARSER", request.param)
    return str(request.param)


@pytest.fixture
def server(parser: str) -> Iterator[HTTPServer]:
    with HTTPServer() as srv:
        srv.serve_content("ok")
        yield srv


def _status(data: bytes) -> int:
    return int(data.split(b" ", 2)[1])


def _exchange(server: HTTPServer, data: bytes) -> bytes:
    """Send *data* on a new connection; read until the server closes it."""
    client = RawClient(server.server_address)
    try:
        client.send(data)
        return client.read_all()
    finally:
        client.close()


class TestTransferCodings:
    @pytest.mark.parametrize(
        ("coding", "status"),
        [
            ("gzip", 400),
            ("chunked, gzip", 400),
            ("identity", 501),
            ("xchunked", 501),
            ("gzip, chunked", 501),
        ],
    )
    def test_codings_other_than_final_chunked_are_refused(
        self, server: HTTPServer, coding: str, status: int
    ) -> None:
        """Unknown codings get 501, chunked not last 400; the body is never a request."""
        data = _exchange(
            server,
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
            + coding.encode()
            + b"\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n",
        )
        assert _status(data) == status
        assert b"smuggled" not in data
        assert [r.path for r in server.requests] == []

    def test_content_length_with_transfer_encoding_is_400(self, server: HTTPServer) -> None:
        """Both framings at once are refused (RFC 9112 6.1)."""
        data = _exchange(
            server,
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        )
        assert _status(data) == 400
        assert b"both Content-Length and Transfer-Encoding" in data

    def test_chunk_extensions_and_trailers(self, server: HTTPServer) -> None:
        """Chunk extensions are ignored and trailers read; the body is the chunks' data."""
        data = _exchange(
            server,
            b"POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n"
            b"\r\n3;name=value\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: t\r\n\r\n",
        )
        assert _status(data) == 200
        assert server.requests[0].get_data() == b"abcde"


class TestHeaderFields:
    @pytest.mark.parametrize(
        "field",
        [b"X: a\x00b", b"X: a\rb", b"X : a", b"X: a\r\n b", b": a"],
        ids=["nul", "bare-cr", "space-before-colon", "obs-fold", "empty-name"],
    )
    def test_invalid_fields_are_400(self, server: HTTPServer, field: bytes) -> None:
        """Fields RFC 9112 forbids are refused, never recorded as sent."""
        data = _exchange(server, b"GET / HTTP/1.1\r\nHost: a\r\n" + field + b"\r\n\r\n")
        assert _status(data) == 400
        assert server.requests == []

    @pytest.mark.parametrize("value", [b"-1", b"1e3", b"abc"])
    def test_invalid_content_length_says_so(self, server: HTTPServer, value: bytes) -> None:
        """A Content-Length that is no integer: 400 saying it is invalid, with either parser."""
        data = _exchange(
            server, b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: " + value + b"\r\n\r\n"
        )
        assert _status(data) == 400
        answer = data.partition(b"\r\n\r\n")[2].lower()
        assert b"invalid" in answer
        assert b"content-length" in answer
        assert b"several" not in answer

    def test_missing_host_is_400(self, server: HTTPServer) -> None:
        """An HTTP/1.1 request without Host is refused (RFC 9112 3.2)."""
        assert _status(_exchange(server, b"GET / HTTP/1.1\r\n\r\n")) == 400

    def test_http10_needs_no_host(self, server: HTTPServer) -> None:
        """HTTP/1.0 requests may leave Host out."""
        data = _exchange(server, b"GET / HTTP/1.0\r\n\r\n")
        assert _status(data) == 200
        assert data.endswith(b"ok")

    def test_values_lose_surrounding_whitespace(self, server: HTTPServer) -> None:
        """Optional whitespace around a value is not part of it (RFC 9110 5.5)."""
        _exchange(server, b"GET / HTTP/1.1\r\nHost: a\r\nX-Pad:   v  \r\nConnection: close\r\n\r\n")
        assert server.requests[0].headers["X-Pad"] == "v"


class TestRequestLine:
    def test_a_leading_empty_line_is_ignored(self, server: HTTPServer) -> None:
        """An empty line before the request line is skipped (RFC 9112 2.2)."""
        data = _exchange(server, b"\r\nGET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        assert _status(data) == 200
        assert [r.path for r in server.requests] == ["/x"]

    @pytest.mark.parametrize(
        "line",
        [b"GET  / HTTP/1.1", b"GET /  HTTP/1.1", b"GET\t/ HTTP/1.1", b" GET / HTTP/1.1"],
        ids=["two-spaces-before", "two-spaces-after", "tab", "leading-space"],
    )
    def test_bad_whitespace_is_400(self, server: HTTPServer, line: bytes) -> None:
        """Parts of the request line are separated by exactly one space."""
        assert _status(_exchange(server, line + b"\r\nHost: a\r\n\r\n")) == 400
        assert server.requests == []

    @pytest.mark.parametrize(
        "line",
        [b"Transfer-Encoding\x00GET / HTTP/1.1", b"Content-Length\x00GET / HTTP/1.1"],
        ids=["names-transfer-encoding", "names-content-length"],
    )
    def test_garbage_quoting_a_header_name_is_400(self, server: HTTPServer, line: bytes) -> None:
        """A broken request line that happens to hold a header's name is a plain 400.

        Found by tests/test_property_streams.py: the h11 reader took it for a
        Transfer-Encoding error and failed with IndexError, answering nothing.
        """
        data = _exchange(server, line + b"\r\nHost: a\r\n\r\n")
        assert _status(data) == 400
        assert b"several Content-Length" not in data
        server.raise_pending_errors()  # no server thread failed

    def test_lf_only_lines_are_400(self, server: HTTPServer) -> None:
        """Lines end with CRLF."""
        assert _status(_exchange(server, b"GET / HTTP/1.1\nHost: a\n\n")) == 400

    def test_http2_is_505(self, server: HTTPServer) -> None:
        """A version this server does not speak gets 505."""
        assert _status(_exchange(server, b"GET / HTTP/2.0\r\nHost: a\r\n\r\n")) == 505

    def test_unknown_method_is_501(self, server: HTTPServer) -> None:
        """A method no registry knows gets 501 (RFC 9110 9.1)."""
        assert _status(_exchange(server, b"BREW / HTTP/1.1\r\nHost: a\r\n\r\n")) == 501

    def test_registered_methods_are_served(self, server: HTTPServer) -> None:
        """WebDAV and UPnP methods are methods too."""
        for method in (b"PROPFIND", b"M-SEARCH", b"PURGE"):
            data = _exchange(
                server, method + b" / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
            )
            assert _status(data) == 200
        assert [r.method for r in server.requests] == ["PROPFIND", "M-SEARCH", "PURGE"]


class TestConnections:
    def test_pipelined_requests_are_answered_in_turn(self, server: HTTPServer) -> None:
        """Three requests sent at once get three answers, in order, on one connection."""
        batch = b"".join(
            b"POST /%d HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\n%d" % (i, i)
            for i in range(3)
        )
        data = _exchange(
            server, batch + b"GET /end HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
        )
        assert data.count(b"HTTP/1.1 200 OK") == 4
        assert [r.path for r in server.requests] == ["/0", "/1", "/2", "/end"]
        assert [r.get_data() for r in server.requests[:3]] == [b"0", b"1", b"2"]
        assert len({r.connection_id for r in server.requests}) == 1

    def test_expect_100_continue(self, server: HTTPServer) -> None:
        """A client that waits for 100 Continue gets it before it sends the body."""
        with socket.create_connection(server.server_address, timeout=TIMEOUT) as sock:
            sock.sendall(
                b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n"
                b"Expect: 100-continue\r\nConnection: close\r\n\r\n"
            )
            assert sock.recv(100).startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
            sock.sendall(b"body")
            rest = b""
            while chunk := sock.recv(65536):
                rest += chunk
        assert b"200 OK" in rest
        assert server.requests[0].get_data() == b"body"

    def test_keep_alive_false_closes_every_connection(self, parser: str) -> None:
        """keep_alive=False answers with Connection: close, as HTTP/1.0 servers do."""
        with HTTPServer(keep_alive=False) as server:
            server.serve_content("x")
            data = _exchange(server, b"GET / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\n\r\n")
            assert data.count(b"HTTP/1.1 200") == 1
            assert b"Connection: close" in data


class _EarlyTimer:
    """A socket that sends a head's first bytes, then times out at once, every time.

    What a kernel timer that fires a hair before the clock reaches the head's
    deadline looks like to the reader: the time is not up yet, and yet the
    receive timed out.
    """

    family = socket.AF_INET

    def __init__(self) -> None:
        self.first = True
        self.timeouts: list[float | None] = []

    def settimeout(self, value: float | None) -> None:
        self.timeouts.append(value)

    def setsockopt(self, *args: object) -> None:
        pass

    def _first(self) -> bytes:
        self.first = False
        return b"GET /slow HTTP/1.1\r\nHost: x\r\n"

    def recv(self, size: int) -> bytes:
        if self.first:
            return self._first()
        raise TimeoutError("timed out")

    def recv_into(self, buffer: bytearray) -> int:
        if self.first:
            data = self._first()
            buffer[: len(data)] = data
            return len(data)
        raise TimeoutError("timed out")


class TestHeadDeadlineTimer:
    def test_a_timer_firing_early_still_gets_408(self, parser: str) -> None:
        """A receive bounded by the head's deadline that times out is the deadline: 408."""
        from localserver._http1.head import Limits, ProtocolError

        sock = _EarlyTimer()
        reader = connection.make_reader(sock, Limits(head_timeout=30.0, idle_timeout=60.0))
        with pytest.raises(ProtocolError) as caught:
            reader.next_head()
        assert caught.value.status == 408
        assert "head_timeout" in caught.value.message

    def test_the_idle_timeout_stays_a_quiet_close(self, parser: str) -> None:
        """When the idle timeout is the shorter bound, its timeout closes without a 408."""
        from localserver._http1.head import Limits

        sock = _EarlyTimer()
        reader = connection.make_reader(sock, Limits(head_timeout=30.0, idle_timeout=5.0))
        assert reader.next_head() is None
