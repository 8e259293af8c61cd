"""pytest-httpserver's ``WaitingSettings`` and the ``Waiting`` its ``HTTPServer.wait()`` yields."""

from __future__ import annotations

import time

__all__ = ["Waiting", "WaitingSettings"]


class WaitingSettings:
    """The defaults of :meth:`~localserver.compat.pytest_httpserver.HTTPServer.wait`.

    Args:
        raise_assertions: Raise on a timeout or an unexpected request.
        stop_on_nohandler: End the wait at the first unexpected request.
        timeout: Seconds to wait.
    """

    def __init__(
        self, raise_assertions: bool = True, stop_on_nohandler: bool = True, timeout: float = 5
    ) -> None:
        self.raise_assertions = raise_assertions
        self.stop_on_nohandler = stop_on_nohandler
        self.timeout = timeout


class Waiting:
    """What :meth:`~localserver.compat.pytest_httpserver.HTTPServer.wait` yields.

    ``result`` and ``elapsed_time`` are set once the wait ends.
    """

    def __init__(self) -> None:
        self._start = time.monotonic()
        self._end: float | None = None
        self.result = False

    def end(self) -> None:
        """Note the end of the wait (the server calls it)."""
        self._end = time.monotonic()

    @property
    def elapsed_time(self) -> float:
        """Seconds from the start of the ``with`` block to the end of the wait."""
        end = time.monotonic() if self._end is None else self._end
        return end - self._start
