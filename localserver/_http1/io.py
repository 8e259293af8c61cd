"""Socket timeouts for HTTP connections, at one system call per read or write."""

from __future__ import annotations

import socket
import ssl
import struct
import sys

__all__ = ["set_timeout"]

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
