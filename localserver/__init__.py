"""Real HTTP, HTTPS and SMTP servers on loopback for tests, started in a millisecond."""

from __future__ import annotations

from ._content import Chunked
from ._errors import LocalServerError, ServerThreadError
from ._http import HTTPServer
from ._journal import RecordedRequest
from ._version import __version__
from ._wsgi import WSGIServer

__all__ = [
    "Chunked",
    "HTTPServer",
    "LocalServerError",
    "RecordedRequest",
    "ServerThreadError",
    "WSGIServer",
    "__version__",
]
