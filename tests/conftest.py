"""Shared test helpers: servers that always stop, and raw sockets that always close."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
import requests

from localserver import HTTPServer

TIMEOUT = 5.0

# A project written for pytest-httpserver, which tests/test_migrate_e2e.py copies,
# runs and migrates: not part of this suite.
collect_ignore = ["migrate_sample"]


@pytest.fixture
def server() -> Iterator[HTTPServer]:
    """A running HTTPServer with a default response, stopped after the test."""
    with HTTPServer() as srv:
        srv.serve_content("ok")
        yield srv


class RawClient:
    """A blocking socket to a server, for input no HTTP library will send."""

    def __init__(self, address: tuple[str, int]) -> None:
        self.sock = socket.create_connection(address, timeout=TIMEOUT)

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def read_all(self) -> bytes:
        """Read until the server closes the connection."""
        chunks = []
        while True:
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)

    def read_response_head(self) -> bytes:
        """Read up to the end of the first header block."""
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.sock.recv(65536)
            if not chunk:
                break
            data += chunk
        return data

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def raw() -> Iterator[type[RawClient]]:
    """Factory of raw clients; every client made is closed after the test."""
    made: list[RawClient] = []

    class Tracked(RawClient):
        def __init__(self, address: tuple[str, int]) -> None:
            super().__init__(address)
            made.append(self)

    yield Tracked
    for client in made:
        client.close()


def ipv6_available() -> bool:
    """Whether ::1 can be bound on this machine."""
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.fixture
def bare_server() -> Iterator[HTTPServer]:
    """A running HTTPServer with nothing configured, stopped after the test."""
    with HTTPServer() as srv:
        yield srv


@pytest.fixture
def client() -> Iterator[requests.Session]:
    """A requests session that ignores proxy settings (loopback must stay direct)."""
    with requests.Session() as session:
        session.trust_env = False
        yield session
