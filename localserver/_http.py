"""``HTTPServer``: answers as told and records every request. A façade over its parts.

The parts, each built here once: the :class:`~._engine.Engine` (lifecycle), the
HTTP/1.1 connection handler (:mod:`._http1`), the :class:`~._dispatch.Dispatcher`
(one request from arrival to answer), the expectation :class:`~._registry.Registry`
(which keeps the scenario states too), the journal and the log, the
:class:`~._content.DefaultResponse`, the :class:`~._forwarding.ProxyRule`, and the
checks (:class:`~._checks.ServingChecks`, :class:`~._assertions.RequestAssertions`).
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Callable, NamedTuple, Union

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
from ._forwarding import ProxyRule, ProxySetting
from ._http1.connection import HTTP1Handler
from ._http1.head import DEFAULT_LIMITS, Limits, ProtocolError
from ._journal import Journal, JournalView
from ._lifecycle import ServerLifecycle, join_url
from ._matching import METHOD_ALL, UNDEFINED, RequestMatcher
from ._mistakes import Mistake, MistakeText
from ._public import public
from ._recorded import RecordedRequest
from ._recording import DEFAULT_REDACT
from ._registry import Registry
from ._replay import replay_recording
from ._report import Situation
from ._responders import HeadersArg
from ._scenarios import scenario_step
from ._upstream import DEFAULT_TIMEOUT
from ._version import __version__

__all__ = ["HTTPServer", "TestMark"]

# How long a report waits for TLS handshakes under way to end or fail.
_HANDSHAKE_SETTLE = 0.5

StrPath = Union[str, "os.PathLike[str]"]


class TestMark(NamedTuple):
    """Where a test on a shared server began (see :meth:`HTTPServer.begin_test`)."""

    checkpoint: int
    settings: Any
    proxy: ProxySetting | None = None


@public
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
        self._proxy = ProxyRule(self._checks)
        dispatcher = Dispatcher(
            registry=self._registry,
            journal=self._journal,
            log=self._log,
            default=self._default,
            checks=self._checks,
            cancellation=self._cancellation,
            proxy=self._proxy,
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
        # End pending delays, slow bodies, hangs and proxied answers first, so
        # that joining the connection threads never waits for them.
        self._cancellation.cancel()
        self._proxy.abort_all()

    def url_for(self, path: str) -> str:
        """Absolute URL for *path* on this server (a leading ``/`` is optional)."""
        return join_url(self.url, path)

    @property
    def connection_timeout(self) -> float | None:
        """Seconds an idle connection is kept open (``None``: until stop())."""
        return self._handler.limits.idle_timeout

    @property
    def strict(self) -> bool:
        """Whether unexpected requests and unused expectations fail the after-test checks."""
        return self._checks.strict

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
        scenario: str | None = None,
        state: str | None = None,
        new_state: str | None = None,
    ) -> Expectation:
        """Expect requests that *matcher* accepts; answer them as the expectation says.

        *times*, *priority*, *scenario*, *state* and *new_state* are as for
        :meth:`expect_request`.
        """
        if not isinstance(matcher, RequestMatcher):
            raise TypeError(f"'matcher' must be a RequestMatcher (got {matcher!r:.60})")
        if not isinstance(handler_type, HandlerType):
            raise TypeError(f"'handler_type' must be a HandlerType (got {handler_type!r})")
        step = scenario_step(scenario, state, new_state)
        expectation = Expectation(
            matcher, handler_type, times, priority, self._registry.add, scenario=step
        )
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
        scenario: str | None = None,
        state: str | None = None,
        new_state: str | None = None,
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
            scenario: The name of a scenario, a state machine shared by
                expectations; every scenario starts in ``"started"``.
            state: Match only while *scenario* is in this state (any state if
                left out).
            new_state: Move *scenario* to this state on each answer, in the
                same step that chooses this expectation, so concurrent requests
                make each move once.

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
        return self.expect(
            matcher,
            handler_type,
            times=times,
            priority=priority,
            scenario=scenario,
            state=state,
            new_state=new_state,
        )

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
        """The live expectations, grouped as pytest-httpserver groups them.

        Each shows its scenario condition; the states of those scenarios follow.
        """
        return self._registry.format()

    # -- scenarios, proxy, replay -----------------------------------------------------

    def scenario_state(self, name: str) -> str:
        """The state scenario *name* is in: ``"started"`` until an answer or the test moves it."""
        return self._registry.scenario_state(name)

    def set_scenario_state(self, name: str, state: str) -> None:
        """Put scenario *name* in *state* (``clear()`` and each test's end reset it)."""
        self._registry.set_scenario_state(name, state)

    def proxy_to(
        self,
        upstream_url: str | None,
        record_to: StrPath | None = None,
        *,
        redact: Iterable[str] = DEFAULT_REDACT,
        ssl_context: ssl.SSLContext | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        """Forward every request no expectation matches to *upstream_url*.

        The upstream gets the method, path (after the URL's own path prefix),
        query, body and headers (``Host`` rewritten, hop-by-hop ones dropped);
        the client gets the upstream's status, headers and body as they come,
        streamed. Forwarding comes before the default response. An upstream
        that gives no answer makes a 502 (504 for a timeout) whose body says
        why, and the checks report an :class:`~localserver.UpstreamError`.

        Args:
            upstream_url: ``http(s)://host[:port][/prefix]``; ``None`` stops
                forwarding.
            record_to: A HAR 1.2 file to write each exchange to (started
                afresh; bodies up to 4 MiB kept whole).
            redact: Headers whose values (and cookies) the recording replaces
                with ``REDACTED``: ``Authorization``, ``Cookie``, ``Set-Cookie``
                by default; ``()`` keeps every value.
            ssl_context: Verifies an HTTPS upstream (default: the system's
                trusted CAs); a localserver upstream's ``client_ssl_context()``.
            timeout: Seconds to connect, and to wait for each read.

        Raises:
            ValueError: The URL is not such a URL; nothing is changed.
            OSError: *record_to* cannot be written.
        """
        self._proxy.configure(
            upstream_url, record_to, redact=redact, ssl_context=ssl_context, timeout=timeout
        )

    def replay(
        self,
        path: StrPath,
        match_on: Sequence[str] = ("method", "path", "query"),
        *,
        when_exhausted: str = "repeat_last",
    ) -> list[Expectation]:
        """Answer requests with the exchanges recorded in a HAR file or a VCR.py cassette.

        Recorded exchanges that agree on *match_on* become one expectation
        answering with their responses in recorded order. A request with no
        recorded exchange is unmatched as usual (or forwarded, with
        :meth:`proxy_to`); the report shows the closest recorded ones.
        Cassettes need ``pip install "localserver[replay]"``.

        Args:
            path: A ``.har`` file or a cassette (``.yaml``).
            match_on: The request fields that must agree: ``"method"``,
                ``"path"``, ``"query"``, ``"body"``.
            when_exhausted: After the last recorded answer, ``"repeat_last"``
                or ``"error"`` (as in ``respond_with_sequence``).

        Returns:
            The expectations registered, in recorded order.

        Raises:
            RecordingFormatError: The file cannot be read as a recording;
                nothing is registered.
        """
        return replay_recording(self.expect, path, match_on, when_exhausted)

    @property
    def log(self) -> Journal[tuple[RecordedRequest, Response | None]]:
        """``(request, response)`` pairs in arrival order; response is None after a fault."""
        return self._log

    def clear(self) -> None:
        """Forget requests, the log, recorded failures and expectations.

        Pending delays and hangs end at once, and every scenario goes back to
        ``"started"``. The default response set by :meth:`serve_content` (or the
        content attributes) stays, and so do :attr:`no_handler_status_code` and
        :meth:`proxy_to`.
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

        The journal, the log, recorded failures and client mistakes are emptied,
        pending delays end and every scenario goes back to ``"started"``;
        expectations, the default response and the proxy stay.
        """
        self._cancellation.cancel(renew=True)
        self._journal.clear()
        self._log.clear()
        self._checks.reset()
        self._registry.reset_scenarios()
        return TestMark(self._registry.checkpoint(), self._default.snapshot(), self._proxy.setting)

    def end_test(self, mark: TestMark, *, check: bool = True) -> list[str]:
        """End the test begun at *mark*: run its checks, then undo what it set up.

        The expectations it added are removed, every scenario goes back to
        ``"started"``, and the default response and the proxy go back to what
        they were when the test began.

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
            self._registry.reset_scenarios()
            self._checks.reset(mistakes=False)
            self._default.restore(mark.settings)
            self._proxy.setting = mark.proxy

    # -- for the parts ----------------------------------------------------------------

    def _situation(self) -> Situation:
        mistakes = self._checks.mistakes(settle=_HANDSHAKE_SETTLE)
        return Situation(self.url, self.host, self.port, self.running, mistakes)

    def _refused(self, error: ProtocolError, peer: tuple[str, int]) -> None:
        detail = f"answered {error.status}: {error.message}" if error.status else ""
        self._checks.record_mistake(Mistake(error.kind, peer, detail))
