"""Exceptions raised by localserver."""

from __future__ import annotations

__all__ = ["LocalServerError", "ServerThreadError"]


class LocalServerError(Exception):
    """Base class of every exception localserver raises on purpose."""


class ServerThreadError(LocalServerError, RuntimeError):
    """A server thread failed with an unexpected exception.

    The original exception is the ``__cause__``. It is raised on the caller's
    thread by ``stop()`` or by the next call that checks for it, so a failure in
    the background is never lost.
    """
