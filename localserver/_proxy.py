"""Forward one request to an upstream server and stream its answer back.

:func:`forward` sends the request on a fresh ``http.client`` connection (method,
path as the client sent it, query, end-to-end headers with ``Host`` rewritten,
body streamed), and returns a :class:`ForwardedResponse` as soon as the
upstream's status line and headers arrive; the body follows as a generator of
chunks, so a large answer never sits in memory. The first *capture* bytes of
each body are kept for recording.

Failures reaching the upstream raise :class:`UpstreamError`, which carries the
status to answer (502 refused / unreachable / TLS / bad response, 504 timeout)
and a text saying which, with the upstream's address.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from collections.abc import Iterator
from types import TracebackType
from urllib.parse import quote, urlsplit

from werkzeug.wrappers import Request

from ._hop_by_hop import end_to_end
from ._upstream import (
    DEFAULT_TIMEOUT,
    Connection,
    Upstream,
    UpstreamError,
    connect_failure,
    failure,
)

__all__ = ["ForwardedResponse", "Upstream", "UpstreamError", "forward"]

CHUNK_SIZE = 64 * 1024
# Characters left as they are when a decoded path is quoted again.
_PATH_SAFE = "/:@!$&'()*+,;=~"


class ForwardedResponse:
    """The upstream's answer: status, reason and headers now, the body as it streams.

    Iterate over it (or over :attr:`body`) once to receive the body in chunks
    of at most *chunk_size* bytes; the connection closes at the end of the body,
    on :meth:`close`, or when the generator is closed. A failure mid-body raises
    :class:`UpstreamError` from the iteration (the status line has gone by then:
    the caller can only cut the connection).

    Attributes:
        status: The upstream's status code.
        reason: Its reason phrase, as sent.
        http_version: ``"HTTP/1.1"`` or ``"HTTP/1.0"``.
        headers: The upstream's headers in order, duplicates kept, minus the
            hop-by-hop ones.
        length: The body size the upstream announced (``Content-Length``), or
            ``None`` when it did not (chunked, up to the close, or no body).
        chunked: Whether the upstream sent the body chunked (a
            ``Content-Length`` it sent beside does not count).
        url: The upstream URL the request went to.
        sent_body: The first *capture* bytes of the request body sent.
        sent_size: The size of the request body sent.
        captured: The first *capture* bytes of the response body (grows while
            the body streams).
        size: Response body bytes streamed so far.
        complete: True once the whole body has been read.
        aborted: True once :meth:`abort` was called.
        connect_ms, send_ms, wait_ms, receive_ms: Milliseconds spent connecting,
            sending the request, waiting for the head, and reading the body
            (``receive_ms`` is known once the body is complete).
    """

    def __init__(
        self,
        response: http.client.HTTPResponse,
        connection: Connection,
        upstream: Upstream,
        *,
        url: str,
        method: str,
        capture: int,
        chunk_size: int,
    ) -> None:
        self.status = response.status
        self.reason = response.reason
        self.http_version = "HTTP/1.0" if response.version == 10 else "HTTP/1.1"
        self.headers = end_to_end(response.getheaders())
        self.url = url
        self.sent_body = b""
        self.sent_size = 0
        self.captured = b""
        self.size = 0
        self.complete = False
        self.aborted = False
        self.connect_ms = self.send_ms = self.wait_ms = self.receive_ms = 0.0
        self._response = response
        self._connection = connection
        self._upstream = upstream
        self._capture = capture
        self._chunk_size = chunk_size
        self.length = _expected_length(method, self.status, response.getheaders())
        self.chunked = bool(response.chunked)
        self.body: Iterator[bytes] = self._stream()

    @property
    def truncated(self) -> bool:
        """True when the body is longer than what :attr:`captured` holds."""
        return self.size > len(self.captured)

    def _stream(self) -> Iterator[bytes]:
        started = time.monotonic()
        kept = bytearray()
        try:
            while True:
                data = self._read()
                if not data:
                    break
                self.size += len(data)
                if len(kept) < self._capture:
                    kept += data[: self._capture - len(kept)]
                    self.captured = bytes(kept)
                yield data
            if self.length is not None and self.size < self.length:
                # http.client returns a short body without complaint; a proxy must not.
                raise failure(
                    self._upstream,
                    "bad-response",
                    "reading the body",
                    f"it ended after {self.size} of the {self.length} bytes of its Content-Length",
                )
            self.complete = True
            self.receive_ms = (time.monotonic() - started) * 1000
        finally:
            self.close()

    def _read(self) -> bytes:
        try:
            return self._response.read1(self._chunk_size)
        except socket.timeout:
            raise failure(self._upstream, "timeout", "reading the body") from None
        except (OSError, http.client.HTTPException) as exc:
            raise failure(self._upstream, "bad-response", "reading the body", exc) from exc

    def __iter__(self) -> Iterator[bytes]:
        return self.body

    def close(self) -> None:
        """Close the upstream connection (the rest of the body is not read)."""
        self._response.close()
        self._connection.close()

    def abort(self) -> None:
        """End the exchange from another thread: a read under way returns at once.

        Closing a socket does not wake a thread blocked reading it; shutting it
        down does. The body then ends early (or fails); :attr:`aborted` says why.
        """
        self.aborted = True
        sock = self._connection.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # closed already

    def __enter__(self) -> ForwardedResponse:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<ForwardedResponse {self.status} {self.reason} from {self.url}>"


def forward(
    request: Request,
    upstream: str | Upstream,
    *,
    body: bytes | None = None,
    ssl_context: ssl.SSLContext | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    capture: int = 0,
    chunk_size: int = CHUNK_SIZE,
) -> ForwardedResponse:
    """Send *request* to *upstream* and return its answer once the head has arrived.

    Args:
        request: The request to pass on (a werkzeug ``Request``): its method,
            path as sent (``RAW_URI``), query and end-to-end headers; ``Host``
            becomes the upstream's.
        upstream: An :class:`Upstream` or a base URL (then *ssl_context* and
            *timeout* apply as for :class:`Upstream`).
        body: The request body when it has been read already (a
            ``RecordedRequest``: ``request.get_data()``); by default it is
            streamed from ``request.stream``, ``Content-Length`` bytes or, for a
            chunked request, until its end.
        ssl_context: See :class:`Upstream` (only with a URL).
        timeout: See :class:`Upstream` (only with a URL).
        capture: Keep up to this many bytes of each body for recording.
        chunk_size: The largest chunk read from the upstream at once.

    Returns:
        The :class:`ForwardedResponse`; iterate over it to stream the body.

    Raises:
        UpstreamError: Connecting, TLS, sending or reading the head failed.
        ValueError: The request body ended before its ``Content-Length``
            (pass ``body=request.get_data()`` when it was read already).
    """
    if not isinstance(upstream, Upstream):
        upstream = Upstream(upstream, ssl_context=ssl_context, timeout=timeout)
    elif ssl_context is not None or timeout != DEFAULT_TIMEOUT:
        raise ValueError("pass ssl_context and timeout to Upstream(...), not beside one")
    if capture < 0 or chunk_size < 1:
        raise ValueError(
            f"'capture' must be >= 0 and 'chunk_size' >= 1 (got {capture}, {chunk_size})"
        )
    target = upstream.prefix + _path_as_sent(request)
    url = f"{upstream.scheme}://{upstream.host_header}{target}"
    connection = upstream.connect()
    try:
        started = time.monotonic()
        try:
            connection.connect()
        except (OSError, ssl.SSLError) as exc:
            raise connect_failure(upstream, exc) from exc
        connected = time.monotonic()
        sent, sent_size = _send(connection, request, target, upstream, body, capture)
        written = time.monotonic()
        try:
            response = connection.getresponse()
        except socket.timeout:
            raise failure(upstream, "timeout", "waiting for the response head") from None
        except (OSError, http.client.HTTPException) as exc:
            raise failure(upstream, "bad-response", "reading the response head", exc) from exc
    except BaseException:
        connection.close()
        raise
    forwarded = ForwardedResponse(
        response,
        connection,
        upstream,
        url=url,
        method=request.method,
        capture=capture,
        chunk_size=chunk_size,
    )
    forwarded.sent_body, forwarded.sent_size = sent, sent_size
    forwarded.connect_ms = (connected - started) * 1000
    forwarded.send_ms = (written - connected) * 1000
    forwarded.wait_ms = (time.monotonic() - written) * 1000
    return forwarded


def _expected_length(method: str, status: int, headers: list[tuple[str, str]]) -> int | None:
    """The body size a response announces with Content-Length (None: no such promise)."""
    if method == "HEAD" or status < 200 or status in (204, 304):
        return None
    keys = {n.lower(): v for n, v in headers}
    if "chunked" in keys.get("transfer-encoding", "").lower():
        return None  # http.client checks the chunks itself
    length = keys.get("content-length", "").strip()
    return int(length) if length.isdigit() else None


def _path_as_sent(request: Request) -> str:
    """The request target's path and query, in the bytes the client sent."""
    raw = str(request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or "")
    if raw.startswith("/"):
        path = raw.partition("?")[0]
    elif "://" in raw:  # absolute-form, as sent to a proxy
        path = urlsplit(raw).path or "/"
    else:
        path = quote(request.environ.get("PATH_INFO", "/").encode("latin-1"), safe=_PATH_SAFE)
    query = request.query_string.decode("latin-1")
    return f"{path}?{query}" if query else path


def _send(
    connection: Connection,
    request: Request,
    target: str,
    upstream: Upstream,
    body: bytes | None,
    capture: int,
) -> tuple[bytes, int]:
    """Send the head and the body; return (captured body, body size)."""
    incoming = list(request.headers.items())
    chunked = any(n.lower() == "transfer-encoding" and "chunked" in v.lower() for n, v in incoming)
    length = request.content_length
    if body is not None and (body or length is not None or chunked):
        length, chunked = len(body), False
    headers = [("Host", upstream.host_header)] + [
        (n, v) for n, v in end_to_end(incoming) if n.lower() not in ("host", "content-length")
    ]
    if chunked:
        headers.append(("Transfer-Encoding", "chunked"))
    elif length is not None:
        headers.append(("Content-Length", str(length)))
    try:
        connection.putrequest(request.method, target, skip_host=True, skip_accept_encoding=True)
        for name, value in headers:
            connection.putheader(name, value)
        connection.endheaders()
        if body is not None:
            if body:
                connection.send(body)
            return body[:capture], len(body)
        return _send_stream(connection, request, length, chunked, capture)
    except socket.timeout:
        raise failure(upstream, "timeout", "sending the request") from None
    except (OSError, http.client.HTTPException) as exc:
        raise failure(upstream, "bad-response", "sending the request", exc) from exc


def _send_stream(
    connection: Connection, request: Request, length: int | None, chunked: bool, capture: int
) -> tuple[bytes, int]:
    if not chunked and not length:
        return b"", 0
    stream = request.stream
    kept = bytearray()
    size = 0
    while length is None or size < length:
        want = CHUNK_SIZE if length is None else min(CHUNK_SIZE, length - size)
        data = stream.read(want)
        if not data:
            break
        size += len(data)
        if len(kept) < capture:
            kept += data[: capture - len(kept)]
        connection.send(b"%x\r\n%s\r\n" % (len(data), data) if chunked else data)
    if chunked:
        connection.send(b"0\r\n\r\n")
    elif size != length:
        raise ValueError(
            f"the request body ended after {size} of its {length} bytes (Content-Length); "
            "if it was read already (a RecordedRequest), pass body=request.get_data()"
        )
    return bytes(kept), size
