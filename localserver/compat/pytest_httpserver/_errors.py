"""pytest-httpserver's exceptions, as localserver's.

``Error`` is :class:`localserver.LocalServerError` and ``NoHandlerError`` is
:class:`localserver.NoHandlerError`; the two that localserver has no reason for
are thin subclasses.
"""

from __future__ import annotations

from ... import LocalServerError, NoHandlerError

__all__ = [
    "Error",
    "HTTPServerError",
    "NoHandlerError",
    "NoMethodFoundForMatchingHeaderValueError",
]

#: The base of every exception localserver raises on purpose.
Error = LocalServerError


class HTTPServerError(LocalServerError, RuntimeError):
    """The server cannot do that now: start it twice, stop it when it is not running."""


class NoMethodFoundForMatchingHeaderValueError(LocalServerError, KeyError):
    """A ``HeaderValueMatcher`` has no comparison for a header it was asked about."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""
