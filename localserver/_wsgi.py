"""``WSGIServer``: any WSGI application on loopback, over HTTP/1.1 (or HTTPS)."""

from __future__ import annotations

import ssl
import threading
from typing import Any, Callable

from ._aliases import ServerAliases
from ._args import check_bool, check_count, check_seconds
from ._engine import Engine
from ._http1.connection import HTTP1Handler
from ._http1.head import DEFAULT_LIMITS, Limits, ProtocolError
from ._http1.tls import TLSAcceptor
from ._http1.wsgi import WSGIAdapter, WSGIApp
from ._lifecycle import ServerLifecycle, join_url
from ._mistakes import Mistake, describe_mistake
from ._public import public
from ._version import __version__

__all__ = ["WSGIApp", "WSGIServer"]


@public
class WSGIServer(ServerLifecycle, ServerAliases):
    """Serve any WSGI application on loopback, on a thread of its own.

    Args:
        application: The WSGI callable to serve.
        host: Address to bind; ``"127.0.0.1"`` by default, ``"::1"`` for IPv6.
        port: Port to bind; ``0`` picks a free one.
        ssl_context: A server ``SSLContext``: serve HTTPS with it.
        connection_timeout: Seconds an idle or silent connection is kept open.
        head_timeout: Seconds a client has to send a whole request head (408 after).
        max_body_size: Largest request body in bytes (413 above); ``None``: no limit.
        keep_alive: ``False`` closes the connection after every response.

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
        ssl_context: ssl.SSLContext | None = None,
        connection_timeout: float | None = DEFAULT_LIMITS.idle_timeout,
        head_timeout: float | None = DEFAULT_LIMITS.head_timeout,
        max_body_size: int | None = DEFAULT_LIMITS.body,
        keep_alive: bool = True,
    ) -> None:
        if application is not None and not callable(application):
            raise TypeError(
                f"'application' must be a WSGI callable (got {application!r}); "
                "pass host and port as keywords: WSGIServer(app, host=..., port=...)"
            )
        if ssl_context is not None and not isinstance(ssl_context, ssl.SSLContext):
            raise TypeError(f"'ssl_context' must be an ssl.SSLContext (got {ssl_context!r})")
        limits = Limits(
            idle_timeout=check_seconds(
                "connection_timeout", connection_timeout, none=True, zero=False
            ),
            head_timeout=check_seconds("head_timeout", head_timeout, none=True, zero=False),
            body=check_count("max_body_size", max_body_size, none=True),
        )
        self._application = application
        self._scheme = "https" if ssl_context is not None else "http"
        self._mistakes: list[Mistake] = []
        self._lock = threading.Lock()
        self._engine = Engine(host, port, name=type(self).__name__)
        engine = self._engine
        wrap = None
        if ssl_context is not None:
            wrap = TLSAcceptor(
                ssl_context,
                10.0,
                stopped=engine.stopped,
                track=engine.track,
                on_mistake=lambda kind, peer: self._note(Mistake(kind, peer)),
                on_handshake=lambda delta: None,
                https_url=lambda: self.url,
            )
        engine.handler = HTTP1Handler(
            WSGIAdapter(application or _no_application),
            scheme=self._scheme,
            limits=limits,
            keep_alive=check_bool("keep_alive", keep_alive),
            stopped=engine.stopped,
            on_refusal=self._refused,
            wrap=wrap,
            server_software=f"localserver/{__version__}",
        )

    @property
    def application(self) -> WSGIApp | None:
        """The WSGI callable being served."""
        return self._application

    def url_for(self, path: str) -> str:
        """Absolute URL for *path* on this server (a leading ``/`` is optional)."""
        return join_url(self.url, path)

    @property
    def protocol_errors(self) -> list[str]:
        """What clients did wrong before HTTP began or instead of a request, oldest first."""
        with self._lock:
            mistakes = list(self._mistakes)
        return [describe_mistake(m, self.url) for m in mistakes]

    def _note(self, mistake: Mistake) -> None:
        with self._lock:
            self._mistakes.append(mistake)

    def _refused(self, error: ProtocolError, peer: tuple[str, int]) -> None:
        detail = f"answered {error.status}: {error.message}" if error.status else ""
        self._note(Mistake(error.kind, peer, detail))


def _no_application(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    body = b"WSGIServer has no application: pass one, WSGIServer(app)\n"
    start_response(
        "500 Internal Server Error",
        [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))],
    )
    return [body]
