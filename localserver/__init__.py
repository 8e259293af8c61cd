"""Real HTTP, HTTPS and SMTP servers on loopback for tests, started in a millisecond."""

from __future__ import annotations

from ._content import Chunked
from ._errors import LocalServerError, ServerThreadError
from ._http import HTTPServer
from ._https import HTTPSServer
from ._journal import RecordedRequest
from ._mail import ReceivedMail
from ._smtp import SMTPServer
from ._tls import ClientCertificate, TestAuthority
from ._version import __version__
from ._wsgi import WSGIServer

__all__ = [
    "Chunked",
    "ClientCertificate",
    "HTTPSServer",
    "HTTPServer",
    "LocalServerError",
    "ReceivedMail",
    "RecordedRequest",
    "SMTPServer",
    "ServerThreadError",
    "TestAuthority",
    "WSGIServer",
    "__version__",
]
