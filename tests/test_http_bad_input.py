"""Malformed requests and rude clients: an error where HTTP allows one, and service goes on."""

from __future__ import annotations

import socket
import threading

import pytest
import requests

from localserver import HTTPServer
from localserver._http1.io import set_timeout

from .conftest import TIMEOUT, RawClient


def _still_serving(server: HTTPServer) -> None:
    response = requests.get(server.url_for("/after"), timeout=TIMEOUT)
    assert (response.status_code, response.text) == (200, "ok")


def _status(data: bytes) -> int:
    return int(data.split(b" ", 2)[1])


class TestMalformedRequests:
    @pytest.mark.parametrize(
        "line",
        [
            b"GARBAGE\r\n\r\n",
            b"GET\r\n\r\n",
            b"GET / HTTP/1.1 extra words\r\n\r\n",
            b"GET / HTTP/9.9\r\n\r\n",
            b"\x00\x01\x02\x03 / HTTP/1.1\r\n\r\n",
        ],
    )
    def test_garbage_request_line(
        self, server: HTTPServer, raw: type[RawClient], line: bytes
    ) -> None:
        """A request line that is not HTTP gets a 4xx/5xx and the connection closes."""
        client = raw(server.server_address)
        client.send(line)
        data = client.read_all()
        assert data.startswith((b"HTTP/1.1 4", b"HTTP/1.1 5"))
        _still_serving(server)

    def test_request_line_too_long(self, server: HTTPServer, raw: type[RawClient]) -> None:
        """A request line over 64 KiB gets 414."""
        client = raw(server.server_address)
        client.send(b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n")
        assert _status(client.read_all()) == 414
        _still_serving(server)

    def test_header_block_over_64k(self, server: HTTPServer, raw: type[RawClient]) -> None:
        """Headers adding up to more than 64 KiB get 431."""
        client = raw(server.server_address)
        headers = b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 1000) for i in range(70))
        client.send(b"GET / HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n")
        assert _status(client.read_all()) == 431
        _still_serving(server)

    def test_single_header_line_too_long(self, server: HTTPServer, raw: type[RawClient]) -> None:
        """One header line over 64 KiB gets 431."""
        client = raw(server.server_address)
        client.send(b"GET / HTTP/1.1\r\nX-Big: " + b"v" * 70_000 + b"\r\n\r\n")
        assert _status(client.read_all()) == 431
        _still_serving(server)

    def test_too_many_headers(self, server: HTTPServer, raw: type[RawClient]) -> None:
        """More header lines than the parser allows get 431."""
        client = raw(server.server_address)
        headers = b"".join(b"X-H%d: v\r\n" % i for i in range(150))
        client.send(b"GET / HTTP/1.1\r\n" + headers + b"\r\n")
        assert _status(client.read_all()) == 431
        _still_serving(server)

    @pytest.mark.parametrize("value", [b"abc", b"-5", b"1e3"])
    def test_invalid_content_length(
        self, server: HTTPServer, raw: type[RawClient], value: bytes
    ) -> None:
        """A Content-Length that is not a non-negative integer gets 400."""
        client = raw(server.server_address)
        client.send(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: " + value + b"\r\n\r\n")
        data = client.read_all()
        assert _status(data) == 400
        assert b"Content-Length" in data
        _still_serving(server)

    @pytest.mark.parametrize(
        "body",
        [b"zz\r\nabc\r\n0\r\n\r\n", b"3\r\nabcdef\r\n0\r\n\r\n", b"5\r\nab"],
        ids=["bad-size", "wrong-length", "truncated"],
    )
    def test_invalid_chunked_body(
        self, server: HTTPServer, raw: type[RawClient], body: bytes
    ) -> None:
        """A broken chunked body gets 400 (or a close when cut short) and is not served as OK."""
        client = raw(server.server_address)
        client.send(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + body)
        client.sock.shutdown(socket.SHUT_WR)
        data = client.read_all()
        assert data == b"" or _status(data) == 400
        _still_serving(server)

    def test_body_shorter_than_content_length(
        self, server: HTTPServer, raw: type[RawClient]
    ) -> None:
        """A client that sends less than Content-Length and stops is not recorded as OK."""
        client = raw(server.server_address)
        client.send(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly this")
        client.sock.shutdown(socket.SHUT_WR)
        data = client.read_all()
        assert data == b"" or _status(data) == 400
        assert server.requests == []
        _still_serving(server)


def _no_worker_left(port: int) -> bool:
    prefix = f"localserver:{port}:worker"
    return not [t for t in threading.enumerate() if t.name.startswith(prefix)]


class TestChunkedBodies:
    @pytest.mark.parametrize(
        "size", [b"10000", b"ffffffff", b"ffffffffffffffff", b"1" * 20], ids=str
    )
    def test_chunk_cut_short_then_close(self, raw: type[RawClient], size: bytes) -> None:
        """A chunk that announces more than the client sends ends in a 400 or a close.

        Nothing is recorded, no thread is left behind and stop() raises nothing.
        """
        server = HTTPServer().start()
        server.serve_content("ok")
        client = raw(server.server_address)
        client.send(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        client.send(size + b"\r\nab")
        client.sock.shutdown(socket.SHUT_WR)
        data = client.read_all()
        assert data == b"" or _status(data) == 400
        assert server.requests == []
        _still_serving(server)
        port = server.port
        server.stop()
        assert _no_worker_left(port)

    def test_extensions_and_trailers_are_accepted(self, server: HTTPServer) -> None:
        """Chunk extensions are ignored and trailer fields skipped (RFC 9112 7.1)."""
        with socket.create_connection(server.server_address, timeout=TIMEOUT) as sock:
            sock.sendall(
                b"POST /t HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                b"2;name=value\r\nab\r\n1\r\nc\r\n0\r\nX-Trailer: 1\r\n\r\n"
                b"GET /next HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            )
            data = b"".join(iter(lambda: sock.recv(65536), b""))
        assert data.count(b"200 OK") == 2
        assert [r.path for r in server.requests] == ["/t", "/next"]
        assert server.requests[0].get_data() == b"abc"

    def test_chunk_longer_than_announced(self, server: HTTPServer, raw: type[RawClient]) -> None:
        """Chunk data not followed by CRLF where the size says is a 400."""
        client = raw(server.server_address)
        client.send(
            b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"2\r\nabcd\r\n0\r\n\r\n"
        )
        assert _status(client.read_all()) == 400
        assert server.requests == []


class TestContentLength:
    @pytest.mark.parametrize(
        "value",
        ["\xb2".encode("latin-1"), b"99999999999999999999", b"1 2", b"+5"],
        ids=["superscript-two", "huge", "two-numbers", "plus"],
    )
    def test_unusable_values_are_400(
        self, server: HTTPServer, raw: type[RawClient], value: bytes
    ) -> None:
        """Content-Length values that are not one plain number get 400, not a crash."""
        client = raw(server.server_address)
        client.send(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: " + value + b"\r\n\r\n")
        assert _status(client.read_all()) == 400
        _still_serving(server)
        server.stop()  # raises nothing: bad input is not a server failure

    def test_conflicting_values_are_400(self, server: HTTPServer, raw: type[RawClient]) -> None:
        """Two different Content-Length headers are refused (RFC 9112 6.3)."""
        client = raw(server.server_address)
        client.send(
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 5\r\n\r\nab"
        )
        data = client.read_all()
        assert _status(data) == 400
        assert b"several Content-Length headers" in data

    def test_identical_repeats_are_400(self, server: HTTPServer, raw: type[RawClient]) -> None:
        """The same Content-Length twice is refused too (RFC 9112 6.3 allows either)."""
        client = raw(server.server_address)
        client.send(
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 2\r\n"
            b"Connection: close\r\n\r\nab"
        )
        assert _status(client.read_all()) == 400
        assert server.requests == []

    def test_broken_absolute_target_is_400(self, server: HTTPServer, raw: type[RawClient]) -> None:
        """An absolute URL that cannot be parsed gets 400 and the server goes on."""
        client = raw(server.server_address)
        client.send(b"GET http://[::1 HTTP/1.1\r\nHost: x\r\n\r\n")
        data = client.read_all()
        assert _status(data) == 400
        assert b"Python/" not in data  # the Server header names only localserver
        _still_serving(server)
        server.stop()


class TestRudeClients:
    def test_connect_and_send_nothing(self, server: HTTPServer, raw: type[RawClient]) -> None:
        """Silent connections block nobody."""
        silent = [raw(server.server_address) for _ in range(5)]
        _still_serving(server)
        assert len(silent) == 5

    def test_vanish_mid_request(self, server: HTTPServer, raw: type[RawClient]) -> None:
        """A client that disappears halfway through its headers leaves no trace."""
        client = raw(server.server_address)
        client.send(b"GET / HTTP/1.1\r\nHost: x\r\nX-Half")
        client.close()
        _still_serving(server)
        assert [r.path for r in server.requests] == ["/after"]

    def test_reset_mid_request(self, server: HTTPServer, raw: type[RawClient]) -> None:
        """A client that resets (RST) mid-body is dropped quietly."""
        client = raw(server.server_address)
        client.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
        client.send(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\npartial")
        client.close()
        _still_serving(server)

    def test_vanish_mid_response(self, server: HTTPServer, raw: type[RawClient]) -> None:
        """A client that closes while a large response is being written is dropped."""
        server.serve_content(b"x" * 20_000_000)
        client = raw(server.server_address)
        client.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert b"200 OK" in client.read_response_head()
        client.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
        client.close()
        server.serve_content("ok")
        _still_serving(server)

    def test_pipelined_requests_are_answered_in_order(
        self, server: HTTPServer, raw: type[RawClient]
    ) -> None:
        """Requests sent back to back on one connection each get their response."""
        client = raw(server.server_address)
        client.send(
            b"GET /1 HTTP/1.1\r\nHost: x\r\n\r\n"
            b"POST /2 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
            b"GET /3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        data = client.read_all()
        assert data.count(b"HTTP/1.1 200 OK") == 3
        assert [r.path for r in server.requests] == ["/1", "/2", "/3"]
        assert server.requests[1].get_data() == b"abc"

    def test_unread_body_does_not_break_the_next_request(self, raw: type[RawClient]) -> None:
        """With store_request_data=False the body is drained, and keep-alive goes on."""
        with HTTPServer() as server:
            server.serve_content("ok", store_request_data=False)
            client = raw(server.server_address)
            client.send(
                b"POST /1 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
                b"GET /2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            )
            assert client.read_all().count(b"200 OK") == 2
            assert [r.path for r in server.requests] == ["/1", "/2"]

    def test_tls_client_hello_on_plain_port_is_recorded(
        self, server: HTTPServer, raw: type[RawClient]
    ) -> None:
        """A TLS handshake sent to the plain port closes the connection and is noted."""
        client = raw(server.server_address)
        client.send(b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" + b"\x00" * 32)
        assert client.read_all() == b""
        assert "TLS handshake on this plain HTTP server" in server.protocol_errors[0]
        _still_serving(server)


class TestIdleTimeout:
    """connection_timeout ends connections whose client went quiet (no wall-clock asserts)."""

    def test_silent_connection_is_closed(self, raw: type[RawClient]) -> None:
        """A client that never sends a byte is disconnected after the timeout."""
        with HTTPServer(connection_timeout=0.2) as server:
            server.serve_content("ok")
            client = raw(server.server_address)
            assert client.read_all() == b""  # closed by the server, before TIMEOUT
            _still_serving(server)

    def test_idle_keep_alive_connection_is_closed(self, raw: type[RawClient]) -> None:
        """After a response, an idle kept-alive connection is closed after the timeout."""
        with HTTPServer(connection_timeout=0.2) as server:
            server.serve_content("ok")
            client = raw(server.server_address)
            client.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            assert client.read_all().endswith(b"\r\n\r\nok")

    def test_body_that_stops_arriving(self, raw: type[RawClient]) -> None:
        """A body that stops halfway ends the connection; nothing is recorded or raised."""
        server = HTTPServer(connection_timeout=0.2).start()
        server.serve_content("ok")
        client = raw(server.server_address)
        client.send(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nhalf")
        data = client.read_all()
        assert data == b"" or _status(data) == 400
        assert server.requests == []
        _still_serving(server)
        server.stop()  # no ServerThreadError: a quiet client is not a server failure

    def test_client_that_stops_reading(self, raw: type[RawClient]) -> None:
        """A client that never reads a large response does not keep its thread forever."""
        server = HTTPServer(connection_timeout=0.2).start()
        server.serve_content(b"x" * 50_000_000)
        client = raw(server.server_address)
        client.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        client.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert b"200 OK" in client.read_response_head()
        assert server.requests[0].path == "/"
        server.serve_content("ok")
        _still_serving(server)
        client.close()
        server.stop()


class TestSetTimeout:
    def test_read_on_a_silent_peer_ends_like_eof(self) -> None:
        """A buffered read from a silent peer returns no data once the timeout runs out."""
        left, right = socket.socketpair()
        with left, right:
            set_timeout(left, 0.05)
            with left.makefile("rb") as reader:
                assert not reader.read(1)
            assert left.gettimeout() in (None, 0.05)

    def test_none_means_wait_forever(self) -> None:
        """timeout=None leaves the socket blocking without a timeout."""
        left, right = socket.socketpair()
        with left, right:
            set_timeout(left, None)
            assert left.gettimeout() is None
            right.sendall(b"x")
            assert left.recv(1) == b"x"
