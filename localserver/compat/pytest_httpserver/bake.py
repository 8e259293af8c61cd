"""pytest-httpserver's ``BakedHTTPServer``: a server with default expectation arguments.

Made by ``HTTPServer.bake(...)``. Its ``expect_request()`` and friends merge the
baked keyword arguments with the call's (the call's win); everything else is the
server's own.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Protocol, TypeVar

from .._absent import absent_names
from ._names import NOT_OFFERED

__all__ = ["BakedHTTPServer"]

_T = TypeVar("_T", bound="BakedHTTPServer")


class _Server(Protocol):
    """What a baked server needs of the server it wraps."""

    def expect_request(self, uri: Any, **kwargs: Any) -> Any: ...

    def expect_oneshot_request(self, uri: Any, **kwargs: Any) -> Any: ...

    def expect_ordered_request(self, uri: Any, **kwargs: Any) -> Any: ...

    def is_running(self) -> bool: ...

    def __enter__(self) -> Any: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class BakedHTTPServer:
    """A server whose ``expect_*request()`` methods take default keyword arguments.

    Args:
        server: The server (every attribute not defined here is the server's).
        **kwargs: The defaults, as ``expect_request()`` takes them.

    As a context manager it starts the server if it was not running, and stops
    it when the outermost ``with`` ends.
    """

    def __init__(self, server: _Server, **kwargs: Any) -> None:
        self._server = server
        self._defaults = kwargs
        self._depth = 0
        self._started = False

    def bake(self: _T, **kwargs: Any) -> _T:
        """A new baked server with these defaults over this one's."""
        return type(self)(self._server, **{**self._defaults, **kwargs})

    def expect_request(self, uri: Any, **kwargs: Any) -> Any:
        """The server's ``expect_request()`` with the baked defaults."""
        return self._server.expect_request(uri, **{**self._defaults, **kwargs})

    def expect_oneshot_request(self, uri: Any, **kwargs: Any) -> Any:
        """The server's ``expect_oneshot_request()`` with the baked defaults."""
        return self._server.expect_oneshot_request(uri, **{**self._defaults, **kwargs})

    def expect_ordered_request(self, uri: Any, **kwargs: Any) -> Any:
        """The server's ``expect_ordered_request()`` with the baked defaults."""
        return self._server.expect_ordered_request(uri, **{**self._defaults, **kwargs})

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("_server", "_defaults", "_depth", "_started"):
            raise AttributeError(name)
        return getattr(self._server, name)

    def __enter__(self: _T) -> _T:
        if self._depth == 0:
            self._started = not self._server.is_running()
            self._server.__enter__()
        self._depth += 1
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._depth -= 1
        if self._depth == 0 and self._started:
            self._started = False
            self._server.__exit__(exc_type, exc, tb)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} defaults={self._defaults!r} server={self._server!r}>"


__getattr__ = absent_names(__name__, NOT_OFFERED["bake"])
