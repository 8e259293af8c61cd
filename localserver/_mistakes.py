"""What clients did wrong before or instead of a request, in one sentence each.

A :class:`Mistake` is what a server records (a TLS handshake on a plain port, an
untrusted certificate, a request it refused); :func:`describe_mistake` words it,
and :class:`MistakeText` is that sentence with the facts attached, as
``protocol_errors`` lists them.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from ._engine import format_host

__all__ = ["WRONG_PROTOCOL", "Mistake", "MistakeText", "describe_mistake"]


# The two mistakes the checks report as failures: a client that used the wrong
# scheme. Certificate problems fail on the client already, often on purpose.
WRONG_PROTOCOL = frozenset({"tls-to-plain", "plain-to-tls"})

_MISTAKES = {
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
    "tls-version": "{peer} offered no TLS version this server accepts: TLS 1.2 is the minimum",
}


class Mistake(NamedTuple):
    """Something a client did that the server could not take, before or instead of a request.

    Attributes:
        kind: ``"tls-to-plain"``, ``"untrusted-certificate"``, ``"body-too-large"``...
        peer: The client's ``(host, port)``.
        detail: For a refused request, what the client was answered.
    """

    kind: str
    peer: Any
    detail: str = ""


class MistakeText(str):
    """One sentence saying what a client did wrong, which also tells ``kind`` and ``peer``.

    The entries of ``protocol_errors``: read them as text; a tool that explains
    mistakes in its own words (the command line does) reads ``kind`` and ``peer``.
    """

    kind: str
    peer: tuple[str, int] | None
    detail: str

    @classmethod
    def of(cls, mistake: Mistake, url: str) -> MistakeText:
        text = cls(describe_mistake(mistake, url))
        text.kind = mistake.kind
        peer = mistake.peer
        text.peer = (str(peer[0]), int(peer[1])) if isinstance(peer, tuple) and peer else None
        text.detail = mistake.detail
        return text


def describe_mistake(mistake: Mistake, url: str) -> str:
    """One sentence saying what a client did wrong."""
    peer = mistake.peer
    if isinstance(peer, tuple) and len(peer) >= 2:
        who = f"the client at {format_host(str(peer[0]))}:{peer[1]}"
    else:
        who = f"the client {peer!r}" if peer else "a client"
    template = _MISTAKES.get(mistake.kind)
    if template is None:
        text = f"{who} sent a request this server refused: {mistake.detail or mistake.kind}"
    else:
        text = template.format(peer=who, url=url)
    return text[:1].upper() + text[1:]
