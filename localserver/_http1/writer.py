"""Writing a response: its framing, the Connection header, then the bytes.

An application answers with a :class:`Reply`. The writer picks the framing RFC 9112
allows (Content-Length as given, chunked for HTTP/1.1 when there is none, or the end
of the connection), drops a body where none may be sent, and decides whether the
connection stays open. A reply may carry its header lines already encoded (a canned
answer built once), which then go out with a single ``sendall``.
"""

from __future__ import annotations

import email.utils
import socket
import time
from collections.abc import Iterable
from typing import Callable, Union

from .head import RequestHead

__all__ = ["Reply", "http_date", "write_reply"]

_NO_BODY_CODES = frozenset({204, 304})
Body = Union[bytes, Iterable[bytes]]


class Reply:
    """What an application answers with.

    Args:
        status: The status code.
        reason: The reason phrase.
        headers: Header fields as (name, value) pairs; framing headers are
            checked and completed by the writer.
        body: The body: bytes, or an iterable of bytes written as they come.
        close: Close the connection after this reply.
        on_close: Called once the body has been written or abandoned (WSGI's
            ``close()`` of a response iterable).
        encoded: The status line and the header lines, already encoded, with a
            Content-Length matching *body* (bytes); *headers* is then only read
            by reports and the log.
    """

    __slots__ = ("body", "close", "encoded", "headers", "on_close", "reason", "status")

    def __init__(
        self,
        status: int,
        reason: str,
        headers: list[tuple[str, str]],
        body: Body = b"",
        *,
        close: bool = False,
        on_close: Callable[[], None] | None = None,
        encoded: bytes | None = None,
    ) -> None:
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
        self.close = close
        self.on_close = on_close
        self.encoded = encoded


_date_cache: tuple[int, bytes] = (0, b"")
# (keep, http11, server line) -> (second, the end of a canned head), made once a second.
_tails: dict[tuple[bool, bool, bytes], tuple[int, bytes]] = {}


def http_date() -> bytes:
    """The ``Date`` header line, formatted once per second."""
    global _date_cache
    now = int(time.time())
    second, line = _date_cache
    if second != now:
        line = f"Date: {email.utils.formatdate(now, usegmt=True)}\r\n".encode("latin-1")
        _date_cache = (now, line)
    return line


def _tail(keep: bool, http11: bool, server_line: bytes) -> bytes:
    """Connection, Server and Date lines and the blank line that ends a head."""
    key = (keep, http11, server_line)
    second = int(time.time())
    made = _tails.get(key)
    if made is not None and made[0] == second:
        return made[1]
    tail = _connection_line(keep, http11) + server_line + http_date() + b"\r\n"
    _tails[key] = (second, tail)
    return tail


def write_reply(
    sock: socket.socket, reply: Reply, head: RequestHead, server_line: bytes, keep_alive: bool
) -> bool:
    """Send *reply* to the request *head*; return whether the connection may stay open.

    Args:
        sock: The connection.
        reply: The answer.
        head: The request answered (method and version decide the framing).
        server_line: The ``Server`` header line, encoded.
        keep_alive: Whether the server and the request allow reuse at all.
    """
    keep = keep_alive and not reply.close and not head.upgrade
    status = reply.status
    http11 = head.version == "HTTP/1.1"
    encoded = reply.encoded
    try:
        if encoded is not None and status >= 200 and status != 204:
            body = reply.body
            if head.method == "HEAD" or status == 304 or not isinstance(body, bytes):
                body = b""
            sock.sendall(b"".join((encoded, _tail(keep, http11, server_line), body)))
            return keep
        no_body = head.method == "HEAD" or status < 200 or status in _NO_BODY_CODES
        status_line = f"HTTP/1.1 {status} {reply.reason}\r\n".encode("latin-1")
        return _write_general(sock, reply, head, status_line, server_line, keep, no_body)
    finally:
        if reply.on_close is not None:
            reply.on_close()


def _connection_line(keep: bool, http11: bool) -> bytes:
    if not keep:
        return b"Connection: close\r\n"
    return b"" if http11 else b"Connection: keep-alive\r\n"


def _write_general(
    sock: socket.socket,
    reply: Reply,
    head: RequestHead,
    status_line: bytes,
    server_line: bytes,
    keep: bool,
    no_body: bool,
) -> bool:
    http11 = head.version == "HTTP/1.1"
    headers = reply.headers
    lowered = [name.lower() for name, _ in headers]
    te = ",".join(v for (n, v), low in zip(headers, lowered) if low == "transfer-encoding")
    te_chunked = "chunked" in te.lower()
    if "close" in ",".join(v for (n, v), low in zip(headers, lowered) if low == "connection"):
        keep = False
    drop = {"connection"}
    chunked = False
    remaining: int | None = None
    if te_chunked and "content-length" in lowered:
        drop.add("content-length")  # never both (RFC 9112 section 6.3): chunked wins
    if no_body:
        if head.method != "HEAD" and (reply.status < 200 or reply.status == 204):
            drop |= {"content-length", "transfer-encoding"}  # RFC 9110 section 8.6
    elif te_chunked:
        if http11:
            chunked = True
        else:
            drop.add("transfer-encoding")
            keep = False
    elif "content-length" in lowered:
        value = headers[lowered.index("content-length")][1].strip()
        if value.isdigit():
            remaining = int(value)
        else:
            keep = False
    elif http11:
        chunked = True
    else:
        keep = False
    lines = [status_line]
    lines += [
        f"{n}: {v}\r\n".encode("latin-1")
        for (n, v), low in zip(headers, lowered)
        if low not in drop
    ]
    if chunked and not te_chunked:
        lines.append(b"Transfer-Encoding: chunked\r\n")
    lines.append(_connection_line(keep, http11))
    if "server" not in lowered:
        lines.append(server_line)
    if "date" not in lowered:
        lines.append(http_date())
    lines.append(b"\r\n")
    out = b"".join(lines)
    body = reply.body
    pieces: Iterable[bytes] = (body,) if isinstance(body, bytes) else body
    for piece in pieces:
        if not isinstance(piece, (bytes, bytearray, memoryview)):
            raise TypeError(f"a response body must be bytes (got {type(piece).__name__})")
        if no_body or not piece:
            continue
        if chunked:
            piece = b"%x\r\n%s\r\n" % (len(piece), piece)
        elif remaining is not None:
            piece = piece[:remaining]
            remaining -= len(piece)
        # The head goes out with the first piece; later pieces go out as they come
        # (a slow body, a stream of events), never held back.
        sock.sendall(out + piece if out else piece)
        out = b""
    if chunked and not no_body:
        out += b"0\r\n\r\n"
    if out:
        sock.sendall(out)
    if remaining:  # fewer bytes than Content-Length promised: the client must see the end
        keep = False
    return keep
