"""The thread-like API of pytest-localserver's servers: start, stop, is_alive, join.

The peer's servers were threads (its SMTP server a controller of one). Ours
serve on threads of their own; this mixin gives them the same verbs, stops a
server that is garbage-collected while running (as the peer's did), and answers
for what ``threading.Thread`` had and ours do not.
"""

from __future__ import annotations

import contextlib
from typing import NoReturn

from ..._lifecycle import ServerLifecycle
from ._names import THREAD_ATTRIBUTES

__all__ = ["ThreadLike"]


class ThreadLike(ServerLifecycle):
    """``join()``, stop on garbage collection, and answers for ``Thread``'s attributes."""

    def join(self, timeout: float | None = None) -> None:
        """Wait until the server is stopped (by another thread), at most *timeout* seconds."""
        engine = self.__dict__.get("_engine")
        if engine is not None:
            engine.wait_stopped(timeout)

    def __del__(self) -> None:
        try:
            running = self.running
        except AttributeError:  # __init__ failed before the server was made
            return
        if running:
            # Nothing could report an error at collection time.
            with contextlib.suppress(Exception):
                self.stop()

    def __getattr__(self, name: str) -> NoReturn:
        if name in THREAD_ATTRIBUTES:
            raise AttributeError(
                f"{type(self).__name__}.{name}: pytest-localserver's servers were threads, "
                "localserver's are not (they serve on threads of their own); use start(), "
                "stop(), is_alive() and join()"
            )
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
