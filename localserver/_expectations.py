"""Expectations and the registry that picks one for each request.

Precedence, for the expectations whose matcher accepts a request: the lowest
``priority`` number wins (default 5, as in WireMock); at equal priority ordered
expectations come first, then those with a limited lifetime (oneshot, ``times=``),
then permanent ones (pytest-httpserver's order). Limited ones queue up: the oldest
is used first. Among permanent ones the most recently added wins, so a later
registration overrides a catch-all.

Exact paths are looked up in a dict, so the cost of a request does not grow with
the number of exact-path expectations.
"""

from __future__ import annotations

import enum
import threading
from typing import Any, Callable, NamedTuple

from werkzeug.wrappers import Request

from ._faults import Delay, Fault, SlowBody
from ._matchers import RequestMatcher
from ._responses import (
    DataResponder,
    FaultResponder,
    HandlerResponder,
    Responder,
    make_responder,
)

__all__ = ["DEFAULT_PRIORITY", "Expectation", "HandlerType", "Registry", "Selection"]

DEFAULT_PRIORITY = 5


class HandlerType(enum.Enum):
    """How an expectation is used up (pytest-httpserver's handler types)."""

    PERMANENT = "permanent"
    ONESHOT = "oneshot"
    ORDERED = "ordered"


def _check_times(times: object) -> int | None:
    if times is None:
        return None
    if isinstance(times, bool) or not isinstance(times, int):
        raise TypeError(f"'times' must be a positive int or None for unlimited (got {times!r})")
    if times < 1:
        raise ValueError(f"'times' must be 1 or more, or None for unlimited (got {times!r})")
    return times


def _check_priority(priority: object) -> int:
    if isinstance(priority, bool) or not isinstance(priority, int):
        raise TypeError(f"'priority' must be an int, 1 the highest (got {priority!r})")
    return priority


class Expectation:
    """A request the server expects and how to answer it (pytest-httpserver's ``RequestHandler``).

    Made by :meth:`HTTPServer.expect_request` and friends; call one ``respond_with_*``
    method on it. ``with_delay`` and ``with_slow_body`` return the expectation, so
    they chain.
    """

    def __init__(
        self, matcher: RequestMatcher, kind: HandlerType, times: int | None, priority: int
    ) -> None:
        self.matcher = matcher
        self.kind = kind
        self.times = _check_times(times)
        if kind is not HandlerType.PERMANENT and self.times is None:
            self.times = 1
        self.priority = _check_priority(priority)
        self.responders: list[Responder] = []
        self.repeat_last = True
        self.delay: Delay | None = None
        self.slow_body: SlowBody | None = None
        self.call_count = 0
        self.seq = 0

    # -- answers ----------------------------------------------------------------------

    def respond_with_data(
        self,
        response_data: str | bytes = "",
        status: int = 200,
        headers: Any = None,
        mimetype: str | None = None,
        content_type: str | None = None,
    ) -> None:
        """Answer with this body, status and headers."""
        self.responders = [DataResponder(response_data, status, headers, mimetype, content_type)]

    def respond_with_json(
        self,
        response_json: Any,
        status: int = 200,
        headers: Any = None,
        content_type: str = "application/json",
    ) -> None:
        """Answer with *response_json* serialised as JSON (serialised once, now)."""
        self.responders = [DataResponder.json(response_json, status, headers, content_type)]

    def respond_with_response(self, response: Any) -> None:
        """Answer with a copy of this werkzeug ``Response`` (a new one for each request)."""
        self.responders = [DataResponder.copy_of(response)]

    def respond_with_handler(self, func: Callable[[Request], Any]) -> None:
        """Answer with what ``func(request)`` returns: a ``Response``, str, bytes or None.

        If it raises, the client gets a 500 with the traceback and
        :meth:`HTTPServer.check_handler_errors` re-raises the exception.
        """
        self.responders = [HandlerResponder(func)]

    def respond_with_sequence(self, responses: Any, when_exhausted: str = "repeat_last") -> None:
        """Answer each request with the next item of *responses*.

        Args:
            responses: Items that are werkzeug ``Response`` objects, str or bytes
                (200 with that body), :class:`Fault` values or callables taking the
                request.
            when_exhausted: ``"repeat_last"`` keeps answering with the last item;
                ``"error"`` answers further requests with a 500 and records a
                failure for :meth:`HTTPServer.check_assertions`.
        """
        if isinstance(responses, (str, bytes)) or not hasattr(responses, "__iter__"):
            raise TypeError(f"'responses' must be a list of responses (got {responses!r:.60})")
        items = [make_responder(item, index) for index, item in enumerate(responses)]
        if not items:
            raise ValueError("'responses' must hold at least one response")
        if when_exhausted not in ("repeat_last", "error"):
            raise ValueError(
                f"'when_exhausted' must be 'repeat_last' or 'error' (got {when_exhausted!r})"
            )
        self.repeat_last = when_exhausted == "repeat_last"
        self.responders = items

    def respond_with_fault(self, fault: Fault | str) -> None:
        """Answer with a network fault instead of a response (see :class:`Fault`)."""
        self.responders = [FaultResponder(Fault.check(fault))]

    def respond_with_raw(self, data: bytes) -> None:
        """Send exactly *data* (status line, headers, body as you wish), then close."""
        if not isinstance(data, (bytes, bytearray)):
            raise TypeError(f"'data' must be bytes (got {type(data).__name__}: {data!r:.60})")
        self.responders = [FaultResponder(raw=bytes(data))]

    def with_delay(self, delay: float | Delay) -> Expectation:
        """Wait before answering: seconds, or :class:`Delay` ``fixed``/``uniform``/``lognormal``.

        A pending delay ends at once when the server stops or is cleared (the
        connection is then closed without an answer).
        """
        self.delay = Delay.check(delay)
        return self

    def with_slow_body(self, chunks: int, duration: float) -> Expectation:
        """Send the body in *chunks* pieces spread over *duration* seconds."""
        self.slow_body = SlowBody(chunks, duration)
        return self

    # -- state ------------------------------------------------------------------------

    @property
    def remaining(self) -> int | None:
        """How many more requests this expectation answers (``None`` when unlimited)."""
        return None if self.times is None else self.times - self.call_count

    def _next_responder(self) -> Responder | None:
        """The responder for the next use; None once a sequence is exhausted (lock held)."""
        index = self.call_count
        self.call_count += 1
        if not self.responders:
            return None
        if index < len(self.responders):
            return self.responders[index]
        return self.responders[-1] if self.repeat_last else None

    def describe(self) -> str:
        """One line: the call that made it and its lifetime."""
        name = {
            HandlerType.PERMANENT: "expect_request",
            HandlerType.ONESHOT: "expect_oneshot_request",
            HandlerType.ORDERED: "expect_ordered_request",
        }[self.kind]
        extras = []
        implied = self.kind is not HandlerType.PERMANENT and self.times == 1
        if self.times is not None and not implied:
            extras.append(f"times={self.times}")
        if self.priority != DEFAULT_PRIORITY:
            extras.append(f"priority={self.priority}")
        tail = "".join(f", {e}" for e in extras)
        return f"{name}({self.matcher.describe()}{tail})"

    def __repr__(self) -> str:
        used = f"{self.call_count}" + (f"/{self.times}" if self.times is not None else "")
        return f"<Expectation {self.describe()} used {used}>"


class Selection(NamedTuple):
    """What the registry chose for a request."""

    expectation: Expectation | None
    responder: Responder | None
    out_of_order: bool = False


class Registry:
    """The live expectations, safe to use from many threads.

    ``changed`` is notified whenever an expectation is added, used or removed.
    """

    def __init__(self) -> None:
        # Re-entrant: checks wait on it and call pending() inside their predicates.
        self.changed = threading.Condition(threading.RLock())
        self._exact: dict[str, list[Expectation]] = {}
        self._other: list[Expectation] = []
        self._ordered: list[Expectation] = []
        self._all: dict[int, Expectation] = {}
        self._counter = 0

    def add(self, expectation: Expectation) -> Expectation:
        with self.changed:
            self._counter += 1
            expectation.seq = self._counter
            self._all[expectation.seq] = expectation
            key = expectation.matcher.exact_path
            if key is None:
                self._other.append(expectation)
            else:
                self._exact.setdefault(key, []).append(expectation)
            if expectation.kind is HandlerType.ORDERED:
                self._ordered.append(expectation)
            self.changed.notify_all()
        return expectation

    def _remove_locked(self, expectation: Expectation) -> None:
        self._all.pop(expectation.seq, None)
        key = expectation.matcher.exact_path
        if key is None:
            self._other.remove(expectation)
        else:
            bucket = self._exact[key]
            bucket.remove(expectation)
            if not bucket:
                del self._exact[key]
        if expectation.kind is HandlerType.ORDERED:
            self._ordered.remove(expectation)

    def select(self, request: Request) -> Selection:
        """Choose the expectation for *request* and use it up by one, atomically."""
        path = request.path
        with self.changed:
            candidates = self._exact.get(path, [])
            if self._other:
                candidates = candidates + self._other
            best: Expectation | None = None
            best_key: tuple[int, int, int] | None = None
            for exp in candidates:
                key = self._rank(exp)
                if (best_key is None or key < best_key) and exp.matcher.match(request):
                    best, best_key = exp, key
            if best is None:
                return Selection(None, None)
            if best.kind is HandlerType.ORDERED and self._ordered[0] is not best:
                return Selection(best, None, out_of_order=True)
            responder = best._next_responder()
            if best.times is not None and best.call_count >= best.times:
                self._remove_locked(best)
            self.changed.notify_all()
            return Selection(best, responder)

    @staticmethod
    def _rank(exp: Expectation) -> tuple[int, int, int]:
        if exp.kind is HandlerType.ORDERED:
            return (exp.priority, 0, exp.seq)
        if exp.times is not None:
            return (exp.priority, 1, exp.seq)
        return (exp.priority, 2, -exp.seq)

    def ordered_head(self) -> Expectation | None:
        """The ordered expectation whose turn it is."""
        with self.changed:
            return self._ordered[0] if self._ordered else None

    def snapshot(self) -> list[Expectation]:
        """The live expectations in precedence order."""
        with self.changed:
            return sorted(self._all.values(), key=self._rank)

    def pending(self) -> list[Expectation]:
        """Live expectations with a lifetime not yet used up (oneshot, ordered, ``times=``)."""
        with self.changed:
            return sorted(
                (e for e in self._all.values() if e.times is not None), key=lambda e: e.seq
            )

    def clear(self) -> None:
        with self.changed:
            self._exact.clear()
            self._other.clear()
            self._ordered.clear()
            self._all.clear()
            self.changed.notify_all()

    def checkpoint(self) -> int:
        """A mark to :meth:`rollback` to: expectations added later are removed then."""
        with self.changed:
            return self._counter

    def rollback(self, checkpoint: int) -> None:
        """Remove every expectation added after *checkpoint*."""
        with self.changed:
            for expectation in [e for s, e in self._all.items() if s > checkpoint]:
                self._remove_locked(expectation)
            self.changed.notify_all()

    def __len__(self) -> int:
        with self.changed:
            return len(self._all)
