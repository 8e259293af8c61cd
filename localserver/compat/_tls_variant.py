"""A peer's server class that serves HTTPS when given an ``ssl_context``.

The peers choose HTTP or HTTPS with one constructor argument; localserver has two
classes. ``with_tls(cls)`` is *cls* combined with :class:`localserver.HTTPSServer`
(made once per class), so ``HTTPServer(ssl_context=ctx)`` is still an instance
of the peer's class, and of ``HTTPSServer``.
"""

from __future__ import annotations

import threading
from typing import TypeVar, cast

from .. import HTTPSServer

__all__ = ["with_tls"]

_C = TypeVar("_C", bound=type)
_variants: dict[type, type] = {}
_lock = threading.Lock()


def with_tls(cls: _C) -> _C:
    """*cls* with HTTPS: a subclass of *cls* and of ``HTTPSServer``, of the same name."""
    if issubclass(cls, HTTPSServer):
        return cls
    with _lock:
        variant = _variants.get(cls)
        if variant is None:
            namespace = {
                "__module__": cls.__module__,
                "__qualname__": cls.__qualname__,
                "__doc__": cls.__doc__,
            }
            variant = type(cls.__name__, (cls, HTTPSServer), namespace)
            _variants[cls] = variant
    return cast(_C, variant)
