"""One request on a connection, as the application sees it: head, body, environ.

:class:`Http1Request` is what the connection gives an application: the parsed
head, the body on demand, and the facts of the connection. The WSGI environ is
built only by applications that want one (PEP 3333, the keys werkzeug's server
sets), with the body behind ``wsgi.input``.
"""

from __future__ import annotations

import io
import socket
import ssl
import sys
import threading
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from .head import RequestHead

__all__ = ["BodyReader", "BodyStream", "ConnectionInfo", "Http1Request", "build_environ"]


class BodyReader(Protocol):
    """What a parser offers for reading the body of the current request."""

    def read(self, size: int = -1) -> bytes: ...


class ConnectionInfo:
    """The facts of one connection that every request on it shares."""

    __slots__ = ("_cert", "id", "peer", "scheme", "server_name", "server_port", "sock", "stopped")

    def __init__(
        self,
        sock: socket.socket,
        peer: Any,
        conn_id: int,
        scheme: str,
        stopped: threading.Event,
    ) -> None:
        self.sock = sock
        self.id = conn_id
        self.scheme = scheme
        self.stopped = stopped
        if isinstance(peer, tuple) and peer:
            self.peer: tuple[str, int] = (str(peer[0]), int(peer[1]))
        else:
            self.peer = ("<local>", 0)
        local = sock.getsockname()
        self.server_name = str(local[0]) if isinstance(local, tuple) else "localhost"
        self.server_port = int(local[1]) if isinstance(local, tuple) else 0
        self._cert: str | bool | None = False  # False: not looked at yet

    @property
    def client_cert_pem(self) -> str | None:
        """The client certificate of a TLS connection (PEM), or None."""
        if self._cert is False:
            pem = None
            if isinstance(self.sock, ssl.SSLSocket):
                try:
                    der = self.sock.getpeercert(binary_form=True)
                except (ValueError, OSError, AttributeError):  # no handshake, or closed
                    der = None
                if der:
                    pem = ssl.DER_cert_to_PEM_cert(der)
            self._cert = pem
        return self._cert  # type: ignore[return-value]


class Http1Request:
    """The request an application answers: head, body on demand, connection facts."""

    __slots__ = ("connection", "head", "reader")

    def __init__(self, head: RequestHead, reader: BodyReader, connection: ConnectionInfo) -> None:
        self.head = head
        self.reader = reader
        self.connection = connection

    def read_body(self) -> bytes:
        """The whole body (read now if it was not)."""
        return self.reader.read(-1)

    def environ(self) -> dict[str, Any]:
        """A WSGI environ for this request, its body readable from ``wsgi.input``."""
        head, conn = self.head, self.connection
        return build_environ(
            head.method,
            head.target,
            head.version,
            head.headers,
            peer=conn.peer,
            server=(conn.server_name, conn.server_port),
            scheme=conn.scheme,
            body=BodyStream(self.reader),
            client_cert=conn.client_cert_pem if conn.scheme == "https" else None,
        )


def _latin1(text: str) -> str:
    # PEP 3333: environ strings are "bytes in Latin-1"; werkzeug encodes as UTF-8.
    return text.encode("utf-8", "replace").decode("latin-1")


def split_target(target: str) -> tuple[str, str, str | None]:
    """``(path, query, host)`` of a request target; host only for an absolute URL.

    A path that starts with ``//`` is kept as sent: a test server records what
    clients send (werkzeug's own server would turn it into a host).
    """
    if target.startswith("/"):  # origin-form, "//a/b" included
        path, _, query = target.partition("?")
        return path, query, None
    if "://" in target:  # absolute-form, as sent to a proxy
        url = urlsplit(target)
        return url.path or "/", url.query, url.netloc or None
    return target, "", None  # asterisk-form ("OPTIONS *"), authority-form (CONNECT)


def build_environ(
    method: str,
    target: str,
    version: str,
    headers: list[tuple[str, str]],
    *,
    peer: tuple[str, int],
    server: tuple[str, int],
    scheme: str,
    body: Any,
    client_cert: str | None = None,
) -> dict[str, Any]:
    """The WSGI environ of a request, with the keys werkzeug's server sets.

    Headers whose names contain ``_`` are dropped, as werkzeug does, so that
    ``X_Forwarded_For`` cannot pose as ``X-Forwarded-For``. Repeated headers are
    joined with commas (RFC 9110 section 5.3).

    Raises:
        ValueError: An absolute-form target whose URL cannot be parsed.
    """
    path, query, host = split_target(target)
    environ: dict[str, Any] = {
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scheme,
        "wsgi.input": body,
        "wsgi.input_terminated": True,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": _latin1(unquote(path)),
        "QUERY_STRING": _latin1(query),
        "REQUEST_URI": _latin1(target),
        "RAW_URI": _latin1(target),
        "REMOTE_ADDR": peer[0],
        "REMOTE_PORT": peer[1],
        "SERVER_NAME": server[0],
        "SERVER_PORT": str(server[1]),
        "SERVER_PROTOCOL": version,
    }
    for name, value in headers:
        if "_" in name:
            continue
        key = name.upper().replace("-", "_")
        if key != "CONTENT_TYPE":
            if key != "CONTENT_LENGTH":
                key = "HTTP_" + key
            if key in environ:
                value = f"{environ[key]},{value}"
        environ[key] = value
    if host is not None:
        environ["HTTP_HOST"] = host
    if client_cert:
        environ["SSL_CLIENT_CERT"] = client_cert
    return environ


class BodyStream(io.RawIOBase):
    """``wsgi.input``: the body of the current request, read from the parser on demand."""

    def __init__(self, reader: BodyReader) -> None:
        super().__init__()
        self._reader = reader
        self._rest = b""

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            data, self._rest = self._rest + self._reader.read(-1), b""
            return data
        if self._rest:
            data, self._rest = self._rest[:size], self._rest[size:]
            return data
        return self._reader.read(size)

    def readall(self) -> bytes:
        return self.read(-1)

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def readline(self, size: int | None = -1) -> bytes:
        limit = -1 if size is None else size
        line = b""
        while limit < 0 or len(line) < limit:
            piece = self.read(8192 if limit < 0 else min(8192, limit - len(line)))
            if not piece:
                break
            end = piece.find(b"\n")
            if end >= 0:
                self._rest = piece[end + 1 :] + self._rest
                line += piece[: end + 1]
                break
            line += piece
        return line
