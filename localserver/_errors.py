"""Every exception localserver raises on purpose, in one place.

The hierarchy::

    LocalServerError                       anything localserver raises on purpose
    ├── ServerThreadError (RuntimeError)   a server thread failed; raised by stop() and friends
    ├── MissingExtraError (ImportError)    a feature needs an optional extra not installed
    ├── TemplateError (ValueError)         a response template refused at registration
    ├── TemplateRenderError                a response template failed for one request
    ├── RecordingFormatError (ValueError)  a HAR file or VCR.py cassette cannot be read
    └── CheckError (AssertionError)        a check of a server found a problem
        ├── ExpectationError               a check of an HTTP server's requests
        │   ├── UnmatchedRequestError      a request nothing answered
        │   ├── OutOfOrderError            an ordered expectation used before its turn
        │   ├── NoHandlerError             an expectation without a response
        │   ├── SequenceExhaustedError     a response sequence ran out
        │   ├── HandlerError               a responder, matcher or template raised
        │   ├── RequestCountError          assert_request_made counted otherwise
        │   ├── RequestOrderError          assert_requests_in_order found another order
        │   ├── ClientCertificateError     assert_client_cert_presented found none
        │   ├── ProtocolMismatchError      TLS to a plain port or plain HTTP to TLS
        │   ├── ProtocolViolationError     a request the server refused (413, 408, ...)
        │   ├── UpstreamError              the proxy could not get the upstream's answer
        │   └── UnmetExpectationError      oneshot/ordered/times= expectations left unused
        └── MailAssertionError             a check of an SMTP server's outbox

    LenientModeWarning (UserWarning)       lenient mode let a test pass that strict mode fails

Every check failure is an ``AssertionError``, raised explicitly (never through the
``assert`` statement, which ``python -O`` removes), so test runners report it as a
failure, not an error.
"""

from __future__ import annotations

from ._public import public

__all__ = [
    "CheckError",
    "ClientCertificateError",
    "ExpectationError",
    "HandlerError",
    "LenientModeWarning",
    "LocalServerError",
    "MailAssertionError",
    "MissingExtraError",
    "NoHandlerError",
    "OutOfOrderError",
    "ProtocolMismatchError",
    "ProtocolViolationError",
    "RecordingFormatError",
    "RequestCountError",
    "RequestOrderError",
    "SequenceExhaustedError",
    "ServerThreadError",
    "TemplateError",
    "TemplateRenderError",
    "UnmatchedRequestError",
    "UnmetExpectationError",
    "UpstreamError",
]


@public
class LocalServerError(Exception):
    """Base class of every exception localserver raises on purpose."""


@public
class ServerThreadError(LocalServerError, RuntimeError):
    """A server thread failed with an unexpected exception.

    The original exception is the ``__cause__``. It is raised on the caller's
    thread by ``stop()`` or by the next call that checks for it, so a failure in
    the background is never lost.
    """


@public
class MissingExtraError(LocalServerError, ImportError):
    """A feature needs an optional dependency that is not installed.

    The message names the feature, the missing module and the ``pip install``
    command that brings it (``pip install "localserver[templates]"``).
    """


@public
class TemplateError(LocalServerError, ValueError):
    """A response template cannot be used as written (found at registration).

    Raised by :meth:`~localserver.Expectation.respond_with_template` for a syntax
    error or a name the template cannot read; the message names the template,
    the line and what to write instead.

    Attributes:
        where: Which template: ``"body"`` or ``"header 'X-Id'"``.
        line: The line of that template (1-based), or ``None``.
    """

    def __init__(self, message: str, *, where: str, line: int | None) -> None:
        super().__init__(message)
        self.where = where
        self.line = line


@public
class TemplateRenderError(LocalServerError):
    """Rendering a response template for one request failed.

    ``str(error)`` is one line that says which template, which line and why,
    e.g. ``body template, line 2: path has no 'idd' (it has id)``. The client
    got a 500 with that line, and the checks report a :class:`HandlerError`
    whose ``__cause__`` is this error (whose own ``__cause__`` is Jinja2's).

    Attributes:
        where: ``"body"`` or ``"header 'X-Id'"``.
        line: The template line (1-based), or ``None`` when unknown.
        explanation: The one-line text (also ``str(error)``).
    """

    def __init__(self, explanation: str, *, where: str, line: int | None) -> None:
        super().__init__(explanation)
        self.explanation = explanation
        self.where = where
        self.line = line


@public
class RecordingFormatError(LocalServerError, ValueError):
    """A recording (HAR file, VCR.py cassette) cannot be read.

    The message names the file, where in it the problem is
    (``entries[3].response.status``) and what was found there.

    Attributes:
        path: The file.
        where: The place in the file, or ``""`` for the file as a whole.
    """

    def __init__(self, path: str, where: str, problem: str) -> None:
        self.path = path
        self.where = where
        at = f" at {where}" if where else ""
        super().__init__(f"{path}{at}: {problem}")


@public
class CheckError(LocalServerError, AssertionError):
    """A check of a server found a problem; the message says what, in full."""


@public
class ExpectationError(CheckError):
    """A check of an HTTP server's requests failed; the message says why in full."""


@public
class UnmatchedRequestError(ExpectationError):
    """A request matched no expectation and no default response was set."""


@public
class OutOfOrderError(ExpectationError):
    """A request matched an ordered expectation that was not the next one."""


@public
class NoHandlerError(ExpectationError):
    """A request matched an expectation that was never told how to respond."""


@public
class SequenceExhaustedError(ExpectationError):
    """A response sequence set to ``when_exhausted="error"`` ran out."""


@public
class HandlerError(ExpectationError):
    """A response handler, matcher, template or body parser raised while answering.

    The client got a 500 naming the problem; the original exception is the
    ``__cause__``.
    """


@public
class RequestCountError(ExpectationError):
    """``assert_request_made`` found a different number of matching requests."""


@public
class RequestOrderError(ExpectationError):
    """``assert_requests_in_order`` did not find the requests in that order."""


@public
class ClientCertificateError(ExpectationError):
    """``assert_client_cert_presented`` found no request with that client certificate."""


@public
class ProtocolMismatchError(ExpectationError):
    """A client spoke TLS to a plain HTTP server, or plain HTTP to an HTTPS one."""


@public
class ProtocolViolationError(ExpectationError):
    """The server refused a request it could not take (too large, too slow, malformed)."""


@public
class UpstreamError(ExpectationError):
    """The proxy (``proxy_to``) could not get the upstream's answer.

    The upstream refused the connection, could not be reached, failed the TLS
    handshake, did not answer as HTTP, or did not answer in time. The client got
    :attr:`status` with :attr:`text` as the body (or, when the upstream's body
    broke off, a connection cut short), and the checks report this error.

    Attributes:
        status: The status the client got: 502, or 504 for a timeout.
        kind: ``"refused"``, ``"unreachable"``, ``"tls"``, ``"bad-response"`` or
            ``"timeout"``.
        upstream: The upstream's address, ``"https://127.0.0.1:8443"``.
        explanation: What happened and what to check, one line.
        text: The body the client got: ``"502 Bad Gateway: "`` and the explanation.
    """

    def __init__(self, kind: str, upstream: str, explanation: str) -> None:
        self.kind = kind
        self.status = 504 if kind == "timeout" else 502
        self.upstream = upstream
        self.explanation = explanation
        reason = "Gateway Timeout" if self.status == 504 else "Bad Gateway"
        self.text = f"{self.status} {reason}: {explanation}"
        super().__init__(self.text)


@public
class UnmetExpectationError(ExpectationError):
    """Oneshot, ordered or ``times=`` expectations were not all used (or ``wait`` timed out)."""


@public
class MailAssertionError(CheckError):
    """A check of an SMTP server's outbox failed; the message lists what arrived."""


class LenientModeWarning(UserWarning):
    """Lenient mode (``strict=False``) let a test pass that strict mode would fail.

    The unittest mixins warn with it once per such test, naming what strict mode
    would report (unexpected requests, unused oneshot or ordered expectations),
    so the run's output shows what remains to tighten. Filter it like any
    warning, e.g. ``warnings.simplefilter("ignore", LenientModeWarning)``.
    """
