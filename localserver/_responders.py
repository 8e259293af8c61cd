"""Responders: what an expectation answers with, one :class:`Reply` per request.

A fixed answer (``respond_with_data``, ``respond_with_json``, a copied ``Response``)
is encoded once, when it is registered, and the same bytes go out for every request.
A handler's answer is made fresh for each request. Nothing one request does to its
response reaches the next one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any, Callable, Union

from werkzeug.datastructures import Headers
from werkzeug.wrappers import Request, Response

from ._args import check_status
from ._faults import Fault
from ._http1.writer import Reply
from ._request_fields import PathMatcher
from ._template import ResponseTemplate

__all__ = [
    "DataResponder",
    "FaultResponder",
    "HandlerResponder",
    "HeadersArg",
    "Responder",
    "ResponseItem",
    "TemplateResponder",
    "encode_reply",
    "make_responder",
    "reason_of",
    "reply_from_response",
    "to_response",
]

#: Response headers as users give them: a mapping, werkzeug ``Headers`` or pairs.
HeadersArg = Union[Mapping[str, object], Headers, Iterable[tuple[str, object]], None]


def reason_of(status: int) -> str:
    """The reason phrase of *status* (empty for codes HTTP does not name)."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def encode_reply(
    status: int, headers: list[tuple[str, str]], body: bytes, reason: str | None = None
) -> Reply:
    """A reply whose status line and header lines are encoded now, to be sent many times."""
    reason = reason_of(status) if reason is None else reason
    lines = [f"HTTP/1.1 {status} {reason}\r\n".encode("latin-1")]
    lines += [f"{name}: {value}\r\n".encode("latin-1") for name, value in headers]
    return Reply(status, reason, headers, body, encoded=b"".join(lines))


def reply_from_response(response: Response, environ: dict[str, Any]) -> Reply:
    """A werkzeug ``Response`` as a reply, with werkzeug's own header fix-ups."""
    app_iter, status, headers = response.get_wsgi_response(environ)
    code, _, reason = status.partition(" ")
    close = getattr(app_iter, "close", None)
    return Reply(int(code), reason, list(headers), app_iter, on_close=close)


class Responder:
    """Builds the answer to one request: a :class:`Reply`, or a fault to perform."""

    def answer(self, request: Request) -> Reply | FaultResponder:
        raise NotImplementedError


def _header_pairs(headers: object) -> list[tuple[str, str]]:
    if headers is None:
        return []
    try:
        items = headers.items() if isinstance(headers, (Mapping, Headers)) else headers
        pairs = [(str(k), str(v)) for k, v in items]  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        raise TypeError(
            f"'headers' must be a mapping or a list of (name, value) pairs (got {headers!r:.60})"
        ) from None
    return pairs


class DataResponder(Responder):
    """A fixed body, status and headers, encoded once."""

    def __init__(
        self,
        body: object,
        status: int = 200,
        headers: HeadersArg = None,
        mimetype: str | None = None,
        content_type: str | None = None,
    ) -> None:
        if isinstance(body, (bytearray, memoryview)):
            body = bytes(body)
        if not isinstance(body, (str, bytes)):
            raise TypeError(
                f"'response_data' must be str or bytes (got {type(body).__name__}: {body!r:.60}); "
                "for JSON use respond_with_json()"
            )
        for name, value in (("mimetype", mimetype), ("content_type", content_type)):
            if value is not None and not isinstance(value, str):
                raise TypeError(f"{name!r} must be a str (got {value!r})")
        status = check_status("status", status)
        # werkzeug decides the final headers (Content-Type, Content-Length) once.
        made = Response(body, status, Headers(_header_pairs(headers)), mimetype, content_type)
        self.reply = encode_reply(status, made.headers.to_wsgi_list(), made.get_data())

    def answer(self, request: Request) -> Reply:
        return self.reply

    @classmethod
    def json(
        cls,
        value: Any,
        status: int = 200,
        headers: HeadersArg = None,
        content_type: str = "application/json",
    ) -> DataResponder:
        try:
            body = json.dumps(value, indent=4)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"'response_json' must be JSON-serialisable (got {value!r:.60}): {exc}"
            ) from None
        return cls(body, status, headers, content_type=content_type)

    @classmethod
    def copy_of(cls, response: Response) -> DataResponder:
        """Snapshot a user's ``Response``: each request gets the same answer."""
        if not isinstance(response, Response):
            raise TypeError(f"'response' must be a werkzeug Response (got {response!r:.60})")
        return cls(response.get_data(), response.status_code, list(response.headers.items()))


def to_response(result: object) -> Response:
    """A handler's return value as a ``Response`` (str/bytes body, None empty).

    Raises:
        TypeError: The handler returned something else.
    """
    if isinstance(result, Response):
        return result
    if result is None:
        return Response(b"")
    if isinstance(result, (str, bytes)):
        return Response(result)
    raise TypeError(
        "a response handler must return a werkzeug Response, str, bytes or None "
        f"(got {type(result).__name__}: {result!r:.60})"
    )


class HandlerResponder(Responder):
    """Calls the user's function with the request for every request."""

    def __init__(self, func: Callable[[Request], Any]) -> None:
        if not callable(func):
            raise TypeError(f"'func' must be callable taking the request (got {func!r:.60})")
        self.func = func

    def answer(self, request: Request) -> Reply:
        return reply_from_response(to_response(self.func(request)), request.environ)


class TemplateResponder(Responder):
    """A body and header values rendered from each request (``respond_with_template``)."""

    def __init__(
        self,
        body: str,
        status: int,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None,
        content_type: str | None,
        path: PathMatcher,
    ) -> None:
        self.status = check_status("status", status)
        if content_type is not None and not isinstance(content_type, str):
            raise TypeError(f"'content_type' must be a str (got {content_type!r})")
        self.template = ResponseTemplate(body, headers, path_names=_path_names(path))
        named = any(name.lower() == "content-type" for name in self.template.header_names)
        if named and content_type is not None:
            raise ValueError(
                "the Content-Type is given twice, as 'content_type' and in 'headers': keep one"
            )
        self.content_type = None if named else content_type or "text/plain; charset=utf-8"

    def answer(self, request: Request) -> Reply:
        """Render for *request*; raises ``TemplateRenderError`` when the template fails."""
        params = getattr(request, "path_params", None)
        body, headers = self.template.render(request, params)
        if self.content_type is not None:
            headers.append(("Content-Type", self.content_type))
        headers.append(("Content-Length", str(len(body))))
        return Reply(self.status, reason_of(self.status), headers, body)


def _path_names(path: PathMatcher) -> frozenset[str] | None:
    """The names a template may read as ``path.<name>``; None when they cannot be known."""
    if path.adapter is not None:
        rule = next(iter(path.adapter.map.iter_rules()))
        return frozenset(rule.arguments)
    if path.pattern is not None:
        return frozenset(path.pattern.groupindex)
    if path.exact is not None:
        return frozenset()
    return None  # a custom matcher: its params are unknown until a request


class FaultResponder(Responder):
    """A network fault, or raw bytes then close, instead of an HTTP response."""

    def __init__(self, fault: Fault | None = None, raw: bytes | None = None) -> None:
        self.fault = fault
        self.raw = raw

    def answer(self, request: Request) -> FaultResponder:
        return self

    def __repr__(self) -> str:
        return f"Fault.{self.fault.name}" if self.fault else f"raw bytes ({len(self.raw or b'')})"


#: One item of ``respond_with_sequence``.
ResponseItem = Union[Response, str, bytes, Fault, Callable[[Request], Any]]


def make_responder(item: object, index: int | None = None) -> Responder:
    """One item of a response sequence as a responder.

    Raises:
        TypeError: The item is not a Response, str, bytes, Fault or callable.
    """
    if isinstance(item, Responder):
        return item
    if isinstance(item, Response):
        return DataResponder.copy_of(item)
    if isinstance(item, (str, bytes)):
        return DataResponder(item)
    if isinstance(item, Fault):
        return FaultResponder(item)
    if callable(item):
        return HandlerResponder(item)
    where = f" item {index}" if index is not None else ""
    raise TypeError(
        f"'responses'{where} must be a werkzeug Response, str, bytes, a Fault or a callable "
        f"taking the request (got {type(item).__name__}: {item!r:.60})"
    )
