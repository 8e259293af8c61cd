"""The expectation style of ``HTTPServer``: expectations, scenarios, proxy and replay.

``HTTPServer`` has these methods through :class:`ExpectationAPI`, which holds no
state: each method hands its arguments to the parts ``HTTPServer.__init__`` built
(the registry, the log, the proxy rule). They are kept apart from ``_http.py``
only so that no module grows long.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Callable, Protocol, Union

from werkzeug.wrappers import Request, Response

from ._expectation import DEFAULT_PRIORITY, Expectation, HandlerType
from ._forwarding import ProxyRule
from ._journal import Journal
from ._matching import METHOD_ALL, UNDEFINED, RequestMatcher
from ._recorded import RecordedRequest
from ._recording import DEFAULT_REDACT
from ._registry import Registry
from ._replay import replay_recording
from ._scenarios import scenario_step
from ._upstream import DEFAULT_TIMEOUT

__all__ = ["ExpectationAPI"]

StrPath = Union[str, "os.PathLike[str]"]


class _Parts(Protocol):
    """What these methods use of the server: parts its ``__init__`` built."""

    _registry: Registry
    _log: Journal[tuple[RecordedRequest, Response | None]]
    _proxy: ProxyRule

    # The server's own methods (a subclass may wrap them): the shortcuts call them.
    @property
    def expect(self) -> Callable[..., Expectation]: ...

    @property
    def expect_request(self) -> Callable[..., Expectation]: ...


class ExpectationAPI:
    """pytest-httpserver's expectation style on ``HTTPServer``, and what goes past it."""

    def expect(
        self: _Parts,
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
        self: _Parts,
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
        self: _Parts,
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
        return ExpectationAPI.expect_request(
            self,
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
        self: _Parts,
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
        return ExpectationAPI.expect_request(
            self,
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

    def format_matchers(self: _Parts) -> str:
        """The live expectations, grouped as pytest-httpserver groups them.

        Each shows its scenario condition; the states of those scenarios follow.
        """
        return self._registry.format()

    # -- scenarios, proxy, replay -----------------------------------------------------

    def scenario_state(self: _Parts, name: str) -> str:
        """The state scenario *name* is in: ``"started"`` until an answer or the test moves it."""
        return self._registry.scenario_state(name)

    def set_scenario_state(self: _Parts, name: str, state: str) -> None:
        """Put scenario *name* in *state* (``clear()`` and each test's end reset it)."""
        self._registry.set_scenario_state(name, state)

    def proxy_to(
        self: _Parts,
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
        self: _Parts,
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
    def log(self: _Parts) -> Journal[tuple[RecordedRequest, Response | None]]:
        """``(request, response)`` pairs in arrival order; response is None after a fault."""
        return self._log
