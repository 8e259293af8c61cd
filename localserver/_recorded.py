"""``RecordedRequest``: a request as the server received it, kept for the test to read.

Recording must cost next to nothing, because every request is recorded while the
client waits. So a recorded request keeps the parts the server parsed (method,
target, headers, body, connection facts) and builds its WSGI environ, and with it
werkzeug's parsed views (``headers``, ``args``, ``form``, ``json``...), the first time
something asks for them.
"""

from __future__ import annotations

import io
import time
from typing import IO, Any
from urllib.parse import unquote

from werkzeug.datastructures import EnvironHeaders
from werkzeug.wrappers import Request

from ._http1.head import RequestHead
from ._http1.request import ConnectionInfo, build_environ, split_target
from ._public import public
from ._tls import subject_of_pem

__all__ = ["RecordedRequest", "record", "set_path_params"]

_NO_PARAMS: dict[str, Any] = {}


@public
class RecordedRequest(Request):
    """A werkzeug ``Request`` as the server received it.

    Its body was read before the response was sent, so ``get_data()``, ``form``,
    ``files`` and ``json`` keep working after the connection is gone. ``path`` is
    the path as the client sent it (percent-decoded): ``//api`` stays ``//api``,
    where werkzeug would make it ``/api``.
    """

    _head: RequestHead
    _connection: ConnectionInfo

    # A test server is not the place to refuse large forms (werkzeug 3.1: 500 kB).
    max_form_memory_size = None
    max_form_parts = None  # type: ignore[assignment]
    _path_params = _NO_PARAMS

    def __init__(self, environ: dict[str, Any], populate_request: bool = True) -> None:
        super().__init__(environ, populate_request)
        self._received_at = float(environ.get("localserver.received_at", 0.0))
        self._body_stored = bool(environ.get("localserver.body_stored", True))

    @classmethod
    def _from_wire(
        cls, head: RequestHead, body: bytes, connection: ConnectionInfo, *, stored: bool
    ) -> RecordedRequest:
        self = cls.__new__(cls)
        fields = self.__dict__
        target = head.target
        path = target.partition("?")[0] if target[:1] == "/" else split_target(target)[0]
        fields["method"] = head.method
        fields["path"] = unquote(path, errors="replace") if path[:1] == "/" else path
        # werkzeug's get_data() returns the cached body and parses forms from it.
        fields["_cached_data"] = body
        fields["_head"] = head
        fields["_connection"] = connection
        if connection.scheme == "https":
            connection.client_cert_pem  # noqa: B018 - read now, while the socket is open
        fields["_received_at"] = time.time()
        fields["_body_stored"] = stored
        return self

    def __getattr__(self, name: str) -> Any:
        # Only reached for what is not set yet: what werkzeug's constructor would
        # have set, made from the parts the server kept, on first use.
        fields = self.__dict__
        if "_head" not in fields:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        if name in ("environ", "headers"):
            self._build_environ()
            return fields[name]
        connection: ConnectionInfo = fields["_connection"]
        if name == "query_string":
            query = split_target(fields["_head"].target)[1]
            value: Any = query.encode("latin-1", "replace")
        elif name == "scheme":
            value = connection.scheme
        elif name == "remote_addr":
            value = connection.peer[0]
        elif name == "server":
            value = (connection.server_name, connection.server_port)
        elif name == "root_path":
            value = ""
        elif name == "shallow":
            value = False
        else:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        fields[name] = value
        return value

    def _build_environ(self) -> None:
        fields = self.__dict__
        head: RequestHead = fields["_head"]
        connection: ConnectionInfo = fields["_connection"]
        # BytesIO shares the bytes object: reading it all back makes no copy.
        environ = build_environ(
            head.method,
            head.target,
            head.version,
            head.headers,
            peer=connection.peer,
            server=(connection.server_name, connection.server_port),
            scheme=connection.scheme,
            body=io.BytesIO(self._cached_data),
            client_cert=connection.client_cert_pem if connection.scheme == "https" else None,
        )
        environ["localserver.connection_id"] = connection.id
        environ["localserver.received_at"] = self._received_at
        environ["localserver.body_stored"] = self._body_stored
        environ["werkzeug.request"] = self
        fields["environ"] = environ
        fields["headers"] = EnvironHeaders(environ)

    def __getstate__(self) -> dict[str, Any]:
        fields = self.__dict__
        if "_head" in fields:
            for name in ("environ", "query_string", "scheme", "remote_addr", "server"):
                getattr(self, name)
            state = dict(fields)
            state["_connection_id"] = fields["_connection"].id
            state["_cert"] = self.client_cert_pem
            del state["_head"], state["_connection"]
            state["environ"] = {k: v for k, v in fields["environ"].items() if k != "wsgi.errors"}
            return state
        return fields

    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> IO[bytes]:
        # The body is in memory already; a temporary file per upload would only
        # add a file to leak (ResourceWarning) once the journal is dropped.
        return io.BytesIO()

    @property
    def connection_id(self) -> int:
        """The connection the request came on; equal ids mean a reused connection."""
        connection = self.__dict__.get("_connection")
        if connection is not None:
            return int(connection.id)
        if "_connection_id" in self.__dict__:
            return int(self.__dict__["_connection_id"])
        return int(self.environ.get("localserver.connection_id", 0))

    @property
    def received_at(self) -> float:
        """When the request arrived, as ``time.time()``."""
        return self._received_at

    @property
    def client_cert_subject(self) -> str | None:
        """Subject of the client certificate (mutual TLS), e.g. ``"CN=alice,..."``.

        ``None`` when the client presented none. The text matches
        ``ClientCertificate.subject``; the PEM is ``environ["SSL_CLIENT_CERT"]``.
        """
        pem = self.client_cert_pem
        return subject_of_pem(pem) if pem else None

    @property
    def client_cert_pem(self) -> str | None:
        """The client certificate (mutual TLS) as PEM, or ``None``."""
        connection = self.__dict__.get("_connection")
        if connection is not None:
            return connection.client_cert_pem if connection.scheme == "https" else None
        if "_cert" in self.__dict__:
            return self.__dict__["_cert"]  # type: ignore[no-any-return]
        pem = self.environ.get("SSL_CLIENT_CERT")
        return str(pem) if pem else None

    @property
    def path_params(self) -> dict[str, Any]:
        """Values of the named parts of the path template that matched (``{}`` if none)."""
        return dict(self._path_params)

    @property
    def body_stored(self) -> bool:
        """False when the server discarded the body (``store_request_data=False``)."""
        return self._body_stored


def record(
    head: RequestHead, body: bytes, connection: ConnectionInfo, *, stored: bool
) -> RecordedRequest:
    """Record a request that arrived now, without building its environ yet.

    Args:
        head: The request head as parsed.
        body: The body as read (``b""`` when it was dropped).
        connection: The connection it came on.
        stored: Whether the body was kept (``store_request_data``).
    """
    return RecordedRequest._from_wire(head, body, connection, stored=stored)


def set_path_params(request: RecordedRequest, params: dict[str, Any]) -> None:
    """Keep the values of the path template that matched *request* (``path_params``)."""
    request._path_params = params
