"""``pytest_localserver.http``: ``WSGIServer``, ``ContentServer`` and ``Chunked``, over localserver.

- :class:`WSGIServer` is :class:`localserver.WSGIServer` with the peer's argument
  order ``(host, port, application, **kwargs)`` and werkzeug's keyword arguments
  that matter (``ssl_context`` serves HTTPS);
- :class:`ContentServer` is :class:`localserver.HTTPServer` answering every request
  with its content (an empty 204 until told otherwise), as the peer's does;
- :data:`Chunked` is :class:`localserver.Chunked`.
"""

from __future__ import annotations

import os
import ssl
from typing import Any, Union

from ... import Chunked, HTTPServer, HTTPSServer
from ... import WSGIServer as _WSGIServer
from ..._http1.wsgi import WSGIApp
from ..._tls import default_authority, make_server_context
from .._absent import absent_names
from .._tls_variant import with_tls
from ._names import NOT_OFFERED
from ._threadlike import ThreadLike

__all__ = ["Chunked", "ContentServer", "WSGIServer"]

#: What the peer's ``ssl_context`` took (werkzeug's): a context, ``(cert, key)`` or ``"adhoc"``.
SSLContextArg = Union[ssl.SSLContext, tuple[str, str], tuple[str], str, None]

# werkzeug's make_server() options that change nothing here, and those we cannot honour.
_IGNORED = {"threaded", "passthrough_errors"}
_REFUSED = {
    "request_handler": "localserver's HTTP/1.1 layer has no BaseHTTPRequestHandler to replace",
    "fd": "localserver binds its own socket: pass host and port",
}


def _server_context(value: object) -> ssl.SSLContext | None:
    """A server ``SSLContext`` from what werkzeug's ``ssl_context`` takes."""
    if value is None or isinstance(value, ssl.SSLContext):
        return value
    if value == "adhoc":
        return default_authority().server_context()
    if isinstance(value, (tuple, list)) and 1 <= len(value) <= 2:
        files = [os.fspath(part) for part in value]
        return make_server_context(files[0], files[1] if len(files) == 2 else None)
    raise TypeError(
        "'ssl_context' must be an ssl.SSLContext, a (cert_file, key_file) pair or 'adhoc' "
        f"(got {value!r:.60})"
    )


def _check_options(options: dict[str, Any]) -> None:
    for name, value in options.items():
        if name in _IGNORED:
            continue
        if name == "processes" and value in (None, 1):
            continue
        if name == "processes":
            raise ValueError(
                f"'processes' must be 1 (got {value!r}): localserver serves with threads"
            )
        reason = _REFUSED.get(
            name,
            "the werkzeug options taken are ssl_context, threaded, processes=1 and "
            "passthrough_errors",
        )
        raise TypeError(f"WSGIServer got an unexpected keyword argument {name!r}: {reason}")


class WSGIServer(ThreadLike, _WSGIServer):
    """Serve a WSGI application on loopback: the peer's arguments over localserver's server.

    Args:
        host: The address to listen on.
        port: The port; 0 picks a free one.
        application: The WSGI callable.
        **kwargs: werkzeug's ``make_server()`` options: ``ssl_context`` (an
            ``SSLContext``, a ``(cert_file, key_file)`` pair, or ``"adhoc"`` for
            a certificate of localserver's test CA) serves HTTPS; ``threaded``
            and ``passthrough_errors`` change nothing; ``processes`` must be 1.

    Raises:
        TypeError: An option localserver does not take; the message says why.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        application: WSGIApp | None = None,
        **kwargs: Any,
    ) -> None:
        context = _server_context(kwargs.pop("ssl_context", None))
        _check_options(kwargs)
        super().__init__(application, host, port, ssl_context=context)
        self.app = application


def _tls_options(value: object) -> dict[str, Any]:
    """``HTTPSServer`` arguments from what werkzeug's ``ssl_context`` takes."""
    if isinstance(value, ssl.SSLContext):
        return {"ssl_context": value}
    if value == "adhoc":
        return {}
    if isinstance(value, (tuple, list)) and 1 <= len(value) <= 2:
        return {"cert_file": value[0], "key_file": value[1] if len(value) == 2 else None}
    raise TypeError(
        "'ssl_context' must be an ssl.SSLContext, a (cert_file, key_file) pair or 'adhoc' "
        f"(got {value!r:.60})"
    )


class ContentServer(ThreadLike, HTTPServer):
    """A server that answers every request with its content: localserver's ``HTTPServer``.

    It starts as the peer's does, answering an empty ``204``; ``serve_content()``
    and the ``content``, ``code``, ``headers`` and ``chunked`` attributes change
    the answer, and ``requests`` records every request. Everything of
    :class:`localserver.HTTPServer` works too (expectations, faults, checks).

    Args:
        host: The address to listen on.
        port: The port; 0 picks a free one.
        ssl_context: As werkzeug takes it: serve HTTPS (see :class:`WSGIServer`).
        keep_alive: False closes every connection after its response.
        strict: False is lenient mode (the fixtures set it from ``localserver_strict``).

    Attributes:
        compress: Kept for the peer's API; it never compressed anything.
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        context = kwargs.get("ssl_context", args[2] if len(args) > 2 else None)
        return object.__new__(with_tls(cls) if context is not None else cls)

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        ssl_context: SSLContextArg = None,
        *,
        keep_alive: bool = True,
        strict: bool = True,
    ) -> None:
        if isinstance(self, HTTPSServer):
            HTTPSServer.__init__(
                self, host, port, keep_alive=keep_alive, strict=strict, **_tls_options(ssl_context)
            )
        else:
            HTTPServer.__init__(self, host, port, keep_alive=keep_alive, strict=strict)
        self.compress: str | None = None
        self.serve_content("", 204)


__getattr__ = absent_names(__name__, NOT_OFFERED["http"])
