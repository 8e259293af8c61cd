"""``HTTPServer``: answers as told and records every request. A façade over its parts.

The parts, each built here once: the :class:`~._engine.Engine` (lifecycle), the
HTTP/1.1 connection handler (:mod:`._http1`), the :class:`~._dispatch.Dispatcher`
(one request from arrival to answer), the expectation :class:`~._registry.Registry`,
the journal and the log, the :class:`~._content.DefaultResponse`, and the checks
(:class:`~._checks.ServingChecks`, :class:`~._assertions.RequestAssertions`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Callable, NamedTuple

from werkzeug.datastructures import Headers
from werkzeug.wrappers import Request, Response

from ._aliases import ServerAliases
from ._args import check_bool, check_count, check_seconds
from ._assertions import RequestAssertions, Step
from ._checks import ServingChecks, Waiting
from ._content import Chunked, Content, ContentValue, DefaultResponse, DefaultSetting
from ._dispatch import Dispatcher, log_view
from ._engine import Engine
from ._expectation import DEFAULT_PRIORITY, Expectation, HandlerType
from ._faults import Cancellation
from ._http1.connection import HTTP1Handler
from ._http1.head import DEFAULT_LIMITS, Limits, ProtocolError
from ._journal import Journal, JournalView
from ._lifecycle import ServerLifecycle, join_url
from ._matching import METHOD_ALL, UNDEFINED, RequestMatcher
from ._recorded import RecordedRequest
from ._registry import Registry
from ._report import Mistake, MistakeText, Situation
from ._responders import HeadersArg
from ._version import __version__

__all__ = ["HTTPServer", "TestMark"]

# How long a report waits for TLS handshakes under way to end or fail.
_HANDSHAKE_SETTLE = 0.5


class TestMark(NamedTuple):
    """Where a test on a shared server began (see :meth:`HTTPServer.begin_test`)."""

    checkpoint: int
    settings: Any


class HTTPServer(ServerLifecycle, ServerAliases):
    """An HTTP server on loopback that records requests and answers as told.

    The content style of pytest-localserver: set :attr:`content`, :attr:`code`,
    :attr:`headers` (or call :meth:`serve_content`) and every request gets that
    response; every request lands in :attr:`requests`.

    The expectation style of pytest-httpserver: :meth:`expect_request` and its
    friends answer the requests they match; the content above is the default
    response for the rest. A request nothing answers gets
    :attr:`no_handler_status_code` (500) with a body explaining the miss, and
    :meth:`check_assertions` reports it.

    Args:
        host: Address to bind; ``"127.0.0.1"`` by default, ``"::1"`` for IPv6.
        port: Port to bind; ``0`` picks a free one.
        connection_timeout: Seconds an idle or silent connection is kept open.
        head_timeout: Seconds a client has to send a whole request head once it
            began (408 after that); ``None`` for no deadline.
        max_body_size: Largest request body in bytes (413 above it); ``None``
            for no limit.
        keep_alive: ``False`` closes the connection after every response
            (``Connection: close``), as the peers' HTTP/1.0 servers do.
        strict: ``False`` keeps unexpected requests and unused oneshot and
            ordered expectations out of the after-test checks (the peers'
            leniency); they are still recorded and summarised.
    """

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        connection_timeout: float | None = DEFAULT_LIMITS.idle_timeout,
        head_timeout: float | None = DEFAULT_LIMITS.head_timeout,
        max_body_size: int | None = DEFAULT_LIMITS.body,
        keep_alive: bool = True,
        strict: bool = True,
    ) -> None:
        limits = Limits(
            idle_timeout=check_seconds(
                "connection_timeout", connection_timeout, none=True, zero=False
            ),
            head_timeout=check_seconds("head_timeout", head_timeout, none=True, zero=False),
            body=check_count("max_body_size", max_body_size, none=True),
        )
        self._default = DefaultResponse()
        self._registry = Registry()
        self._journal: Journal[RecordedRequest] = Journal()
        self._log: Journal[tuple[RecordedRequest, Response | None]] = Journal(view=log_view)
        self._cancellation = Cancellation()
        self._checks = ServingChecks(
            self._registry, self._journal, lambda: self.url, self._situation
        )
        self._checks.strict = check_bool("strict", strict)
        self._assertions = RequestAssertions(self._journal, self._registry, self._situation)
        dispatcher = Dispatcher(
            registry=self._registry,
            journal=self._journal,
            log=self._log,
            default=self._default,
            checks=self._checks,
            cancellation=self._cancellation,
        )
        self._engine = Engine(host, port, name=type(self).__name__)
        self._handler = HTTP1Handler(
            dispatcher,
            scheme=self._scheme,
            limits=limits,
            keep_alive=check_bool("keep_alive", keep_alive),
            stopped=self._engine.stopped,
            on_refusal=self._refused,
            wrap=None,
            server_software=f"localserver/{__version__}",
        )
        self._engine.handler = self._handler

    def _before_start(self) -> None:
        self._cancellation.renew()

    def _before_stop(self) -> None:
        # End pending delays, slow bodies and hangs first, so that joining the
        # connection threads never waits for them.
        self._cancellation.cancel()

    def url_for(self, path: str) -> str:
        """Absolute URL for *path* on this server (a leading ``/`` is optional)."""
        return join_url(self.url, path)

    @property
    def connection_timeout(self) -> float | None:
        """Seconds an idle connection is kept open (``None``: until stop())."""
        return self._handler.limits.idle_timeout

    @property
    def strict(self) -> bool:
        """Whether unexpected requests and unused expectations fail the after-test checks.

        Settable: the pytest module sets it for each test from the ini option
        ``localserver_strict`` and the ``localserver_strict`` marker.
        """
        return self._checks.strict

    @strict.setter
    def strict(self, value: bool) -> None:
        self._checks.strict = check_bool("strict", value)

    # -- content style (pytest-localserver) -------------------------------------------

    def serve_content(
        self,
        content: Content = None,
        code: int = 200,
        headers: HeadersArg = None,
        chunked: Chunked = Chunked.NO,
        store_request_data: bool = True,
        show_post_vars: bool | None = None,
    ) -> None:
        """Answer every request that no expectation matches with this response.

        Args:
            content: The body: str (sent as UTF-8), bytes, or an iterable of
                either (each item one chunk when chunked). ``None`` means empty.
            code: The HTTP status.
            headers: Response headers, a mapping or a list of pairs.
            chunked: :class:`Chunked` ``YES``, ``NO`` or ``AUTO``.
            store_request_data: Keep request bodies in :attr:`requests`; ``False``
                discards them as they arrive (for large uploads).
            show_post_vars: If given, sets :attr:`show_post_vars`.

        Raises:
            TypeError: An argument has the wrong type; nothing is changed.
            ValueError: ``code`` is not an HTTP status; nothing is changed.
        """
        settings: dict[str, object] = {
            "content": content,
            "code": code,
            "headers": headers,
            "chunked": chunked,
            "store_request_data": store_request_data,
        }
        if show_post_vars is not None:
            settings["show_post_vars"] = show_post_vars
        self._default.update(**settings)

    content = DefaultSetting[ContentValue, Content](
        'Body of the default response (``""`` until set).'
    )
    code = DefaultSetting[int, int](
        "Status of the default response (204 until set, as in pytest-localserver)."
    )
    headers = DefaultSetting[Headers, HeadersArg](
        "Headers of the default response (changes in place take effect too)."
    )
    chunked = DefaultSetting[Chunked, Chunked](":class:`Chunked` setting of the default response.")
    show_post_vars = DefaultSetting[bool, bool](
        'Answer a POST with its form fields as JSON (``{"name": "value", ...}``).'
    )
    store_request_data = DefaultSetting[bool, bool](
        "Keep request bodies in :attr:`requests` (``False``: discard them as they arrive)."
    )
    no_handler_status_code = DefaultSetting[int, int](
        "Status for a request nothing answers (no default response set); 500 by default."
    )

    @property
    def requests(self) -> Journal[RecordedRequest]:
        """Every request received, oldest first, as werkzeug ``Request`` objects.

        A sequence (read it as pytest-localserver's list) that server threads
        append to safely. Each request's body stays readable (``get_data()``,
        ``form``, ``json``).
        """
        return self._journal

    # -- expectation style (pytest-httpserver) ----------------------------------------

    def expect(
        self,
        matcher: RequestMatcher,
        handler_type: HandlerType = HandlerType.PERMANENT,
        *,
        times: int | None = None,
        priority: int = DEFAULT_PRIORITY,
    ) -> Expectation:
        """Expect requests that *matcher* accepts; answer them as the expectation says."""
        if not isinstance(matcher, RequestMatcher):
            raise TypeError(f"'matcher' must be a RequestMatcher (got {matcher!r:.60})")
        if not isinstance(handler_type, HandlerType):
            raise TypeError(f"'handler_type' must be a HandlerType (got {handler_type!r})")
        expectation = Expectation(matcher, handler_type, times, priority, self._registry.add)
        self._registry.draft(expectation)
        return expectation

    def expect_request(
        self,
        uri: object,
        method: str = METHOD_ALL,
        data: str | bytes | Any | None = None,
        data_encoding: str = "utf-8",
        headers: Mapping[str, Any] | None = None,
        query_string: Any = None,
        header_value_matcher: Callable[[str, str | None, str], bool] | None = None,
        handler_type: HandlerType = HandlerType.PERMANENT,
        json: Any = UNDEFINED,
        *,
        json_ignore_extra_keys: bool = False,
        form: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
        cookies: Mapping[str, Any] | None = None,
        predicate: Callable[[Request], Any] | Sequence[Callable[[Request], Any]] | None = None,
        times: int | None = None,
        priority: int = DEFAULT_PRIORITY,
    ) -> Expectation:
        """Expect requests like this one; answer them as the returned expectation says.

        Every argument left out accepts anything; see :class:`RequestMatcher` for
        what each takes (exact paths, templates such as ``/users/<int:id>``,
        regexes; header, cookie and form values as str, regex, callable or None
        for absent; JSON bodies, optionally ignoring extra keys...). The
        expectation matches requests once a ``respond_with_*`` method was called
        on it.

        Args:
            handler_type: :class:`HandlerType`; ``expect_oneshot_request`` and
                ``expect_ordered_request`` are shorter.
            times: Answer at most this many requests, then disappear.
            priority: Lower numbers win (1 is highest, default 5).

        Raises:
            TypeError, ValueError: An argument is malformed; the message names it.
        """
        matcher = RequestMatcher(
            uri,
            method,
            data,
            data_encoding,
            headers,
            query_string,
            header_value_matcher,
            json,
            json_ignore_extra_keys=json_ignore_extra_keys,
            form=form,
            files=files,
            cookies=cookies,
            predicate=predicate,
        )
        return self.expect(matcher, handler_type, times=times, priority=priority)

    def expect_oneshot_request(
        self,
        uri: object,
        method: str = METHOD_ALL,
        data: str | bytes | Any | None = None,
        data_encoding: str = "utf-8",
        headers: Mapping[str, Any] | None = None,
        query_string: Any = None,
        header_value_matcher: Callable[[str, str | None, str], bool] | None = None,
        json: Any = UNDEFINED,
        **kwargs: Any,
    ) -> Expectation:
        """Like :meth:`expect_request`, answering one request only (or ``times``)."""
        return self.expect_request(
            uri,
            method,
            data,
            data_encoding,
            headers,
            query_string,
            header_value_matcher,
            HandlerType.ONESHOT,
            json,
            **kwargs,
        )

    def expect_ordered_request(
        self,
        uri: object,
        method: str = METHOD_ALL,
        data: str | bytes | Any | None = None,
        data_encoding: str = "utf-8",
        headers: Mapping[str, Any] | None = None,
        query_string: Any = None,
        header_value_matcher: Callable[[str, str | None, str], bool] | None = None,
        json: Any = UNDEFINED,
        **kwargs: Any,
    ) -> Expectation:
        """Like :meth:`expect_oneshot_request`; ordered expectations are used in turn.

        A request that matches an ordered expectation before its turn is refused
        with :attr:`no_handler_status_code` and recorded as an
        :class:`~localserver.OutOfOrderError`.
        """
        return self.expect_request(
            uri,
            method,
            data,
            data_encoding,
            headers,
            query_string,
            header_value_matcher,
            HandlerType.ORDERED,
            json,
            **kwargs,
        )

    def format_matchers(self) -> str:
        """The live expectations, grouped as pytest-httpserver groups them."""
        return self._registry.format()

    @property
    def log(self) -> Journal[tuple[RecordedRequest, Response | None]]:
        """``(request, response)`` pairs in arrival order; response is None after a fault."""
        return self._log

    def clear(self) -> None:
        """Forget requests, the log, recorded failures and expectations.

        Pending delays and hangs end at once. The default response set by
        :meth:`serve_content` (or the content attributes) stays, and so does
        :attr:`no_handler_status_code`.
        """
        self._cancellation.cancel(renew=True)
        self._registry.clear()
        self._journal.clear()
        self._log.clear()
        self._checks.reset()
        self.raise_pending_errors()

    # -- checks -----------------------------------------------------------------------

    def check_assertions(self) -> None:
        """Raise the first recorded failure (and forget it), if any.

        Failures are recorded for a request that matched nothing, a request out of
        order, a request refused (too large, too slow, malformed), a client that
        used the wrong scheme, an exhausted sequence, a matcher that raised, and
        a handler that raised ``AssertionError``.

        Raises:
            AssertionError: The first failure (an :class:`~localserver.ExpectationError`
                unless a handler raised its own ``AssertionError``).
        """
        self._checks.check_assertions()

    def check_handler_errors(self) -> None:
        """Re-raise the first exception a response handler raised (and forget it), if any."""
        self._checks.check_handler_errors()

    def check(self) -> None:
        """:meth:`check_assertions`, then :meth:`check_handler_errors`."""
        self._checks.check_assertions()
        self._checks.check_handler_errors()

    def assert_request_made(
        self,
        matcher: object = "",
        *,
        count: int | None = 1,
        timeout: float | None = None,
        **criteria: Any,
    ) -> list[RecordedRequest]:
        """Check that *count* received requests match; return them.

        Args:
            matcher: A :class:`RequestMatcher`, an expectation (its matcher is
                used), or a path as :meth:`expect_request` takes it.
            count: The exact number expected (0: none arrived); ``None``: at least one.
            timeout: Wait up to this many seconds for them (requests from another
                thread or process).
            **criteria: :class:`RequestMatcher` arguments with a path: ``method=``,
                ``query_string=``, ``headers=``, ``json=``, ``data=``, ``form=``...

        Raises:
            RequestCountError: Another number arrived; the message shows the
                closest requests field by field.
        """
        return self._assertions.request_made(matcher, criteria, count, timeout)

    def assert_requests_in_order(
        self, *steps: Step, timeout: float | None = None
    ) -> list[RecordedRequest]:
        """Check that requests matching *steps* arrived in this order; return them.

        Other requests may come before, between and after them. Each step is a
        path, a :class:`RequestMatcher` or an expectation (a list of them works too).

        Raises:
            RequestOrderError: A step matched nothing after the previous one.
        """
        return self._assertions.in_order(steps, timeout)

    def assert_expectations_met(self, timeout: float | None = None) -> None:
        """Check that every oneshot, ordered and ``times=`` expectation was fully used.

        Raises:
            UnmetExpectationError: Some were not; the message lists them.
        """
        self._assertions.expectations_met(timeout)

    @contextmanager
    def wait(
        self, raise_assertions: bool = True, stop_on_nohandler: bool = True, timeout: float = 5.0
    ) -> Iterator[Waiting]:
        """Wait, after the ``with`` block, until every oneshot and ordered expectation is used.

        Yields an object whose ``result`` and ``elapsed_time`` are set on exit.
        With *stop_on_nohandler* the wait ends at the first unmatched request.

        Raises:
            UnmetExpectationError: On timeout, with *raise_assertions*.
        """
        with self._checks.waiting(raise_assertions, stop_on_nohandler, timeout) as waiting:
            yield waiting

    @property
    def protocol_errors(self) -> JournalView[MistakeText]:
        """What clients did wrong before or instead of a request, oldest first.

        A client that spoke TLS to this plain server or plain HTTP to an HTTPS
        one, refused the server's certificate, lacked a required client
        certificate, or sent a request the server refused (too large, too slow,
        malformed). Such a request never reaches the journal, so this is where
        "the server received nothing" is explained. A live sequence of
        sentences: it grows as mistakes happen (``wait_for_more()`` waits for one).
        """
        return JournalView(self._checks.mistake_log)

    # -- tests on a shared server (the unittest mixins and the pytest module) ---------

    def begin_test(self) -> TestMark:
        """Start a test on a shared server: forget what earlier tests left behind.

        The journal, the log, recorded failures and client mistakes are emptied
        and pending delays end; expectations and the default response stay.
        """
        self._cancellation.cancel(renew=True)
        self._journal.clear()
        self._log.clear()
        self._checks.reset()
        return TestMark(self._registry.checkpoint(), self._default.snapshot())

    def end_test(self, mark: TestMark, *, check: bool = True) -> list[str]:
        """End the test begun at *mark*: run its checks, then undo what it set up.

        The expectations it added are removed, and the default response goes back
        to what it was when the test began.

        Returns:
            In lenient mode, what strict mode would have reported, one line each.

        Raises:
            AssertionError: A check failed; the message explains it in full.
        """
        try:
            return self._checks.check_test(mark.checkpoint) if check else []
        finally:
            self._cancellation.cancel(renew=True)
            self._registry.rollback(mark.checkpoint)
            self._checks.reset(mistakes=False)
            self._default.restore(mark.settings)

    # -- for the parts ----------------------------------------------------------------

    def _situation(self) -> Situation:
        mistakes = self._checks.mistakes(settle=_HANDSHAKE_SETTLE)
        return Situation(self.url, self.host, self.port, self.running, mistakes)

    def _refused(self, error: ProtocolError, peer: tuple[str, int]) -> None:
        detail = f"answered {error.status}: {error.message}" if error.status else ""
        self._checks.record_mistake(Mistake(error.kind, peer, detail))
