"""The dispatcher: one HTTP request from its arrival to its answer.

Read this module top to bottom to follow a request through an ``HTTPServer``:

1. read the body (kept, or dropped as it arrives with ``store_request_data=False``);
2. record the request in the journal, always, whatever happens next;
3. ask the registry for the expectation that answers it;
4. answer: the expectation's responder (after its delay, through its hooks), or the
   upstream's answer when ``proxy_to`` set one, or the default response, or
   ``no_handler_status_code`` with a report of the closest expectations;
5. note in the checks what went wrong (a miss, a request out of order, a matcher or
   handler that raised), so that the test that caused it fails;
6. log the exchange (pytest-httpserver's ``log``).

Whatever a matcher, a responder or a report raises, the request stays recorded, the
failure is reported by the checks, and the client gets a 500 that names the problem.
"""

from __future__ import annotations

import threading
import traceback

from werkzeug.datastructures import Headers
from werkzeug.wrappers import Request, Response

from ._checks import ServingChecks
from ._content import DefaultResponse
from ._errors import (
    ExpectationError,
    HandlerError,
    NoHandlerError,
    OutOfOrderError,
    SequenceExhaustedError,
    TemplateRenderError,
    UnmatchedRequestError,
)
from ._expectation import Expectation
from ._faults import Aborted, Cancellation, perform_fault
from ._forwarding import ProxyRule
from ._http1.head import ProtocolError
from ._http1.request import Http1Request
from ._http1.writer import Reply
from ._journal import Journal
from ._recorded import RecordedRequest, set_path_params
from ._recorded import record as recorded
from ._registry import MatchError, Registry, Selection
from ._report import format_request, miss_report, request_line
from ._responders import FaultResponder, Responder, reason_of, reply_from_response

__all__ = ["Dispatcher", "log_view"]

# A handler still running when the server stopped (or the test ended) may return
# after stop() gave up waiting for it, or after the next test began: what it
# returns or raises then is dropped, never written to the connection stop() shut
# down, never recorded in the checks of a later run or test.
_LATE = "the server stopped or was cleared while the handler ran"


class Dispatcher:
    """Answers each request of an ``HTTPServer`` (the connection layer's application)."""

    def __init__(
        self,
        *,
        registry: Registry,
        journal: Journal[RecordedRequest],
        log: Journal[tuple[RecordedRequest, Response | None]],  # entries: (record, Reply)
        default: DefaultResponse,
        checks: ServingChecks,
        cancellation: Cancellation,
        proxy: ProxyRule,
    ) -> None:
        self._registry = registry
        self._journal = journal
        self._log = log
        self._default = default
        self._checks = checks
        self._cancellation = cancellation
        self._proxy = proxy

    def __call__(self, request: Http1Request) -> Reply:
        cancel = self._cancellation.current()
        keep = self._default.store_request_data
        proxy = self._proxy.setting
        # A body the server does not keep streams to the upstream as it arrives,
        # should the request be forwarded; else it is dropped once matched.
        body = request.reader.read(-1) if keep else (b"" if proxy else _discard(request))
        record = recorded(request.head, body, request.connection, stored=keep)
        try:
            selection = self._registry.select(record)
        except MatchError as error:
            self._journal.append(record)
            if proxy and not keep:
                _discard(request)
            what = f"matching it against {error.expectation.describe()} raised {error}"
            return self._logged(record, self._broken(record, what, error.error))
        self._journal.append(record)
        exp = selection.expectation
        if proxy and not keep and exp is not None:
            _discard(request)
        try:
            if exp is None and proxy:
                source = None if keep else Request(request.environ())
                reply = self._proxy.reply(proxy, record, source)
            elif exp is None:
                reply = self._default.reply(record) or self._unmatched(record, selection)
            elif selection.out_of_order:
                reply = self._out_of_order(record, exp, selection)
            else:
                reply = self._respond(record, exp, selection.responder, request, cancel)
        except (ConnectionError, ProtocolError):  # a fault, a stop, a client gone or refused
            self._log.append((record, None))
            raise
        except Exception as exc:  # a report or a default response that broke
            reply = self._broken(record, f"answering it raised {type(exc).__name__}: {exc}", exc)
        return self._logged(record, reply)

    def _logged(self, record: RecordedRequest, reply: Reply) -> Reply:
        self._log.append((record, reply))
        return reply

    # -- the answers ------------------------------------------------------------------

    def _respond(
        self,
        record: RecordedRequest,
        exp: Expectation,
        responder: Responder | None,
        request: Http1Request,
        cancel: threading.Event,
    ) -> Reply:
        set_path_params(record, exp.matcher.path_params(record))
        if exp.delay is not None and cancel.wait(exp.delay.sample()):
            raise Aborted("the server stopped or was cleared during a delay")
        if responder is None:
            return self._no_response(record, exp)
        try:
            answer = responder.answer(record)
            if isinstance(answer, FaultResponder):
                self._log.append((record, None))
                perform_fault(request.connection.sock, answer.fault, answer.raw, cancel)
            reply = answer
            if exp.hooks:
                reply = _run_hooks(record, reply, exp)
        except Aborted:
            raise
        except TemplateRenderError as exc:
            if cancel.is_set():
                raise Aborted(_LATE) from exc
            text = f"localserver: the response template for {request_line(record)} failed: {exc}\n"
            error = HandlerError(text)
            error.__cause__ = exc
            self._checks.record_failure(error)
            return _text_reply(500, text)
        except Exception as exc:
            if cancel.is_set():
                raise Aborted(_LATE) from exc
            if isinstance(exc, AssertionError):  # a handler's own check failed
                self._checks.record_failure(exc)
            else:
                self._checks.record_handler_error(exc)
            return _traceback_reply()
        if cancel.is_set():
            raise Aborted(_LATE)
        if exp.slow_body is not None:
            body = _body_bytes(reply)
            headers = [
                (k, v)
                for k, v in reply.headers
                if k.lower() not in ("content-length", "transfer-encoding")
            ]
            headers.append(("Content-Length", str(len(body))))
            dribble = exp.slow_body.dribble(body, cancel)
            reply = Reply(reply.status, reply.reason, headers, dribble)
        return reply

    def _no_response(self, record: RecordedRequest, exp: Expectation) -> Reply:
        error = SequenceExhaustedError(
            f"{exp.describe()} answered all {len(exp.responders)} responses of its "
            f"sequence; request {exp.call_count} ({record.method} {record.path}) found "
            "none left. Pass when_exhausted='repeat_last' to repeat the last one.\n"
        )
        self._checks.record_failure(error)
        return _text_reply(500, str(error))

    def _unmatched(self, record: RecordedRequest, selection: Selection) -> Reply:
        status = self._default.no_handler_status_code
        waiting = [e for e in self._registry.drafts() if e.matcher.match(record)]
        if waiting:
            exp = waiting[0]
            error: ExpectationError = NoHandlerError(
                f"{exp.describe()} matched {record.method} {record.path} but has no "
                "response: call respond_with_data(...), respond_with_json(...) or another "
                "respond_with_* method on it (it matches requests only from then on).\n"
            )
            text = str(error)
        else:
            snapshot = self._registry.expectations()
            text = miss_report(record, snapshot, status, states=selection.states)
            error = UnmatchedRequestError(text)
        error.summary = f"unexpected {format_request(record, '')[0]}"  # type: ignore[attr-defined]
        self._checks.record_failure(error)
        return _text_reply(status, text)

    def _out_of_order(
        self, record: RecordedRequest, exp: Expectation, selection: Selection
    ) -> Reply:
        status = self._default.no_handler_status_code
        head = self._registry.ordered_head()
        reason = (
            f"localserver: this request matched {exp.describe()}, but ordered expectations "
            f"are used in turn and the next one is not this (answered {status}):"
        )
        text = miss_report(record, [head] if head else [], status, reason, selection.states)
        error = OutOfOrderError(text)
        error.summary = f"out of order {format_request(record, '')[0]}"  # type: ignore[attr-defined]
        self._checks.record_failure(error)
        return _text_reply(status, text)

    def _broken(self, record: RecordedRequest, what: str, cause: BaseException) -> Reply:
        text = f"localserver: {record.method} {record.path} was recorded, but {what}\n"
        error = HandlerError(text)
        error.__cause__ = cause
        self._checks.record_failure(error)
        trace = traceback.format_exception(type(cause), cause, cause.__traceback__)
        return _text_reply(500, text + "\n" + "".join(trace))


def _discard(request: Http1Request) -> bytes:
    """Read the body and drop it as it arrives (``store_request_data=False``)."""
    reader = request.reader
    while reader.read(64 * 1024):
        pass
    return b""


def _text_reply(status: int, text: str) -> Reply:
    body = text.encode("utf-8", "replace")
    headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]
    return Reply(status, reason_of(status), headers, body)


def _traceback_reply() -> Reply:
    return _text_reply(
        500, "localserver: the response handler raised:\n\n" + traceback.format_exc()
    )


def _body_bytes(reply: Reply) -> bytes:
    body = reply.body
    if isinstance(body, bytes):
        return body
    return b"".join(body)


def log_view(
    entry: tuple[RecordedRequest, Reply | None],
) -> tuple[RecordedRequest, Response | None]:
    """A log entry as pytest-httpserver's ``log`` shows it: a werkzeug ``Response``.

    A body that was streamed (a slow body, a handler's generator) is not kept.
    """
    record, reply = entry
    if reply is None:
        return record, None
    body = reply.body
    if isinstance(body, (bytes, list, tuple)):
        response = Response(body if isinstance(body, bytes) else b"".join(body))
    else:  # streamed as it was sent: not kept
        response = Response(iter(()))
    response.headers = Headers(reply.headers)
    response.status = f"{reply.status} {reply.reason}".rstrip()
    return record, response


def _run_hooks(record: RecordedRequest, reply: Reply, exp: Expectation) -> Reply:
    response = Response(_body_bytes(reply), reply.status, reply.headers)
    for hook in exp.hooks:
        response = hook(record, response)
    return reply_from_response(response, record.environ)
