"""Reading a request body: by Content-Length or chunked (RFC 9112 sections 6 and 7).

Both streams refuse to read past the body, so the next request on a kept-alive
connection starts where it should, and both turn a client that stops short into
werkzeug's ``ClientDisconnected`` (answered 400) instead of waiting or guessing.
"""

from __future__ import annotations

import io
import re
import socket
from typing import Any

from werkzeug.exceptions import ClientDisconnected

__all__ = [
    "BadRequestBody",
    "BodyStream",
    "ChunkedBodyStream",
    "body_stream_for",
    "read_body",
]

_READ_PIECE = 64 * 1024
# A chunk size line: hex digits, optional extensions after ";" (RFC 9112 7.1.1).
_CHUNK_SIZE = re.compile(rb"([0-9A-Fa-f]{1,16})[ \t]*(?:;[^\r\n]*)?\r?\n")
_LINE_LIMIT = 8 * 1024
_TRAILER_LIMIT = 64 * 1024
# Larger Content-Length values are refused (2**63 - 1, the largest file offset).
_MAX_LENGTH = 2**63 - 1


class BadRequestBody(Exception):
    """The request cannot be framed or read; answer 400 and close the connection."""


def _short(what: str) -> ClientDisconnected:
    return ClientDisconnected(f"the client stopped sending {what}")


class BodyStream(io.RawIOBase):
    """``wsgi.input`` for a body of known length: never reads past it.

    ``read()`` without a size makes one allocation of the remaining size, so a
    100 MB body costs 100 MB, not twice that.
    """

    def __init__(self, rfile: Any, length: int) -> None:
        super().__init__()
        self._rfile = rfile
        self.remaining = length

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if self.remaining <= 0:
            return b""
        if size is None or size < 0 or size > self.remaining:
            size = self.remaining
        # None: the idle timeout ran out (see set_idle_timeout).
        data: bytes = self._rfile.read(size) or b""
        self.remaining -= len(data)
        if len(data) < size:
            self.remaining = 0
            raise _short("before the end of its Content-Length")
        return data

    def readall(self) -> bytes:
        return self.read()

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def readline(self, size: int | None = -1) -> bytes:
        limit = self.remaining if size is None or size < 0 else min(size, self.remaining)
        if limit <= 0:
            return b""
        data: bytes = self._rfile.readline(limit) or b""
        self.remaining -= len(data)
        if not data:
            self.remaining = 0
            raise _short("before the end of its Content-Length")
        return data


class ChunkedBodyStream(io.RawIOBase):
    """``wsgi.input`` for a chunked body: yields the data, stops after the last chunk.

    Chunk extensions are ignored and trailer fields are read and dropped, as RFC
    9112 allows. A size line that is not hex (or longer than 16 digits), a chunk
    not followed by CRLF, or a client that stops early raises an error: ``OSError``
    for bad framing, ``ClientDisconnected`` for a body cut short.
    """

    def __init__(self, rfile: Any) -> None:
        super().__init__()
        self._rfile = rfile
        self._left = 0  # bytes left in the current chunk
        self._done = False

    def readable(self) -> bool:
        return True

    def _line(self, what: str) -> bytes:
        line: bytes = self._rfile.readline(_LINE_LIMIT + 1) or b""
        if not line.endswith(b"\n"):
            if len(line) > _LINE_LIMIT:
                raise OSError(f"{what} longer than {_LINE_LIMIT} bytes")
            raise _short(f"in a {what}")
        return line

    def _next_chunk(self) -> None:
        line = self._line("chunk size line")
        match = _CHUNK_SIZE.fullmatch(line)
        if match is None:
            raise OSError(f"invalid chunk size line {line[:40]!r}")
        self._left = int(match.group(1), 16)
        if self._left == 0:
            self._skip_trailers()
            self._done = True

    def _skip_trailers(self) -> None:
        total = 0
        while True:
            line = self._line("trailer line")
            if line in (b"\r\n", b"\n"):
                return
            total += len(line)
            if total > _TRAILER_LIMIT:
                raise OSError(f"trailer fields longer than {_TRAILER_LIMIT} bytes")

    def _end_of_chunk(self) -> None:
        end = self._line("chunk end")
        if end not in (b"\r\n", b"\n"):
            raise OSError("chunk data longer than its size line said")

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            return b"".join(iter(lambda: self.read(_READ_PIECE), b""))
        if size == 0 or self._done:
            return b""
        if self._left == 0:
            self._next_chunk()
            if self._left == 0:  # the last chunk
                return b""
        want = min(size, self._left)
        data: bytes = self._rfile.read(want) or b""
        if len(data) < want:
            raise _short("in the middle of a chunk")
        self._left -= len(data)
        if self._left == 0:
            self._end_of_chunk()
        return data

    def readall(self) -> bytes:
        return self.read()

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def body_stream_for(environ: dict[str, Any], rfile: Any) -> tuple[Any, bool]:
    """Install the body stream of a request into *environ*.

    Returns:
        ``(stream, close)``: *close* is True when the connection cannot be
        reused after this request (both Transfer-Encoding and Content-Length).

    Raises:
        BadRequestBody: An invalid or conflicting Content-Length.
    """
    raw = environ.get("CONTENT_LENGTH", "")
    codings = environ.get("HTTP_TRANSFER_ENCODING", "").lower().split(",")
    stream: Any
    if "chunked" in (coding.strip() for coding in codings):
        stream = ChunkedBodyStream(rfile)
        close = bool(raw)  # RFC 9112 6.1: a message with both must not be reused
    else:
        length = _content_length(raw)
        stream = BodyStream(rfile, length)
        close = False
    environ["wsgi.input"] = stream
    environ["wsgi.input_terminated"] = True
    return stream, close


def _content_length(raw: str) -> int:
    if not raw:
        return 0
    values = {value.strip() for value in raw.split(",")}
    if len(values) > 1:
        raise BadRequestBody(f"conflicting Content-Length values {raw!r}")
    (value,) = values
    if not (value.isascii() and value.isdigit()):
        raise BadRequestBody(f"invalid Content-Length {raw!r}")
    length = int(value)
    if length > _MAX_LENGTH:
        raise BadRequestBody(f"Content-Length {raw!r} is too large")
    return length


def read_body(environ: dict[str, Any], keep: bool = True) -> bytes:
    """Read the whole request body; with ``keep=False`` discard it as it arrives.

    Raises:
        BadRequestBody: Invalid chunked framing, or the client sent less than it
            announced.
    """
    stream = environ["wsgi.input"]
    try:
        if keep:
            if isinstance(stream, BodyStream):
                return stream.read()
            return b"".join(iter(lambda: stream.read(_READ_PIECE), b""))
        while stream.read(_READ_PIECE):
            pass
        return b""
    except ClientDisconnected as exc:
        raise BadRequestBody(f"incomplete request body: {exc.description}") from exc
    except (ConnectionError, socket.timeout):
        raise
    except (OSError, ValueError) as exc:
        raise BadRequestBody(f"invalid chunked request body: {exc}") from exc
