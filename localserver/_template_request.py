"""What a response template sees of the request: a read-only view of a werkzeug ``Request``.

The view exposes plain values (strings, read-only mappings) and nothing that
reaches the connection, the WSGI environ or the server, so a template cannot act
on anything but its own output. Values are read from the request when a template
first uses them: a template that never reads ``request.json`` never parses it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from functools import cached_property
from typing import Any

from werkzeug.wrappers import Request

__all__ = ["REQUEST_FIELDS", "BodyNotJSON", "MultiValues", "TemplateRequest", "label_of"]

# The names a template may read as ``request.<name>`` (checked at registration).
REQUEST_FIELDS = frozenset(
    {"method", "path", "url", "query_string", "args", "headers", "cookies", "form", "body", "json"}
)


class BodyNotJSON(ValueError):
    """The template read ``request.json`` and the JSON body does not parse."""


class MultiValues(Mapping[str, Any]):
    """A read-only mapping whose keys may repeat: ``[]`` and ``get`` give the first value.

    ``getlist(name)`` gives every value in arrival order. With
    ``case_insensitive=True`` (headers) ``"content-type"`` and ``"Content-Type"``
    are the same key; iteration yields each name as first received. *label* is
    how error messages name it (``"request.args"``; read it with :func:`label_of`,
    so that ``request.args.label`` stays the query parameter ``label``).
    """

    def __init__(
        self,
        pairs: Iterable[tuple[str, Any]],
        *,
        label: str,
        case_insensitive: bool = False,
    ) -> None:
        self._label = label
        self._fold = case_insensitive
        self._values: dict[str, list[Any]] = {}
        self._names: dict[str, str] = {}
        for name, value in pairs:
            key = self._key(name)
            self._names.setdefault(key, name)
            self._values.setdefault(key, []).append(value)

    def _key(self, name: str) -> str:
        return name.lower() if self._fold else name

    def __getitem__(self, name: str) -> Any:
        return self._values[self._key(name)][0]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names.values())

    def __len__(self) -> int:
        return len(self._values)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._key(name) in self._values

    def getlist(self, name: str) -> list[Any]:
        """Every value of *name*, in arrival order (``[]`` if absent)."""
        return list(self._values.get(self._key(name), ()))

    def __repr__(self) -> str:
        pairs = ", ".join(f"{n!r}: {self._values[self._key(n)]!r}" for n in self)
        return f"<{self._label} {{{pairs}}}>"


def label_of(values: MultiValues) -> str:
    """How error messages name *values* (``"request.args"``, ``"path"``)."""
    return values._label


class TemplateRequest:
    """The ``request`` a template reads.

    Attributes:
        method: ``"GET"``, ``"POST"``...
        path: The path, percent-decoded (``"/users/7"``).
        url: The full URL the client asked for.
        query_string: The raw query string (``"a=1&b=2"``).
        args: Query parameters (:class:`MultiValues`).
        headers: Request headers, names case-insensitive (:class:`MultiValues`).
        cookies: Cookies sent by the client (:class:`MultiValues`).
        form: Form fields of an urlencoded or multipart body (:class:`MultiValues`).
        body: The body as text (decoded with the request's charset, UTF-8 by
            default; undecodable bytes become U+FFFD).
        json: The parsed JSON body; ``None`` when the body is empty or its
            Content-Type is not JSON. Reading it raises when a JSON body does not parse.
    """

    def __init__(self, request: Request) -> None:
        self._request = request

    @cached_property
    def method(self) -> str:
        return self._request.method

    @cached_property
    def path(self) -> str:
        return self._request.path

    @cached_property
    def url(self) -> str:
        return self._request.url

    @cached_property
    def query_string(self) -> str:
        return self._request.query_string.decode("latin-1")

    @cached_property
    def args(self) -> MultiValues:
        return MultiValues(self._request.args.items(multi=True), label="request.args")

    @cached_property
    def headers(self) -> MultiValues:
        return MultiValues(
            self._request.headers.items(), label="request.headers", case_insensitive=True
        )

    @cached_property
    def cookies(self) -> MultiValues:
        return MultiValues(self._request.cookies.items(multi=True), label="request.cookies")

    @cached_property
    def _data(self) -> bytes:
        # Cached on the request too (werkzeug then parses ``form`` from the cached
        # bytes), so reading the body and the form in one template both work.
        return self._request.get_data(cache=True)

    @cached_property
    def form(self) -> MultiValues:
        if self._data:
            return MultiValues(self._request.form.items(multi=True), label="request.form")
        return MultiValues((), label="request.form")

    @cached_property
    def body(self) -> str:
        charset = self._request.mimetype_params.get("charset") or "utf-8"
        try:
            return self._data.decode(charset, "replace")
        except LookupError:  # an unknown charset name
            return self._data.decode("utf-8", "replace")

    @cached_property
    def json(self) -> Any:
        if not self._data or not self._request.is_json:
            return None
        try:
            return json.loads(self._data)
        except ValueError as exc:
            raise BodyNotJSON(
                f"the template reads request.json but the request body is not valid JSON "
                f"({exc}; body starts {self._data[:40]!r})"
            ) from None

    def __repr__(self) -> str:
        return f"<request {self.method} {self.path}>"

    __str__ = __repr__
