"""Replaying a recording: each recorded exchange becomes an expectation (``replay``).

Exchanges come from a HAR file or a VCR.py cassette. Those that agree on the
fields of ``match_on`` (method, path, query, body) form one expectation whose
responses are theirs, in recorded order, so repeated identical requests get the
answers they got when recorded. Whatever matches no recorded exchange is
unmatched as usual, and the miss report shows the closest recorded ones.

A header whose value a recording redacted (``REDACTED``) is not replayed: a
``Set-Cookie: REDACTED`` would only plant a cookie called nothing.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Sequence
from typing import Any, Callable, Union, cast
from urllib.parse import unquote

from werkzeug.wrappers import Request

from ._expectation import Expectation, HandlerType
from ._http1.writer import Reply
from ._matching import METHOD_ALL, RequestMatcher
from ._recording import REDACTED, Exchange, read_cassette, read_har
from ._responders import Responder, ResponseItem, encode_reply, reason_of

__all__ = ["MATCH_FIELDS", "RecordedResponder", "load_recording", "replay_recording"]

StrPath = Union[str, "os.PathLike[str]"]

#: The request fields ``match_on`` may name.
MATCH_FIELDS = ("method", "path", "query", "body")

_NO_BODY_STATUS = (204, 304)


class RecordedResponder(Responder):
    """The recorded response of one exchange, encoded once."""

    def __init__(self, exchange: Exchange) -> None:
        headers = [(n, v) for n, v in exchange.replay_headers() if v != REDACTED]
        body = exchange.response_body
        status = exchange.status
        if exchange.method == "HEAD" or status < 200 or status in _NO_BODY_STATUS:
            # No body goes out; a recorded Content-Length still describes the resource.
            length = exchange.response_header("Content-Length")
            if length is not None and status != 204 and status >= 200:
                headers.append(("Content-Length", length))
            body = b""
        else:
            headers.append(("Content-Length", str(len(body))))
        reason = exchange.reason or reason_of(status)
        self.reply = encode_reply(status, headers, body, reason)
        self.exchange = exchange

    def answer(self, request: Request) -> Reply:
        return self.reply

    def __repr__(self) -> str:
        return f"<recorded {self.exchange.status} for {self.exchange.method} {self.exchange.url}>"


def load_recording(path: StrPath) -> list[Exchange]:
    """The exchanges of a HAR file (JSON) or a VCR.py cassette (YAML), in recorded order.

    ``.har`` and ``.json`` files are read as HAR, ``.yaml`` and ``.yml`` as
    cassettes; other names by their first character (``{`` is HAR).

    Raises:
        RecordingFormatError: The file is neither, or lacks what replay needs.
        MissingExtraError: A cassette, and PyYAML is not installed.
        OSError: The file cannot be read.
    """
    name = os.fspath(path)
    suffix = os.path.splitext(name)[1].lower()
    if suffix in (".har", ".json"):
        return read_har(name)
    if suffix in (".yaml", ".yml"):
        return read_cassette(name)
    with open(name, "rb") as file:
        start = file.read(256).lstrip(b"\xef\xbb\xbf \t\r\n")
    return read_har(name) if start.startswith(b"{") else read_cassette(name)


def replay_recording(
    expect: Callable[..., Expectation],
    path: StrPath,
    match_on: Sequence[str],
    when_exhausted: str,
) -> list[Expectation]:
    """Register an expectation per group of recorded exchanges; return them.

    Args:
        expect: The server's ``expect(matcher, handler_type)``.
        path: The HAR file or cassette.
        match_on: The request fields that tell recorded exchanges apart.
        when_exhausted: What a request gets after the last recorded answer of
            its group: ``"repeat_last"`` or ``"error"`` (as in
            ``respond_with_sequence``).

    Raises:
        ValueError: *match_on* names an unknown field, or matches on the body
            of an exchange whose request body was recorded in part.
        RecordingFormatError: The file cannot be read as a recording.
    """
    fields = _check_match_on(match_on)
    name = os.fspath(path)
    exchanges = load_recording(name)
    groups: dict[tuple[Any, ...], list[Exchange]] = {}
    for index, exchange in enumerate(exchanges):
        if "body" in fields and exchange.request_size is not None:
            raise ValueError(
                f"{name}: exchange {index} ({exchange.method} {exchange.url}) holds only part "
                "of its request body, so it cannot be matched on 'body'; leave 'body' out of "
                "match_on"
            )
        if exchange.response_size is not None:
            warnings.warn(
                f"{name}: exchange {index} ({exchange.method} {exchange.url}) holds "
                f"{len(exchange.response_body)} of the {exchange.response_size} bytes of its "
                "response body; it is replayed as recorded",
                stacklevel=3,
            )
        groups.setdefault(_key(exchange, fields), []).append(exchange)
    # Everything is checked before anything is registered: a bad file adds nothing.
    planned = [
        (_matcher(group[0], fields), [RecordedResponder(e) for e in group])
        for group in groups.values()
    ]
    # respond_with_sequence takes responders as they are (make_responder).
    return [
        expect(matcher, HandlerType.PERMANENT).respond_with_sequence(
            cast(list[ResponseItem], answers), when_exhausted
        )
        for matcher, answers in planned
    ]


def _check_match_on(match_on: Sequence[str]) -> frozenset[str]:
    if isinstance(match_on, str) or not all(isinstance(f, str) for f in match_on):
        raise TypeError(
            f"'match_on' must be a list of field names, e.g. ('method', 'path') (got {match_on!r})"
        )
    unknown = [f for f in match_on if f not in MATCH_FIELDS]
    if unknown:
        raise ValueError(
            f"'match_on' names an unknown field {unknown[0]!r}; the fields are "
            + ", ".join(MATCH_FIELDS)
        )
    return frozenset(match_on)


def _key(exchange: Exchange, fields: frozenset[str]) -> tuple[Any, ...]:
    # As the query matcher sees it: names in any order, each name's values in order.
    query: dict[str, list[str]] = {}
    for name, value in exchange.query or ():
        query.setdefault(name, []).append(value)
    return (
        exchange.method if "method" in fields else None,
        unquote(exchange.path) if "path" in fields else None,
        tuple(sorted((n, tuple(vs)) for n, vs in query.items())) if "query" in fields else None,
        exchange.request_body if "body" in fields else None,
    )


def _matcher(exchange: Exchange, fields: frozenset[str]) -> RequestMatcher:
    uri: str | re.Pattern[str] = ""
    if "path" in fields:
        path = unquote(exchange.path)
        # "<" would make the path a template: match such a path literally instead.
        uri = re.compile(re.escape(path) + r"\Z") if "<" in path else path
    return RequestMatcher(
        uri,
        exchange.method if "method" in fields else METHOD_ALL,
        data=exchange.request_body if "body" in fields else None,
        query_string=exchange.query_string if "query" in fields else None,
    )
