"""Reading requests from a connection with httptools (llhttp, Node.js's parser).

llhttp does the framing: request line, header fields, Content-Length and chunked
bodies with extensions and trailers, and their errors. This module feeds it the
bytes a connection receives, on demand, and keeps what it parsed per message, so
that pipelined requests are answered in turn. Nothing is read ahead beyond one
receive buffer, and nothing is allocated from a declared length.
"""

from __future__ import annotations

import socket
import time
from collections import deque
from typing import Callable

import httptools

from .head import (
    KNOWN_METHODS,
    Limits,
    ProtocolError,
    RequestHead,
    check_framing,
    check_request_line,
    check_target,
    request_line_ok,
)
from .io import TIMEOUTS, arm_receive, drain, head_timeout, set_timeout

__all__ = ["HttptoolsReader"]

_RECV_SIZE = 64 * 1024
_CRLF = (13, 10)
_METHODS = {m.encode("ascii"): m for m in KNOWN_METHODS}
_VERSIONS = {"1.1": "HTTP/1.1", "1.0": "HTTP/1.0"}


class _Message:
    """What the parser has seen of one request so far."""

    __slots__ = ("body", "complete", "error", "head", "raw", "received", "url")

    def __init__(self) -> None:
        self.url = b""
        self.raw: list[tuple[bytes, bytes]] = []
        self.head: RequestHead | None = None
        self.body: deque[bytes] = deque()
        self.received = 0
        self.complete = False
        self.error: ProtocolError | None = None


class HttptoolsReader:
    """The requests arriving on one connection, head first, then the body on demand.

    Args:
        sock: The connected socket (plain or TLS), blocking.
        limits: What a request may not exceed.
    """

    def __init__(self, sock: socket.socket, limits: Limits) -> None:
        self._sock = sock
        self._limits = limits
        self._parser = httptools.HttpRequestParser(self)
        self._messages: deque[_Message] = deque()
        self._building: _Message | None = None
        self._buffer = bytearray(_RECV_SIZE)
        self._view = memoryview(self._buffer)
        self._in_head = True  # between messages or inside a head
        self._head_bytes = 0
        self._probe: bytes | None = b""  # start of a request line still to check
        self._first = True
        self._dead = False  # the parser failed or the connection was upgraded
        self._add_header: Callable[[tuple[bytes, bytes]], None] = _no_message

    # -- the connection's side --------------------------------------------------------

    def next_head(self) -> RequestHead | None:
        """The head of the next request, or None when the client closed or went quiet.

        Raises:
            ProtocolError: The request is malformed or over a limit; answer and close.
        """
        messages = self._messages
        if messages:
            first = messages[0]
            if first.complete and not first.body and first.head is not None:
                messages.popleft()
                if messages and messages[0].head is not None:  # pipelined, parsed already
                    return messages[0].head
        deadline: float | None = None
        while True:
            if messages:
                message = messages[0]
                if message.head is not None:
                    if deadline is not None:
                        set_timeout(self._sock, self._limits.idle_timeout)
                    return message.head
                if message.error is not None:
                    raise message.error
            if self._dead:
                return None
            if deadline is None and self._head_bytes:
                timeout = self._limits.head_timeout
                if timeout is not None:
                    deadline = time.monotonic() + timeout
            if not self._receive(deadline):
                return None

    def read(self, size: int = -1) -> bytes:
        """Up to *size* bytes of the current request's body (all with -1); b"" at its end.

        Raises:
            ProtocolError: The body is malformed or over the limit.
            ConnectionError: The client went away in the middle of the body.
        """
        message = self._messages[0]
        while not message.body and not message.complete:
            if message.error is not None:
                raise message.error
            if self._dead or not self._receive(None):
                raise ConnectionAbortedError("the client stopped sending in the middle of a body")
        if not message.body:
            if message.error is not None:
                raise message.error
            return b""
        if size < 0:
            pieces: list[bytes] = []
            while True:
                pieces.extend(message.body)
                message.body.clear()
                if message.complete or message.error is not None:
                    break
                if self._dead or not self._receive(None):
                    raise ConnectionAbortedError(
                        "the client stopped sending in the middle of a body"
                    )
            if message.error is not None:
                raise message.error
            return b"".join(pieces)
        chunk = message.body.popleft()
        if len(chunk) > size:
            message.body.appendleft(chunk[size:])
            chunk = chunk[:size]
        return chunk

    def drain(self, limit: int) -> bool:
        """Read and drop what is left of the current body, up to *limit* bytes.

        Returns:
            True when the next request can be read (the body ended within the limit).
        """
        return drain(self.read, limit, _RECV_SIZE)

    @property
    def body_complete(self) -> bool:
        """Whether the current request's body has been read to its end."""
        message = self._messages[0]
        return message.complete and not message.body

    # -- feeding the parser -----------------------------------------------------------

    def _receive(self, deadline: float | None) -> bool:
        """Receive once and feed the parser; False when the client closed or went quiet."""
        sock = self._sock
        at_deadline = arm_receive(sock, deadline, self._limits)
        try:
            count = sock.recv_into(self._buffer)
        except TIMEOUTS:
            if at_deadline:
                raise head_timeout(self._limits) from None
            return False
        if not count:
            return False
        if self._first:
            self._first = False
            if self._buffer[0] == 0x16:  # a TLS ClientHello on this plain port
                raise ProtocolError(0, "a TLS handshake on a plain HTTP port", "tls-to-plain")
        data = self._view[:count]
        if self._in_head:
            self._head_bytes += count
        probe = self._probe
        if probe is not None:
            buffer = self._buffer
            end = buffer.find(b"\n", 0, count)
            if probe or end < 1 or buffer[0] in _CRLF:
                self._check_probe(bytes(data if end < 0 else data[: end + 1]))
            else:  # the common case: a whole request line at the start of this read
                self._probe = None
                if request_line_ok(buffer, end + 1) is None:
                    check_request_line(bytes(data[: end + 1]))
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._failed(exc)
        if self._building is None:
            # Between requests: what arrives next starts a request line.
            self._probe = b""
        if self._in_head and not self._dead and self._head_bytes > self._limits.header_block:
            # Received, not parsed yet: a head this long cannot end within the limit.
            raise _head_too_large(self._limits)
        return True

    def _check_probe(self, data: bytes) -> None:
        # llhttp takes several spaces between the parts of a request line; RFC 9112
        # wants one. The line is checked when a request starts at the beginning of
        # what was received (a request pipelined behind another is llhttp's alone).
        probe = self._probe + data if self._probe else data
        if b"\n" in probe.lstrip(b"\r\n"):
            self._probe = None
            check_request_line(probe)
        elif len(probe) > self._limits.request_line:
            self._probe = None  # llhttp answers 414
        else:
            self._probe = probe

    def _failed(self, exc: httptools.HttpParserError) -> None:
        """What the parser raised: the end of a message (an upgrade) or an error."""
        self._dead = True
        if isinstance(exc, httptools.HttpParserUpgrade):
            # The request is complete and what follows is another protocol, which
            # this server does not speak: answer the request, then close.
            if self._messages:
                head = self._messages[-1].head
                if head is not None:
                    head.upgrade = True
            return
        error = exc.__context__ if isinstance(exc.__context__, ProtocolError) else None
        if error is None:
            error = _classify(exc)
        message = self._building
        if message is None:
            message = _Message()
            self._messages.append(message)
        message.error = error

    # -- httptools callbacks ----------------------------------------------------------

    def on_message_begin(self) -> None:
        message = _Message()
        self._building = message
        self._messages.append(message)
        self._add_header = message.raw.append

    def on_url(self, url: bytes) -> None:
        message = self._building
        if message is not None:
            message.url += url
            if len(message.url) > self._limits.request_line:
                limit = self._limits.request_line
                raise ProtocolError(
                    414, f"the request target is over {limit} bytes", "uri-too-long"
                )

    def on_header(self, name: bytes, value: bytes) -> None:
        # The hottest callback: keep the bytes; on_headers_complete decodes them.
        # What is fed while a head is open is bounded (_receive), so is this list.
        self._add_header((name, value))

    def on_headers_complete(self) -> None:
        message = self._building
        if message is None:
            return
        limits = self._limits
        raw = message.raw
        if len(raw) > limits.header_count:
            limit = limits.header_count
            raise ProtocolError(431, f"more than {limit} header fields", "head-too-large")
        if self._head_bytes > limits.header_block and (
            sum(len(n) + len(v) + 4 for n, v in raw) + len(message.url) > limits.header_block
        ):
            raise _head_too_large(limits)
        headers = [(n, v.strip(b" \t")) for n, v in raw]
        parser = self._parser
        method = _METHODS.get(parser.get_method()) or parser.get_method().decode("ascii")
        version = parser.get_http_version()
        length, expect = check_framing(method, version, headers, limits.body)
        target = message.url.decode("latin-1")
        if "://" in target:
            check_target(target)
        head = RequestHead(
            method,
            target,
            _VERSIONS.get(version) or f"HTTP/{version}",
            headers,
            parser.should_keep_alive(),
            length,
        )
        head.expect_continue = expect
        message.head = head
        self._in_head = False
        self._head_bytes = 0

    def on_body(self, body: bytes) -> None:
        message = self._building
        if message is not None:
            message.body.append(body)
            message.received += len(body)
            limit = self._limits.body
            if limit is not None and message.received > limit:
                raise ProtocolError(
                    413,
                    f"the body is over the limit of {limit} bytes (raise it with max_body_size=)",
                    "body-too-large",
                )

    def on_message_complete(self) -> None:
        message = self._building
        if message is not None:
            message.complete = True
        self._building = None
        self._in_head = True


def _no_message(header: tuple[bytes, bytes]) -> None:
    """Where header fields would go outside a message (llhttp never calls it so)."""


def _head_too_large(limits: Limits) -> ProtocolError:
    limit = limits.header_block
    return ProtocolError(431, f"the request head is over {limit} bytes", "head-too-large")


def _classify(exc: httptools.HttpParserError) -> ProtocolError:
    """llhttp's error as the answer RFC 9112 gives it."""
    text = str(exc)
    if isinstance(exc, httptools.HttpParserInvalidMethodError):
        # A method that is no token fails the request-line check first.
        return ProtocolError(501, "unknown method", "unknown-method")
    if "version" in text.lower():
        return ProtocolError(505, f"unsupported HTTP version ({text})", "bad-version")
    if text == "Duplicate Content-Length":
        return ProtocolError(400, "a request must not have several Content-Length headers")
    if "Content-Length" in text and "Transfer-Encoding" in text:
        return ProtocolError(
            400, "a request must not have both Content-Length and Transfer-Encoding"
        )
    return ProtocolError(400, f"malformed request: {text}")
