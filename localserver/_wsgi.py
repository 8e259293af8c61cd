"""HTTP servers for WSGI applications, on the shared lifecycle engine."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterable
from typing import Any, Callable

from ._engine import ServerEngine, format_host
from ._protocol_errors import describe_protocol_error
from ._wsgi_handler import RequestHandler

__all__ = ["WSGIEngine", "WSGIServer", "describe_protocol_error"]

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _check_timeout(name: str, value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ValueError(f"{name!r} must be a positive number of seconds or None (got {value!r})")
    return float(value)


class WSGIEngine(ServerEngine):
    """The HTTP part of the engine: one keep-alive HTTP/1.1 handler per connection."""

    # Read by werkzeug's environ builder.
    multithread = True
    multiprocess = False
    scheme = "http"

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        connection_timeout: float | None = 60.0,
    ) -> None:
        super().__init__(host, port)
        self.connection_timeout = _check_timeout("connection_timeout", connection_timeout)
        self.ssl_context: ssl.SSLContext | None = None
        self._protocol_errors: list[tuple[str, Any]] = []
        self._protocol_lock = threading.Lock()
        # TLS handshakes under way; a report waits for them to end (or fail and
        # be recorded) before it says that nothing arrived.
        self._handshakes = 0
        self._handshakes_changed = threading.Condition(self._protocol_lock)

    @property
    def app(self) -> WSGIApp:
        raise NotImplementedError

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:40123`` (IPv6 hosts in brackets)."""
        return f"{self.scheme}://{format_host(self.host)}:{self.port}"

    def url_for(self, path: str) -> str:
        """Absolute URL for *path* on this server (a leading ``/`` is optional)."""
        if not isinstance(path, str):
            raise TypeError(f"'path' must be a str (got {path!r})")
        if not path.startswith("/"):
            path = "/" + path
        return self.url + path

    def log(self, type: str, message: str, *args: Any) -> None:
        """werkzeug's environ builder reports TLS oddities here; stay quiet."""

    def _wrap_connection(self, conn: socket.socket, conn_id: int) -> socket.socket:
        """Hook for TLS: return the socket the HTTP handler talks over."""
        return conn

    def _handle_connection(self, conn: socket.socket, address: Any, conn_id: int) -> None:
        conn = self._wrap_connection(conn, conn_id)
        RequestHandler(conn, address, self, conn_id)

    def _protocol_mismatch(self, kind: str, peer: Any) -> None:
        """Record a client that spoke the wrong protocol (e.g. TLS to a plain port)."""
        with self._protocol_lock:
            self._protocol_errors.append((kind, peer))

    def _handshake_started(self) -> None:
        with self._handshakes_changed:
            self._handshakes += 1

    def _handshake_ended(self) -> None:
        with self._handshakes_changed:
            self._handshakes -= 1
            self._handshakes_changed.notify_all()

    def _protocol_errors_settled(self, timeout: float) -> list[tuple[str, Any]]:
        """The recorded mistakes, once handshakes under way have ended (up to *timeout*).

        A client that rejects the certificate fails at once, while the server
        learns of it a moment later: waiting here keeps a report made right
        after the client's error from missing the cause.
        """
        with self._handshakes_changed:
            self._handshakes_changed.wait_for(lambda: self._handshakes == 0, timeout)
            return list(self._protocol_errors)

    @property
    def protocol_errors(self) -> list[str]:
        """What went wrong before HTTP began, oldest first, one sentence each.

        A client that spoke TLS to this plain server or plain HTTP to an HTTPS
        one, refused the server's certificate, or lacked a client certificate
        that is required. Such a request never reaches the journal, so this is
        where "the server received nothing" is explained.
        """
        with self._protocol_lock:
            errors = list(self._protocol_errors)
        return [describe_protocol_error(kind, peer, self.url) for kind, peer in errors]


class WSGIServer(WSGIEngine):
    """Serve any WSGI application on loopback, on a thread of its own.

    Args:
        application: The WSGI callable to serve.
        host: Address to bind; ``"127.0.0.1"`` by default, ``"::1"`` for IPv6.
        port: Port to bind; ``0`` picks a free one.
        connection_timeout: Seconds an idle or silent connection is kept open.

    Example::

        with WSGIServer(my_app) as server:
            response = requests.get(server.url_for("/health"), timeout=5)
            assert response.status_code == 200
    """

    def __init__(
        self,
        application: WSGIApp | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        connection_timeout: float | None = 60.0,
    ) -> None:
        if application is not None and not callable(application):
            raise TypeError(
                f"'application' must be a WSGI callable (got {application!r}); "
                "pass host and port as keywords: WSGIServer(app, host=..., port=...)"
            )
        super().__init__(host, port, connection_timeout=connection_timeout)
        self._application = application

    @property
    def app(self) -> WSGIApp:
        if self._application is None:
            raise RuntimeError("WSGIServer has no application: pass one to WSGIServer(app)")
        return self._application

    @property
    def application(self) -> WSGIApp | None:
        """The WSGI callable being served."""
        return self._application

    def is_alive(self) -> bool:
        """Whether the server is running (pytest-localserver's thread-style name)."""
        return self.running
