"""Responders: what an expectation answers, built fresh for every request.

A responder keeps only immutable ingredients (bytes, a status, header pairs) and
makes a new werkzeug ``Response`` each time, so nothing one request does to its
response (a hook, a middleware, werkzeug itself) reaches the next one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Callable, Union

from werkzeug.datastructures import Headers
from werkzeug.wrappers import Request, Response

from ._faults import Fault

__all__ = [
    "DataResponder",
    "FaultResponder",
    "HandlerResponder",
    "Responder",
    "make_responder",
    "to_response",
]


class Responder:
    """Builds the answer to one request: a ``Response``, or a fault to perform."""

    def build(self, request: Request) -> Response | FaultResponder:
        raise NotImplementedError


def _check_status(status: object) -> int:
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 999:
        raise ValueError(
            f"'status' must be an int HTTP status between 100 and 999 (got {status!r})"
        )
    return status


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
    """A fixed body, status and headers."""

    def __init__(
        self,
        body: object,
        status: int = 200,
        headers: Any = None,
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
        self.body = body
        self.status = _check_status(status)
        self.headers = _header_pairs(headers)
        self.mimetype = mimetype
        self.content_type = content_type

    def build(self, request: Request) -> Response:
        return Response(
            self.body, self.status, Headers(self.headers), self.mimetype, self.content_type
        )

    @classmethod
    def json(
        cls,
        value: Any,
        status: int = 200,
        headers: Any = None,
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
        """Snapshot a user's ``Response``: each request gets a new one like it."""
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

    def build(self, request: Request) -> Response:
        return to_response(self.func(request))


class FaultResponder(Responder):
    """A network fault, or raw bytes then close, instead of an HTTP response."""

    def __init__(self, fault: Fault | None = None, raw: bytes | None = None) -> None:
        self.fault = fault
        self.raw = raw

    def build(self, request: Request) -> FaultResponder:
        return self

    def __repr__(self) -> str:
        return f"Fault.{self.fault.name}" if self.fault else f"raw bytes ({len(self.raw or b'')})"


ResponseItem = Union[Response, str, bytes, Fault, Callable[[Request], Any], Responder]


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
