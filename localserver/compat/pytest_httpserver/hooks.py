"""pytest-httpserver's post hooks: functions ``hook(request, response) -> response``.

Give them to ``RequestHandler.with_post_hook()``. A :class:`Delay` given there
directly becomes localserver's own delay (``with_delay``), which ends at once
when the server stops or is cleared; inside a :class:`Chain`, or in a subclass
that overrides ``_sleep``, it is a plain wait in the serving thread.
"""

from __future__ import annotations

import os
import time
from typing import Callable

from werkzeug.wrappers import Request, Response

from .._absent import absent_names
from ._names import NOT_OFFERED

__all__ = ["Chain", "Delay", "Garbage"]

#: ``hook(request, response) -> response``.
Hook = Callable[[Request, Response], Response]


class Chain:
    """Several hooks as one: each gets the response the previous one returned.

    Args:
        *args: The hooks, in the order they run.
    """

    def __init__(self, *args: Hook) -> None:
        for hook in args:
            if not callable(hook):
                raise TypeError(f"each hook must be callable (request, response) (got {hook!r})")
        self._hooks = args

    def __call__(self, request: Request, response: Response) -> Response:
        """Run the hooks in turn; return the last one's response."""
        for hook in self._hooks:
            response = hook(request, response)
        return response


class Delay:
    """Wait *seconds* before the response goes out.

    Args:
        seconds: How long to wait.
    """

    def __init__(self, seconds: float) -> None:
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
            raise ValueError(f"'seconds' must be a number of seconds >= 0 (got {seconds!r})")
        self._seconds = seconds

    @property
    def seconds(self) -> float:
        """The delay, in seconds."""
        return self._seconds

    def _sleep(self) -> None:
        """Wait; subclasses may replace it (the peer's tests do)."""
        time.sleep(self._seconds)

    def __call__(self, _request: Request, response: Response) -> Response:
        """Wait, then give the response back unchanged."""
        self._sleep()
        return response


class Garbage:
    """Surround the response body with random bytes (new ones for every response).

    Args:
        prefix_size: How many random bytes go before the body.
        suffix_size: How many go after it.
    """

    def __init__(self, prefix_size: int = 0, suffix_size: int = 0) -> None:
        for name, value in (("prefix_size", prefix_size), ("suffix_size", suffix_size)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name!r} must be an int >= 0, a number of bytes (got {value!r})")
        self._prefix_size = prefix_size
        self._suffix_size = suffix_size

    def _random_bytes(self, size: int) -> bytes:
        return os.urandom(size)

    def __call__(self, _request: Request, response: Response) -> Response:
        """The response with its body between fresh random bytes."""
        body = response.get_data()
        prefix = self._random_bytes(self._prefix_size)
        suffix = self._random_bytes(self._suffix_size)
        response.set_data(prefix + body + suffix)
        return response


__getattr__ = absent_names(__name__, NOT_OFFERED["hooks"])
