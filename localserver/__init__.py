"""Real HTTP, HTTPS and SMTP servers on loopback for tests, started in a millisecond.

The public names are loaded when first used (PEP 562): ``from localserver import
HTTPServer`` imports the HTTP server and what it needs, not the SMTP server, the
unittest mixins or the e-mail package, so a test run pays only for what it uses.
"""

from __future__ import annotations

import importlib as _importlib
import typing as _typing

from ._version import __version__

if _typing.TYPE_CHECKING:
    from ._content import Chunked
    from ._errors import (
        CheckError,
        ClientCertificateError,
        ExpectationError,
        HandlerError,
        LenientModeWarning,
        LocalServerError,
        MailAssertionError,
        MissingExtraError,
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
    from ._matching import RequestMatcher
    from ._recorded import RecordedRequest
    from ._smtp.mail import ReceivedMail
    from ._smtp.server import SMTPServer
    from ._tls import ClientCertificate, TestAuthority
    from ._unittest import (
        HTTPServerMixin,
        HTTPSServerMixin,
        SMTPServerMixin,
        without_server_checks,
    )
    from ._wsgi import WSGIServer

# Each public name, and the private module that defines it.
_WHERE = {
    "Chunked": "._content",
    "CheckError": "._errors",
    "ClientCertificateError": "._errors",
    "ExpectationError": "._errors",
    "HandlerError": "._errors",
    "LenientModeWarning": "._errors",
    "LocalServerError": "._errors",
    "MailAssertionError": "._errors",
    "NoHandlerError": "._errors",
    "OutOfOrderError": "._errors",
    "ProtocolMismatchError": "._errors",
    "ProtocolViolationError": "._errors",
    "RequestCountError": "._errors",
    "RequestOrderError": "._errors",
    "SequenceExhaustedError": "._errors",
    "ServerThreadError": "._errors",
    "UnmatchedRequestError": "._errors",
    "UnmetExpectationError": "._errors",
    "UpstreamError": "._errors",
    "TemplateRenderError": "._errors",
    "TemplateError": "._errors",
    "RecordingFormatError": "._errors",
    "MissingExtraError": "._errors",
    "Expectation": "._expectation",
    "HandlerType": "._expectation",
    "Delay": "._faults",
    "Fault": "._faults",
    "HTTPServer": "._http",
    "HTTPSServer": "._https",
    "ReceivedMail": "._smtp.mail",
    "RequestMatcher": "._matching",
    "RecordedRequest": "._recorded",
    "SMTPServer": "._smtp.server",
    "ClientCertificate": "._tls",
    "TestAuthority": "._tls",
    "HTTPServerMixin": "._unittest",
    "HTTPSServerMixin": "._unittest",
    "SMTPServerMixin": "._unittest",
    "without_server_checks": "._unittest",
    "WSGIServer": "._wsgi",
}

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
    "MissingExtraError",
    "NoHandlerError",
    "OutOfOrderError",
    "ProtocolMismatchError",
    "ProtocolViolationError",
    "ReceivedMail",
    "RecordedRequest",
    "RecordingFormatError",
    "RequestCountError",
    "RequestMatcher",
    "RequestOrderError",
    "SMTPServer",
    "SMTPServerMixin",
    "SequenceExhaustedError",
    "ServerThreadError",
    "TemplateError",
    "TemplateRenderError",
    "TestAuthority",
    "UnmatchedRequestError",
    "UnmetExpectationError",
    "UpstreamError",
    "WSGIServer",
    "__version__",
    "without_server_checks",
]


def __getattr__(name: str) -> _typing.Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'localserver' has no attribute {name!r}")
    value = getattr(_importlib.import_module(module, __name__), name)
    if isinstance(value, type):
        # Reports and tracebacks name the public path (localserver.HTTPServer),
        # not the private module the class happens to live in.
        value.__module__ = __name__
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
