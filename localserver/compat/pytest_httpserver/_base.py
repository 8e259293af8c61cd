"""What pytest-httpserver's two servers share (its ``HTTPServerBase``), over localserver's.

A :class:`ServerBase` is a :class:`localserver.HTTPServer` (an
:class:`localserver.HTTPSServer` when given an ``ssl_context``) with the peer's
constructor, its start/stop rules (``HTTPServerError`` on a second start, or a
stop of a stopped server), its repr, and its record of assertions and handler
errors, which are localserver's recorded failures.
"""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from types import TracebackType
from typing import Any, NoReturn, TypeVar

from werkzeug.wrappers import Request, Response

from ... import HTTPServer as _Server
from ... import HTTPSServer, UnmatchedRequestError
from ..._engine import format_host as _format_host
from ..._report import miss_report, request_line
from .._tls_variant import with_tls
from ._errors import HTTPServerError
from ._matching import RequestMatcher
from ._names import SERVER_ATTRIBUTES

__all__ = ["ServerBase"]

_B = TypeVar("_B", bound="ServerBase")


class ServerBase(_Server):
    """pytest-httpserver's server base, over :class:`localserver.HTTPServer`.

    Args:
        host: The address to listen on (``"localhost"``, as the peer's default).
        port: The port; 0 picks a free one.
        ssl_context: A server ``ssl.SSLContext``: serve HTTPS with it. It is used
            as it is, so a certificate loaded into it after start() counts too.
        threaded: Accepted for the peer's signature: localserver always serves
            each connection on a thread of its own.
        keep_alive: localserver's option: False closes every connection after
            its response (``Connection: close``), as the peer's HTTP/1.0 server did.
        strict: localserver's option: False is lenient mode (the pytest
            fixtures set it from the ini option ``localserver_strict``).
    """

    DEFAULT_LISTEN_HOST = "localhost"
    DEFAULT_LISTEN_PORT = 0

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        context = kwargs.get("ssl_context", args[2] if len(args) > 2 else None)
        return object.__new__(with_tls(cls) if context is not None else cls)

    def __init__(
        self,
        host: str = DEFAULT_LISTEN_HOST,
        port: int = DEFAULT_LISTEN_PORT,
        ssl_context: ssl.SSLContext | None = None,
        *,
        threaded: bool = False,
        keep_alive: bool = True,
        strict: bool = True,
    ) -> None:
        if isinstance(self, HTTPSServer):
            HTTPSServer.__init__(
                self, host, port, ssl_context=ssl_context, keep_alive=keep_alive, strict=strict
            )
        else:
            _Server.__init__(self, host, port, keep_alive=keep_alive, strict=strict)
        self.ssl_context = ssl_context
        self.threaded = threaded

    # -- lifecycle, as the peer words it ----------------------------------------------

    def start(self: _B) -> _B:
        """Start serving on threads of its own; the port is bound when this returns.

        Raises:
            HTTPServerError: It is already running.
        """
        if self.running:
            raise HTTPServerError(
                f"{self!r} is already running: call stop() first, or check is_running()"
            )
        return super().start()

    def stop(self) -> None:
        """Stop serving and release the port.

        Raises:
            HTTPServerError: It is not running.
        """
        if not self.running:
            raise HTTPServerError(f"{self!r} is not running: check is_running() first")
        super().stop()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.running:
            self.stop()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} host={self.host} port={self.port}>"

    @staticmethod
    def format_host(host: str) -> str:
        """*host* as written in a URL: an IPv6 address gets brackets."""
        return _format_host(host)

    # -- what went wrong --------------------------------------------------------------

    def create_matcher(self, *args: Any, **kwargs: Any) -> RequestMatcher:
        """A :class:`RequestMatcher` from these arguments; override it to use your own."""
        return RequestMatcher(*args, **kwargs)

    def add_assertion(self, obj: str | AssertionError) -> None:
        """Record a failure: ``check_assertions()`` raises it (a str as an ``AssertionError``)."""
        error = obj if isinstance(obj, AssertionError) else AssertionError(obj)
        self._checks.record_failure(error)

    @property
    def assertions(self) -> list[AssertionError]:
        """The failures recorded and not raised yet, oldest first (a copy)."""
        with self._checks.changed:
            return list(self._checks.failures)

    @property
    def handler_errors(self) -> list[BaseException]:
        """The exceptions response handlers raised, not re-raised yet, oldest first (a copy)."""
        with self._checks.changed:
            return list(self._checks.handler_errors)

    def clear_assertions(self) -> None:
        """Forget the recorded failures."""
        with self._checks.changed:
            self._checks.failures.clear()

    def clear_handler_errors(self) -> None:
        """Forget the exceptions response handlers raised."""
        with self._checks.changed:
            self._checks.handler_errors.clear()

    def clear_log(self) -> None:
        """Forget the requests received (``log`` and ``requests``)."""
        self._journal.clear()
        self._log.clear()

    def clear(self) -> None:
        """Forget failures, handler errors and the log; ``no_handler_status_code`` is 500 again."""
        self.clear_assertions()
        self.clear_handler_errors()
        self.clear_log()
        self.no_handler_status_code = 500

    def respond_nohandler(self, request: Request, extra_message: str = "") -> Response:
        """Record that nothing answered *request*; return the response it gets.

        The failure is an :class:`~localserver.UnmatchedRequestError` (lenient
        mode lets it pass); the response has ``no_handler_status_code`` and
        the report as its body, followed by *extra_message*.
        """
        status = self.no_handler_status_code
        text = self._nohandler_report(request, status) + extra_message
        error = UnmatchedRequestError(text)
        error.summary = f"unexpected {request_line(request)}"  # type: ignore[attr-defined]
        self._checks.record_failure(error)
        return Response(text, status, content_type="text/plain; charset=utf-8")

    def _nohandler_report(self, request: Request, status: int) -> str:
        return miss_report(request, self._candidates(), status)

    def _candidates(self) -> Sequence[Any]:
        """The expectations a report of a request nothing answered compares it with."""
        return self._registry.snapshot()

    def __getattr__(self, name: str) -> NoReturn:
        what = SERVER_ATTRIBUTES.get(name)
        if what is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        raise AttributeError(
            f"{type(self).__name__}.{name} ({what} in pytest-httpserver) is not offered: "
            "localserver serves on its own engine; use start(), stop(), is_running() "
            "and url_for(), or respond_with_handler() to compute answers"
        )
