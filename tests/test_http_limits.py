"""The limits of an HTTP connection: huge declared bodies, and heads that never end.

A declared body length allocates nothing; a body over ``max_body_size`` gets 413 and
is reported by the checks (issue 14, item 3). A request head must arrive within
``head_timeout`` of its first byte, or the connection gets 408 and is closed, while
clients that send promptly are not affected (item 8). Every test runs with both
parsers (httptools and the h11 fallback).
"""

from __future__ import annotations

import socket
import ssl
import threading
import tracemalloc
from collections.abc import Iterator

import pytest
import requests

from localserver import HTTPServer, HTTPSServer, ProtocolViolationError
from localserver._http1 import connection

from .conftest import TIMEOUT, RawClient

GiB = 1024**3
MiB = 1024**2
# Generous: what a server thread may allocate for a request, far below any
# declared length tested here.
ALLOCATION_BOUND = 32 * MiB


@pytest.fixture(params=["httptools", "h11"])
def parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test runs once with each parser."""
    monkeypatch.setattr(connection, "_PARSER", request.param)
    return str(request.param)


def _status(data: bytes) -> int:
    return int(data.split(b" ", 2)[1])


def _exchange(address: tuple[str, int], data: bytes, *, shut: bool = False) -> bytes:
    """Send *data* on a new connection (then half-close if *shut*); read until closed."""
    client = RawClient(address)
    try:
        client.send(data)
        if shut:
            client.sock.shutdown(socket.SHUT_WR)
        return client.read_all()
    finally:
        client.close()


def _post_head(length: int | None, *, chunked: bool = False) -> bytes:
    framing = b"Transfer-Encoding: chunked" if chunked else b"Content-Length: %d" % length
    return b"POST /upload HTTP/1.1\r\nHost: x\r\n" + framing + b"\r\n\r\n"


def _still_serving(server: HTTPServer) -> None:
    with requests.Session() as session:
        session.trust_env = False
        response = session.get(server.url_for("/after"), timeout=TIMEOUT)
    assert (response.status_code, response.text) == (200, "ok")


@pytest.fixture
def limited(parser: str) -> Iterator[HTTPServer]:
    """A server with the default max_body_size (1 GiB)."""
    with HTTPServer() as server:
        server.serve_content("ok")
        yield server


@pytest.fixture
def unlimited(parser: str) -> Iterator[HTTPServer]:
    """A server without a body limit (max_body_size=None)."""
    with HTTPServer(max_body_size=None) as server:
        server.serve_content("ok")
        yield server


class TestDeclaredBodyOverTheLimit:
    @pytest.mark.parametrize(
        "length", [10**12, 2**63 - 1, 30 * GiB], ids=["10**12", "2**63-1", "30GiB"]
    )
    def test_413_naming_max_body_size(self, limited: HTTPServer, length: int) -> None:
        """A declared length over the limit: 413 naming max_body_size, never a 500."""
        data = _exchange(limited.server_address, _post_head(length) + b"abc")
        assert _status(data) == 413
        assert b"max_body_size" in data
        assert b"%d" % length in data
        assert limited.requests == []
        _still_serving(limited)

    def test_reported_by_the_checks(self, limited: HTTPServer) -> None:
        """The refusal is a protocol error: in protocol_errors, raised by the checks."""
        mark = limited.begin_test()
        _exchange(limited.server_address, _post_head(10**12))
        assert len(limited.protocol_errors) == 1
        assert "answered 413" in limited.protocol_errors[0]
        with pytest.raises(ProtocolViolationError, match="max_body_size"):
            limited.end_test(mark)

    @pytest.mark.parametrize("length", [2**63, 2**64], ids=["2**63", "2**64"])
    def test_lengths_no_system_can_hold_are_400(self, limited: HTTPServer, length: int) -> None:
        """A Content-Length of 2**63 or more is not a length at all: 400, never a 500."""
        data = _exchange(limited.server_address, _post_head(length))
        assert _status(data) == 400
        assert b"Content-Length" in data
        _still_serving(limited)

    def test_the_limit_is_configurable(self, parser: str) -> None:
        """max_body_size=1000 takes 1000 bytes and refuses 1001."""
        with HTTPServer(max_body_size=1000) as server:
            server.serve_content("ok")
            assert _status(_exchange(server.server_address, _post_head(1001))) == 413
            data = _exchange(
                server.server_address,
                _post_head(1000).replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n")
                + b"x" * 1000,
            )
            assert _status(data) == 200
            assert [len(r.get_data()) for r in server.requests] == [1000]


class TestChunkedBodyOverTheLimit:
    @pytest.mark.parametrize("store", [True, False], ids=["stored", "discarded"])
    def test_413_when_the_chunks_pass_the_limit(self, parser: str, store: bool) -> None:
        """Chunks adding up to more than max_body_size: 413, reported, nothing recorded."""
        with HTTPServer(max_body_size=1000) as server:
            server.serve_content("ok", store_request_data=store)
            mark = server.begin_test()
            chunks = b"".join(b"64\r\n" + b"a" * 100 + b"\r\n" for _ in range(11))
            data = _exchange(server.server_address, _post_head(None, chunked=True) + chunks)
            assert _status(data) == 413
            assert b"max_body_size" in data
            assert server.requests == []
            with pytest.raises(ProtocolViolationError, match="answered 413"):
                server.end_test(mark)
            _still_serving(server)

    def test_one_huge_chunk(self, limited: HTTPServer) -> None:
        """A chunk declared larger than the limit is refused as its bytes pass it."""
        data = _exchange(
            limited.server_address,
            _post_head(None, chunked=True) + b"fffffffffff\r\n" + b"a" * 4096,
            shut=True,
        )
        assert data == b"" or _status(data) in (400, 413)
        _still_serving(limited)


def _peak_while(action: object) -> int:
    """Peak bytes traced while *action()* runs (all threads)."""
    tracemalloc.start()
    try:
        action()  # type: ignore[operator]
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


class TestNothingAllocatedFromTheDeclaredLength:
    @pytest.mark.parametrize(
        "length", [10**12, 2**63 - 1, 30 * GiB], ids=["10**12", "2**63-1", "30GiB"]
    )
    def test_unlimited_server(self, unlimited: HTTPServer, length: int) -> None:
        """max_body_size=None: a huge declared length costs what arrives, not what is declared.

        The client sends 64 KiB of the body and stops; the server drops the
        incomplete request and closes, and its peak allocation stays small.
        """

        def upload() -> None:
            data = _exchange(unlimited.server_address, _post_head(length) + b"a" * 65536, shut=True)
            assert data == b""

        assert _peak_while(upload) < ALLOCATION_BOUND
        assert unlimited.requests == []
        _still_serving(unlimited)

    def test_declared_length_just_under_the_default_limit(self, limited: HTTPServer) -> None:
        """A declared 1 GiB - 1 is allowed, and reserves nothing before its bytes arrive."""

        def upload() -> None:
            _exchange(limited.server_address, _post_head(GiB - 1) + b"a" * 65536, shut=True)

        assert _peak_while(upload) < ALLOCATION_BOUND
        _still_serving(limited)

    def test_huge_chunk_size(self, unlimited: HTTPServer) -> None:
        """A chunk size of about 2**44 allocates nothing either."""

        def upload() -> None:
            _exchange(
                unlimited.server_address,
                _post_head(None, chunked=True) + b"fffffffffff\r\n" + b"a" * 65536,
                shut=True,
            )

        assert _peak_while(upload) < ALLOCATION_BOUND
        _still_serving(unlimited)


# -- the head deadline (slowloris) ---------------------------------------------------

HEAD_TIMEOUT = 0.3
PACE = 0.02  # seconds between two bytes of a dribbling client
DRIBBLERS = 20


class _Dribbler(threading.Thread):
    """A rude client that sends its request head one byte per PACE seconds (slowloris).

    It reads what the server answers as it comes, but ignores it and goes on
    sending until a send fails: ``cut`` says whether the server closed the
    connection before the whole head was sent.
    """

    def __init__(self, make_socket: object, head: bytes) -> None:
        super().__init__(daemon=True)
        self.make_socket = make_socket
        self.head = head
        self.answer = b""
        self.sent = 0
        self.cut = False
        self.pace = threading.Event()  # never set: its wait() is the pace

    def run(self) -> None:
        sock: socket.socket = self.make_socket()  # type: ignore[operator]
        try:
            for byte in self.head:
                self._read_answer(sock)
                try:
                    sock.sendall(bytes([byte]))
                except OSError:
                    self.cut = True
                    self._read_answer(sock)  # what arrived since the last look
                    return
                self.sent += 1
                self.pace.wait(PACE)
        finally:
            sock.close()

    def _read_answer(self, sock: socket.socket) -> None:
        """Keep what the server sent so far, without waiting for more."""
        sock.setblocking(False)
        try:
            while True:
                data = sock.recv(65536)
                if not data:
                    return
                self.answer += data
        except (BlockingIOError, ssl.SSLWantReadError, OSError):
            return
        finally:
            sock.settimeout(TIMEOUT)


# Long enough that sending it at PACE takes far longer than the deadline (40 s).
SLOW_HEAD = b"GET /slow HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 2000 + b"\r\n\r\n"


def _dribble(server: HTTPServer, make_socket: object) -> list[_Dribbler]:
    """Run DRIBBLERS slow clients while a prompt client keeps requesting; all must pass."""
    dribblers = [_Dribbler(make_socket, SLOW_HEAD) for _ in range(DRIBBLERS)]
    for dribbler in dribblers:
        dribbler.start()
    answered = 0
    with requests.Session() as session:
        session.trust_env = False
        session.verify = server.ca_bundle if isinstance(server, HTTPSServer) else True
        while any(d.is_alive() for d in dribblers):
            response = session.get(server.url_for("/prompt"), timeout=TIMEOUT)
            assert (response.status_code, response.text) == (200, "ok")
            answered += 1
    for dribbler in dribblers:
        dribbler.join(TIMEOUT)
    assert answered > 0
    return dribblers


class TestHeadDeadline:
    def test_dribbling_clients_are_cut_with_408(self, parser: str) -> None:
        """Heads sent a byte at a time get 408 at the deadline and are closed; others are served."""
        with HTTPServer(head_timeout=HEAD_TIMEOUT) as server:
            server.serve_content("ok")
            mark = server.begin_test()
            dribblers = _dribble(
                server, lambda: socket.create_connection(server.server_address, TIMEOUT)
            )
            for dribbler in dribblers:
                assert dribbler.cut, "the server never ended a dribbling connection"
                assert dribbler.sent < len(SLOW_HEAD)
                assert _status(dribbler.answer) == 408
                assert b"head_timeout" in dribbler.answer
            assert [r.path for r in server.requests if r.path != "/prompt"] == []
            assert len(server.protocol_errors) == DRIBBLERS
            with pytest.raises(AssertionError, match=f"{DRIBBLERS} problems") as caught:
                server.end_test(mark)
            assert isinstance(caught.value.__cause__, ProtocolViolationError)
            assert "answered 408" in str(caught.value)

    def test_dribbling_https_clients_are_cut_with_408(self, parser: str) -> None:
        """Over TLS too: the deadline counts once the handshake is done."""
        with HTTPSServer(head_timeout=HEAD_TIMEOUT) as server:
            server.serve_content("ok")
            context = server.client_ssl_context()

            def make_socket() -> socket.socket:
                raw = socket.create_connection(server.server_address, TIMEOUT)
                return context.wrap_socket(raw, server_hostname="localhost")

            for dribbler in _dribble(server, make_socket):
                assert dribbler.cut
                assert _status(dribbler.answer) == 408

    def test_plain_text_dribbled_to_an_https_port_is_cut(self) -> None:
        """Plain HTTP dribbled to a TLS port is cut at the handshake deadline, not its last byte."""
        with HTTPSServer(handshake_timeout=HEAD_TIMEOUT) as server:
            server.serve_content("ok")
            dribbler = _Dribbler(
                lambda: socket.create_connection(server.server_address, TIMEOUT), SLOW_HEAD
            )
            dribbler.start()
            dribbler.join(TIMEOUT)
            assert not dribbler.is_alive()
            assert dribbler.cut
            assert dribbler.sent < len(SLOW_HEAD)

    def test_a_head_in_pieces_within_the_deadline_is_answered(
        self, parser: str, raw: type[RawClient]
    ) -> None:
        """A head sent in a few pieces, well within head_timeout, is answered as usual."""
        with HTTPServer(head_timeout=5.0) as server:
            server.serve_content("ok")
            client = raw(server.server_address)
            pace = threading.Event()
            for piece in (b"GET /pieces HT", b"TP/1.1\r\nHo", b"st: x\r\n", b"\r\n"):
                client.send(piece)
                pace.wait(PACE)
            assert b"200 OK" in client.read_response_head()
            assert [r.path for r in server.requests] == ["/pieces"]

    def test_an_idle_keep_alive_connection_is_not_a_slow_head(
        self, parser: str, raw: type[RawClient]
    ) -> None:
        """The deadline starts at a head's first byte: silence between requests is no offence."""
        with HTTPServer(head_timeout=HEAD_TIMEOUT, connection_timeout=5.0) as server:
            server.serve_content("ok")
            client = raw(server.server_address)
            client.send(b"GET /one HTTP/1.1\r\nHost: x\r\n\r\n")
            assert b"200 OK" in client.read_response_head()
            threading.Event().wait(HEAD_TIMEOUT * 2)  # the time passing is what is tested
            client.send(b"GET /two HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            assert b"200 OK" in client.read_all()
            assert [r.path for r in server.requests] == ["/one", "/two"]

    def test_none_means_no_deadline(self, parser: str, raw: type[RawClient]) -> None:
        """head_timeout=None: a head slower than a deadline would allow is still answered."""
        with HTTPServer(head_timeout=None) as server:
            server.serve_content("ok")
            client = raw(server.server_address)
            pace = threading.Event()
            for piece in (b"GET /slow", b" HTTP/1.1\r\n", b"Host: x\r\n\r\n"):
                client.send(piece)
                pace.wait(HEAD_TIMEOUT)
            assert b"200 OK" in client.read_response_head()

    @pytest.mark.parametrize("value", [0, -1, "10"])
    def test_bad_values_are_refused(self, value: object) -> None:
        """head_timeout must be a positive number of seconds or None."""
        with pytest.raises((TypeError, ValueError), match="head_timeout"):
            HTTPServer(head_timeout=value)  # type: ignore[arg-type]
