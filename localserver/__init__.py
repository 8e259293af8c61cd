"""Real HTTP, HTTPS and SMTP servers on loopback for tests, started in a millisecond."""

from __future__ import annotations

from ._content import Chunked
from ._errors import (
    CheckError,
    ClientCertificateError,
    ExpectationError,
    HandlerError,
    LenientModeWarning,
    LocalServerError,
    MailAssertionError,
    NoHandlerError,
    OutOfOrderError,
    ProtocolMismatchError,
    ProtocolViolationError,
    RequestCountError,
    RequestOrderError,
    SequenceExhaustedError,
    ServerThreadError,
    UnmatchedRequestError,
    UnmetExpectationError,
)
from ._expectation import Expectation, HandlerType
from ._faults import Delay, Fault
from ._http import HTTPServer
from ._https import HTTPSServer
from ._mail import ReceivedMail
from ._matching import RequestMatcher
from ._recorded import RecordedRequest
from ._smtp import SMTPServer
from ._tls import ClientCertificate, TestAuthority
from ._unittest import HTTPServerMixin, HTTPSServerMixin, SMTPServerMixin, without_server_checks
from ._version import __version__
from ._wsgi import WSGIServer

__all__ = [
    "CheckError",
    "Chunked",
    "ClientCertificate",
    "ClientCertificateError",
    "Delay",
    "Expectation",
    "ExpectationError",
    "Fault",
    "HTTPSServer",
    "HTTPSServerMixin",
    "HTTPServer",
    "HTTPServerMixin",
    "HandlerError",
    "HandlerType",
    "LenientModeWarning",
    "LocalServerError",
    "MailAssertionError",
    "NoHandlerError",
    "OutOfOrderError",
    "ProtocolMismatchError",
    "ProtocolViolationError",
    "ReceivedMail",
    "RecordedRequest",
    "RequestCountError",
    "RequestMatcher",
    "RequestOrderError",
    "SMTPServer",
    "SMTPServerMixin",
    "SequenceExhaustedError",
    "ServerThreadError",
    "TestAuthority",
    "UnmatchedRequestError",
    "UnmetExpectationError",
    "WSGIServer",
    "__version__",
    "without_server_checks",
]

# Reports and tracebacks name the public path (localserver.UnmatchedRequestError),
# not the private module a class happens to live in.
for _name in __all__:
    _obj = globals()[_name]
    if isinstance(_obj, type):
        _obj.__module__ = __name__
del _name, _obj
