"""The exchange a proxied request made, ready for :class:`HARWriter`."""

from __future__ import annotations

import datetime as dt

from werkzeug.wrappers import Request

from .._proxy import ForwardedResponse
from .exchange import Exchange, Timings

__all__ = ["forwarded_exchange"]


def forwarded_exchange(
    request: Request, forwarded: ForwardedResponse, *, started_at: dt.datetime
) -> Exchange:
    """Describe a forwarded request and its answer as the client saw them.

    Call it once the body has streamed (or failed): the exchange holds what
    :func:`~localserver._proxy.forward` captured (``capture=`` bytes of each
    body) with the full sizes, and a comment naming the upstream URL.

    Args:
        request: The request the server received.
        forwarded: What :func:`~localserver._proxy.forward` returned.
        started_at: When the request arrived (timezone-aware).

    Returns:
        The :class:`Exchange`: the client's URL and headers, the upstream's
        status, reason and end-to-end headers.
    """
    comment = f"forwarded to {forwarded.url}"
    if not forwarded.complete:
        comment += f"; the upstream's body broke off after {forwarded.size} bytes"
    return Exchange(
        method=request.method,
        url=request.url,
        status=forwarded.status,
        reason=forwarded.reason,
        http_version=str(request.environ.get("SERVER_PROTOCOL") or "HTTP/1.1"),
        request_headers=tuple(request.headers.items()),
        request_body=forwarded.sent_body,
        request_mime=request.headers.get("Content-Type", ""),
        request_size=forwarded.sent_size
        if forwarded.sent_size > len(forwarded.sent_body)
        else None,
        response_headers=tuple(forwarded.headers),
        response_body=forwarded.captured,
        response_mime=next((v for n, v in forwarded.headers if n.lower() == "content-type"), ""),
        response_size=forwarded.size if forwarded.truncated else None,
        started_at=started_at,
        timings=Timings(
            connect=forwarded.connect_ms,
            send=forwarded.send_ms,
            wait=forwarded.wait_ms,
            receive=forwarded.receive_ms,
        ),
        comment=comment,
    )
