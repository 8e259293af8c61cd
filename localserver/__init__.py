"""Real HTTP, HTTPS and SMTP servers on loopback for tests, started in a millisecond."""

from __future__ import annotations

from ._checks import (
    ExpectationError,
    NoHandlerError,
    OutOfOrderError,
    ProtocolMismatchError,
    RequestCountError,
    SequenceExhaustedError,
    UnmatchedRequestError,
    UnmetExpectationError,
)
from ._content import Chunked
from ._errors import LocalServerError, ServerThreadError
from ._expectations import Expectation, HandlerType
from ._faults import Delay, Fault
from ._http import HTTPServer
from ._https import HTTPSServer
from ._journal import RecordedRequest
from ._mail import ReceivedMail
from ._matchers import RequestMatcher
from ._mixin_base import without_server_checks
from ._mixins import HTTPServerMixin, HTTPSServerMixin, SMTPServerMixin
from ._smtp import SMTPServer
from ._tls import ClientCertificate, TestAuthority
from ._version import __version__
from ._wsgi import WSGIServer

__all__ = [
    "Chunked",
    "ClientCertificate",
    "HTTPSServer",
    "HTTPSServerMixin",
    "Delay",
    "Expectation",
    "ExpectationError",
    "Fault",
    "HTTPServer",
    "HTTPServerMixin",
    "HandlerType",
    "LocalServerError",
    "NoHandlerError",
    "OutOfOrderError",
    "ProtocolMismatchError",
    "RecordedRequest",
    "RequestCountError",
    "RequestMatcher",
    "SequenceExhaustedError",
    "ReceivedMail",
    "SMTPServer",
    "SMTPServerMixin",
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
