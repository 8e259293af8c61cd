"""The content-style default response: what pytest-localserver's ContentServer serves.

:class:`DefaultResponse` holds the settings (``content``, ``code``, ``headers``,
``chunked``, ``show_post_vars``, ``store_request_data``) and answers with them. The
answer is encoded once, the first time it is needed after a change, and then the
same bytes go out for every request.
"""

from __future__ import annotations

import enum
import json
import threading
from collections.abc import Iterable, Mapping
from typing import Any, Callable, Generic, Protocol, TypeVar, Union, overload

from werkzeug.datastructures import Headers
from werkzeug.wrappers import Request

from ._args import check_bool, check_status
from ._http1.writer import Reply
from ._public import public
from ._responders import encode_reply, reason_of

__all__ = ["Chunked", "Content", "ContentValue", "DefaultResponse", "DefaultSetting"]

#: What ``serve_content`` and ``content`` take.
Content = Union[str, bytes, Iterable[Union[str, bytes]], None]
#: What ``content`` reads as.
ContentValue = Union[str, bytes, tuple[Union[str, bytes], ...]]

_DEFAULT_CODE = 204
_NO_HEADERS: list[tuple[str, str]] = []
_NO_HANDLER_STATUS = 500


@public
class Chunked(enum.Enum):
    """Whether the default response uses chunked transfer encoding.

    ``YES`` always chunks, ``NO`` never does, ``AUTO`` chunks when the response
    headers have a ``Transfer-Encoding`` header (any case) that includes
    ``chunked``. When chunking, each str or bytes item of the content is one chunk.
    """

    NO = False
    YES = True
    AUTO = None

    def __bool__(self) -> bool:
        return bool(self.value)


def check_content(content: object) -> ContentValue:
    if content is None:
        return ""
    if isinstance(content, (str, bytes)):
        return content
    if isinstance(content, (bytearray, memoryview)):
        return bytes(content)
    if isinstance(content, Mapping) or not isinstance(content, Iterable):
        raise TypeError(
            "'content' must be str, bytes or an iterable of str/bytes "
            f"(got {type(content).__name__}: {content!r:.60}); "
            "for JSON pass json.dumps(value)"
        )
    items = tuple(content)
    for index, item in enumerate(items):
        if not isinstance(item, (str, bytes)):
            raise TypeError(
                f"'content' items must be str or bytes (item {index} is "
                f"{type(item).__name__}: {item!r:.60})"
            )
    return items


def check_headers(headers: object) -> Headers:
    if headers is None:
        return Headers()
    if isinstance(headers, Headers):
        return headers.copy()
    try:
        source: Any = headers
        pairs = list(source.items() if isinstance(source, Mapping) else source)
        result = Headers()
        for key, value in pairs:
            if not isinstance(key, str):
                raise TypeError(f"header name {key!r} is not a str")
            result.add(key, str(value))
    except (TypeError, ValueError) as exc:
        raise TypeError(
            "'headers' must be a mapping or a list of (name, value) pairs "
            f"(got {headers!r:.80}): {exc}"
        ) from None
    return result


def check_chunked(chunked: object) -> Chunked:
    if isinstance(chunked, Chunked):
        return chunked
    raise TypeError(f"'chunked' must be Chunked.YES, Chunked.NO or Chunked.AUTO (got {chunked!r})")


_Snapshot = tuple[ContentValue, int, list[tuple[str, str]], Chunked, bool, bool, bool, int]


class DefaultResponse:
    """The default response's settings, and the reply they make."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.content: ContentValue = ""
        self.code = _DEFAULT_CODE
        self.headers = Headers()
        self.chunked = Chunked.NO
        self.show_post_vars = False
        self.store_request_data = True
        self.installed = False
        self.no_handler_status_code = _NO_HANDLER_STATUS
        self._canned: tuple[object, Reply] | None = None

    def update(self, **settings: object) -> None:
        """Set several settings at once, checked first (nothing changes on an error)."""
        checks: dict[str, Callable[[object], object]] = {
            "content": check_content,
            "code": lambda v: check_status("code", v),
            "headers": check_headers,
            "chunked": check_chunked,
            "show_post_vars": lambda v: check_bool("show_post_vars", v),
            "store_request_data": lambda v: check_bool("store_request_data", v),
            "no_handler_status_code": lambda v: check_status("no_handler_status_code", v),
        }
        checked = {name: checks[name](value) for name, value in settings.items()}
        with self.lock:
            for name, value in checked.items():
                setattr(self, name, value)
            if set(checked) - {"store_request_data", "no_handler_status_code"}:
                self.installed = True

    def snapshot(self) -> _Snapshot:
        with self.lock:
            return self._snapshot_locked()

    def _snapshot_locked(self) -> _Snapshot:
        return (
            self.content,
            self.code,
            self.headers.to_wsgi_list() if self.headers else [],
            self.chunked,
            self.show_post_vars,
            self.store_request_data,
            self.installed,
            self.no_handler_status_code,
        )

    def restore(self, snapshot: _Snapshot) -> None:
        with self.lock:
            if snapshot == self._snapshot_locked():
                return  # unchanged: keep the objects (and the cached reply)
            (
                self.content,
                self.code,
                headers,
                self.chunked,
                self.show_post_vars,
                self.store_request_data,
                self.installed,
                self.no_handler_status_code,
            ) = snapshot
            self.headers = Headers(headers)

    def reply(self, request: Request) -> Reply | None:
        """The default response to *request*, or None when none is set."""
        with self.lock:
            headers = self.headers.to_wsgi_list() if self.headers else _NO_HEADERS
            if not (self.installed or headers):
                return None
            if self.show_post_vars and request.method == "POST" and request.form:
                return _post_vars_reply(request, self.code, headers)
            key = (self.content, self.code, headers, self.chunked)
            canned = self._canned
            if canned is None or canned[0] != key:
                canned = (key, _content_reply(self.content, self.code, headers, self.chunked))
                self._canned = canned
            return canned[1]


def _post_vars_reply(request: Request, code: int, headers: list[tuple[str, str]]) -> Reply:
    fields = {
        key: values[0] if len(values) == 1 else values
        for key, values in request.form.to_dict(flat=False).items()
    }
    body = json.dumps(fields, sort_keys=True).encode()
    kept = _without(
        _without(_without(headers, "content-type"), "content-length"), "transfer-encoding"
    )
    kept += [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    return Reply(code, reason_of(code), kept, body)


def _content_reply(
    content: ContentValue, code: int, headers: list[tuple[str, str]], chunked: Chunked
) -> Reply:
    items = [content] if isinstance(content, (str, bytes)) else list(content)
    encoded = [i.encode("utf-8") if isinstance(i, str) else i for i in items]
    if not any(k.lower() == "content-type" for k, _ in headers):
        headers = [*headers, ("Content-Type", "text/plain; charset=utf-8")]
    if _wants_chunks(chunked, headers):
        headers = _without(headers, "content-length")
        if not any(k.lower() == "transfer-encoding" and "chunked" in v.lower() for k, v in headers):
            headers.append(("Transfer-Encoding", "chunked"))
        return Reply(code, reason_of(code), headers, [item for item in encoded if item])
    body = b"".join(encoded)
    headers = _without(headers, "transfer-encoding")
    headers = [*_without(headers, "content-length"), ("Content-Length", str(len(body)))]
    return encode_reply(code, headers, body)


def _without(headers: list[tuple[str, str]], lowered: str) -> list[tuple[str, str]]:
    return [(k, v) for k, v in headers if k.lower() != lowered]


def _wants_chunks(chunked: Chunked, headers: list[tuple[str, str]]) -> bool:
    if chunked is Chunked.AUTO:
        return any(k.lower() == "transfer-encoding" and "chunked" in v.lower() for k, v in headers)
    return chunked is Chunked.YES


_Get = TypeVar("_Get")
_Set = TypeVar("_Set")


class _HasDefault(Protocol):
    _default: DefaultResponse


class DefaultSetting(Generic[_Get, _Set]):
    """A server attribute that reads and sets one setting of its :class:`DefaultResponse`.

    Setting it checks the value (nothing changes on an error) and installs the
    default response, as pytest-localserver's attributes do.
    """

    def __init__(self, doc: str) -> None:
        self.__doc__ = doc
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type) -> DefaultSetting[_Get, _Set]: ...

    @overload
    def __get__(self, obj: _HasDefault, owner: type) -> _Get: ...

    def __get__(self, obj: _HasDefault | None, owner: type) -> _Get | DefaultSetting[_Get, _Set]:
        if obj is None:
            return self
        value: _Get = getattr(obj._default, self.name)
        return value

    def __set__(self, obj: _HasDefault, value: _Set) -> None:
        obj._default.update(**{self.name: value})
