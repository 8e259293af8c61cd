"""The expectation style of ``HTTPServer`` (pytest-httpserver's API): register, answer, log.

The checks live in :mod:`._checks`; the matching fields in :mod:`._matchers`; the
failure texts in :mod:`._report`.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterable, Mapping
from typing import Any, Callable

from werkzeug.wrappers import Request, Response

from ._checks import (
    Checks,
    ExpectationError,
    NoHandlerError,
    OutOfOrderError,
    SequenceExhaustedError,
    UnmatchedRequestError,
)
from ._expectations import DEFAULT_PRIORITY, Expectation, HandlerType, Registry
from ._faults import Aborted, Cancellation, perform_fault
from ._journal import Journal, RecordedRequest
from ._matchers import METHOD_ALL, UNDEFINED, RequestMatcher
from ._report import miss_report
from ._responses import FaultResponder

__all__ = ["ExpectationStyle", "RequestLog"]


class RequestLog(Journal):
    """``(request, response)`` pairs, as pytest-httpserver's ``log``.

    Also callable and silent: werkzeug's environ builder reports TLS oddities
    through ``server.log(type, message)``, the name this list takes over.
    """

    def __call__(self, type: str, message: str, *args: Any) -> None:
        """Ignore werkzeug's log messages."""


class ExpectationStyle(Checks):
    """Expectations on ``HTTPServer``: mixed in, sharing the server's journal."""

    _journal: Journal
    _log: RequestLog
    _cancellation: Cancellation

    def _init_expectations(self) -> None:
        self._registry = Registry()
        self._log = RequestLog()
        self._failures = []
        self._handler_errors = []
        self._cancellation = Cancellation()

    @property
    def no_handler_status_code(self) -> int:
        raise NotImplementedError

    def _default_response(self, request: RecordedRequest) -> Response | None:
        raise NotImplementedError

    # -- registering ------------------------------------------------------------------

    def create_matcher(self, *args: Any, **kwargs: Any) -> RequestMatcher:
        """A :class:`RequestMatcher` from ``expect_request``'s matching arguments."""
        return RequestMatcher(*args, **kwargs)

    def expect(
        self,
        matcher: RequestMatcher,
        handler_type: HandlerType = HandlerType.PERMANENT,
        *,
        times: int | None = None,
        priority: int = DEFAULT_PRIORITY,
    ) -> Expectation:
        """Register an expectation for a ready-made :class:`RequestMatcher`."""
        if not isinstance(matcher, RequestMatcher):
            raise TypeError(f"'matcher' must be a RequestMatcher (got {matcher!r:.60})")
        if not isinstance(handler_type, HandlerType):
            raise TypeError(f"'handler_type' must be a HandlerType (got {handler_type!r})")
        return self._registry.add(Expectation(matcher, handler_type, times, priority))

    def expect_request(
        self,
        uri: Any,
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
        predicate: Callable[[Request], Any] | list[Callable[[Request], Any]] | None = None,
        times: int | None = None,
        priority: int = DEFAULT_PRIORITY,
    ) -> Expectation:
        """Expect requests like this one; answer them as the returned expectation says.

        Every argument left out accepts anything.

        Args:
            uri: The path: exact (``"/users"``), a template with named parts
                (``"/users/<int:id>"``, read them as ``request.path_params``), a
                compiled regex (``Pattern.match``) or an object with ``match(path)``.
                ``""`` accepts any path. A ``?`` is refused: use *query_string*.
            method: ``"GET"``, ``"POST"``...; any method by default.
            data: The body: str (encoded with *data_encoding*) or bytes to equal,
                or a compiled regex to search for.
            data_encoding: Encoding of a str *data* and of the body for *json*.
            headers: ``{name: value}``; names are case-insensitive; a value is a
                str to equal, a compiled regex to match in full, a callable
                returning True/False or ``(False, reason)``, or None for absent.
                ``Authorization`` values compare by scheme and credentials.
            query_string: str or bytes (``"a=1&b=2"``), or ``{name: value or
                [values]}``: the same names with the same values; the order of
                names does not matter.
            header_value_matcher: ``func(name, received, expected) -> bool`` used
                for str header values (pytest-httpserver).
            handler_type: :class:`HandlerType`; ``expect_oneshot_request`` and
                ``expect_ordered_request`` are shorter.
            json: The body parsed as JSON must equal this.
            json_ignore_extra_keys: Let objects in the body have keys *json* lacks.
            form: ``{field: value}`` form fields (urlencoded or multipart), values
                as for *headers* or a list of str; other fields may exist.
            files: ``{field: content or (filename, content)}`` multipart file parts.
            cookies: ``{name: value}`` with values as for *headers*.
            predicate: A callable (or a list) taking the request and returning
                True/False or ``(False, reason)``.
            times: Answer at most this many requests, then disappear.
            priority: Lower numbers win (1 is highest, default 5).

        Returns:
            The :class:`Expectation`: call ``respond_with_*`` on it.

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
        uri: Any,
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
        uri: Any,
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
        :class:`OutOfOrderError`.
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
        expectations = self._registry.snapshot()
        lines: list[str] = []
        for title, kind in (
            ("Ordered matchers:", HandlerType.ORDERED),
            ("Oneshot matchers:", HandlerType.ONESHOT),
            ("Persistent matchers:", HandlerType.PERMANENT),
        ):
            group = [e for e in expectations if e.kind is kind]
            lines.append(title)
            lines.extend(f"    {e!r}" for e in group)
            if not group:
                lines.append("    none")
            lines.append("")
        return "\n".join(lines[:-1])

    @property
    def log(self) -> RequestLog:
        """``(request, response)`` pairs in arrival order; response is None after a fault."""
        return self._log

    def _checkpoint(self) -> int:
        """A mark for :meth:`_rollback` (per-test isolation on a shared server)."""
        return self._registry.checkpoint()

    def _rollback(self, checkpoint: int) -> None:
        """Remove the expectations added since *checkpoint*; end their pending waits."""
        self._registry.rollback(checkpoint)

    # -- answering --------------------------------------------------------------------

    def _answer(
        self,
        environ: dict[str, Any],
        start_response: Callable[..., Any],
        request: RecordedRequest,
        cancel: Any,
    ) -> Iterable[bytes]:
        selection = self._registry.select(request)
        # Journaled after matching, so that a check reading the journal never parses
        # the request while the matchers do; and before any answer is sent.
        self._journal.append(request)
        exp = selection.expectation
        if exp is None:
            response = self._default_response(request)
            if response is None:
                response = self._unmatched(request)
        elif selection.out_of_order:
            response = self._out_of_order(request, exp)
        else:
            request.environ["localserver.path_params"] = exp.matcher.path_params(request)
            if exp.delay is not None and cancel.wait(exp.delay.sample()):
                self._log.append((request, None))
                raise Aborted("the server stopped or was cleared during a delay")
            built = self._build(request, exp, selection.responder)
            if isinstance(built, FaultResponder):
                self._log.append((request, None))
                perform_fault(environ["werkzeug.socket"], built.fault, built.raw, cancel)
            response = built
            if exp.slow_body is not None:
                body = response.get_data()
                headers = response.headers.copy()
                headers["Content-Length"] = str(len(body))
                response = Response(exp.slow_body.dribble(body, cancel), response.status, headers)
        self._log.append((request, response))
        return response(environ, start_response)

    def _build(
        self, request: RecordedRequest, exp: Expectation, responder: Any
    ) -> Response | FaultResponder:
        if responder is None:
            if not exp.responders:
                error: ExpectationError = NoHandlerError(
                    f"{exp.describe()} matched {request.method} {request.path} but has no "
                    "response: call respond_with_data(...), respond_with_json(...) or another "
                    "respond_with_* method on it.\n"
                )
            else:
                error = SequenceExhaustedError(
                    f"{exp.describe()} answered all {len(exp.responders)} responses of its "
                    f"sequence; request {exp.call_count} ({request.method} {request.path}) found "
                    "none left. Pass when_exhausted='repeat_last' to repeat the last one.\n"
                )
            self._record_failure(error)
            return Response(str(error), 500, mimetype="text/plain")
        try:
            built: Response | FaultResponder = responder.build(request)
        except AssertionError as exc:
            self._record_failure(exc)
            return _traceback_response()
        except Exception as exc:
            self._record_handler_error(exc)
            return _traceback_response()
        return built

    def _unmatched(self, request: RecordedRequest) -> Response:
        status = self.no_handler_status_code
        text = miss_report(request, self._registry.snapshot(), status)
        self._record_failure(UnmatchedRequestError(text))
        return Response(text, status, mimetype="text/plain")

    def _out_of_order(self, request: RecordedRequest, exp: Expectation) -> Response:
        status = self.no_handler_status_code
        head = self._registry.ordered_head()
        reason = (
            f"localserver: this request matched {exp.describe()}, but ordered expectations "
            f"are used in turn and the next one is not this (answered {status}):"
        )
        text = miss_report(request, [head] if head else [], status, reason)
        self._record_failure(OutOfOrderError(text))
        return Response(text, status, mimetype="text/plain")


def _traceback_response() -> Response:
    text = "localserver: the response handler raised:\n\n" + traceback.format_exc()
    return Response(text, 500, mimetype="text/plain")
