"""Hop-by-hop headers: meant for one connection, never passed on by a proxy.

RFC 9110 section 7.6.1 names ``Connection`` and the fields it lists; the other
names below are the ones RFC 9110/9112 and RFC 2616 section 13.5.1 define for a
single hop (``Proxy-*`` covers ``Proxy-Authorization``, ``Proxy-Authenticate``
and the non-standard ``Proxy-Connection``).
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["HOP_BY_HOP", "end_to_end"]

HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "te", "trailer", "trailers", "transfer-encoding", "upgrade"}
)


def end_to_end(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The headers a proxy passes on: *headers* without the hop-by-hop ones.

    Drops the fixed hop-by-hop names, every ``Proxy-*`` header and every name
    listed in a ``Connection`` header; keeps the others in order, duplicates
    included.
    """
    pairs = list(headers)
    listed = {
        token.strip().lower()
        for name, value in pairs
        if name.lower() == "connection"
        for token in value.split(",")
    }
    return [
        (name, value)
        for name, value in pairs
        if (key := name.lower()) not in HOP_BY_HOP
        and key not in listed
        and not key.startswith("proxy-")
    ]
