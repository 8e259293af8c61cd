"""HTTP servers for WSGI applications, on the shared lifecycle engine."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterable
from typing import Any, Callable

from ._engine import ServerEngine, format_host
from ._wsgi_handler import RequestHandler

__all__ = ["WSGIEngine", "WSGIServer"]

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


class WSGIServer(WSGIEngine):
    """Serve any WSGI application on loopback, on a thread of its own.

    Args:
        application: The WSGI callable to serve.
        host: Address to bind; ``"127.0.0.1"`` by default, ``"::1"`` for IPv6.
        port: Port to bind; ``0`` picks a free one.
        connection_timeout: Seconds an idle or silent connection is kept open.

    Example::

        with WSGIServer(my_app) as server:
            requests.get(server.url + "/health")
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
