"""The checks of ``HTTPServer``: what went wrong, and the assertions about its requests.

``HTTPServer`` has these methods through :class:`CheckAPI`, which holds no state:
each one asks the parts ``HTTPServer.__init__`` built (``ServingChecks`` for what
went wrong while serving, ``RequestAssertions`` for the questions about the
journal). They are kept apart from ``_http.py`` only so that no module grows long.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from ._assertions import RequestAssertions, Step
from ._checks import ServingChecks, Waiting
from ._journal import JournalView
from ._mistakes import MistakeText
from ._recorded import RecordedRequest

__all__ = ["CheckAPI"]


class _Parts(Protocol):
    """What these methods use of the server: parts its ``__init__`` built."""

    _checks: ServingChecks
    _assertions: RequestAssertions


class CheckAPI:
    """The checks an ``HTTPServer`` answers: recorded failures and assertions."""

    def check_assertions(self: _Parts) -> None:
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

    def check_handler_errors(self: _Parts) -> None:
        """Re-raise the first exception a response handler raised (and forget it), if any."""
        self._checks.check_handler_errors()

    def check(self: _Parts) -> None:
        """:meth:`check_assertions`, then :meth:`check_handler_errors`."""
        self._checks.check_assertions()
        self._checks.check_handler_errors()

    def assert_request_made(
        self: _Parts,
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
        self: _Parts, *steps: Step, timeout: float | None = None
    ) -> list[RecordedRequest]:
        """Check that requests matching *steps* arrived in this order; return them.

        Other requests may come before, between and after them. Each step is a
        path, a :class:`RequestMatcher` or an expectation (a list of them works too).

        Raises:
            RequestOrderError: A step matched nothing after the previous one.
        """
        return self._assertions.in_order(steps, timeout)

    def assert_expectations_met(self: _Parts, timeout: float | None = None) -> None:
        """Check that every oneshot, ordered and ``times=`` expectation was fully used.

        Raises:
            UnmetExpectationError: Some were not; the message lists them.
        """
        self._assertions.expectations_met(timeout)

    @contextmanager
    def wait(
        self: _Parts,
        raise_assertions: bool = True,
        stop_on_nohandler: bool = True,
        timeout: float = 5.0,
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
    def protocol_errors(self: _Parts) -> JournalView[MistakeText]:
        """What clients did wrong before or instead of a request, oldest first.

        A client that spoke TLS to this plain server or plain HTTP to an HTTPS
        one, refused the server's certificate, lacked a required client
        certificate, or sent a request the server refused (too large, too slow,
        malformed). Such a request never reaches the journal, so this is where
        "the server received nothing" is explained. A live sequence of
        sentences: it grows as mistakes happen (``wait_for_more()`` waits for one).
        """
        return JournalView(self._checks.mistake_log)
