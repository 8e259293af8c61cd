"""Line I/O of one SMTP connection: CRLF lines with limits, replies, a slow link.

RFC 5321 section 2.3.8 allows no line end but CRLF. A line that ends in a bare
LF, or holds a bare CR, is reported as such here; the session decides the reply.
"""

from __future__ import annotations

import socket
from typing import Callable

__all__ = ["LINE_LIMIT", "Connection", "Line", "SessionClosed"]

#: RFC 5321 section 4.5.3.1: command and text lines hold at most 1000 octets with CRLF.
LINE_LIMIT = 1000

# A line read past the limit is dropped in pieces of this size until its end.
_DISCARD_CHUNK = 65536


class SessionClosed(Exception):
    """End the session: the client left, the server stops, or a fault drops the line."""


class Line:
    """One line as read: its bytes with the line end, and what is wrong with it."""

    __slots__ = ("bare", "crlf", "data", "too_long")

    def __init__(self, data: bytes, *, too_long: bool = False, crlf: bool | None = None) -> None:
        #: The line with its line end (empty for a line too long to keep).
        self.data = data
        #: It was longer than the limit, and was read to its end and dropped.
        self.too_long = too_long
        #: It ends with CRLF (a real line end).
        self.crlf = data.endswith(b"\r\n") if crlf is None else crlf
        #: It ends with a bare LF or holds a bare CR: no line end under RFC 5321.
        self.bare = not too_long and (not self.crlf or b"\r" in data[:-2] or b"\n" in data[:-2])

    @property
    def content(self) -> bytes:
        """The line without its CRLF."""
        return self.data[:-2] if self.crlf else self.data


class Connection:
    """A blocking socket read as lines and written as replies.

    Args:
        sock: The connected socket (plain or TLS).
        timeout: Idle timeout for each read and write, or ``None``.
        wait: Sleeps up to n seconds; returns True if the server stopped meanwhile.
    """

    def __init__(
        self, sock: socket.socket, timeout: float | None, wait: Callable[[float], bool]
    ) -> None:
        self._wait = wait
        self.bytes_per_second: float | None = None
        self.sock = sock
        self._reader = sock.makefile("rb")
        self.timeout = timeout
        sock.settimeout(timeout)

    def replace_socket(self, sock: socket.socket) -> None:
        """Talk over *sock* from now on (after a TLS handshake), dropping buffered input."""
        self.sock = sock
        self._reader = sock.makefile("rb")
        sock.settimeout(self.timeout)

    def close(self) -> None:
        """Close the reader, so the socket's own close() really closes it."""
        self._reader.close()

    def drop_reader(self) -> None:
        """Forget buffered input (RFC 3207: nothing sent before TLS counts after it)."""
        self._reader.close()

    def readline(self, limit: int = LINE_LIMIT) -> Line:
        """Read one line of at most *limit* octets, its line end included.

        A longer line is read to its end and dropped; the result says ``too_long``.

        Raises:
            SessionClosed: The client closed the connection.
        """
        data = self._reader.readline(limit + 1)
        if not data:
            raise SessionClosed("client closed the connection")
        self._throttle(len(data))
        if len(data) <= limit:
            if not data.endswith(b"\n"):  # the client left in mid-line
                raise SessionClosed("client closed the connection")
            return Line(data)
        tail = data[-2:]
        while not tail.endswith(b"\n"):
            data = self._reader.readline(_DISCARD_CHUNK)
            if not data:
                raise SessionClosed("client closed the connection")
            self._throttle(len(data))
            tail = (tail + data)[-2:]
        return Line(b"", too_long=True, crlf=tail == b"\r\n")

    def send(self, *lines: str) -> None:
        """Send reply lines, each followed by CRLF."""
        data = "".join(line + "\r\n" for line in lines).encode("utf-8")
        rate = self.bytes_per_second
        if rate is None:
            self.sock.sendall(data)
            return
        step = max(1, int(rate / 20))
        for start in range(0, len(data), step):
            piece = data[start : start + step]
            self.sock.sendall(piece)
            self._throttle(len(piece))

    def _throttle(self, size: int) -> None:
        rate = self.bytes_per_second
        if rate is not None and self._wait(size / rate):
            raise SessionClosed("server stopped")
