"""The checks of the expectation style and the failures they raise.

Every failure is an ``AssertionError`` subclass raised explicitly (never through
the ``assert`` statement, which ``python -O`` removes), so test runners report it
as a failure, not an error. Waiting is done on condition variables notified as
requests arrive and expectations are used: no polling.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ._errors import LocalServerError
from ._matchers import RequestMatcher
from ._report import Situation, count_report, unmet_report

if TYPE_CHECKING:
    from ._expectations import Registry
    from ._journal import Journal

__all__ = [
    "Checks",
    "ExpectationError",
    "NoHandlerError",
    "OutOfOrderError",
    "ProtocolMismatchError",
    "RequestCountError",
    "SequenceExhaustedError",
    "UnmatchedRequestError",
    "UnmetExpectationError",
    "Waiting",
]


class ExpectationError(LocalServerError, AssertionError):
    """A check of the HTTP server's expectations failed; the message says why in full."""


class UnmatchedRequestError(ExpectationError):
    """A request matched no expectation and no default response was set."""


class OutOfOrderError(ExpectationError):
    """A request matched an ordered expectation that was not the next one."""


class NoHandlerError(ExpectationError):
    """A request matched an expectation that was never told how to respond."""


class SequenceExhaustedError(ExpectationError):
    """A response sequence set to ``when_exhausted="error"`` ran out."""


class RequestCountError(ExpectationError):
    """``assert_request_made`` found a different number of matching requests."""


class ProtocolMismatchError(ExpectationError):
    """A client spoke TLS to a plain HTTP server, or plain HTTP to an HTTPS one."""


class UnmetExpectationError(ExpectationError):
    """Oneshot, ordered or ``times=`` expectations were not all used (or ``wait`` timed out)."""


class Waiting:
    """The outcome of :meth:`Checks.wait`: ``result`` and ``elapsed_time`` (seconds)."""

    def __init__(self) -> None:
        self._start = time.monotonic()
        self.result = False
        self.elapsed_time = 0.0

    def _complete(self, result: bool) -> None:
        self.result = result
        self.elapsed_time = time.monotonic() - self._start


class Checks:
    """The checking half of the expectation style, mixed into ``HTTPServer``."""

    _journal: Journal
    _log: Journal
    _registry: Registry
    _failures: list[AssertionError]
    _handler_errors: list[BaseException]

    def _situation(self) -> Situation:
        raise NotImplementedError

    def _record_failure(self, failure: AssertionError) -> None:
        with self._registry.changed:
            self._failures.append(failure)
            self._registry.changed.notify_all()

    def _record_handler_error(self, error: BaseException) -> None:
        with self._registry.changed:
            self._handler_errors.append(error)
            self._registry.changed.notify_all()

    def check_assertions(self) -> None:
        """Raise the first recorded failure (and forget it), if any.

        Failures are recorded for a request that matched nothing, a request out of
        order, an expectation without a response, an exhausted sequence, and a
        handler that raised ``AssertionError``.

        Raises:
            AssertionError: The first failure (an :class:`ExpectationError` unless a
                handler raised its own ``AssertionError``).
        """
        with self._registry.changed:
            if not self._failures:
                return
            failure = self._failures.pop(0)
            left = len(self._failures)
        if left and isinstance(failure, ExpectationError):
            note = f"({left} more failure(s) recorded: call check_assertions() again to see them)"
            failure.args = (f"{failure.args[0] if failure.args else ''}{note}\n",)
        raise failure

    def check_handler_errors(self) -> None:
        """Re-raise the first exception a response handler raised (and forget it), if any."""
        with self._registry.changed:
            if not self._handler_errors:
                return
            error = self._handler_errors.pop(0)
        raise error

    def check(self) -> None:
        """:meth:`check_assertions`, then :meth:`check_handler_errors`."""
        self.check_assertions()
        self.check_handler_errors()

    def _reset_checks(self) -> None:
        """Forget recorded failures and handler errors (per-test isolation)."""
        with self._registry.changed:
            self._failures.clear()
            self._handler_errors.clear()

    def assert_request_made(
        self, matcher: Any, *, count: int = 1, timeout: float | None = None
    ) -> None:
        """Check that exactly *count* received requests match *matcher*.

        Args:
            matcher: A :class:`RequestMatcher`, an expectation (its matcher is
                used) or a path str.
            count: The exact number expected; 0 checks that none arrived.
            timeout: Wait up to this many seconds for the count to be reached,
                for requests made from another thread or process.

        Raises:
            RequestCountError: Another number of matching requests arrived; the
                message shows the closest requests field by field.
        """
        matcher = _as_matcher(matcher)
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError(f"'count' must be an int of 0 or more (got {count!r})")
        if timeout is not None and count > 0:
            self._journal.wait_until(
                lambda items: sum(1 for r in items if matcher.match(r)) >= count,
                _check_timeout(timeout),
            )
        requests = self._journal.snapshot()
        found = sum(1 for r in requests if matcher.match(r))
        if found != count:
            text = count_report(matcher, count, found, requests, self._situation(), timeout)
            raise RequestCountError(text)

    def assert_expectations_met(self, timeout: float | None = None) -> None:
        """Check that every oneshot, ordered and ``times=`` expectation was fully used.

        Args:
            timeout: Wait up to this many seconds for them to be used.

        Raises:
            UnmetExpectationError: Some were not; the message lists them, and says
                so (with the likely causes) when no request arrived at all.
        """
        if timeout is not None:
            with self._registry.changed:
                self._registry.changed.wait_for(
                    lambda: not self._registry.pending(), _check_timeout(timeout)
                )
        pending = self._registry.pending()
        if pending:
            text = unmet_report(
                pending, self._journal.snapshot(), self._situation(), "expectations not met"
            )
            raise UnmetExpectationError(text)

    def _check_test(self, mark: int) -> None:
        """Every check of a test at once: one failure as itself, several together.

        Recorded failures, handler errors and this test's unused limited
        expectations are all reported, so nothing is left for a later call.
        """
        with self._registry.changed:
            problems: list[BaseException] = [*self._failures, *self._handler_errors]
            self._failures.clear()
            self._handler_errors.clear()
        try:
            self._check_unmet_since(mark)
        except UnmetExpectationError as unmet:
            problems.append(unmet)
        if not problems:
            return
        if len(problems) == 1:
            raise problems[0]
        parts = [f"{len(problems)} problems found when the test ended:"]
        for number, problem in enumerate(problems, 1):
            text = str(problem).rstrip("\n")
            if not isinstance(problem, AssertionError):
                text = f"a response handler raised {type(problem).__name__}: {text}"
            parts.append(f"[{number}] {text}")
        raise ExpectationError("\n\n".join(parts) + "\n") from problems[0]

    def _check_unmet_since(self, mark: int) -> None:
        """Raise UnmetExpectationError for limited expectations added after *mark*."""
        pending = [e for e in self._registry.pending() if e.seq > mark]
        if pending:
            text = unmet_report(
                pending,
                self._journal.snapshot(),
                self._situation(),
                "expectations of this test not met",
            )
            raise UnmetExpectationError(text)

    @contextmanager
    def wait(
        self,
        raise_assertions: bool = True,
        stop_on_nohandler: bool = True,
        timeout: float = 5.0,
    ) -> Iterator[Waiting]:
        """Wait, after the ``with`` block, until every oneshot and ordered expectation is used.

        Ends early (``result`` False) when a request matches nothing, if
        *stop_on_nohandler*. Woken by each request: it never polls.

        Args:
            raise_assertions: Raise on timeout or on an unmatched request.
            stop_on_nohandler: Stop waiting at the first unmatched request.
            timeout: Seconds to wait at most.

        Yields:
            An object whose ``result`` (bool) and ``elapsed_time`` (seconds) are
            set on exit.

        Raises:
            UnmetExpectationError: On timeout, with *raise_assertions*.
        """
        limit = _check_timeout(timeout)
        waiting = Waiting()
        with self._registry.changed:
            failures_before = len(self._failures)
        yield waiting
        deadline = time.monotonic() + limit
        changed = self._registry.changed
        with changed:
            while True:
                if stop_on_nohandler and len(self._failures) > failures_before:
                    waiting._complete(False)
                    break
                if not self._registry.pending():
                    waiting._complete(True)
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    waiting._complete(False)
                    break
                changed.wait(remaining)
        if not raise_assertions or waiting.result:
            return
        with changed:
            failed = len(self._failures) > failures_before
        if failed:
            self.check_assertions()
        text = unmet_report(
            self._registry.pending(),
            self._journal.snapshot(),
            self._situation(),
            f"wait() timed out after {limit:g} s (raise 'timeout' if the client is slow)",
        )
        raise UnmetExpectationError(text)


def _as_matcher(matcher: Any) -> RequestMatcher:
    if isinstance(matcher, RequestMatcher):
        return matcher
    if isinstance(getattr(matcher, "matcher", None), RequestMatcher):
        return matcher.matcher  # type: ignore[no-any-return]
    if isinstance(matcher, str):
        return RequestMatcher(matcher)
    raise TypeError(
        "'matcher' must be a RequestMatcher, an expectation or a path str "
        f"(got {type(matcher).__name__}: {matcher!r:.60})"
    )


def _check_timeout(timeout: object) -> float:
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout < 0:
        raise ValueError(f"'timeout' must be a number of seconds, 0 or more (got {timeout!r})")
    return float(timeout)
