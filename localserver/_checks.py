"""What went wrong while an HTTP server served, kept until a check reports it.

The dispatcher and the connections record here: failures (a request nothing
answered, one out of order, a matcher that raised...), exceptions of response
handlers, and mistakes clients made before or instead of a request (TLS to a plain
port, a body over the limit...). ``check_assertions()`` and friends report them;
``check_test()`` reports every one of them at once when a test ends, with the
oneshot, ordered and ``times=`` expectations the test left unused.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Callable

from ._args import check_seconds
from ._errors import (
    ExpectationError,
    NoHandlerError,
    OutOfOrderError,
    ProtocolMismatchError,
    ProtocolViolationError,
    UnmatchedRequestError,
    UnmetExpectationError,
)
from ._journal import Journal
from ._mistakes import WRONG_PROTOCOL, Mistake, MistakeText, describe_mistake
from ._recorded import RecordedRequest
from ._registry import Registry
from ._report import Situation, unmet_report

__all__ = ["ServingChecks", "Waiting"]

# Failures lenient mode keeps out of the after-test checks (the peers' silence): a
# request nothing answered (no expectation, or one without a response) or one out of order.
_LENIENT = (UnmatchedRequestError, NoHandlerError, OutOfOrderError)


def _describe(entry: tuple[Mistake, str]) -> MistakeText:
    return MistakeText.of(*entry)


class Waiting:
    """The outcome of ``HTTPServer.wait()``: ``result`` and ``elapsed_time`` (seconds)."""

    def __init__(self) -> None:
        self._start = time.monotonic()
        self.result = False
        self.elapsed_time = 0.0

    def _complete(self, result: bool) -> None:
        self.result = result
        self.elapsed_time = time.monotonic() - self._start


class ServingChecks:
    """The record of what went wrong, shared by the dispatcher and the connections.

    Args:
        registry: The server's expectations (its condition is shared, so a wait
            wakes on a failure as on an expectation used).
        journal: The server's requests, for reports.
        url: Gives the server's URL now (it changes between runs).
        situation: Gives what a report needs to know about the server.
    """

    def __init__(
        self,
        registry: Registry,
        journal: Journal[RecordedRequest],
        url: Callable[[], str],
        situation: Callable[[], Situation],
    ) -> None:
        self._registry = registry
        self._journal = journal
        self._url = url
        self._situation = situation
        self.changed = registry.changed
        self.failures: list[AssertionError] = []
        self.handler_errors: list[BaseException] = []
        #: The clients' mistakes in words, oldest first (``protocol_errors``).
        self.mistake_log: Journal[MistakeText] = Journal(view=_describe)
        self._handshakes = 0
        self._handshakes_lock = threading.Condition(threading.Lock())
        self.strict = True

    # -- recording (server threads) ---------------------------------------------------

    def record_failure(self, failure: AssertionError) -> None:
        with self.changed:
            self.failures.append(failure)
            self.changed.notify_all()

    def record_handler_error(self, error: BaseException) -> None:
        with self.changed:
            self.handler_errors.append(error)
            self.changed.notify_all()

    def record_mistake(self, mistake: Mistake) -> None:
        """Keep a client's mistake; a wrong scheme or a refused request is a failure too."""
        url = self._url()
        self.mistake_log.append((mistake, url))
        if mistake.kind in WRONG_PROTOCOL:
            self.record_failure(ProtocolMismatchError(describe_mistake(mistake, url) + "\n"))
        elif mistake.detail:
            self.record_failure(ProtocolViolationError(describe_mistake(mistake, url) + "\n"))

    def handshake_changed(self, delta: int) -> None:
        """Count TLS handshakes under way (+1 when one starts, -1 when it ends)."""
        with self._handshakes_lock:
            self._handshakes += delta
            self._handshakes_lock.notify_all()

    def mistakes(self, settle: float = 0.0) -> list[Mistake]:
        """The mistakes recorded, once TLS handshakes under way have ended (up to *settle* s).

        A client that rejects the certificate fails at once, while the server
        learns of it a moment later: waiting keeps a report made right after the
        client's error from missing the cause.
        """
        if settle:
            with self._handshakes_lock:
                self._handshakes_lock.wait_for(lambda: self._handshakes == 0, settle)
        return [mistake for mistake, _ in self.mistake_log.entries()]

    # -- reporting --------------------------------------------------------------------

    def check_assertions(self) -> None:
        """Raise the first recorded failure (and forget it), if any."""
        with self.changed:
            if not self.failures:
                return
            failure = self.failures.pop(0)
            left = len(self.failures)
        if left and isinstance(failure, ExpectationError):
            note = f"({left} more failure(s) recorded: call check_assertions() again to see them)"
            failure.args = (f"{failure.args[0] if failure.args else ''}{note}\n",)
        raise failure

    def check_handler_errors(self) -> None:
        """Re-raise the first exception a response handler raised (and forget it), if any."""
        with self.changed:
            if not self.handler_errors:
                return
            error = self.handler_errors.pop(0)
        raise error

    def reset(self, mistakes: bool = True) -> None:
        """Forget recorded failures, handler errors and (with *mistakes*) client mistakes."""
        if self.failures or self.handler_errors:
            with self.changed:
                self.failures.clear()
                self.handler_errors.clear()
        if mistakes:
            self.mistake_log.clear()

    def check_test(self, mark: int) -> list[str]:
        """Every check of a test at once: one problem raised as itself, several together.

        Recorded failures, handler errors and the unused limited expectations
        added after *mark* are all reported, so nothing is left for a later call.
        In lenient mode (``strict=False``) unmatched and out-of-order requests
        and unused expectations do not fail the test.

        Returns:
            What strict mode would have reported and lenient mode let pass, one
            line each.

        Raises:
            AssertionError: The problems found, explained in full.
        """
        with self.changed:
            problems: list[BaseException] = [*self.failures, *self.handler_errors]
            self.failures.clear()
            self.handler_errors.clear()
        unmet = self.unmet_since(mark)
        if unmet is not None:
            problems.append(unmet)
        forgiven: list[str] = []
        if not self.strict:
            kept = []
            for problem in problems:
                if isinstance(problem, (*_LENIENT, UnmetExpectationError)):
                    summary = getattr(problem, "summary", None)
                    if isinstance(summary, list):
                        forgiven.extend(summary)
                    else:
                        forgiven.append(summary or str(problem).partition("\n")[0])
                else:
                    kept.append(problem)
            problems = kept
        if not problems:
            return forgiven
        if len(problems) == 1:
            raise problems[0]
        parts = [f"{len(problems)} problems found when the test ended:"]
        for number, problem in enumerate(problems, 1):
            text = str(problem).rstrip("\n")
            if not isinstance(problem, AssertionError):
                text = f"a response handler raised {type(problem).__name__}: {text}"
            parts.append(f"[{number}] {text}")
        raise ExpectationError("\n\n".join(parts) + "\n") from problems[0]

    def unmet_since(self, mark: int) -> UnmetExpectationError | None:
        """The failure for limited expectations added after *mark* and not used up."""
        pending = [e for e in self._registry.pending() if e.seq > mark]
        if not pending:
            return None
        text = unmet_report(
            pending,
            self._journal.snapshot(),
            self._situation(),
            "expectations of this test not met",
        )
        error = UnmetExpectationError(text)
        # Lenient mode's summary has a line for each.
        error.summary = [f"unused {e.describe()}" for e in pending]  # type: ignore[attr-defined]
        return error

    @contextmanager
    def waiting(
        self, raise_assertions: bool, stop_on_nohandler: bool, timeout: float
    ) -> Iterator[Waiting]:
        """See ``HTTPServer.wait``: woken by each request and failure, never polling."""
        limit = check_seconds("timeout", timeout)
        waiting = Waiting()
        registry = self._registry
        with self.changed:
            failures_before = len(self.failures)
        yield waiting
        with self.changed:
            result = self.changed.wait_for(
                lambda: (
                    (stop_on_nohandler and len(self.failures) > failures_before)
                    or registry.pending_count == 0
                ),
                limit,
            )
            failed = len(self.failures) > failures_before
        waiting._complete(bool(result) and not (stop_on_nohandler and failed))
        if not raise_assertions or waiting.result:
            return
        if failed:
            self.check_assertions()
        text = unmet_report(
            registry.pending(),
            self._journal.snapshot(),
            self._situation(),
            f"wait() timed out after {limit:g} s (raise 'timeout' if the client is slow)",
        )
        raise UnmetExpectationError(text)
