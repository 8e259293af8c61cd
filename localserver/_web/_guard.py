"""The web page's safety rules: which Host it answers, and the headers on every response.

A page that lists mail and requests, and deletes them, must not be readable or
drivable from other web sites. The browser's same-origin policy does most of
that; what it cannot stop is DNS rebinding (a site whose name turns into
127.0.0.1 after the page has loaded), so a request is answered only when its
``Host`` names the address served. Every response also forbids sniffing,
referrers and framing by others, and carries a Content-Security-Policy.
"""

from __future__ import annotations

import ipaddress

__all__ = [
    "API_CSP",
    "COMMON_HEADERS",
    "PAGE_CSP",
    "host_allowed",
    "html_part_csp",
    "is_loopback",
]

# The page: its own script and style only, frames from itself (the HTML part).
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
# JSON, raw bytes, downloads: nothing in them may run or load anything.
API_CSP = "default-src 'none'; frame-ancestors 'none'; sandbox"

COMMON_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
    ("Cache-Control", "no-store"),
)


def html_part_csp(images: bool) -> str:
    """The policy of a mail's HTML part: no script, no request, unless images are allowed.

    Inline styles are allowed (mail is styled that way); remote images only when
    the user asked for them, since loading one tells the sender the mail was read.
    """
    image_sources = "data: http: https:" if images else "data:"
    return (
        f"default-src 'none'; style-src 'unsafe-inline'; img-src {image_sources}; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'self'; sandbox"
    )


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None


def is_loopback(host: str) -> bool:
    """Whether *host* is ``localhost`` or a loopback address."""
    if host.lower() == "localhost":
        return True
    address = _ip(host)
    return address is not None and address.is_loopback


def _split_host(value: str) -> tuple[str, int | None] | None:
    """``("name", port)`` from a Host header value, ``None`` if it is malformed."""
    if value.startswith("["):
        name, bracket, rest = value[1:].partition("]")
        if not bracket:
            return None
    else:
        name, colon, rest = value.partition(":")
        rest = colon + rest
    if not rest:
        return name, None
    if not rest.startswith(":") or not rest[1:].isdigit():
        return None
    return name, int(rest[1:])


def host_allowed(header: str | None, host: str, port: int) -> bool:
    """Whether a request with this ``Host`` header is for the page bound to *host*:*port*.

    Allowed: the bound address itself; ``localhost`` and loopback literals when
    bound to loopback; any IP literal or ``localhost`` when bound to every
    address (``0.0.0.0``, ``::``). Never another name, which is what a rebinding
    site would send.
    """
    if not header:
        return False
    parts = _split_host(header.strip().lower())
    if parts is None:
        return False
    name, sent_port = parts
    if sent_port != port and not (sent_port is None and port == 80):
        return False
    bound = host.strip("[]").lower()
    sent_ip, bound_ip = _ip(name), _ip(bound)
    if name == bound or (sent_ip is not None and sent_ip == bound_ip):
        return True
    if is_loopback(bound):
        return name == "localhost" or (sent_ip is not None and sent_ip.is_loopback)
    if bound_ip is not None and bound_ip.is_unspecified:
        return name == "localhost" or sent_ip is not None
    return False
