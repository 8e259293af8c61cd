"""Socket timeouts for HTTP connections, at one system call per read or write.

Both request readers (:mod:`.parser` and :mod:`.parser_h11`) time their receives
and drop unread bodies through the functions here.
"""

from __future__ import annotations

import socket
import ssl
import struct
import sys
import time
from typing import Callable

from .head import Limits, ProtocolError

__all__ = ["TIMEOUTS", "arm_receive", "drain", "head_timeout", "set_timeout"]

#: What a read or write raises when its timeout passes (kernel or Python timeout).
TIMEOUTS = (BlockingIOError, TimeoutError, socket.timeout)

# Kernel-side socket timeouts: a blocking socket whose recv/send give up after the
# timeout, at one system call each. Python's own timeouts poll() before every recv()
# and send(), which doubles the system calls and GIL hand-offs per request.
_KERNEL_TIMEOUTS = sys.platform.startswith("linux")


def set_timeout(sock: socket.socket, timeout: float | None) -> None:
    """Make reads and writes on *sock* give up after *timeout* seconds (None: never).

    On Linux a plain socket gets SO_RCVTIMEO/SO_SNDTIMEO: a read or write that
    times out raises ``BlockingIOError``. TLS sockets, and other systems, use
    Python's ``settimeout`` (``TimeoutError``). Callers treat both alike.
    """
    if not _KERNEL_TIMEOUTS or isinstance(sock, ssl.SSLSocket):
        sock.settimeout(timeout)
        return
    if timeout is None:
        value = struct.pack("ll", 0, 0)
    else:
        # A zero timeval means "never" to the kernel: the smallest wait is 1 µs.
        seconds = int(timeout)
        micros = max(int((timeout - seconds) * 1_000_000), 0 if seconds else 1)
        value = struct.pack("ll", seconds, micros)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, value)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, value)


def head_timeout(limits: Limits) -> ProtocolError:
    """The 408 for a request head that did not arrive within ``head_timeout``."""
    return ProtocolError(
        408,
        f"the request head did not arrive within {limits.head_timeout:g} s (head_timeout)",
        "head-timeout",
    )


def arm_receive(sock: socket.socket, deadline: float | None, limits: Limits) -> bool:
    """Set *sock*'s timeout for one receive of a request head due by *deadline*.

    With no deadline (between requests, or in a body) the socket keeps its timeout.

    Returns:
        Whether the receive is bounded by the head's deadline rather than by the
        shorter idle timeout. A timeout of such a receive is the deadline, and the
        client gets its 408, even when the kernel's timer fires a hair before the
        clock says the deadline passed.

    Raises:
        ProtocolError: 408, the deadline has passed already.
    """
    if deadline is None:
        return False
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise head_timeout(limits)
    idle = limits.idle_timeout
    at_deadline = idle is None or remaining <= idle
    set_timeout(sock, remaining if at_deadline else idle)
    return at_deadline


def drain(read: Callable[[int], bytes], limit: int, size: int = 64 * 1024) -> bool:
    """Read and drop what is left of a body through *read*, up to *limit* bytes.

    Returns:
        True when the next request can be read (the body ended within the limit).
    """
    dropped = 0
    try:
        while True:
            chunk = read(size)
            if not chunk:
                return True
            dropped += len(chunk)
            if dropped > limit:
                return False
    except (ProtocolError, ConnectionError, *TIMEOUTS):
        return False
