"""Serving the web page: a ``WSGIServer`` that also ends its event streams when it stops."""

from __future__ import annotations

from .._wsgi import WSGIServer
from ._app import HEARTBEAT, WebApp
from ._store import WebStore

__all__ = ["WebServer", "start_web"]

DEFAULT_PORT = 8025


class WebServer(WSGIServer):
    """The web page of *store* on its own port.

    Args:
        store: What the page shows.
        host: Address to bind; loopback unless there is a reason.
        port: Port to bind; ``0`` picks a free one.
        heartbeat: Seconds between keep-alive comments on an idle event stream.
    """

    def __init__(
        self,
        store: WebStore,
        host: str = "127.0.0.1",
        port: int = DEFAULT_PORT,
        *,
        heartbeat: float = HEARTBEAT,
    ) -> None:
        self.web_app = WebApp(store, heartbeat=heartbeat)
        # The idle timeout limits reads only: an event stream, which only writes
        # (a keep-alive comment at least every heartbeat), is not cut by it.
        super().__init__(self.web_app, host, port)

    @property
    def store(self) -> WebStore:
        """What the page shows."""
        return self.web_app.store

    def start(self) -> WebServer:
        """Bind, then tell the page the address it serves (its Host check needs the port)."""
        super().start()
        self.web_app.serve(self.host, self.port)
        return self

    def stop(self) -> None:
        """End the event streams, then stop serving (see ``WSGIServer.stop``)."""
        self.web_app.close_streams()
        super().stop()


def start_web(store: WebStore, host: str = "127.0.0.1", port: int = DEFAULT_PORT) -> WebServer:
    """Serve the web page of *store* on *host*:*port*; return the running server.

    Raises:
        OSError: The address cannot be bound (the message names it).
    """
    return WebServer(store, host, port).start()
