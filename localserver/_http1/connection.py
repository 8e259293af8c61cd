"""One HTTP/1.1 connection, from its first byte to its close.

:class:`HTTP1Handler` is the engine's connection handler for every HTTP server:
it (optionally) runs the TLS handshake, reads each request's head, gives the request
to the application, writes the reply, and keeps the connection for the next request
when the framing allows it. A request the parser refuses gets its status (400, 408,
413, 414, 431, 501, 505) in plain text, the connection is closed, and the server is
told, so that its checks can report it.
"""

from __future__ import annotations

import http
import importlib.util
import os
import socket
import threading
import time
from typing import Any, Callable, Protocol

from .head import Limits, ProtocolError
from .io import set_timeout
from .request import ConnectionInfo, Http1Request
from .writer import Reply, write_reply

__all__ = ["Application", "HTTP1Handler", "make_reader", "refusal_bytes"]

# Unread body bytes the server reads and drops to keep a connection; past this the
# connection is closed instead.
_DRAIN_LIMIT = 1024 * 1024
_LINGER_BYTES = 1024 * 1024
_LINGER_SECONDS = 1.0


class Application(Protocol):
    """What a server answers requests with (the dispatcher, a WSGI adapter)."""

    def __call__(self, request: Http1Request) -> Reply: ...


class _Reader(Protocol):
    def next_head(self) -> Any: ...
    def read(self, size: int = -1) -> bytes: ...
    def drain(self, limit: int) -> bool: ...
    @property
    def body_complete(self) -> bool: ...


def make_reader(sock: socket.socket, limits: Limits) -> _Reader:
    """A request reader for *sock*: httptools, or h11 where it is missing or asked for.

    ``LOCALSERVER_HTTP_PARSER=h11`` in the environment forces the fallback (the
    test run checks both).
    """
    if _PARSER == "h11":
        from .parser_h11 import H11Reader

        return H11Reader(sock, limits)
    from .parser import HttptoolsReader

    return HttptoolsReader(sock, limits)


def _choose_parser() -> str:
    if os.environ.get("LOCALSERVER_HTTP_PARSER", "").lower() == "h11":
        return "h11"
    # Found, not imported: the parser loads with the first connection.
    return "httptools" if importlib.util.find_spec("httptools") else "h11"


_PARSER = _choose_parser()


def refusal_bytes(status: int, message: str) -> bytes:
    """A plain-text answer to a refused request, closing the connection."""
    body = f"{message}\n".encode()
    phrase = http.HTTPStatus(status).phrase if status in http.HTTPStatus._value2member_map_ else ""
    return (
        f"HTTP/1.1 {status} {phrase}\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode("latin-1") + body


class HTTP1Handler:
    """Serves HTTP/1.1 on each connection the engine accepts.

    Args:
        app: Answers each request.
        scheme: ``"http"`` or ``"https"``, for the environ and the journal.
        limits: What a request may not exceed, and the timeouts.
        keep_alive: Keep connections open between requests (False answers every
            request with ``Connection: close``, as HTTP/1.0 servers do).
        stopped: Set while the server is not serving.
        on_refusal: Told of each refused request: ``(error, peer)``.
        wrap: Runs the TLS handshake on a new connection and returns the socket
            to talk over (raising if the handshake fails); None for plain HTTP.
        server_software: The ``Server`` header value.
    """

    def __init__(
        self,
        app: Application,
        *,
        scheme: str,
        limits: Limits,
        keep_alive: bool,
        stopped: threading.Event,
        on_refusal: Callable[[ProtocolError, tuple[str, int]], None],
        wrap: Callable[[socket.socket, int], socket.socket] | None,
        server_software: str,
    ) -> None:
        self.app = app
        self.scheme = scheme
        self.limits = limits
        self.keep_alive = keep_alive
        self.stopped = stopped
        self.on_refusal = on_refusal
        self.wrap = wrap
        self.server_line = f"Server: {server_software}\r\n".encode("latin-1")

    def __call__(self, sock: socket.socket, address: Any, conn_id: int) -> None:
        if self.wrap is not None:
            sock = self.wrap(sock, conn_id)
        limits = self.limits
        set_timeout(sock, limits.idle_timeout)
        reader = make_reader(sock, limits)
        connection = ConnectionInfo(sock, address, conn_id, self.scheme, self.stopped)
        stopped = self.stopped
        while not stopped.is_set():
            try:
                head = reader.next_head()
                if head is None:
                    return
                if head.expect_continue:
                    sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
                reply = self.app(Http1Request(head, reader, connection))
            except ProtocolError as error:
                self._refuse(sock, error, connection.peer)
                return
            keep = head.keep_alive and self.keep_alive
            if not write_reply(sock, reply, head, self.server_line, keep):
                return
            if not reader.body_complete and not reader.drain(_DRAIN_LIMIT):
                return

    def _refuse(self, sock: socket.socket, error: ProtocolError, peer: tuple[str, int]) -> None:
        self.on_refusal(error, peer)
        if not error.status:
            return
        try:
            sock.sendall(refusal_bytes(error.status, error.message))
            _linger(sock)
        except OSError:
            pass


def _linger(sock: socket.socket) -> None:
    """Read what the client still sends, briefly, before closing.

    Closing with unread data makes the kernel reset the connection, and a reset
    can destroy the answer before the client reads it. The time is bounded as a
    whole, not per read: a client dribbling a byte now and then (slowloris) must
    not keep the connection open after its 408.
    """
    sock.shutdown(socket.SHUT_WR)
    deadline = time.monotonic() + _LINGER_SECONDS
    read = 0
    while read < _LINGER_BYTES:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return
        set_timeout(sock, remaining)
        data = sock.recv(65536)
        if not data:
            return
        read += len(data)
