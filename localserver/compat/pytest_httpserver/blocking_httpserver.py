"""pytest-httpserver's blocking mode: the test takes each request and answers it itself.

:class:`BlockingHTTPServer` is a localserver ``HTTPServer`` whose one expectation
hands every request over to the test: :meth:`~BlockingHTTPServer.assert_request`
waits for the next request, checks it, and returns a
:class:`BlockingRequestHandler` whose ``respond_with_*`` call sends the answer.
"""

from __future__ import annotations

import json as _json
import queue
import ssl
import threading
import time
from collections.abc import Mapping
from typing import Any

from werkzeug.wrappers import Request, Response

from ... import UnmatchedRequestError, UnmetExpectationError
from ..._report import format_request, request_line
from ..._request_fields import METHOD_ALL, UNDEFINED
from .._absent import absent_names
from ._base import ServerBase
from ._matching import HeaderValueMatcherFunc, QueryArg, URIPattern
from ._names import NOT_OFFERED

__all__ = ["BlockingHTTPServer", "BlockingRequestHandler"]


class BlockingRequestHandler:
    """The answer to one request taken by :meth:`BlockingHTTPServer.assert_request`."""

    def __init__(self) -> None:
        #: The answer, once given (``None`` tells the serving thread to give up).
        self.response_queue: queue.Queue[Response | None] = queue.Queue()

    def respond_with_response(self, response: Response) -> None:
        """Answer with this werkzeug ``Response``."""
        if not isinstance(response, Response):
            raise TypeError(f"'response' must be a werkzeug Response (got {response!r:.60})")
        self.response_queue.put(response)

    def respond_with_data(
        self,
        response_data: str | bytes = "",
        status: int = 200,
        headers: Any = None,
        mimetype: str | None = None,
        content_type: str | None = None,
    ) -> None:
        """Answer with this body, status and headers."""
        self.respond_with_response(Response(response_data, status, headers, mimetype, content_type))

    def respond_with_json(
        self,
        response_json: Any,
        status: int = 200,
        headers: Any = None,
        content_type: str = "application/json",
    ) -> None:
        """Answer with *response_json* as JSON."""
        body = _json.dumps(response_json, indent=4)
        self.respond_with_data(body, status, headers, content_type=content_type)


class _Arrival:
    """A request waiting for the test to take it (claim) or for its time to run out."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.handlers: queue.Queue[BlockingRequestHandler | None] = queue.Queue()
        self.handler: BlockingRequestHandler | None = None
        self._lock = threading.Lock()
        self._state = "waiting"

    def _settle(self, state: str) -> bool:
        with self._lock:
            if self._state != "waiting":
                return False
            self._state = state
            return True

    def claim(self) -> bool:
        """Take the request for the test; False if its time ran out first."""
        return self._settle("claimed")

    def expire(self) -> bool:
        """Give up on the test; False if the test took the request first."""
        return self._settle("expired")


class BlockingHTTPServer(ServerBase):
    """An HTTP server whose test takes every request with :meth:`assert_request`.

    Args:
        host: The address to listen on.
        port: The port; 0 picks a free one.
        ssl_context: A server ``ssl.SSLContext``: serve HTTPS.
        timeout: Seconds a request waits for ``assert_request()``, then for the
            answer; after that the client gets ``no_handler_status_code`` (or 500)
            and a failure is recorded.
        keep_alive: False answers every request with ``Connection: close``.
        strict: False is lenient mode.
    """

    def __init__(
        self,
        host: str = ServerBase.DEFAULT_LISTEN_HOST,
        port: int = ServerBase.DEFAULT_LISTEN_PORT,
        ssl_context: ssl.SSLContext | None = None,
        timeout: float = 30,
        *,
        keep_alive: bool = True,
        strict: bool = True,
    ) -> None:
        super().__init__(host, port, ssl_context, keep_alive=keep_alive, strict=strict)
        self.timeout = timeout
        self._arrivals: queue.Queue[_Arrival] = queue.Queue()
        self._open: set[_Arrival] = set()
        self._open_lock = threading.Lock()
        self.expect_request("").respond_with_handler(self._hand_over)

    def assert_request(
        self,
        uri: str | URIPattern | Any,
        method: str = METHOD_ALL,
        data: str | bytes | None = None,
        data_encoding: str = "utf-8",
        headers: Mapping[str, str] | None = None,
        query_string: QueryArg = None,
        header_value_matcher: HeaderValueMatcherFunc | None = None,
        json: Any = UNDEFINED,
        timeout: float = 30,
    ) -> BlockingRequestHandler:
        """Take the next request, check it, and return the handler that answers it.

        The arguments are those of ``HTTPServer.expect_request()``; *timeout* is
        how long to wait for a request.

        Raises:
            UnmetExpectationError: No request came within *timeout*.
            UnmatchedRequestError: The request differs; it is answered with
                ``no_handler_status_code`` and the message names the fields.
        """
        matcher = self.create_matcher(
            uri,
            method=method.upper(),
            data=data,
            data_encoding=data_encoding,
            headers=headers,
            query_string=query_string,
            header_value_matcher=header_value_matcher,
            json=json,
        )
        deadline = time.monotonic() + timeout
        while True:
            try:
                arrival = self._arrivals.get(timeout=max(deadline - time.monotonic(), 0))
            except queue.Empty:
                raise UnmetExpectationError(
                    f"no request arrived within {timeout:g} s: waiting for {matcher!r} "
                    "timed out (raise 'timeout' if the client is slow)\n"
                ) from None
            if arrival.claim():
                break
        handler = BlockingRequestHandler()
        arrival.handler = handler
        arrival.handlers.put(handler)
        difference = matcher.difference(arrival.request)
        if difference:
            handler.respond_with_response(self.respond_nohandler(arrival.request))
            raise UnmatchedRequestError(
                f"the request {request_line(arrival.request)} does not match {matcher!r}: "
                f"{difference}\n"
            )
        return handler

    def _hand_over(self, request: Request) -> Response:
        """The expectation's handler: wait for the test (on the connection's thread)."""
        arrival = _Arrival(request)
        with self._open_lock:
            self._open.add(arrival)
        try:
            self._arrivals.put(arrival)
            try:
                handler = arrival.handlers.get(timeout=self.timeout)
            except queue.Empty:
                handler = None if arrival.expire() else arrival.handlers.get()
            if handler is None:
                return self.respond_nohandler(request)
            try:
                response = handler.response_queue.get(timeout=self.timeout)
            except queue.Empty:
                response = None
            if response is None:
                text = (
                    f"{request_line(request)}: no response from the test within "
                    f"{self.timeout:g} s (or the server stopped first): call respond_with_*() "
                    "on the handler assert_request() returned\n"
                )
                self.add_assertion(text)
                return Response(text, 500, content_type="text/plain; charset=utf-8")
            return response
        finally:
            with self._open_lock:
                self._open.discard(arrival)

    def _before_stop(self) -> None:
        # Requests still waiting for the test give up now, so stop() never waits for them.
        with self._open_lock:
            waiting = list(self._open)
        for arrival in waiting:
            if arrival.expire() or arrival.handler is None:
                arrival.handlers.put(None)
            else:
                arrival.handler.response_queue.put(None)
        super()._before_stop()

    def _nohandler_report(self, request: Request, status: int) -> str:
        lines = [
            f"localserver: no assert_request() took this request within {self.timeout:g} s, "
            f"or it did not match (answered {status}):",
            *format_request(request),
        ]
        return "\n".join(lines) + "\n"


__getattr__ = absent_names(__name__, NOT_OFFERED["blocking_httpserver"])
