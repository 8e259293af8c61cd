"""Serving a WSGI application (PEP 3333) over the HTTP/1.1 connection layer."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterable, Iterator
from typing import Any, Callable

from .head import ProtocolError
from .request import Http1Request
from .writer import Reply

__all__ = ["WSGIAdapter", "WSGIApp", "error_reply"]

_log = logging.getLogger("localserver.http")

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def error_reply(status: int, reason: str, text: str) -> Reply:
    """A plain-text reply, e.g. a 500 with a traceback."""
    body = text.encode("utf-8", "replace")
    headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]
    return Reply(status, reason, headers, body)


class WSGIAdapter:
    """Answers each request by calling a WSGI application.

    An exception before the response started becomes a 500 whose body is the
    traceback (also logged to the ``localserver.http`` logger); one after it
    closes the connection, the only way left to tell the client.
    """

    def __init__(self, app: WSGIApp, extra_environ: dict[str, Any] | None = None) -> None:
        self.app = app
        self.extra_environ = extra_environ or {}

    def __call__(self, request: Http1Request) -> Reply:
        environ = request.environ()
        environ.update(self.extra_environ)
        environ["localserver.connection_id"] = request.connection.id
        started: list[Any] = []

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], None]:
            if exc_info:
                try:
                    if started and started[0] == "sent":
                        raise exc_info[1].with_traceback(exc_info[2])
                finally:
                    exc_info = None
            elif started:
                raise RuntimeError("start_response() called twice without exc_info")
            started[:] = [status, list(headers)]
            return written.append

        written: list[bytes] = []
        try:
            result = self.app(environ, start_response)
            iterator = iter(result)
            first = _first_piece(iterator, written, started)
        except (ProtocolError, ConnectionError):
            raise  # a refused body, or a client gone: the connection answers or closes
        except Exception:
            return self._failed(request)
        status, headers = started
        code_text, _, reason = status.partition(" ")
        close = getattr(result, "close", None)
        body = _guarded(first, iterator, written)
        started[0] = "sent"
        return Reply(int(code_text), reason, headers, body, on_close=close)

    def _failed(self, request: Http1Request) -> Reply:
        text = traceback.format_exc()
        _log.error(
            "error in the WSGI application answering %s %s:\n%s",
            request.head.method,
            request.head.target,
            text,
        )
        return error_reply(500, "Internal Server Error", text)


def _first_piece(iterator: Iterator[bytes], written: list[bytes], started: list[Any]) -> bytes:
    """Run the application until it has started the response; return what it wrote."""
    while not started:
        try:
            piece = next(iterator)
        except StopIteration:
            break
        written.append(piece)
    if not started:
        raise RuntimeError("the WSGI application returned without calling start_response()")
    data = b"".join(written)
    written.clear()
    return data


def _guarded(first: bytes, iterator: Iterator[bytes], written: list[bytes]) -> Iterator[bytes]:
    if first:
        yield first
    try:
        for piece in iterator:
            if written:  # the legacy write() callable
                yield b"".join(written)
                written.clear()
            yield piece
        if written:
            yield b"".join(written)
    except Exception:
        _log.error("error in the WSGI application's response body:\n%s", traceback.format_exc())
        raise ConnectionAbortedError("the WSGI application failed while sending its body") from None
