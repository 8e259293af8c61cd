"""What every server façade shares: start, stop and the context manager, delegated.

A server composes an :class:`~._engine.Engine`; this base class only forwards the
lifecycle to it, so ``HTTPServer``, ``WSGIServer`` and ``SMTPServer`` spell it
the same way.
"""

from __future__ import annotations

from types import TracebackType
from typing import TypeVar

from ._engine import Engine, format_host

__all__ = ["ServerLifecycle", "join_url"]

_S = TypeVar("_S", bound="ServerLifecycle")


def join_url(base: str, path: object) -> str:
    """*base* followed by *path* (a leading ``/`` is optional)."""
    if not isinstance(path, str):
        raise TypeError(f"'path' must be a str (got {path!r})")
    return base + (path if path.startswith("/") else "/" + path)


class ServerLifecycle:
    """start/stop/``with`` for a server that composes an engine in ``_engine``."""

    _engine: Engine
    _scheme = "http"

    @property
    def host(self) -> str:
        """The address the server binds (without brackets)."""
        return self._engine.host

    @property
    def port(self) -> int:
        """The bound port while running (or last run); the requested one before."""
        return self._engine.port

    @property
    def server_address(self) -> tuple[str, int]:
        """``(host, port)`` of the listening socket."""
        return (self._engine.host, self._engine.port)

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:40123`` (IPv6 hosts in brackets)."""
        return f"{self._scheme}://{format_host(self._engine.host)}:{self._engine.port}"

    @property
    def running(self) -> bool:
        """Whether the server is accepting connections."""
        return self._engine.running

    def start(self: _S) -> _S:
        """Bind, listen and start serving on a daemon thread.

        The socket is bound here, on the caller's thread, so a busy port raises
        right away.

        Returns:
            The server itself, so ``server = HTTPServer().start()`` works.

        Raises:
            RuntimeError: The server is already running.
            OSError: The address cannot be bound; the message names host and port.
            ServerThreadError: A thread of the previous run failed unnoticed.
        """
        if self._engine.running:
            raise RuntimeError(f"{self!r} is already running; call stop() first")
        self._before_start()
        self._engine.start()
        return self

    def stop(self) -> None:
        """Stop serving, close every connection and release the port.

        Safe to call more than once and before :meth:`start`. Clients see their
        connections end at once. Your code still answering a request (a response
        handler, a WSGI application) is waited for at most 2 seconds, since Python
        cannot interrupt a thread; past that it is left to finish on its own. Its
        connection is shut down already, so nothing it returns is sent, and an
        ``HTTPServer`` drops what it returns or raises instead of reporting it in
        a later run or test (see :doc:`limits`).

        Raises:
            ServerThreadError: A server thread failed with an unexpected exception
                since the last check.
        """
        self._before_stop()
        self._engine.stop()

    def raise_pending_errors(self) -> None:
        """Raise, once, what went wrong on a server thread since the last call.

        Raises:
            ServerThreadError: With the first unexpected exception as its cause.
        """
        self._engine.raise_pending_errors()

    def _before_start(self) -> None:
        """Prepare what the connection threads need (on the caller's thread)."""

    def _before_stop(self) -> None:
        """End what would hold the connection threads up (pending delays, say)."""

    def __enter__(self: _S) -> _S:
        if not self.running:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<{type(self).__name__} {format_host(self.host)}:{self.port} {state}>"
