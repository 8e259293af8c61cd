"""pytest-httpserver's public API over localserver: rename ``pytest_httpserver`` to this.

``from localserver.compat.pytest_httpserver import HTTPServer`` gives the server
pytest-httpserver users know, built on :class:`localserver.HTTPServer`; the
fixtures are in :mod:`.pytest_plugin`. See :mod:`localserver.compat` for the rules.
"""

from __future__ import annotations

from ... import HandlerType
from .._absent import absent_names
from . import _errors, _handler, _matching, _waiting
from ._errors import Error, HTTPServerError, NoHandlerError
from ._handler import RequestHandler
from ._matching import (
    METHOD_ALL,
    URI_DEFAULT,
    HeaderValueMatcher,
    RequestMatcher,
    RequestMatcherKwargs,
    URIPattern,
)
from ._names import NOT_OFFERED
from ._server import HTTPServer
from ._waiting import WaitingSettings
from .bake import BakedHTTPServer
from .blocking_httpserver import BlockingHTTPServer, BlockingRequestHandler

__all__ = [
    "METHOD_ALL",
    "URI_DEFAULT",
    "BakedHTTPServer",
    "BlockingHTTPServer",
    "BlockingRequestHandler",
    "Error",
    "HTTPServer",
    "HTTPServerError",
    "HandlerType",
    "HeaderValueMatcher",
    "NoHandlerError",
    "RequestHandler",
    "RequestMatcher",
    "RequestMatcherKwargs",
    "URIPattern",
    "WaitingSettings",
]

# Reports, tracebacks and the docs name the public module, not the private one:
# the package for the names it offers, httpserver for those only that module offers.
for _name in (
    "HTTPServerError",
    "RequestHandler",
    "HeaderValueMatcher",
    "RequestMatcher",
    "RequestMatcherKwargs",
    "URIPattern",
    "HTTPServer",
    "WaitingSettings",
):
    globals()[_name].__module__ = __name__
for _cls in (
    _matching.BooleanQueryMatcher,
    _matching.MappingQueryMatcher,
    _matching.QueryMatcher,
    _matching.StringQueryMatcher,
    _errors.NoMethodFoundForMatchingHeaderValueError,
    _handler.RequestHandlerList,
    _waiting.Waiting,
):
    _cls.__module__ = f"{__name__}.httpserver"
del _name, _cls

__getattr__ = absent_names(__name__, NOT_OFFERED[""])
