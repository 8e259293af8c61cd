"""``pytest_httpserver.httpserver``: the server, its handlers, matchers and errors.

Every name is localserver's object or a thin adapter over it; see
:mod:`localserver.compat`.
"""

from __future__ import annotations

from ... import HandlerType
from .._absent import absent_names
from ._errors import (
    Error,
    HTTPServerError,
    NoHandlerError,
    NoMethodFoundForMatchingHeaderValueError,
)
from ._handler import RequestHandler, RequestHandlerList
from ._matching import (
    METHOD_ALL,
    UNDEFINED,
    URI_DEFAULT,
    BooleanQueryMatcher,
    HeaderValueMatcher,
    MappingQueryMatcher,
    QueryMatcher,
    RequestMatcher,
    RequestMatcherKwargs,
    StringQueryMatcher,
    URIPattern,
)
from ._names import NOT_OFFERED
from ._server import HTTPServer
from ._waiting import Waiting, WaitingSettings

__all__ = [
    "METHOD_ALL",
    "UNDEFINED",
    "URI_DEFAULT",
    "BooleanQueryMatcher",
    "Error",
    "HTTPServer",
    "HTTPServerError",
    "HandlerType",
    "HeaderValueMatcher",
    "MappingQueryMatcher",
    "NoHandlerError",
    "NoMethodFoundForMatchingHeaderValueError",
    "QueryMatcher",
    "RequestHandler",
    "RequestHandlerList",
    "RequestMatcher",
    "RequestMatcherKwargs",
    "StringQueryMatcher",
    "URIPattern",
    "Waiting",
    "WaitingSettings",
]

__getattr__ = absent_names(__name__, NOT_OFFERED["httpserver"])
