"""The HTTP/1.1 connection handler behind every HTTP server.

werkzeug's ``WSGIRequestHandler`` builds the WSGI environ; this subclass replaces its
response writer so that connections are kept alive whenever the response framing
allows it (werkzeug's own server closes every connection, werkzeug#2397), the request
body is drained before the next request is read, and bad framing gets a 400.
"""

from __future__ import annotations

import email.utils
import logging
import socket
import ssl
import struct
import sys
import threading
import time
import traceback
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Callable

from werkzeug.exceptions import ClientDisconnected
from werkzeug.serving import WSGIRequestHandler

from ._environ import build_environ
from ._request_body import BadRequestBody, body_stream_for
from ._request_head import HeadError, parse_header_block, parse_request_line
from ._version import __version__

if TYPE_CHECKING:
    from ._wsgi import WSGIEngine

__all__ = ["HEADER_BLOCK_LIMIT", "RequestHandler", "set_idle_timeout"]

_log = logging.getLogger("localserver.http")

# Largest request header block accepted (request line excluded); larger gets 431.
HEADER_BLOCK_LIMIT = 64 * 1024

_NO_BODY_CODES = frozenset({204, 304})
_DRAIN_CHUNK = 64 * 1024


# Kernel-side socket timeouts: a blocking socket whose recv/send give up after the
# idle timeout, at one system call each. Python's own timeouts poll() before every
# recv() and send(), which doubles the system calls and GIL hand-offs per request.
_KERNEL_TIMEOUTS = sys.platform.startswith("linux")


def set_idle_timeout(sock: socket.socket, timeout: float | None) -> None:
    """Make *sock* give up on a silent peer after *timeout* seconds (None: never).

    On Linux a plain socket gets SO_RCVTIMEO/SO_SNDTIMEO: reads then end like an
    end of stream (``SocketIO`` turns EAGAIN into "no data") and writes raise
    ``BlockingIOError``; the handler closes the connection either way. TLS
    sockets, and other systems, use Python's ``settimeout``.
    """
    if timeout is None or not _KERNEL_TIMEOUTS or isinstance(sock, ssl.SSLSocket):
        sock.settimeout(timeout)
        return
    sock.settimeout(None)
    seconds = int(timeout)
    value = struct.pack("ll", seconds, int((timeout - seconds) * 1_000_000))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, value)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, value)


class RequestHandler(WSGIRequestHandler):
    """Serve HTTP/1.1 requests on one connection, keeping it alive when possible."""

    protocol_version = "HTTP/1.1"
    # Error replies to unparsable request lines still get a status line.
    default_request_version = "HTTP/1.0"
    _header_overflow = False
    server: WSGIEngine  # type: ignore[assignment]

    def __init__(self, request: Any, client_address: Any, server: Any, conn_id: int) -> None:
        self.conn_id = conn_id
        super().__init__(request, client_address, server)

    @property
    def server_version(self) -> str:  # type: ignore[override]
        return f"localserver/{__version__}"

    def version_string(self) -> str:
        # Error replies name the server as normal replies do (no Python version).
        return self.server_version

    def setup(self) -> None:
        super().setup()
        set_idle_timeout(self.connection, self.server.connection_timeout)

    def handle(self) -> None:
        self.close_connection = True
        self.handle_one_request()
        while not self.close_connection and not self.server._stopped.is_set():
            self.handle_one_request()

    def handle_one_request(self) -> None:
        self.close_connection = True
        try:
            if self.rfile.peek(1)[:1] == b"\x16":  # type: ignore[attr-defined]
                # A TLS ClientHello: the client speaks HTTPS to this plain port.
                self.server._protocol_mismatch("tls-to-plain", self.client_address)
                return
            self.raw_requestline = self.rfile.readline(65537)
            if not self.raw_requestline:
                return
            if len(self.raw_requestline) > 65536:
                self.requestline = self.request_version = self.command = ""
                self.send_error(414)
                return
            block = self._read_header_block()
        except (ConnectionError, socket.timeout, OSError):
            return
        if block is None:  # the client went away before the end of its headers
            return
        if not self._parse(block):
            self.close_connection = True
            return
        self.run_wsgi()
        self.wfile.flush()

    def _read_header_block(self) -> bytes | None:
        """Read header lines up to the blank line; None if the client hung up first.

        Past HEADER_BLOCK_LIMIT the rest is not read: the block is cut and marked.
        """
        lines: list[bytes] = []
        size = 0
        while True:
            line = self.rfile.readline(65537)
            if not line:
                return None
            size += len(line)
            if size > HEADER_BLOCK_LIMIT:
                self._header_overflow = True
                return b"\r\n"
            lines.append(line)
            if line in (b"\r\n", b"\n"):
                return b"".join(lines)

    def _parse(self, block: bytes) -> bool:
        """Parse the request line and the header block already read from the socket.

        Sets what the standard library's ``parse_request()`` sets, without its
        ``email``-based header parser.
        """
        overflow, self._header_overflow = self._header_overflow, False
        self.command = None  # type: ignore[assignment]
        self.request_version = self.default_request_version
        self.requestline = line = str(self.raw_requestline, "iso-8859-1").rstrip("\r\n")
        try:
            method, target, version, number = parse_request_line(line)
            self.request_version = version
            if overflow:
                raise HeadError(431, f"the header block is over {HEADER_BLOCK_LIMIT} bytes")
            self.headers = parse_header_block(block)  # type: ignore[assignment]
        except HeadError as exc:
            self.send_error(exc.status, None, exc.message)
            return False
        self.command, self.path = method, target
        self.close_connection = number < (1, 1)
        connection = (self.headers.get("Connection") or "").lower()
        if connection == "close":
            self.close_connection = True
        elif connection == "keep-alive":
            self.close_connection = False
        expect = (self.headers.get("Expect") or "").lower()
        if expect == "100-continue" and number >= (1, 1):
            return self.handle_expect_100()
        return True

    # Quiet: requests go to the "localserver.http" logger at DEBUG, never to stderr.
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if _log.isEnabledFor(logging.DEBUG):
            _log.debug('%s "%s" %s %s', self.address_string(), self.requestline, code, size)

    def log_message(self, format: str, *args: Any) -> None:
        if _log.isEnabledFor(logging.DEBUG):
            _log.debug(format, *args)

    def log_error(self, format: str, *args: Any) -> None:
        self.log_message(format, *args)

    def log(self, type: str, message: str, *args: Any) -> None:
        self.log_message(message, *args)

    # -- one request ------------------------------------------------------------------

    def run_wsgi(self) -> None:
        try:
            environ = build_environ(
                method=self.command,
                target=self.path,
                version=self.request_version,
                headers=self.headers,  # type: ignore[arg-type]
                rfile=self.rfile,
                connection=self.connection,
                client_address=self.client_address,
                server_address=self.server.server_address,
                secure=self.server.ssl_context is not None,
                server_software=self.server_version,
            )
        except ValueError as exc:  # e.g. an absolute URL with a broken IPv6 host
            self.send_error(400, "Bad Request", f"invalid request target: {exc}")
            self.close_connection = True
            return
        self.environ = environ
        environ["localserver.connection_id"] = self.conn_id
        environ["localserver.worker"] = threading.current_thread().name
        environ["localserver.stopped"] = self.server._stopped
        try:
            body, close = body_stream_for(environ, self.rfile)
        except BadRequestBody as exc:
            self.send_error(400, "Bad Request", str(exc))
            self.close_connection = True
            return
        self.close_connection = self.close_connection or close
        writer = _ResponseWriter(self, environ)
        try:
            writer.run(self.server.app)
        except (BadRequestBody, ClientDisconnected) as exc:
            self.close_connection = True
            if not writer.headers_sent:
                self.send_error(400, "Bad Request", str(exc))
            return
        except (ConnectionError, socket.timeout, BlockingIOError):
            self.close_connection = True
            return
        except Exception:
            self.close_connection = True
            text = traceback.format_exc()
            _log.error("error in the WSGI application:\n%s", text)
            if not writer.headers_sent:
                writer.send_plain(500, text)
            return
        if not self.close_connection:
            self._drain(body)

    def _drain(self, body: Any) -> None:
        """Read what the application left of the request body, for keep-alive."""
        try:
            while body.read(_DRAIN_CHUNK):
                pass
        except Exception:
            self.close_connection = True


_date_cache: tuple[int, str] = (0, "")


def _http_date() -> str:
    """The Date header value, formatted once per second (formatting costs more)."""
    global _date_cache
    now = int(time.time())
    second, text = _date_cache
    if second != now:
        text = email.utils.formatdate(now, usegmt=True)
        _date_cache = (now, text)
    return text


class _ResponseWriter:
    """start_response/write for one request, choosing the framing of the response."""

    def __init__(self, handler: RequestHandler, environ: dict[str, Any]) -> None:
        self.handler = handler
        self.environ = environ
        self.status: str | None = None
        self.headers: list[tuple[str, str]] | None = None
        self.headers_sent = False
        self.chunked = False
        self.no_body = False
        self.remaining: int | None = None

    def start_response(
        self, status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[[bytes], None]:
        if exc_info:
            try:
                if self.headers_sent:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        elif self.headers is not None:
            raise RuntimeError("start_response() called twice without exc_info")
        self.status = status
        self.headers = list(headers)
        return self.write

    def run(self, app: Callable[..., Iterable[bytes]]) -> None:
        result = app(self.environ, self.start_response)
        try:
            for data in result:
                self.write(data)
            if not self.headers_sent:
                self.write(b"")
            if self.chunked:
                self.handler.wfile.write(b"0\r\n\r\n")
            elif self.remaining:  # fewer bytes than Content-Length promised
                self.handler.close_connection = True
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()

    def _head(self) -> bytes:
        handler = self.handler
        if self.status is None or self.headers is None:
            raise RuntimeError("the WSGI application wrote before calling start_response()")
        code_text, _, reason = self.status.partition(" ")
        code = int(code_text)
        method = self.environ["REQUEST_METHOD"]
        self.no_body = method == "HEAD" or 100 <= code < 200 or code in _NO_BODY_CODES
        keys = {k.lower(): v for k, v in self.headers}
        headers = self.headers
        te_chunked = "chunked" in keys.get("transfer-encoding", "").lower()
        if te_chunked and "content-length" in keys:
            # Never both (RFC 9112 section 6.3): Transfer-Encoding wins.
            headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
        if self.no_body:
            if method != "HEAD" and (code < 200 or code == 204):
                # RFC 9110 section 8.6: no framing headers on these at all.
                headers = [
                    (k, v)
                    for k, v in headers
                    if k.lower() not in ("content-length", "transfer-encoding")
                ]
        elif te_chunked:
            self.chunked = handler.request_version >= "HTTP/1.1"
            if not self.chunked:
                headers = [(k, v) for k, v in headers if k.lower() != "transfer-encoding"]
                handler.close_connection = True
        elif "content-length" in keys:
            try:
                self.remaining = int(keys["content-length"])
            except ValueError:
                handler.close_connection = True
        elif handler.request_version >= "HTTP/1.1":
            self.chunked = True
            headers = [*headers, ("Transfer-Encoding", "chunked")]
        else:
            handler.close_connection = True
        if "close" in keys.get("connection", "").lower():
            handler.close_connection = True
        headers = [(k, v) for k, v in headers if k.lower() != "connection"]
        if handler.close_connection:
            headers.append(("Connection", "close"))
        elif handler.request_version == "HTTP/1.0":
            headers.append(("Connection", "keep-alive"))
        handler.log_request(code)
        lines = [f"{handler.protocol_version} {code} {reason}\r\n"]
        if "server" not in keys:
            lines.append(f"Server: {handler.server_version}\r\n")
        if "date" not in keys:
            lines.append(f"Date: {_http_date()}\r\n")
        lines.extend(f"{k}: {v}\r\n" for k, v in headers)
        lines.append("\r\n")
        return "".join(lines).encode("latin-1")

    def write(self, data: bytes) -> None:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"a WSGI application must write bytes (got {type(data).__name__})")
        out = b""
        if not self.headers_sent:
            out = self._head()
            self.headers_sent = True
        if data and not self.no_body:
            if self.chunked:
                out += b"%x\r\n%s\r\n" % (len(data), data)
            else:
                if self.remaining is not None:
                    data = data[: self.remaining]
                    self.remaining -= len(data)
                out += data
        if out:
            self.handler.wfile.write(out)

    def send_plain(self, code: int, text: str) -> None:
        body = text.encode("utf-8", "replace")
        self.status = f"{code} Internal Server Error"
        self.headers = [
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", str(len(body))),
        ]
        try:
            self.write(body)
        except OSError:
            pass
