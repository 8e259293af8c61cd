"""What a client did wrong before HTTP began, in one sentence each."""

from __future__ import annotations

from typing import Any

from ._engine import format_host

__all__ = ["WRONG_PROTOCOL", "describe_protocol_error"]

# The two mistakes the checks report as failures: a client that used the wrong
# scheme. Certificate problems fail on the client already, often on purpose.
WRONG_PROTOCOL = frozenset({"tls-to-plain", "plain-to-tls"})

_PROTOCOL_ERRORS = {
    "tls-to-plain": (
        "{peer} started a TLS handshake on this plain HTTP server: the client used "
        "https://; use {url} (or serve HTTPS with HTTPSServer)"
    ),
    "plain-to-tls": (
        "{peer} sent plain HTTP to this HTTPS server: the client used http://; "
        "use {url} (the request was answered 400 in plain text)"
    ),
    "untrusted-certificate": (
        "{peer} refused this server's certificate at the TLS handshake: the client does "
        "not trust the test CA; pass verify=server.ca_bundle (requests), "
        "verify=server.client_ssl_context() (httpx), context=server.client_ssl_context() "
        "(urllib, http.client) or set SSL_CERT_FILE to server.ca_bundle"
    ),
    "rejected-certificate": (
        "{peer} rejected this server's certificate at the TLS handshake (bad or unknown "
        "certificate): check the host name in the URL (the test certificate covers "
        "localhost, 127.0.0.1 and ::1) and that the client trusts server.ca_bundle"
    ),
    "no-client-certificate": (
        "{peer} presented no client certificate, and this server requires one: "
        "give the client server.issue_client_cert(name) (e.g. requests' "
        "cert=cert.pem_file)"
    ),
    "bad-client-certificate": (
        "{peer} presented a client certificate this server does not trust: issue "
        "it with server.issue_client_cert(name)"
    ),
    "tls-version": ("{peer} offered no TLS version this server accepts: TLS 1.2 is the minimum"),
}


def describe_protocol_error(kind: str, peer: Any, url: str) -> str:
    """One sentence saying what a client did wrong before HTTP began."""
    if isinstance(peer, tuple) and len(peer) >= 2:
        who = f"the client at {format_host(str(peer[0]))}:{peer[1]}"
    else:
        who = f"the client {peer!r}" if peer else "a client"
    template = _PROTOCOL_ERRORS.get(kind, "{peer}: " + kind)
    text = template.format(peer=who, url=url)
    return text[:1].upper() + text[1:]
