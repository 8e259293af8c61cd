"""The WSGI environ of one request (PEP 3333), from a parsed request head.

It holds what werkzeug's development server puts there, under the same keys, so
werkzeug's ``Request`` reads it the same way; built directly from the head this
module's sibling parsed, it costs a fraction of the general-purpose builder.
"""

from __future__ import annotations

import ssl
import sys
from typing import Any
from urllib.parse import unquote, urlsplit

from ._request_head import RequestHeaders

__all__ = ["build_environ"]


def _latin1(text: str) -> str:
    # PEP 3333: environ strings are "bytes in Latin-1"; werkzeug encodes as UTF-8.
    return text.encode("utf-8", "replace").decode("latin-1")


def build_environ(
    *,
    method: str,
    target: str,
    version: str,
    headers: RequestHeaders,
    rfile: Any,
    connection: Any,
    client_address: Any,
    server_address: tuple[Any, ...],
    secure: bool,
    server_software: str,
) -> dict[str, Any]:
    """Build the environ for a request whose head has been parsed.

    Headers whose names contain ``_`` are dropped, as werkzeug does, so that
    ``X_Forwarded_For`` cannot pose as ``X-Forwarded-For``. The body stream is
    installed later (``_request_body.body_stream_for``). An absolute-form target sets
    ``HTTP_HOST`` (RFC 9112 section 3.2.2). Unlike werkzeug's server, a path that
    starts with ``//`` is kept as sent: a test server records what clients send.
    """
    host = None
    if target.startswith("/"):  # origin-form, "//a/b" included: a path as sent
        path, _, query = target.partition("?")
    elif "://" in target:  # absolute-form, as sent to a proxy
        url = urlsplit(target)
        path, query, host = url.path or "/", url.query, url.netloc or None
    else:  # asterisk-form ("OPTIONS *") and authority-form ("CONNECT host:port")
        path, query = target, ""
    if isinstance(client_address, tuple) and client_address:
        remote_addr, remote_port = client_address[0], client_address[1]
    else:
        remote_addr, remote_port = "<local>", 0
    environ: dict[str, Any] = {
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "https" if secure else "http",
        "wsgi.input": rfile,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "werkzeug.socket": connection,
        "SERVER_SOFTWARE": server_software,
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": _latin1(unquote(path)),
        "QUERY_STRING": _latin1(query),
        "REQUEST_URI": _latin1(target),
        "RAW_URI": _latin1(target),
        "REMOTE_ADDR": remote_addr,
        "REMOTE_PORT": remote_port,
        "SERVER_NAME": server_address[0],
        "SERVER_PORT": str(server_address[1]),
        "SERVER_PROTOCOL": version,
    }
    for name, value in headers.items():
        if "_" in name:
            continue
        key = name.upper().replace("-", "_")
        if key != "CONTENT_TYPE":
            if key != "CONTENT_LENGTH":
                key = "HTTP_" + key
            if key in environ:  # repeated: one comma-separated value (RFC 9110 5.3)
                value = f"{environ[key]},{value}"
        environ[key] = value
    if host is not None:
        environ["HTTP_HOST"] = host
    if secure:
        try:
            peer = connection.getpeercert(binary_form=True)
        except (ValueError, AttributeError):  # no finished handshake, or not TLS
            peer = None
        if peer:
            environ["SSL_CLIENT_CERT"] = ssl.DER_cert_to_PEM_cert(peer)
    return environ
