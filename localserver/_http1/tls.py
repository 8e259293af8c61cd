"""The TLS handshake of an HTTPS connection, and what to tell a client that got it wrong.

:class:`TLSAcceptor` runs on the connection's own thread, before HTTP begins. A
client that sends plain HTTP to the TLS port gets a plain-text 400 that says so; a
failed handshake is classified (untrusted certificate, no client certificate, ...)
and reported to the server, so that a report can explain why nothing arrived.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from typing import Callable

from .._engine import format_host
from .._tls import PlaintextOnTLSPort, accept_tls
from .connection import refusal_bytes

__all__ = ["TLSAcceptor"]

# OpenSSL's reason for a failed server-side handshake -> the kind of mistake.
_HANDSHAKE_MISTAKES = {
    "TLSV1_ALERT_UNKNOWN_CA": "untrusted-certificate",
    "SSLV3_ALERT_BAD_CERTIFICATE": "rejected-certificate",
    "SSLV3_ALERT_CERTIFICATE_UNKNOWN": "rejected-certificate",
    "PEER_DID_NOT_RETURN_A_CERTIFICATE": "no-client-certificate",
    "CERTIFICATE_VERIFY_FAILED": "bad-client-certificate",
    "UNSUPPORTED_PROTOCOL": "tls-version",
    "TLSV1_ALERT_PROTOCOL_VERSION": "tls-version",
    "VERSION_TOO_LOW": "tls-version",
}

# Bounds for reading the plain-text request answered with a 400.
_PLAIN_HEAD_LIMIT = 64 * 1024
_PLAIN_ANSWER_TIMEOUT = 2.0


class TLSAcceptor:
    """Turns an accepted connection into a TLS one, or says why it could not.

    Args:
        context: The server ``SSLContext``.
        timeout: Seconds a client has for its whole handshake (None: no limit).
        stopped: Set while the server is not serving.
        track: Tells the engine which socket to shut down on stop() from now on.
        on_mistake: Told ``(kind, peer)`` of each client mistake.
        on_handshake: Called with +1 when a handshake starts and -1 when it ends.
        https_url: Gives the server's ``https://`` URL, for the plain-text answer.
    """

    def __init__(
        self,
        context: ssl.SSLContext,
        timeout: float | None,
        *,
        stopped: threading.Event,
        track: Callable[[int, socket.socket], None],
        on_mistake: Callable[[str, tuple[str, int]], None],
        on_handshake: Callable[[int], None],
        https_url: Callable[[], str],
    ) -> None:
        self.context = context
        self.timeout = timeout
        self._stopped = stopped
        self._track = track
        self._on_mistake = on_mistake
        self._on_handshake = on_handshake
        self._https_url = https_url

    def __call__(self, conn: socket.socket, conn_id: int) -> socket.socket:
        peer = conn.getpeername()
        peer = (str(peer[0]), int(peer[1]))

        def adopt(tls: ssl.SSLSocket) -> None:
            # From here stop() must shut down the TLS socket; the plain one is detached.
            self._track(conn_id, tls)
            if self._stopped.is_set():
                raise ConnectionAbortedError("the server is stopping")

        self._on_handshake(1)
        try:
            return accept_tls(conn, self.context, self.timeout, on_wrap=adopt)
        except PlaintextOnTLSPort:
            self._on_mistake("plain-to-tls", peer)
            self._answer_plaintext(conn)
            raise
        except ssl.SSLError as exc:
            kind = _HANDSHAKE_MISTAKES.get(str(exc.reason))
            if kind is not None:
                self._on_mistake(kind, peer)
            raise
        finally:
            self._on_handshake(-1)

    def _answer_plaintext(self, conn: socket.socket) -> None:
        """Tell a plain-HTTP client, in plain HTTP, that this port speaks TLS."""
        timeout = _PLAIN_ANSWER_TIMEOUT
        if self.timeout is not None:
            timeout = min(timeout, self.timeout)
        url = self._https_url() + "/"
        text = (
            f"This port speaks TLS: the request was sent as plain HTTP. Use {url} "
            "and trust the server's CA (server.ca_bundle)."
        )
        # One deadline for the whole exchange, not one per read: a client that
        # dribbles a byte now and then must not hold the connection (slowloris).
        deadline = time.monotonic() + timeout

        def receive() -> bytes:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("the plain-text client is too slow")
            # accept_tls() left a Python-level timeout on this socket: keep to it.
            conn.settimeout(remaining)
            return conn.recv(4096)

        try:
            # Read the request head first: closing with unread data would reset
            # the connection before the client reads the answer.
            head = b""
            while b"\r\n\r\n" not in head and len(head) < _PLAIN_HEAD_LIMIT:
                data = receive()
                if not data:
                    return
                head += data
            conn.sendall(refusal_bytes(400, text))
            conn.shutdown(socket.SHUT_WR)
            while receive() and not self._stopped.is_set():
                pass
        except OSError:
            pass


def https_url(host: str, port: int) -> str:
    """``https://host:port`` with IPv6 brackets."""
    return f"https://{format_host(host)}:{port}"
