"""Parsing an HTTP/1.x request head: the request line and the header block.

The standard library parses headers with the ``email`` package, which costs more
than everything else a request does here; a request head needs far less (RFC 9112
section 5). Errors carry the status to answer with.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

__all__ = ["HeadError", "RequestHeaders", "parse_header_block", "parse_request_line"]

# The standard library's limit on the number of header lines.
MAX_HEADERS = 100

# RFC 9110 section 5.6.2: methods and field names are tokens.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_VERSION = re.compile(r"HTTP/(\d{1,10})\.(\d{1,10})")


class HeadError(Exception):
    """The request head is malformed; answer *status* with this explanation."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class RequestHeaders:
    """Request headers in arrival order, looked up without regard to case.

    Offers the part of ``email.message.Message`` that request handlers use:
    ``get``, ``get_all``, ``items``, ``keys``, ``values``, ``in``, indexing, ``len``.
    """

    def __init__(self, fields: list[tuple[str, str]]) -> None:
        self._fields = fields
        index: dict[str, list[str]] = {}
        for name, value in fields:
            index.setdefault(name.lower(), []).append(value)
        self._index = index

    def get(self, name: str, default: str | None = None) -> str | None:
        values = self._index.get(name.lower())
        return values[0] if values else default

    def get_all(self, name: str, default: list[str] | None = None) -> list[str] | None:
        values = self._index.get(name.lower())
        return list(values) if values else default

    def __getitem__(self, name: str) -> str | None:
        return self.get(name)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._index

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._fields)

    def __len__(self) -> int:
        return len(self._fields)

    def items(self) -> list[tuple[str, str]]:
        return list(self._fields)

    def keys(self) -> list[str]:
        return [name for name, _ in self._fields]

    def values(self) -> list[str]:
        return [value for _, value in self._fields]

    def __repr__(self) -> str:
        return f"RequestHeaders({self._fields!r})"


def parse_request_line(line: str) -> tuple[str, str, str, tuple[int, int]]:
    """Split ``METHOD target HTTP/x.y`` into its parts.

    A two-word ``GET`` line (HTTP/0.9 style) is taken as HTTP/1.0, answered once
    and closed, so that every reply still has a status line.

    Returns:
        ``(method, target, version, (major, minor))``.

    Raises:
        HeadError: 400 for a malformed line or method, 505 for HTTP/2 and later.
    """
    words = line.split()
    if len(words) == 3:
        method, target, version = words
        match = _VERSION.fullmatch(version)
        if match is None:
            raise HeadError(400, f"Bad request version ({version!r})")
        number = (int(match.group(1)), int(match.group(2)))
        if number >= (2, 0):
            raise HeadError(505, f"Invalid HTTP version ({version[5:]})")
    elif len(words) == 2 and words[0] == "GET":
        method, target = words
        version, number = "HTTP/1.0", (1, 0)
    else:
        raise HeadError(400, f"Bad request syntax ({line!r})")
    if not _TOKEN.fullmatch(method):
        raise HeadError(400, f"invalid method {method!r}")
    return method, target, version, number


def parse_header_block(block: bytes) -> RequestHeaders:
    """Parse the header lines of a request head (ending with the empty line).

    Obsolete line folding is joined with a space (RFC 9112 section 5.2).

    Raises:
        HeadError: 400 for a line that is not ``name: value`` (including a space
            before the colon), 431 for more than ``MAX_HEADERS`` lines.
    """
    fields: list[tuple[str, str]] = []
    for raw in block.split(b"\n"):
        line = raw.rstrip(b"\r").decode("latin-1")
        if not line:
            continue
        if line[0] in " \t":
            if not fields:
                raise HeadError(400, "the header block starts with a continuation line")
            name, value = fields[-1]
            fields[-1] = (name, f"{value} {line.strip()}")
            continue
        name, colon, value = line.partition(":")
        if not colon or not _TOKEN.fullmatch(name):
            raise HeadError(400, f"invalid header line {line[:80]!r}")
        fields.append((name, value.strip(" \t")))
        if len(fields) > MAX_HEADERS:
            raise HeadError(431, f"got more than {MAX_HEADERS} headers")
    return RequestHeaders(fields)
