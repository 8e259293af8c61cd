"""Every exception localserver raises on purpose, in one place.

The hierarchy::

    LocalServerError                       anything localserver raises on purpose
    ├── ServerThreadError (RuntimeError)   a server thread failed; raised by stop() and friends
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
        │   └── UnmetExpectationError      oneshot/ordered/times= expectations left unused
        └── MailAssertionError             a check of an SMTP server's outbox

    LenientModeWarning (UserWarning)       lenient mode let a test pass that strict mode fails

Every check failure is an ``AssertionError``, raised explicitly (never through the
``assert`` statement, which ``python -O`` removes), so test runners report it as a
failure, not an error.
"""

from __future__ import annotations

__all__ = [
    "CheckError",
    "ClientCertificateError",
    "ExpectationError",
    "HandlerError",
    "LenientModeWarning",
    "LocalServerError",
    "MailAssertionError",
    "NoHandlerError",
    "OutOfOrderError",
    "ProtocolMismatchError",
    "ProtocolViolationError",
    "RequestCountError",
    "RequestOrderError",
    "SequenceExhaustedError",
    "ServerThreadError",
    "UnmatchedRequestError",
    "UnmetExpectationError",
]


class LocalServerError(Exception):
    """Base class of every exception localserver raises on purpose."""


class ServerThreadError(LocalServerError, RuntimeError):
    """A server thread failed with an unexpected exception.

    The original exception is the ``__cause__``. It is raised on the caller's
    thread by ``stop()`` or by the next call that checks for it, so a failure in
    the background is never lost.
    """


class CheckError(LocalServerError, AssertionError):
    """A check of a server found a problem; the message says what, in full."""


class ExpectationError(CheckError):
    """A check of an HTTP server's requests failed; the message says why in full."""


class UnmatchedRequestError(ExpectationError):
    """A request matched no expectation and no default response was set."""


class OutOfOrderError(ExpectationError):
    """A request matched an ordered expectation that was not the next one."""


class NoHandlerError(ExpectationError):
    """A request matched an expectation that was never told how to respond."""


class SequenceExhaustedError(ExpectationError):
    """A response sequence set to ``when_exhausted="error"`` ran out."""


class HandlerError(ExpectationError):
    """A response handler, matcher, template or body parser raised while answering.

    The client got a 500 naming the problem; the original exception is the
    ``__cause__``.
    """


class RequestCountError(ExpectationError):
    """``assert_request_made`` found a different number of matching requests."""


class RequestOrderError(ExpectationError):
    """``assert_requests_in_order`` did not find the requests in that order."""


class ClientCertificateError(ExpectationError):
    """``assert_client_cert_presented`` found no request with that client certificate."""


class ProtocolMismatchError(ExpectationError):
    """A client spoke TLS to a plain HTTP server, or plain HTTP to an HTTPS one."""


class ProtocolViolationError(ExpectationError):
    """The server refused a request it could not take (too large, too slow, malformed)."""


class UnmetExpectationError(ExpectationError):
    """Oneshot, ordered or ``times=`` expectations were not all used (or ``wait`` timed out)."""


class MailAssertionError(CheckError):
    """A check of an SMTP server's outbox failed; the message lists what arrived."""


class LenientModeWarning(UserWarning):
    """Lenient mode (``strict=False``) let a test pass that strict mode would fail.

    The unittest mixins warn with it once per such test, naming what strict mode
    would report (unexpected requests, unused oneshot or ordered expectations),
    so the run's output shows what remains to tighten. Filter it like any
    warning, e.g. ``warnings.simplefilter("ignore", LenientModeWarning)``.
    """
