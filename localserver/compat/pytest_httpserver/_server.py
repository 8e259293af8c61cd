"""pytest-httpserver's ``HTTPServer``: localserver's, with the peer's rules of precedence.

The matching, the answers, the log and the reports are localserver's. What this
adapter adds is the peer's order, expressed with localserver's priorities:

- permanent handlers: the first registered wins (localserver's own rule is the
  newest); each gets a priority number one above the previous one;
- while ordered handlers are pending they come first, and a request that is not
  the next one's fails, as does every request after it until ``clear()``. A gate
  (an expectation of the highest priority that matches only such requests)
  refuses them with ``respond_nohandler()`` / ``respond_permanent_failure()``.
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Callable

from werkzeug.wrappers import Request, Response

from ... import Expectation, HandlerType, OutOfOrderError, UnmetExpectationError
from ... import HTTPServer as _Server
from ... import RequestMatcher as _Matcher
from ..._expectation import DEFAULT_PRIORITY
from ..._request_fields import METHOD_ALL, UNDEFINED
from ._base import ServerBase
from ._handler import RequestHandler, RequestHandlerList
from ._matching import HeaderValueMatcherFunc, QueryArg, RequestMatcherKwargs, URIPattern
from ._waiting import Waiting, WaitingSettings
from .bake import BakedHTTPServer

__all__ = ["HTTPServer"]

# Below every handler's priority: the gate of the ordered handlers is asked first.
_GATE_PRIORITY = DEFAULT_PRIORITY - 5


class _OrderedGate(_Matcher):
    """Accepts exactly the requests pytest-httpserver's ordered rule refuses."""

    def __init__(self, refuses: Callable[[Request], bool]) -> None:
        super().__init__("")
        self._refuses = refuses

    def match(self, request: Request) -> bool:
        return self._refuses(request)

    def describe(self) -> str:
        return "pytest-httpserver's rule for ordered handlers"


class HTTPServer(ServerBase):
    """pytest-httpserver's server: localserver's :class:`~localserver.HTTPServer` with its API.

    Args:
        host: The address to listen on.
        port: The port; 0 picks a free one.
        ssl_context: A server ``ssl.SSLContext``: serve HTTPS.
        default_waiting_settings: The defaults of :meth:`wait`.
        threaded: Accepted; localserver always serves connections concurrently.
        startup_timeout: Accepted and kept: the port listens once start() returns,
            so there is nothing to wait for.
        keep_alive: False answers every request with ``Connection: close``.
        strict: False is lenient mode (the fixtures set it from ``localserver_strict``).

    Attributes:
        no_handler_status_code: The status of a request nothing answered (500).
        permanently_failed: True once a request missed the next ordered handler;
            every request fails until :meth:`clear`.
    """

    def __init__(
        self,
        host: str = ServerBase.DEFAULT_LISTEN_HOST,
        port: int = ServerBase.DEFAULT_LISTEN_PORT,
        ssl_context: ssl.SSLContext | None = None,
        default_waiting_settings: WaitingSettings | None = None,
        *,
        threaded: bool = False,
        startup_timeout: float | None = None,
        keep_alive: bool = True,
        strict: bool = True,
    ) -> None:
        super().__init__(
            host, port, ssl_context, threaded=threaded, keep_alive=keep_alive, strict=strict
        )
        self.default_waiting_settings = default_waiting_settings or WaitingSettings()
        self.startup_timeout = startup_timeout
        self._readiness_check_pending = False
        self.permanently_failed = False
        self._gate: Expectation | None = None
        self._refusal = threading.local()
        self._permanent_count = 0
        self._limited_uses = 0

    # -- lifecycle --------------------------------------------------------------------

    def start(self) -> HTTPServer:
        """Start serving; the port listens when this returns.

        Raises:
            HTTPServerError: It is already running.
        """
        super().start()
        self._readiness_check_pending = self.startup_timeout is not None
        try:
            self.wait_for_server_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def wait_for_server_ready(self) -> None:
        """Nothing to wait for: start() returns once the port listens."""
        self._readiness_check_pending = False

    def clear(self) -> None:
        """Forget handlers, the log, failures and handler errors; end pending delays.

        ``no_handler_status_code`` is 500 again and :attr:`permanently_failed` False.
        """
        _Server.clear(self)
        self.no_handler_status_code = 500
        self._forget_handlers()

    def clear_all_handlers(self) -> None:
        """Remove every handler: ordered, oneshot and permanent."""
        self._registry.clear()
        self._forget_handlers()

    def _forget_handlers(self) -> None:
        self.permanently_failed = False
        self._gate = None
        self._permanent_count = 0

    # -- handlers ---------------------------------------------------------------------

    def expect(  # type: ignore[override]
        self, matcher: _Matcher, handler_type: HandlerType = HandlerType.PERMANENT
    ) -> RequestHandler:
        """Register a handler for the requests *matcher* accepts; answer with ``respond_with_*``."""
        if not isinstance(matcher, _Matcher):
            raise TypeError(f"'matcher' must be a RequestMatcher (got {matcher!r:.60})")
        if not isinstance(handler_type, HandlerType):
            raise TypeError(f"'handler_type' must be a HandlerType (got {handler_type!r})")
        priority = DEFAULT_PRIORITY
        if handler_type is HandlerType.PERMANENT:
            self._permanent_count += 1
            priority += self._permanent_count  # the first registered wins
        handler = RequestHandler(
            matcher,
            handler_type,
            priority=priority,
            on_ready=self._registry.add,
            on_use=self._used_limited,
        )
        self._registry.draft(handler)
        if handler_type is HandlerType.ORDERED:
            self._ensure_gate()
        return handler

    def expect_request(
        self,
        uri: str | URIPattern | Any,
        method: str = METHOD_ALL,
        data: str | bytes | None = None,
        data_encoding: str = "utf-8",
        headers: Mapping[str, str] | None = None,
        query_string: QueryArg = None,
        header_value_matcher: HeaderValueMatcherFunc | None = None,
        handler_type: HandlerType = HandlerType.PERMANENT,
        json: Any = UNDEFINED,
        **more: Any,
    ) -> RequestHandler:
        """Register a handler for requests like this; answer it with ``respond_with_*``.

        Args:
            uri: The path: a str, a compiled regex, a :class:`URIPattern`.
            method: The HTTP method (any case); any by default.
            data: The exact body.
            data_encoding: Encoding of *data* and of a JSON body.
            headers: Header name -> expected value.
            query_string: Exact text, a mapping of first values, a ``MultiDict``.
            header_value_matcher: ``matcher(name, actual, expected) -> bool``.
            handler_type: Permanent, oneshot (used once) or ordered (used once, in turn).
            json: The body parsed as JSON must equal this.
            **more: localserver's other criteria (``form=``, ``cookies=``...).
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
            **more,
        )
        return self.expect(matcher, handler_type)

    def expect_oneshot_request(  # type: ignore[override]
        self, uri: str | URIPattern | Any, **kwargs: Any
    ) -> RequestHandler:
        """:meth:`expect_request` for one request only."""
        return self.expect_request(uri, handler_type=HandlerType.ONESHOT, **kwargs)

    def expect_ordered_request(  # type: ignore[override]
        self, uri: str | URIPattern | Any, **kwargs: Any
    ) -> RequestHandler:
        """:meth:`expect_request` for one request, which must come in turn."""
        return self.expect_request(uri, handler_type=HandlerType.ORDERED, **kwargs)

    def bake(self, **kwargs: Any) -> BakedHTTPServer:
        """A proxy whose ``expect_*request()`` take these keyword arguments by default.

        Arguments given at the call win over the baked ones.
        """
        defaults: RequestMatcherKwargs = kwargs  # type: ignore[assignment]
        return BakedHTTPServer(self, **defaults)

    def _handlers(self, kind: HandlerType) -> RequestHandlerList:
        found = [
            exp
            for exp in (*self._registry.drafts(), *self._registry.snapshot())
            if isinstance(exp, RequestHandler) and exp.kind is kind
        ]
        found.sort(key=lambda exp: exp.seq)
        return RequestHandlerList(found, remove=self._registry.remove)

    @property
    def handlers(self) -> RequestHandlerList:
        """The permanent handlers, oldest first; removing one from the list removes it."""
        return self._handlers(HandlerType.PERMANENT)

    @property
    def oneshot_handlers(self) -> RequestHandlerList:
        """The oneshot handlers not used yet, oldest first."""
        return self._handlers(HandlerType.ONESHOT)

    @property
    def ordered_handlers(self) -> RequestHandlerList:
        """The ordered handlers not used yet, in their order."""
        return self._handlers(HandlerType.ORDERED)

    def format_matchers(self) -> str:
        """The handlers' matchers, grouped as ordered, oneshot and persistent."""
        lines: list[str] = []
        for title, handlers in (
            ("Ordered matchers:", self.ordered_handlers),
            ("Oneshot matchers:", self.oneshot_handlers),
            ("Persistent matchers:", self.handlers),
        ):
            lines.append(title)
            lines.extend(f"    {handler.matcher!r}" for handler in handlers)
            if not handlers:
                lines.append("    none")
            lines.append("")
        return "\n".join(lines[:-1])

    def _candidates(self) -> Sequence[Any]:
        return [exp for exp in self._registry.snapshot() if exp is not self._gate]

    # -- the ordered handlers' gate ---------------------------------------------------

    def _ensure_gate(self) -> None:
        if self._gate is not None and any(e is self._gate for e in self._registry.snapshot()):
            return
        gate = Expectation(_OrderedGate(self._refuses), HandlerType.PERMANENT, None, _GATE_PRIORITY)
        gate.respond_with_handler(self._refuse)
        self._registry.add(gate)
        self._gate = gate

    def _refuses(self, request: Request) -> bool:
        # Asked once per request, first, by the registry (under its lock).
        if self.permanently_failed:
            self._refusal.head = None
            return True
        head = self._registry.ordered_head()
        if head is None or head.matcher.match(request):
            return False
        self.permanently_failed = True
        self._refusal.head = head
        return True

    def _refuse(self, request: Request) -> Response:
        head = getattr(self._refusal, "head", None)
        if head is None:
            return self.respond_permanent_failure()
        return self.respond_nohandler(
            request,
            f"\nThe next ordered handler is {head.describe()}, and this request is not it: "
            "with pytest-httpserver's rule, this request and every later one fail until "
            "clear().\n",
        )

    def respond_permanent_failure(self) -> Response:
        """Record a request refused after one missed the next ordered handler; answer 500."""
        text = (
            "localserver: a request missed the next ordered handler, and with "
            "pytest-httpserver's rule every later request fails until clear()\n"
        )
        error = OutOfOrderError(text)
        error.summary = "request after a missed ordered handler"  # type: ignore[attr-defined]
        self._checks.record_failure(error)
        return Response(text, 500, content_type="text/plain; charset=utf-8")

    # -- the log ----------------------------------------------------------------------

    def iter_matching_requests(self, matcher: _Matcher) -> Iterator[tuple[Request, Response]]:
        """The ``(request, response)`` pairs of the log whose request *matcher* accepts."""
        for request, response in self.log:
            if matcher.match(request):
                yield request, response  # type: ignore[misc]

    def get_matching_requests_count(self, matcher: _Matcher) -> int:
        """How many requests of the log *matcher* accepts."""
        return sum(1 for _ in self.iter_matching_requests(matcher))

    def assert_request_made(  # type: ignore[override]
        self, matcher: _Matcher, *, count: int = 1
    ) -> None:
        """Check that *count* requests of the log match (0: none).

        Raises:
            RequestCountError: Another number did; the message shows the closest.
        """
        super().assert_request_made(matcher, count=count)

    # -- waiting ----------------------------------------------------------------------

    def _used_limited(self) -> None:
        self._limited_uses += 1  # under the registry's lock

    @contextmanager
    def wait(  # type: ignore[override]
        self,
        raise_assertions: bool | None = None,
        stop_on_nohandler: bool | None = None,
        timeout: float | None = None,
    ) -> Iterator[Waiting]:
        """Wait, after the ``with`` block, until the oneshot and ordered handlers are used up.

        The wait ends with ``result`` True when a request used up the last of
        them (during or after the block), with False at the first unexpected
        request (*stop_on_nohandler*) or at the timeout. Unset arguments come
        from ``default_waiting_settings``.

        Raises:
            UnmetExpectationError: The timeout came first (with *raise_assertions*).
            AssertionError: The first recorded failure, when the wait failed
                (with *raise_assertions*).
        """
        defaults = self.default_waiting_settings
        raising = defaults.raise_assertions if raise_assertions is None else raise_assertions
        stop = defaults.stop_on_nohandler if stop_on_nohandler is None else stop_on_nohandler
        limit = defaults.timeout if timeout is None else timeout
        changed = self._checks.changed
        waiting = Waiting()
        with changed:
            failures, uses = len(self._checks.failures), self._limited_uses
        yield waiting

        def failed() -> bool:
            return len(self._checks.failures) > failures

        def done() -> bool:
            used_up = self._limited_uses > uses and self._registry.pending_count == 0
            return (stop and failed()) or used_up

        with changed:
            ended = changed.wait_for(done, limit)
            waiting.result = bool(ended) and not (stop and failed())
        waiting.end()
        if not raising:
            return
        if not ended:
            raise UnmetExpectationError(
                f"wait() timed out after {limit:g} s with handlers left (raise 'timeout' if "
                f"the client is slow):\n{self.format_matchers()}\n"
            )
        if not waiting.result:
            self.check_assertions()
