"""An expectation: a request the server expects, and how to answer it.

An expectation is made by ``expect_request()`` and its friends and starts matching
requests only once it can answer them: its first ``respond_with_*`` call hands it to
the registry. Until then a request it would match is answered as unmatched, with a
report that names the expectation still waiting for its response.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from typing import Any, Callable

from werkzeug.wrappers import Request, Response

from ._args import check_count
from ._faults import Delay, Fault, SlowBody
from ._matching import RequestMatcher
from ._public import public
from ._responders import (
    DataResponder,
    FaultResponder,
    HandlerResponder,
    HeadersArg,
    Responder,
    ResponseItem,
    TemplateResponder,
    make_responder,
)
from ._scenarios import ScenarioStep

__all__ = ["DEFAULT_PRIORITY", "Expectation", "HandlerType", "PostHook"]

DEFAULT_PRIORITY = 5

#: ``hook(request, response) -> response``, run on each answer (pytest-httpserver's hooks).
PostHook = Callable[[Request, Response], Response]


@public
class HandlerType(enum.Enum):
    """How an expectation is used up (pytest-httpserver's handler types)."""

    PERMANENT = "permanent"
    ONESHOT = "oneshot"
    ORDERED = "ordered"


@public
class Expectation:
    """A request the server expects and how to answer it (pytest-httpserver's ``RequestHandler``).

    Made by :meth:`HTTPServer.expect_request` and friends; call a ``respond_with_*``
    method on it. Every method returns the expectation, so calls chain in any
    order: ``expect_request("/").with_delay(0.1).respond_with_data("ok")`` and
    ``expect_request("/").respond_with_data("ok").with_delay(0.1)`` are the same.
    """

    def __init__(
        self,
        matcher: RequestMatcher,
        kind: HandlerType,
        times: int | None,
        priority: int,
        on_ready: Callable[[Expectation], object] | None = None,
        scenario: ScenarioStep | None = None,
    ) -> None:
        self.matcher = matcher
        self.kind = kind
        self.times = check_count("times", times, minimum=1, none=True)
        if kind is not HandlerType.PERMANENT and self.times is None:
            self.times = 1
        if isinstance(priority, bool) or not isinstance(priority, int):
            raise TypeError(f"'priority' must be an int, 1 the highest (got {priority!r})")
        self.priority = priority
        # The scenario condition (scenario=, state=, new_state=), or None.
        self.scenario = scenario
        self.responders: list[Responder] = []
        self.repeat_last = True
        self.delay: Delay | None = None
        self.slow_body: SlowBody | None = None
        self.hooks: list[PostHook] = []
        self.call_count = 0
        self.seq = 0
        self._on_ready = on_ready

    # -- answers ----------------------------------------------------------------------

    def respond_with_data(
        self,
        response_data: str | bytes = "",
        status: int = 200,
        headers: HeadersArg = None,
        mimetype: str | None = None,
        content_type: str | None = None,
    ) -> Expectation:
        """Answer with this body, status and headers."""
        return self._answer([DataResponder(response_data, status, headers, mimetype, content_type)])

    def respond_with_json(
        self,
        response_json: Any,
        status: int = 200,
        headers: HeadersArg = None,
        content_type: str = "application/json",
    ) -> Expectation:
        """Answer with *response_json* serialised as JSON (serialised once, now)."""
        return self._answer([DataResponder.json(response_json, status, headers, content_type)])

    def respond_with_response(self, response: Response) -> Expectation:
        """Answer with a copy of this werkzeug ``Response`` (the same for each request)."""
        return self._answer([DataResponder.copy_of(response)])

    def respond_with_handler(self, func: Callable[[Request], Any]) -> Expectation:
        """Answer with what ``func(request)`` returns: a ``Response``, str, bytes or None.

        If it raises, the client gets a 500 with the traceback and
        :meth:`HTTPServer.check_handler_errors` re-raises the exception.
        """
        return self._answer([HandlerResponder(func)])

    def respond_with_template(
        self,
        body: str,
        status: int = 200,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        content_type: str | None = None,
    ) -> Expectation:
        """Answer with *body* rendered from each request by Jinja2 (in its sandbox).

        The body and each header value are templates that read ``request``
        (``method``, ``path``, ``url``, ``query_string``, ``args``, ``headers``,
        ``cookies``, ``form``, ``json``, ``body``), ``path`` (the values of a path
        template such as ``/users/<int:id>``: ``path.id``) and ``now`` (UTC). Use
        ``| tojson`` inside JSON. Needs ``pip install "localserver[templates]"``.

        Args:
            body: The body template; sent as UTF-8.
            status: The status of every answer.
            headers: Header values that are templates too.
            content_type: The Content-Type; ``text/plain; charset=utf-8`` unless
                given here or in *headers*.

        Raises:
            TemplateError: A syntax error or a name the template cannot read
                (an unknown ``request.<field>`` or ``path.<name>``), with its line.
            MissingExtraError: Jinja2 is not installed.

        A template that fails for one request (a missing query parameter under
        strict rules) answers 500 naming the problem, and the checks report a
        :class:`~localserver.HandlerError`.
        """
        return self._answer(
            [TemplateResponder(body, status, headers, content_type, self.matcher.path)]
        )

    def respond_with_sequence(
        self, responses: Iterable[ResponseItem], when_exhausted: str = "repeat_last"
    ) -> Expectation:
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
        return self._answer(items)

    def respond_with_fault(self, fault: Fault | str) -> Expectation:
        """Answer with a network fault instead of a response (see :class:`Fault`)."""
        return self._answer([FaultResponder(Fault.check(fault))])

    def respond_with_raw(self, data: bytes) -> Expectation:
        """Send exactly *data* (status line, headers, body as you wish), then close."""
        if not isinstance(data, (bytes, bytearray)):
            raise TypeError(f"'data' must be bytes (got {type(data).__name__}: {data!r:.60})")
        return self._answer([FaultResponder(raw=bytes(data))])

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

    def with_post_hook(self, hook: PostHook) -> Expectation:
        """Pass each answer through ``hook(request, response)``, which returns the response.

        Hooks run in the order they were added (pytest-httpserver's hooks, such as
        ``localserver.compat.pytest_httpserver.hooks.Delay``, fit here).
        """
        if not callable(hook):
            raise TypeError(
                f"'hook' must be callable (request, response) -> response (got {hook!r})"
            )
        self.hooks.append(hook)
        return self

    def _answer(self, responders: list[Responder]) -> Expectation:
        self.responders = responders
        if self._on_ready is not None:
            on_ready, self._on_ready = self._on_ready, None
            on_ready(self)  # registered now: it can answer
        return self

    # -- state ------------------------------------------------------------------------

    @property
    def ready(self) -> bool:
        """Whether a response was set (only then does the expectation match requests)."""
        return bool(self.responders)

    @property
    def remaining(self) -> int | None:
        """How many more requests this expectation answers (``None`` when unlimited)."""
        return None if self.times is None else self.times - self.call_count

    def next_responder(self) -> Responder | None:
        """The responder for the next use; None once a sequence is exhausted.

        Called by the registry, under its lock, once per answered request.
        """
        index = self.call_count
        self.call_count += 1
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
        if self.scenario is not None:
            extras.append(self.scenario.describe())
        tail = "".join(f", {e}" for e in extras)
        return f"{name}({self.matcher.describe()}{tail})"

    def __repr__(self) -> str:
        used = f"{self.call_count}" + (f"/{self.times}" if self.times is not None else "")
        state = "" if self.ready else " (no response yet)"
        return f"<Expectation {self.describe()} used {used}{state}>"
