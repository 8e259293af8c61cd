"""The lifecycle engine, seen through HTTPServer and WSGIServer."""

from __future__ import annotations

import os
import socket
import threading

import pytest
import requests

from localserver import HTTPServer, ServerThreadError, WSGIServer
from localserver._engine import Engine

from .conftest import TIMEOUT, RawClient, ipv6_available


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


class TestStart:
    def test_binds_on_start_and_reports_the_real_port(self) -> None:
        """Port 0 becomes a real port, readable as soon as start() returns."""
        server = HTTPServer()
        assert server.port == 0
        server.start()
        try:
            assert server.port > 0
            assert server.server_address == ("127.0.0.1", server.port)
            with socket.create_connection(server.server_address, timeout=TIMEOUT):
                pass
        finally:
            server.stop()

    def test_start_returns_the_server(self) -> None:
        """start() returns the server so construction and start chain."""
        server = HTTPServer().start()
        try:
            assert server.running
        finally:
            server.stop()

    def test_busy_port_raises_oserror_naming_host_and_port(self) -> None:
        """A port in use raises OSError (never SystemExit) naming the address."""
        with HTTPServer() as first:
            second = HTTPServer(port=first.port)
            with pytest.raises(OSError, match=rf"127\.0\.0\.1:{first.port}") as info:
                second.start()
            assert info.value.errno is not None
            assert not second.running
            second.stop()  # safe after a failed start

    def test_unresolvable_host_names_the_host(self) -> None:
        """A host name that does not resolve is an OSError naming it, not a bare gaierror."""
        server = HTTPServer(host="no-such-host.invalid")
        with pytest.raises(OSError, match=r"host name 'no-such-host\.invalid' does not resolve"):
            server.start()
        assert not server.running

    def test_start_twice_raises(self) -> None:
        """Starting a running server is an error that says what to do."""
        with HTTPServer() as server, pytest.raises(RuntimeError, match="already running"):
            server.start()

    def test_restart_after_stop(self) -> None:
        """A stopped server starts again and serves."""
        server = HTTPServer()
        server.serve_content("again")
        for _ in range(3):
            server.start()
            try:
                assert requests.get(server.url, timeout=TIMEOUT).text == "again"
            finally:
                server.stop()
        assert not server.running

    def test_nothing_runs_before_start(self) -> None:
        """Constructing a server opens no socket and starts no thread."""
        threads, fds = threading.active_count(), _open_fds()
        server = HTTPServer()
        assert threading.active_count() == threads
        assert _open_fds() == fds
        assert not server.running

    @pytest.mark.skipif(not ipv6_available(), reason="this machine cannot bind ::1")
    def test_ipv6_loopback(self) -> None:
        """host='::1' serves over IPv6 and its URL has brackets."""
        with HTTPServer(host="::1") as server:
            server.serve_content("six")
            assert server.url == f"http://[::1]:{server.port}"
            assert requests.get(server.url_for("/x"), timeout=TIMEOUT).text == "six"


class TestArguments:
    @pytest.mark.parametrize("port", [-1, 65536])
    def test_port_out_of_range(self, port: int) -> None:
        """A port outside 0..65535 is a ValueError naming the argument."""
        with pytest.raises(ValueError, match=rf"'port' must be between 0 and 65535 \(got {port}\)"):
            HTTPServer(port=port)

    @pytest.mark.parametrize("port", ["80", 8.0, True, None])
    def test_port_wrong_type(self, port: object) -> None:
        """A port that is not an int is a TypeError naming the value."""
        with pytest.raises(TypeError, match="'port' must be an int"):
            HTTPServer(port=port)  # type: ignore[arg-type]

    @pytest.mark.parametrize("host", ["", 127, None])
    def test_host_wrong_type(self, host: object) -> None:
        """An empty or non-str host is a TypeError naming the argument."""
        with pytest.raises(TypeError, match="'host' must be a non-empty str"):
            HTTPServer(host=host)  # type: ignore[arg-type]

    def test_connection_timeout_must_be_positive(self) -> None:
        """A zero or negative connection timeout is rejected."""
        with pytest.raises(ValueError, match="'connection_timeout'"):
            HTTPServer(connection_timeout=0)


class TestStop:
    def test_stop_is_idempotent_and_safe_before_start(self) -> None:
        """stop() may be called before start() and any number of times."""
        server = HTTPServer()
        server.stop()
        server.start()
        server.stop()
        server.stop()
        assert not server.running

    def test_stop_releases_the_port(self) -> None:
        """After stop() the same port can be bound again at once."""
        server = HTTPServer().start()
        port = server.port
        server.stop()
        again = HTTPServer(port=port).start()
        try:
            assert again.port == port
        finally:
            again.stop()

    def test_context_manager_stops(self) -> None:
        """Leaving the with block stops the server and frees the port."""
        with HTTPServer() as server:
            address = server.server_address
            assert server.running
        assert not server.running
        with (
            pytest.raises(ConnectionRefusedError),
            socket.create_connection(address, timeout=TIMEOUT),
        ):
            pass

    def test_stop_closes_idle_keep_alive_connections(self, raw: type[RawClient]) -> None:
        """A client holding an idle keep-alive connection sees it closed by stop()."""
        server = HTTPServer().start()
        server.serve_content("x")
        client = raw(server.server_address)
        client.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert b"200 OK" in client.read_response_head()
        server.stop()
        assert client.read_all() in (b"", b"x")

    def test_stop_with_a_silent_client_connected(self, raw: type[RawClient]) -> None:
        """A client that connected and never sent a byte does not hold up stop()."""
        server = HTTPServer().start()
        silent = raw(server.server_address)
        server.serve_content("x")
        assert requests.get(server.url, timeout=TIMEOUT).text == "x"
        server.stop()
        assert silent.read_all() == b""
        assert not server.running

    def test_stop_joins_connection_threads(self) -> None:
        """After stop() no thread of the server is left."""
        server = HTTPServer().start()
        server.serve_content("x")
        with requests.Session() as session:
            session.get(server.url, timeout=TIMEOUT)
            server.stop()
        names = [t.name for t in threading.enumerate()]
        assert not [n for n in names if n.startswith(f"localserver:{server.port}")]


def _exploding() -> Engine:
    """A running engine whose connection handler has a bug."""

    def handler(conn: socket.socket, address: object, conn_id: int) -> None:
        raise ZeroDivisionError("bug in a handler")

    engine = Engine("127.0.0.1", 0, handler, name="Exploding")
    engine.start()
    return engine


class TestErrorsSurface:
    def test_connection_thread_error_raised_at_stop(self) -> None:
        """An unexpected exception on a server thread is raised by stop()."""
        engine = _exploding()
        with socket.create_connection((engine.host, engine.port), timeout=TIMEOUT) as sock:
            sock.recv(1)  # the handler fails and the connection closes
        with pytest.raises(ServerThreadError, match="ZeroDivisionError: bug in a handler") as info:
            engine.stop()
        assert isinstance(info.value.__cause__, ZeroDivisionError)
        engine.stop()  # raised once, then forgotten

    def test_error_raised_by_the_next_call(self) -> None:
        """raise_pending_errors() surfaces the error before stop()."""
        engine = _exploding()
        try:
            with socket.create_connection((engine.host, engine.port), timeout=TIMEOUT) as sock:
                sock.recv(1)
            with pytest.raises(ServerThreadError):
                engine.raise_pending_errors()
        finally:
            engine.stop()

    def test_client_errors_are_not_server_errors(self, raw: type[RawClient]) -> None:
        """A client that resets its connection is not reported as a failure."""
        server = HTTPServer().start()
        client = raw(server.server_address)
        client.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
        client.send(b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab")
        client.close()
        server.serve_content("fine")
        assert requests.get(server.url, timeout=TIMEOUT).text == "fine"
        server.stop()  # raises nothing


class TestWorkers:
    def test_connection_threads_are_reused(self, raw: type[RawClient]) -> None:
        """Sequential connections are served by reused threads, not one thread each."""
        workers: list[str] = []

        def answer(request: object) -> str:
            workers.append(threading.current_thread().name)
            return "x"

        with HTTPServer() as server:
            server.expect_request("/").respond_with_handler(answer)
            for _ in range(20):
                client = raw(server.server_address)
                client.send(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                assert client.read_all().endswith(b"x")
            assert len(server.requests) == 20
            assert len(set(workers)) < 20

    def test_concurrent_connections_each_get_a_thread(self, raw: type[RawClient]) -> None:
        """Connections held open at once are served at once (no fixed pool size)."""
        with HTTPServer() as server:
            server.serve_content("x")
            held = [raw(server.server_address) for _ in range(20)]
            for client in held:
                client.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            for client in held:
                assert b"200 OK" in client.read_response_head()


class TestNoLeaks:
    def test_threads_and_fds_return_to_baseline(self) -> None:
        """1,000 start/stop cycles, some with traffic, leak no thread and no fd."""
        warm = HTTPServer().start()
        warm.stop()
        threads, fds = threading.active_count(), _open_fds()
        for cycle in range(1000):
            server = HTTPServer().start()
            if cycle % 100 == 0:
                server.serve_content("x")
                with requests.Session() as session:
                    assert session.get(server.url, timeout=TIMEOUT).text == "x"
            server.stop()
        assert threading.active_count() == threads
        assert _open_fds() == fds

    def test_wsgi_server_cycles_do_not_leak(self) -> None:
        """WSGIServer shares the engine and its clean stop."""

        def app(environ: dict[str, object], start_response: object) -> list[bytes]:
            start_response("200 OK", [("Content-Length", "2")])  # type: ignore[operator]
            return [b"hi"]

        threads, fds = threading.active_count(), _open_fds()
        for _ in range(100):
            with WSGIServer(app) as server:
                assert requests.get(server.url, timeout=TIMEOUT).text == "hi"
        assert threading.active_count() == threads
        assert _open_fds() == fds
