"""Reading requests with h11, the pure-Python fallback for interpreters without httptools.

It offers the reader interface of :mod:`.parser` and refuses what that one refuses.
h11 parses one message per ``Connection``; a new one is made for each request and
given the bytes that followed the previous request (pipelining).
"""

from __future__ import annotations

import re
import socket
import time
from collections import deque

import h11

from .head import (
    Limits,
    ProtocolError,
    RequestHead,
    check_codings,
    check_framing,
    check_target,
)
from .io import TIMEOUTS, arm_receive, drain, head_timeout, set_timeout

__all__ = ["H11Reader"]

_RECV_SIZE = 64 * 1024
_BARE_LF = re.compile(rb"(?<!\r)\n")
_TRANSFER_ENCODING = re.compile(rb"\ntransfer-encoding[ \t]*:([^\r\n]*)", re.IGNORECASE)
_CONTENT_LENGTH = re.compile(rb"\ncontent-length[ \t]*:", re.IGNORECASE)


class H11Reader:
    """The requests arriving on one connection, parsed by h11 (see :class:`HttptoolsReader`)."""

    def __init__(self, sock: socket.socket, limits: Limits) -> None:
        self._sock = sock
        self._limits = limits
        self._conn: h11.Connection | None = None
        self._pending = b""  # received, not yet given to a parser
        self._raw = bytearray()  # what the current parser got, while its head is open
        self._body: deque[bytes] = deque()
        self._received = 0
        self._complete = True
        self._first = True
        self._closed = False

    def next_head(self) -> RequestHead | None:
        """The head of the next request, or None when the client closed or went quiet."""
        if self._closed:
            return None
        limits = self._limits
        conn = h11.Connection(h11.SERVER, max_incomplete_event_size=limits.header_block)
        self._conn = conn
        self._raw = bytearray()
        self._body.clear()
        self._received = 0
        self._complete = False
        deadline: float | None = None
        data: bytes | None
        data, self._pending = self._pending.lstrip(b"\r\n"), b""
        while True:
            if data:
                self._raw += data
                self._check_size()
                conn.receive_data(data)
            event = self._next_event(conn)
            if isinstance(event, h11.Request):
                if deadline is not None:
                    set_timeout(self._sock, limits.idle_timeout)
                return self._head(event)
            if self._raw and deadline is None and limits.head_timeout is not None:
                deadline = time.monotonic() + limits.head_timeout
            data = self._receive(deadline)
            if data is None:
                self._closed = True
                return None
            if not self._raw:
                data = data.lstrip(b"\r\n")  # empty lines before a request line

    def read(self, size: int = -1) -> bytes:
        """Up to *size* bytes of the current body (all with -1); b"" at its end."""
        pieces: list[bytes] = []
        while True:
            while self._body and (size < 0 or not pieces):
                pieces.append(self._body.popleft())
            if (pieces and size >= 0) or self._complete:
                break
            self._pull()
        data = b"".join(pieces)
        if 0 <= size < len(data):
            self._body.appendleft(data[size:])
            data = data[:size]
        return data

    def drain(self, limit: int) -> bool:
        """Read and drop the rest of the current body, up to *limit* bytes."""
        return drain(self.read, limit, _RECV_SIZE)

    @property
    def body_complete(self) -> bool:
        """Whether the current request's body has been read to its end."""
        return self._complete and not self._body

    # -- internals --------------------------------------------------------------------

    def _check_size(self) -> None:
        """Refuse a head over the limits before h11 looks at it (it takes whole heads)."""
        limits = self._limits
        raw = self._raw
        end = raw.find(b"\r\n\r\n")
        size = len(raw) if end < 0 else end + 4
        if size > limits.header_block:
            self._closed = True
            if raw.find(b"\n", 0, limits.header_block) < 0:
                raise ProtocolError(
                    414, f"the request target is over {limits.request_line} bytes", "uri-too-long"
                )
            raise ProtocolError(
                431, f"the request head is over {limits.header_block} bytes", "head-too-large"
            )
        if raw.count(b"\n", 0, size) - 2 > limits.header_count:
            self._closed = True
            limit = limits.header_count
            raise ProtocolError(431, f"more than {limit} header fields", "head-too-large")

    def _pull(self) -> None:
        """Take the next body event from the parser, receiving more when it needs it."""
        conn = self._conn
        if conn is None:
            self._complete = True
            return
        event = self._next_event(conn)
        if isinstance(event, h11.Data):
            self._received += len(event.data)
            limit = self._limits.body
            if limit is not None and self._received > limit:
                self._closed = True
                raise ProtocolError(
                    413,
                    f"the body is over the limit of {limit} bytes (raise it with max_body_size=)",
                    "body-too-large",
                )
            self._body.append(bytes(event.data))
        elif isinstance(event, h11.EndOfMessage):
            self._complete = True
            self._pending = bytes(conn.trailing_data[0])
        elif event is h11.NEED_DATA:
            data = self._receive(None)
            if data is None:
                self._closed = True
                raise ConnectionAbortedError("the client stopped sending in the middle of a body")
            conn.receive_data(data)

    def _next_event(self, conn: h11.Connection) -> object:
        try:
            return conn.next_event()
        except h11.RemoteProtocolError as exc:
            self._closed = True
            status = exc.error_status_hint
            # Told apart by how h11's messages begin: the rest may quote the
            # client's bytes ("illegal request line: ..."), which say anything.
            text = str(exc)
            if status == 431:
                limit = self._limits.header_block
                if b"\n" not in self._raw:
                    raise ProtocolError(
                        414, f"the request target is over {limit} bytes", "uri-too-long"
                    ) from None
                raise ProtocolError(
                    431, f"the request head is over {limit} bytes", "head-too-large"
                ) from None
            if text.startswith(("multiple Transfer-Encoding", "Only Transfer-Encoding")):
                # h11 takes chunked alone; answer as the httptools reader does.
                codings = [
                    coding.strip().decode("latin-1").lower()
                    for value in _TRANSFER_ENCODING.findall(bytes(self._raw))
                    for coding in value.split(b",")
                    if coding.strip()
                ]
                if codings:
                    check_codings(codings)
            if text.startswith("conflicting Content-Length"):
                message = "a request must not have several Content-Length headers"
                raise ProtocolError(400, message) from None
            if text.startswith("bad Content-Length"):
                message = "invalid Content-Length: it must be one non-negative integer"
                raise ProtocolError(400, message) from None
            kind = "unknown-coding" if status == 501 else "malformed-request"
            raise ProtocolError(status, f"malformed request: {exc}", kind) from None

    def _receive(self, deadline: float | None) -> bytes | None:
        sock = self._sock
        try:
            at_deadline = arm_receive(sock, deadline, self._limits)
        except ProtocolError:
            self._closed = True
            raise
        try:
            data = sock.recv(_RECV_SIZE)
        except TIMEOUTS:
            if at_deadline:
                self._closed = True
                raise head_timeout(self._limits) from None
            return None
        if not data:
            return None
        if self._first:
            self._first = False
            if data[:1] == b"\x16":
                self._closed = True
                raise ProtocolError(0, "a TLS handshake on a plain HTTP port", "tls-to-plain")
        return data

    def _head(self, event: h11.Request) -> RequestHead:
        raw = bytes(self._raw)
        end = raw.find(b"\r\n\r\n")
        head = raw[: end + 2] if end >= 0 else raw
        if end < 0 or _BARE_LF.search(head):
            self._closed = True
            raise ProtocolError(400, "malformed request: lines must end with CRLF")
        if b"\n " in head or b"\n\t" in head:
            self._closed = True
            raise ProtocolError(400, "malformed request: obsolete line folding in a header")
        if len(_CONTENT_LENGTH.findall(head)) > 1:  # h11 merges identical ones
            self._closed = True
            raise ProtocolError(400, "a request must not have several Content-Length headers")
        headers = [(bytes(n), bytes(v)) for n, v in event.headers.raw_items()]
        if len(headers) > self._limits.header_count:
            limit = self._limits.header_count
            raise ProtocolError(431, f"more than {limit} header fields", "head-too-large")
        method = event.method.decode("ascii")
        version = event.http_version.decode("ascii")
        target = event.target.decode("latin-1")
        if len(event.target) > self._limits.request_line:
            limit = self._limits.request_line
            raise ProtocolError(414, f"the request target is over {limit} bytes", "uri-too-long")
        try:
            framing = check_framing(method, version, headers, self._limits.body)
            check_target(target)
        except ProtocolError:
            self._closed = True
            raise
        keep_alive = _keep_alive(version, headers)
        length, expect = framing
        result = RequestHead(method, target, f"HTTP/{version}", headers, keep_alive, length)
        result.expect_continue = expect
        connection = b",".join(v for n, v in headers if n.lower() == b"connection").lower()
        upgrading = b"upgrade" in connection and any(n.lower() == b"upgrade" for n, _ in headers)
        if method == "CONNECT" or upgrading:
            result.upgrade = True  # another protocol would follow: answer, then close
            self._closed = True
        self._raw = bytearray()
        return result


def _keep_alive(version: str, headers: list[tuple[bytes, bytes]]) -> bool:
    tokens = {
        token.strip().lower()
        for name, value in headers
        if name.lower() == b"connection"
        for token in value.split(b",")
    }
    if b"close" in tokens:
        return False
    return version == "1.1" or b"keep-alive" in tokens
