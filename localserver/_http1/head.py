"""A parsed request head, the limits a connection enforces, and the refusals.

Both parsers (httptools and the h11 fallback) produce a :class:`RequestHead` and
raise :class:`ProtocolError`; the checks here are the ones RFC 9112 asks of a
server on top of what a parser does, written once so that both parsers answer the
same request the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = [
    "DEFAULT_LIMITS",
    "KNOWN_METHODS",
    "Limits",
    "ProtocolError",
    "RequestHead",
    "check_codings",
    "check_framing",
    "check_request_line",
    "check_target",
    "request_line_ok",
]


class ProtocolError(Exception):
    """A request the server refuses: answer *status* with *message*, then close.

    Attributes:
        status: The status to answer with (400, 408, 413, 414, 431, 501, 505).
        message: One sentence for the client (and the checks) saying what was wrong.
        kind: A short name for the report, e.g. ``"body-too-large"``.
    """

    def __init__(self, status: int, message: str, kind: str = "malformed-request") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.kind = kind


@dataclass(frozen=True)
class Limits:
    """What one connection accepts; past a limit the request is refused and closed.

    Attributes:
        header_block: Bytes of the request head, request line included (431).
        header_count: Header fields in one request (431).
        request_line: Bytes of the request target (414).
        body: Bytes of a request body, declared or received (413); None: no limit.
        head_timeout: Seconds from the first byte of a request head to its end (408);
            None: no deadline.
        idle_timeout: Seconds a connection may stay silent; None: for ever.
    """

    header_block: int = 64 * 1024
    header_count: int = 100
    request_line: int = 64 * 1024
    body: int | None = 1024**3
    head_timeout: float | None = 10.0
    idle_timeout: float | None = 60.0


DEFAULT_LIMITS = Limits()

# The methods llhttp knows (RFC 9110 and the IANA registry, WebDAV, UPnP, ...): a
# request with another method gets 501 from both parsers.
KNOWN_METHODS = frozenset(
    {
        "ACL", "BIND", "CHECKOUT", "CONNECT", "COPY", "DELETE", "GET", "HEAD", "LINK", "LOCK",
        "M-SEARCH", "MERGE", "MKACTIVITY", "MKCALENDAR", "MKCOL", "MOVE", "NOTIFY", "OPTIONS",
        "PATCH", "POST", "PROPFIND", "PROPPATCH", "PURGE", "PUT", "QUERY", "REBIND", "REPORT",
        "SEARCH", "SOURCE", "SUBSCRIBE", "TRACE", "UNBIND", "UNLINK", "UNLOCK", "UNSUBSCRIBE",
    }
)  # fmt: skip

# The transfer codings of the IANA registry; any other is unknown (501).
_KNOWN_CODINGS = frozenset({"chunked", "compress", "deflate", "gzip", "x-compress", "x-gzip"})

# RFC 9112 section 3: method SP request-target SP HTTP-version CRLF, one SP each,
# after any empty lines (section 2.2).
_REQUEST_LINE = re.compile(
    rb"(?:\r?\n)*[!#$%&'*+.^_`|~0-9A-Za-z-]+ [^\x00-\x20\x7f]+ HTTP/\d\.\d\r\n"
)


class RequestHead:
    """The request line and header fields of one request, as received.

    Header names keep the client's spelling; values are stripped of surrounding
    whitespace (RFC 9110 section 5.5). The fields stay bytes until something reads
    :attr:`headers` (strings decoded as Latin-1): most requests are answered
    without that.
    """

    __slots__ = (
        "_headers",
        "content_length",
        "expect_continue",
        "keep_alive",
        "method",
        "raw_headers",
        "target",
        "upgrade",
        "version",
    )

    def __init__(
        self,
        method: str,
        target: str,
        version: str,
        raw_headers: list[tuple[bytes, bytes]],
        keep_alive: bool,
        content_length: int | None,
    ) -> None:
        self.method = method
        self.target = target
        self.version = version
        self.raw_headers = raw_headers
        self._headers: list[tuple[str, str]] | None = None
        self.keep_alive = keep_alive
        self.content_length = content_length
        self.expect_continue = False
        self.upgrade = False

    @property
    def headers(self) -> list[tuple[str, str]]:
        """The header fields as ``(name, value)`` strings, in arrival order."""
        headers = self._headers
        if headers is None:
            headers = self._headers = [
                (n.decode("latin-1"), v.decode("latin-1")) for n, v in self.raw_headers
            ]
        return headers

    def __repr__(self) -> str:
        return f"<RequestHead {self.method} {self.target} {self.version}>"


def request_line_ok(data: bytes | bytearray, end: int) -> object:
    """A match when ``data[:end]`` is one well-formed request line (no copy is made)."""
    return _REQUEST_LINE.match(data, 0, end)


def check_request_line(data: bytes) -> None:
    """Refuse a request line with stray whitespace (*data* starts with the line).

    Raises:
        ProtocolError: 400 when the line is not ``method SP target SP version``.
    """
    if _REQUEST_LINE.match(data) is None:
        end = data.find(b"\n")
        shown = data[: end if end >= 0 else 80].rstrip(b"\r")[:80]
        raise ProtocolError(
            400,
            f"malformed request line {shown!r}: RFC 9112 wants "
            "'METHOD SP target SP HTTP/1.1' with single spaces",
        )


def check_target(target: str) -> None:
    """Refuse a request target that cannot be a URL (an absolute URL that does not parse).

    Raises:
        ProtocolError: 400.
    """
    if "://" in target and not target.startswith("/"):
        try:
            urlsplit(target)
        except ValueError as exc:
            raise ProtocolError(400, f"invalid request target {target[:80]!r}: {exc}") from None


def check_framing(
    method: str, version: str, headers: list[tuple[bytes, bytes]], body_limit: int | None
) -> tuple[int | None, bool]:
    """The checks of a head that RFC 9112 adds to a parser's.

    Returns:
        ``(content_length, expect_continue)``: the body's length (``None`` for a
        chunked body, 0 for none) and whether the client waits for 100 Continue.

    Raises:
        ProtocolError: 505 for a version other than 1.0 or 1.1; 501 for an unknown
            method or transfer coding, or a coding other than chunked; 400 for a
            missing Host on HTTP/1.1, Content-Length with Transfer-Encoding,
            repeated or invalid Content-Length, or chunked that is not the final
            coding; 413 for a declared body over *body_limit*.
    """
    if version != "1.1" and version != "1.0":
        if version.startswith("0."):
            raise ProtocolError(400, f"HTTP/{version} requests are not supported; use HTTP/1.1")
        raise ProtocolError(505, f"HTTP/{version} is not supported; use HTTP/1.1", "bad-version")
    if method not in KNOWN_METHODS:
        raise ProtocolError(501, f"unknown method {method!r}", "unknown-method")
    lengths: list[str] = []
    codings: list[str] = []
    host = 0
    expect = False
    # One pass; a name is lower-cased only when its length could make it one of ours.
    for name, value in headers:
        size = len(name)
        if size == 4:
            if name.lower() == b"host":
                host += 1
        elif size == 14:
            if name.lower() == b"content-length":
                lengths.append(value.decode("latin-1"))
        elif size == 17:
            if name.lower() == b"transfer-encoding":
                text = value.decode("latin-1").lower()
                codings += [c.strip() for c in text.split(",") if c.strip()]
        elif size == 6 and name.lower() == b"expect" and value.lower() == b"100-continue":
            expect = version == "1.1"
    if host != 1 and version == "1.1":
        what = "no Host header" if host == 0 else "several Host headers"
        raise ProtocolError(400, f"an HTTP/1.1 request must have one Host header; it had {what}")
    if codings:
        if lengths:
            raise ProtocolError(
                400, "a request must not have both Content-Length and Transfer-Encoding"
            )
        check_codings(codings)
        return None, expect
    if not lengths:
        return 0, expect
    if len(lengths) > 1:
        raise ProtocolError(400, "a request must not have several Content-Length headers")
    text = lengths[0]
    if not (text.isascii() and text.isdigit()):
        raise ProtocolError(400, f"invalid Content-Length {text!r}")
    length = int(text)
    if length >= 2**63:
        raise ProtocolError(400, f"invalid Content-Length {text!r}: too large to be a length")
    if body_limit is not None and length > body_limit:
        raise ProtocolError(
            413,
            f"the declared body of {length} bytes is over the limit of {body_limit} bytes "
            "(raise it with max_body_size=)",
            "body-too-large",
        )
    return length, expect


def check_codings(codings: list[str]) -> None:
    """Refuse transfer codings other than a final ``chunked`` (lower-case names).

    Raises:
        ProtocolError: 501 for a coding that is unknown or not implemented, 400
            when chunked is not the final coding, once.
    """
    unknown = [c for c in codings if c not in _KNOWN_CODINGS]
    if unknown:
        raise ProtocolError(501, f"unknown transfer coding {unknown[0]!r}", "unknown-coding")
    if codings[-1] != "chunked" or codings.count("chunked") > 1:
        raise ProtocolError(
            400,
            f"Transfer-Encoding {', '.join(codings)!r}: chunked must be the final coding, "
            "once (the body length cannot be known otherwise)",
        )
    if len(codings) > 1:
        raise ProtocolError(
            501, f"transfer coding {codings[0]!r} is not implemented", "unknown-coding"
        )
