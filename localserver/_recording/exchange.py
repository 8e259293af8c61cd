"""One recorded HTTP exchange, the unit that HAR files and VCR.py cassettes hold."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .._errors import RecordingFormatError
from .._hop_by_hop import end_to_end

__all__ = ["Exchange", "Headers", "RecordingFormatError", "Timings"]

Headers = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Timings:
    """How long the phases of an exchange took, in milliseconds (HAR ``timings``).

    ``connect`` is ``-1`` when it does not apply (a reused connection) or is unknown.
    """

    send: float = 0.0
    wait: float = 0.0
    receive: float = 0.0
    connect: float = -1.0

    @property
    def total(self) -> float:
        """The sum of the known phases (HAR ``entry.time``)."""
        return sum(t for t in (self.connect, self.send, self.wait, self.receive) if t >= 0)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@dataclass(frozen=True)
class Exchange:
    """A request and the response it got, as recorded.

    Bodies are bytes as they travel in the message (after de-chunking, before
    any content decoding): a gzip body with ``Content-Encoding: gzip`` is gzip
    bytes here. Readers make the two agree (a body a recorder stored decoded
    loses its ``Content-Encoding`` header).

    Attributes:
        method: ``"GET"``, ``"POST"``...
        url: The absolute URL, query included.
        status: The response status code.
        reason: The reason phrase (``"OK"``).
        http_version: ``"HTTP/1.1"``.
        request_headers: ``(name, value)`` pairs in order, duplicates kept.
        query: The query parameters as pairs; taken from *url* when not given.
        request_body: The request body.
        request_mime: The request's Content-Type (``""`` if none).
        request_size: The full request body size when *request_body* holds
            less (a capture limit); ``None`` means ``len(request_body)``.
        response_headers: ``(name, value)`` pairs in order, duplicates kept.
        response_body: The response body.
        response_mime: The response's Content-Type (``""`` if none).
        response_size: As *request_size*, for the response body.
        started_at: When the request started, timezone-aware.
        timings: Phase durations (:class:`Timings`).
        comment: Free text kept with the exchange (HAR ``comment``).
    """

    method: str
    url: str
    status: int
    reason: str = ""
    http_version: str = "HTTP/1.1"
    request_headers: Headers = ()
    query: Headers | None = None
    request_body: bytes = b""
    request_mime: str = ""
    request_size: int | None = None
    response_headers: Headers = ()
    response_body: bytes = b""
    response_mime: str = ""
    response_size: int | None = None
    started_at: dt.datetime = field(default_factory=_now)
    timings: Timings = Timings()
    comment: str = ""

    def __post_init__(self) -> None:
        if self.started_at.tzinfo is None:
            raise ValueError(
                f"'started_at' must be timezone-aware (got {self.started_at!r}); "
                "use datetime.now(timezone.utc)"
            )
        set_ = object.__setattr__  # the dataclass is frozen; these are normalisations
        set_(self, "method", self.method.upper())
        set_(self, "request_headers", _pairs(self.request_headers))
        set_(self, "response_headers", _pairs(self.response_headers))
        if self.query is None:
            query = parse_qsl(urlsplit(self.url).query, keep_blank_values=True)
            set_(self, "query", tuple(query))
        else:
            set_(self, "query", _pairs(self.query))

    @property
    def path(self) -> str:
        """The URL's path (``"/users/7"``), percent-encoded as recorded."""
        return urlsplit(self.url).path or "/"

    @property
    def query_string(self) -> str:
        """The URL's query, without ``?``."""
        return urlsplit(self.url).query

    def response_header(self, name: str) -> str | None:
        """The first response header called *name* (any case), or ``None``."""
        return _first(self.response_headers, name)

    def request_header(self, name: str) -> str | None:
        """The first request header called *name* (any case), or ``None``."""
        return _first(self.request_headers, name)

    def replay_headers(self) -> list[tuple[str, str]]:
        """The response headers to send when replaying: no hop-by-hop ones, no Content-Length.

        The server frames the replayed body itself, so a recorded
        ``Content-Length`` or ``Transfer-Encoding`` must not be repeated.
        """
        return [
            (n, v) for n, v in end_to_end(self.response_headers) if n.lower() != "content-length"
        ]


def _pairs(items: Iterable[Any]) -> Headers:
    pairs = []
    for item in items:
        name, value = item
        if not isinstance(name, str) or not isinstance(value, str):
            raise TypeError(f"headers and query items must be (str, str) pairs (got {item!r:.60})")
        pairs.append((name, value))
    return tuple(pairs)


def _first(headers: Headers, name: str) -> str | None:
    key = name.lower()
    return next((v for n, v in headers if n.lower() == key), None)
