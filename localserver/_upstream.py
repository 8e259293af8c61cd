"""The upstream of a proxy: where requests go, and how failing to reach it is told.

:class:`Upstream` checks a base URL once and opens connections to it;
:class:`UpstreamError` carries the status a proxy answers when the upstream
cannot be reached or does not answer as HTTP (502, or 504 for a timeout) and a
text that says which, with the upstream's address.
"""

from __future__ import annotations

import http.client
import socket
import ssl
from typing import Union
from urllib.parse import urlsplit

from ._errors import UpstreamError

__all__ = [
    "DEFAULT_TIMEOUT",
    "Connection",
    "Upstream",
    "UpstreamError",
    "connect_failure",
    "failure",
]

DEFAULT_TIMEOUT = 30.0

Connection = Union[http.client.HTTPConnection, http.client.HTTPSConnection]


class Upstream:
    """Where requests are forwarded: a base URL, checked once.

    Args:
        base_url: ``http://host:port`` or ``https://host:port``, optionally
            with a path prefix (``https://api.example.com/v2`` forwards ``/users``
            to ``/v2/users``). No query, no fragment, no user info.
        ssl_context: For ``https``: the context to verify the upstream with,
            used as it is (e.g. ``HTTPSServer.client_ssl_context()``). By default
            ``ssl.create_default_context()``: certificates are verified.
        timeout: Seconds to wait to connect, and for each read from the upstream.

    Raises:
        ValueError: *base_url* is not such a URL, or *timeout* is not positive.
        TypeError: *ssl_context* is not an ``ssl.SSLContext``.
    """

    def __init__(
        self,
        base_url: str,
        *,
        ssl_context: ssl.SSLContext | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        if not isinstance(base_url, str):
            raise TypeError(f"the upstream URL must be a str (got {base_url!r:.60})")
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                f"the upstream URL must look like http://host:port or https://host "
                f"(got {base_url!r})"
            )
        if parts.query or parts.fragment or parts.username or parts.password:
            raise ValueError(
                f"the upstream URL {base_url!r} has a query, fragment or user info: "
                "give only scheme, host, port and an optional path prefix"
            )
        try:
            port = parts.port
        except ValueError:
            raise ValueError(f"the upstream URL {base_url!r} has an invalid port") from None
        if ssl_context is not None and not isinstance(ssl_context, ssl.SSLContext):
            raise TypeError(f"'ssl_context' must be an ssl.SSLContext (got {ssl_context!r:.60})")
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
            raise ValueError(f"'timeout' must be a positive number of seconds (got {timeout!r})")
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = port or (443 if self.scheme == "https" else 80)
        self.prefix = parts.path.rstrip("/")
        self.ssl_context = ssl_context
        self.timeout = float(timeout)
        bracketed = f"[{self.host}]" if ":" in self.host else self.host
        default_port = self.port == (443 if self.scheme == "https" else 80)
        self.host_header = bracketed if default_port else f"{bracketed}:{self.port}"
        self.address = f"{self.scheme}://{bracketed}:{self.port}"

    def connect(self) -> Connection:
        """A new, not yet connected, ``http.client`` connection to the upstream."""
        if self.scheme == "https":
            context = self.ssl_context or ssl.create_default_context()
            return http.client.HTTPSConnection(
                self.host, self.port, timeout=self.timeout, context=context
            )
        return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def __repr__(self) -> str:
        return f"Upstream({self.address}{self.prefix})"


def connect_failure(upstream: Upstream, exc: BaseException) -> UpstreamError:
    """The error for a failure to connect: refused, unreachable, timeout or TLS handshake."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return UpstreamError(
            "tls",
            upstream.address,
            f"the TLS certificate of the upstream {upstream.address} was not accepted "
            f"({exc.verify_message}); pass an ssl_context that trusts it, e.g. "
            "HTTPSServer.client_ssl_context() for a localserver upstream",
        )
    if isinstance(exc, ssl.SSLError):
        return UpstreamError(
            "tls",
            upstream.address,
            f"the TLS handshake with the upstream {upstream.address} failed ({exc}); "
            "is it serving HTTPS on that port, and does it want a client certificate?",
        )
    if isinstance(exc, socket.timeout):
        return failure(upstream, "timeout", "connecting")
    if upstream.scheme == "https" and isinstance(exc, (ConnectionResetError, BrokenPipeError)):
        return UpstreamError(
            "tls",
            upstream.address,
            f"the upstream {upstream.address} closed the connection during the TLS handshake "
            f"({exc}); is it serving HTTPS on that port?",
        )
    if isinstance(exc, ConnectionRefusedError):
        return UpstreamError(
            "refused",
            upstream.address,
            f"the upstream {upstream.address} refused the connection; is it running, on that port?",
        )
    return UpstreamError(
        "unreachable",
        upstream.address,
        f"the upstream {upstream.address} cannot be reached ({type(exc).__name__}: {exc}); "
        "check its host name and the network",
    )


def failure(
    upstream: Upstream, kind: str, doing: str, exc: BaseException | str | None = None
) -> UpstreamError:
    """The error for a failure after connecting: a timeout, or an answer that is not HTTP.

    Args:
        upstream: Where the request went.
        kind: ``"timeout"`` or ``"bad-response"`` (an ``ssl.SSLError`` makes it ``"tls"``).
        doing: What was under way, e.g. ``"reading the body"``.
        exc: The exception, or a text saying what was wrong.
    """
    if kind == "timeout":
        return UpstreamError(
            "timeout",
            upstream.address,
            f"the upstream {upstream.address} did not answer within {upstream.timeout:g} s "
            f"while {doing}; raise the proxy timeout if it is just slow",
        )
    if isinstance(exc, BaseException):
        detail = f"{type(exc).__name__}: {exc}"
    else:
        detail = exc or "no detail"
    # Over TLS 1.3 a server refusing the client's certificate says so after the
    # handshake: as an alert, an EOF or a reset on the first write or read.
    reset = isinstance(exc, ConnectionResetError) and upstream.scheme == "https"
    if isinstance(exc, ssl.SSLError) or reset:
        return UpstreamError(
            "tls",
            upstream.address,
            f"the TLS connection to the upstream {upstream.address} failed while {doing} "
            f"({detail}); if it asks for a client certificate, pass an ssl_context that "
            "presents one",
        )
    return UpstreamError(
        kind,
        upstream.address,
        f"the upstream {upstream.address} did not answer as HTTP while {doing} ({detail})",
    )
