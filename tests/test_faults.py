"""Delays and network faults, seen by real clients as the errors they really raise."""

from __future__ import annotations

import socket
import threading

import pytest
import requests
import urllib3

from localserver import Delay, Fault, HTTPServer

from .conftest import TIMEOUT


@pytest.fixture
def server(bare_server: HTTPServer) -> HTTPServer:
    return bare_server


def server_threads(server):
    """The server's connection threads still alive (stop() joins them)."""
    prefix = f"localserver:{server.port}:worker"
    return [t.name for t in threading.enumerate() if t.name.startswith(prefix)]


def in_thread(func):
    """Run *func* on a thread; return (thread, outcome list: [result] or [exception])."""
    outcome = []

    def run():
        try:
            outcome.append(func())
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def wait_for_requests(server, count=1):
    assert server.requests.wait_count(lambda request: True, count, TIMEOUT) >= count


class TestFaults:
    def test_connection_reset(self, server, client):
        """CONNECTION_RESET reaches requests as a ConnectionError caused by a reset."""
        server.expect_request("/f").respond_with_fault(Fault.CONNECTION_RESET)
        with pytest.raises(requests.ConnectionError, match=r"reset|Connection aborted"):
            client.get(server.url_for("/f"), timeout=TIMEOUT)
        assert server.log[0][1] is None

    def test_connection_reset_in_urllib3(self, server):
        """urllib3 sees a ProtocolError wrapping ConnectionResetError."""
        server.expect_request("/f").respond_with_fault("connection_reset")
        with urllib3.PoolManager() as pool, pytest.raises(urllib3.exceptions.ProtocolError) as info:
            pool.request("GET", server.url_for("/f"), retries=False, timeout=TIMEOUT)
        assert isinstance(info.value.args[1], ConnectionResetError)

    def test_empty_response(self, server, client):
        """EMPTY_RESPONSE closes without a byte: the client sees the connection end."""
        server.expect_request("/f").respond_with_fault(Fault.EMPTY_RESPONSE)
        with pytest.raises(requests.ConnectionError, match=r"RemoteDisconnected|without response"):
            client.get(server.url_for("/f"), timeout=TIMEOUT)

    def test_malformed_chunk(self, server, client):
        """MALFORMED_CHUNK makes requests raise ChunkedEncodingError."""
        server.expect_request("/f").respond_with_fault(Fault.MALFORMED_CHUNK)
        with pytest.raises(requests.exceptions.ChunkedEncodingError):
            client.get(server.url_for("/f"), timeout=TIMEOUT)

    def test_random_data_then_close(self, server, client):
        """RANDOM_DATA_THEN_CLOSE is not HTTP: the client reports a bad status line."""
        server.expect_request("/f").respond_with_fault(Fault.RANDOM_DATA_THEN_CLOSE)
        with pytest.raises(requests.ConnectionError, match=r"BadStatusLine"):
            client.get(server.url_for("/f"), timeout=TIMEOUT)

    def test_raw_bytes(self, server, client):
        """respond_with_raw sends exactly the bytes given, then closes."""
        raw = b"HTTP/1.1 418 I'm a teapot\r\nContent-Length: 5\r\nX-Raw: yes\r\n\r\nshort"
        server.expect_request("/f").respond_with_raw(raw)
        response = client.get(server.url_for("/f"), timeout=TIMEOUT)
        assert (response.status_code, response.text) == (418, "short")
        assert response.headers["X-Raw"] == "yes"

    def test_hang_then_client_timeout(self, server, client):
        """HANG never answers: the client's read timeout fires."""
        server.expect_request("/f").respond_with_fault(Fault.HANG)
        with pytest.raises(requests.ReadTimeout):
            client.get(server.url_for("/f"), timeout=0.2)

    def test_fault_in_a_sequence_then_success(self, server, client):
        """A sequence can fail first and succeed next: a retry test for real."""
        server.expect_request("/f").respond_with_sequence([Fault.CONNECTION_RESET, "ok"])
        with pytest.raises(requests.ConnectionError):
            client.get(server.url_for("/f"), timeout=TIMEOUT)
        assert client.get(server.url_for("/f"), timeout=TIMEOUT).text == "ok"

    def test_unknown_fault_is_refused(self, server):
        """An unknown fault raises at registration, listing the known ones."""
        with pytest.raises(ValueError, match=r"'fault' must be one of Fault.CONNECTION_RESET"):
            server.expect_request("/f").respond_with_fault("explode")

    def test_raw_must_be_bytes(self, server):
        """respond_with_raw refuses str, naming 'data'."""
        with pytest.raises(TypeError, match=r"'data' must be bytes"):
            server.expect_request("/f").respond_with_raw("text")


class TestDelays:
    def test_delay_holds_the_answer(self, server, client):
        """A long delay makes a short client timeout fire."""
        server.expect_request("/d").with_delay(30).respond_with_data("late")
        with pytest.raises(requests.ReadTimeout):
            client.get(server.url_for("/d"), timeout=0.2)

    @pytest.mark.parametrize("order", ["delay-first", "response-first"])
    def test_with_delay_chains_in_either_order(self, server, client, order):
        """respond_with_* and with_delay both return the expectation: either order delays."""
        if order == "delay-first":
            exp = server.expect_request("/d").with_delay(30).respond_with_data("late")
        else:
            exp = server.expect_request("/d").respond_with_data("late").with_delay(30)
        assert exp.delay is not None
        assert exp.responders
        with pytest.raises(requests.ReadTimeout):
            client.get(server.url_for("/d"), timeout=0.2)

    def test_stop_ends_a_pending_delay(self, server):
        """stop() ends a 60 s delay at once; the client sees the connection close."""
        server.expect_request("/d").with_delay(60).respond_with_data("late")

        def fetch():
            with requests.Session() as session:
                session.trust_env = False
                return session.get(server.url_for("/d"), timeout=30)

        thread, outcome = in_thread(fetch)
        wait_for_requests(server)
        server.stop()
        # The delay itself ended: no connection thread outlived stop()'s join.
        assert server_threads(server) == []
        thread.join(TIMEOUT)
        assert not thread.is_alive()
        assert isinstance(outcome[0], requests.ConnectionError)

    def test_clear_ends_a_hang(self, server):
        """clear() ends a pending hang, and the server keeps serving."""
        server.expect_request("/h").respond_with_fault(Fault.HANG)

        def fetch():
            with requests.Session() as session:
                session.trust_env = False
                return session.get(server.url_for("/h"), timeout=30)

        thread, outcome = in_thread(fetch)
        wait_for_requests(server)
        server.clear()
        thread.join(TIMEOUT)
        assert not thread.is_alive()
        assert isinstance(outcome[0], requests.ConnectionError)
        server.expect_request("/h").respond_with_data("back")
        with requests.Session() as session:
            session.trust_env = False
            assert session.get(server.url_for("/h"), timeout=TIMEOUT).text == "back"

    def test_delays_work_again_after_a_restart(self, server, client):
        """stop() cancels pending waits only: after start() a delay is served again."""
        server.expect_request("/d").with_delay(0.01).respond_with_data("again")
        server.stop()
        server.start()
        assert client.get(server.url_for("/d"), timeout=TIMEOUT).text == "again"

    def test_seeded_random_delays_repeat(self):
        """The same seed gives the same delays; lognormal never exceeds its cap."""
        first = Delay.uniform(0.1, 0.2, seed=7)
        second = Delay.uniform(0.1, 0.2, seed=7)
        values = [first.sample() for _ in range(20)]
        assert values == [second.sample() for _ in range(20)]
        assert all(0.1 <= v <= 0.2 for v in values)
        tail = Delay.lognormal(median=0.05, sigma=2.0, cap=0.3, seed=1)
        samples = [tail.sample() for _ in range(500)]
        assert max(samples) == 0.3
        assert min(samples) < 0.05

    def test_delay_arguments(self, server):
        """Bad delays raise naming the argument."""
        with pytest.raises(ValueError, match=r"'high' must be at least 'low'"):
            Delay.uniform(2, 1)
        with pytest.raises(ValueError, match=r"'cap' must be positive"):
            Delay.lognormal(0.1, 0.5, cap=0)
        with pytest.raises(TypeError, match=r"'delay' must be seconds or Delay"):
            server.expect_request("/d").with_delay("1s")
        with pytest.raises(ValueError, match=r"'delay' must be zero or positive"):
            server.expect_request("/d").with_delay(-1)


class TestSlowBody:
    def test_slow_body_arrives_whole(self, server, client):
        """A slow body is complete and keeps its Content-Length."""
        server.expect_request("/s").with_slow_body(chunks=4, duration=0.04).respond_with_data(
            "abcdefgh"
        )
        response = client.get(server.url_for("/s"), timeout=TIMEOUT)
        assert response.text == "abcdefgh"
        assert response.headers["Content-Length"] == "8"

    def test_first_piece_then_stop_cuts_the_rest(self, server):
        """The body comes piece by piece; stop() ends the pause and closes the connection."""
        server.expect_request("/s").with_slow_body(chunks=2, duration=60).respond_with_data(
            "AAAABBBB"
        )
        with socket.create_connection(server.server_address, timeout=TIMEOUT) as sock:
            sock.sendall(b"GET /s HTTP/1.1\r\nHost: x\r\n\r\n")
            received = b""
            while not received.endswith(b"AAAA"):
                data = sock.recv(4096)
                assert data, f"connection closed early after {received!r}"
                received += data
            assert b"Content-Length: 8" in received
            server.stop()
            assert server_threads(server) == []  # the pause ended, not just the socket
            assert sock.recv(4096) == b""  # closed without the second piece
