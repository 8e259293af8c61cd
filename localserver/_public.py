"""``@public``: a class of the public API says it is ``localserver.Name``.

Public classes live in private modules; reports, tracebacks, ``repr`` and pickles
should name them as users import them (``localserver.HTTPServer``), whether or not
the package's lazy loader has handed them out yet.
"""

from __future__ import annotations

from typing import TypeVar

__all__ = ["public"]

_C = TypeVar("_C", bound=type)


def public(cls: _C) -> _C:
    """Mark *cls* as ``localserver.<its name>``."""
    cls.__module__ = "localserver"
    return cls
