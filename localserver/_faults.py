"""Delays and network faults, done on the real socket so clients see the real errors.

Every wait here is on a :class:`Cancellation` event, which the server sets when it
stops or is cleared: a pending delay, slow body or hang ends at once.
"""

from __future__ import annotations

import contextlib
import enum
import math
import os
import random
import socket
import struct
import threading
from collections.abc import Iterator
from typing import NoReturn

from ._public import public

__all__ = ["Aborted", "Cancellation", "Delay", "Fault", "SlowBody", "perform_fault"]


class Aborted(ConnectionAbortedError):
    """The server dropped the connection on purpose (a fault, or a stop during a delay).

    A ``ConnectionError``, so the HTTP handler closes the connection quietly.
    """


@public
class Fault(enum.Enum):
    """What goes wrong on the wire instead of a response.

    - ``CONNECTION_RESET``: the connection is reset (TCP RST); clients see
      ``ConnectionResetError`` (requests: ``ConnectionError``). Over TLS most
      clients report it as the connection closing (``RemoteDisconnected``).
    - ``EMPTY_RESPONSE``: closed without sending a byte (``RemoteDisconnected``).
    - ``MALFORMED_CHUNK``: a chunked response whose first chunk size is not hex
      (requests: ``ChunkedEncodingError``).
    - ``RANDOM_DATA_THEN_CLOSE``: random bytes instead of a status line, then close
      (``BadStatusLine``).
    - ``HANG``: read the request, never answer; the connection is closed when the
      server stops or is cleared (clients see their read timeout).
    """

    CONNECTION_RESET = "connection_reset"
    EMPTY_RESPONSE = "empty_response"
    MALFORMED_CHUNK = "malformed_chunk"
    RANDOM_DATA_THEN_CLOSE = "random_data_then_close"
    HANG = "hang"

    @classmethod
    def check(cls, value: object) -> Fault:
        """*value* as a :class:`Fault` (its string value is accepted too).

        Raises:
            ValueError: Not a known fault.
        """
        if isinstance(value, Fault):
            return value
        if isinstance(value, str):
            try:
                return cls(value.lower())
            except ValueError:
                pass
        names = ", ".join(f"Fault.{f.name}" for f in cls)
        raise ValueError(f"'fault' must be one of {names} (got {value!r})")


class Cancellation:
    """The event that ends every pending wait: set on stop() and on clear().

    Each request takes :meth:`current` when it arrives; ``cancel(renew=True)``
    (clear) sets it and installs a fresh one for later requests, ``cancel()``
    (stop) sets it and leaves it set until :meth:`renew` (start).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._event = threading.Event()
        self._taken = False

    def current(self) -> threading.Event:
        # Reading an attribute is atomic: no lock on the per-request path.
        self._taken = True
        return self._event

    def cancel(self, renew: bool = False) -> None:
        with self._lock:
            if renew and not self._taken and not self._event.is_set():
                return  # nobody can be waiting on an event nobody took
            self._event.set()
            if renew:
                self._event = threading.Event()
                self._taken = False

    def renew(self) -> None:
        with self._lock:
            if self._event.is_set():
                self._event = threading.Event()
                self._taken = False


def _check_seconds(name: str, value: object, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise TypeError(f"{name!r} must be a number of seconds (got {value!r})")
    if value < 0 or (positive and value == 0):
        kind = "positive" if positive else "zero or positive"
        raise ValueError(f"{name!r} must be {kind} (got {value!r})")
    return float(value)


@public
class Delay:
    """How long to wait before answering: fixed, uniform or lognormal with a cap.

    Build one with :meth:`fixed`, :meth:`uniform` or :meth:`lognormal`; a plain
    number of seconds passed where a delay is expected means :meth:`fixed`.
    Random delays take a ``seed`` so a run can be repeated.
    """

    def __init__(
        self, kind: str, a: float, b: float = 0.0, cap: float = 0.0, seed: int | None = None
    ) -> None:
        self.kind = kind
        self.a, self.b, self.cap = a, b, cap
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    @classmethod
    def fixed(cls, seconds: float) -> Delay:
        """Always *seconds*."""
        return cls("fixed", _check_seconds("seconds", seconds))

    @classmethod
    def uniform(cls, low: float, high: float, seed: int | None = None) -> Delay:
        """Uniformly between *low* and *high* seconds."""
        low, high = _check_seconds("low", low), _check_seconds("high", high)
        if high < low:
            raise ValueError(f"'high' must be at least 'low' (got low={low}, high={high})")
        return cls("uniform", low, high, seed=seed)

    @classmethod
    def lognormal(cls, median: float, sigma: float, cap: float, seed: int | None = None) -> Delay:
        """Lognormal around *median* seconds with shape *sigma*, never above *cap*.

        Real latencies have a long tail; *sigma* around 0.1 is tight, 1.0 is wild.
        """
        median = _check_seconds("median", median, positive=True)
        sigma = _check_seconds("sigma", sigma)
        cap = _check_seconds("cap", cap, positive=True)
        return cls("lognormal", median, sigma, cap, seed)

    @classmethod
    def check(cls, value: object) -> Delay:
        if isinstance(value, Delay):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return cls("fixed", _check_seconds("delay", value))
        raise TypeError(
            "'delay' must be seconds or Delay.fixed/uniform/lognormal(...) "
            f"(got {type(value).__name__}: {value!r:.60})"
        )

    def sample(self) -> float:
        """The next delay in seconds."""
        if self.kind == "fixed":
            return self.a
        with self._lock:
            if self.kind == "uniform":
                return self._random.uniform(self.a, self.b)
            return min(self.cap, self._random.lognormvariate(math.log(self.a), self.b))

    def __repr__(self) -> str:
        if self.kind == "fixed":
            return f"Delay.fixed({self.a})"
        if self.kind == "uniform":
            return f"Delay.uniform({self.a}, {self.b})"
        return f"Delay.lognormal({self.a}, {self.b}, cap={self.cap})"


class SlowBody:
    """Send the response body in *chunks* pieces spread over *duration* seconds."""

    def __init__(self, chunks: int, duration: float) -> None:
        if isinstance(chunks, bool) or not isinstance(chunks, int) or chunks < 1:
            raise ValueError(f"'chunks' must be a positive int (got {chunks!r})")
        self.chunks = chunks
        self.duration = _check_seconds("duration", duration)

    def dribble(self, body: bytes, cancel: threading.Event) -> Iterator[bytes]:
        """Yield *body* piece by piece, pausing between pieces; abort if cancelled."""
        size = max(1, math.ceil(len(body) / self.chunks))
        pieces = [body[i : i + size] for i in range(0, len(body), size)] or [b""]
        pause = self.duration / max(1, len(pieces))
        for index, piece in enumerate(pieces):
            if index and cancel.wait(pause):
                raise Aborted("the server stopped or was cleared while sending a slow body")
            yield piece

    def __repr__(self) -> str:
        return f"SlowBody(chunks={self.chunks}, duration={self.duration})"


_MALFORMED = (
    b"HTTP/1.1 200 OK\r\n"
    b"Content-Type: text/plain\r\n"
    b"Transfer-Encoding: chunked\r\n"
    b"\r\n"
    b"zz-not-a-chunk-size\r\n"
    b"localserver: malformed chunk\r\n"
)


def _random_data() -> bytes:
    # Printable noise without a line break: never a valid status line.
    return bytes(33 + b % 94 for b in os.urandom(64))


def perform_fault(
    sock: socket.socket, fault: Fault | None, raw: bytes | None, cancel: threading.Event
) -> NoReturn:
    """Do *fault* (or send *raw* bytes) on *sock*, then raise :class:`Aborted`.

    Raises:
        Aborted: Always: the connection is finished, nothing else may be written.
    """
    if fault is Fault.HANG:
        cancel.wait()
        _close(sock)
    elif fault is Fault.CONNECTION_RESET:
        # SO_LINGER 0 turns close() into a RST; the handler's file objects hold
        # references that would defer close(), so the descriptor is closed here.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        os.close(sock.detach())
    else:
        if fault is Fault.MALFORMED_CHUNK:
            data = _MALFORMED
        elif fault is Fault.RANDOM_DATA_THEN_CLOSE:
            data = _random_data()
        else:
            data = raw or b""
        if data:
            sock.sendall(data)
        _close(sock)
    raise Aborted(f"fault {fault.name if fault else 'raw bytes'} done")


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
