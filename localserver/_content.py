"""The content-style default response: what pytest-localserver's ContentServer serves."""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Mapping
from typing import Any, Union

from werkzeug.datastructures import Headers
from werkzeug.wrappers import Request, Response

__all__ = ["Chunked", "Content", "check_code", "check_content", "check_headers", "check_chunked"]

Content = Union[str, bytes, Iterable[Union[str, bytes]], None]


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


def check_code(code: object) -> int:
    if isinstance(code, bool) or not isinstance(code, int):
        raise TypeError(f"'code' must be an int HTTP status (got {code!r})")
    if not 100 <= code <= 999:
        raise ValueError(f"'code' must be an HTTP status between 100 and 999 (got {code!r})")
    return code


def check_content(content: object) -> str | bytes | tuple[str | bytes, ...]:
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


def build_content_response(
    request: Request,
    content: str | bytes | tuple[str | bytes, ...],
    code: int,
    headers: list[tuple[str, str]],
    chunked: Chunked,
    show_post_vars: bool,
) -> Response:
    """A fresh response for one request; nothing in it is shared with the next.

    *headers* is a private copy (name, value pairs) that this function may change.
    """
    if show_post_vars and request.method == "POST" and request.form:
        fields = {
            key: values[0] if len(values) == 1 else values
            for key, values in request.form.to_dict(flat=False).items()
        }
        content = json.dumps(fields, sort_keys=True)
        headers = _without(headers, "content-type")
        headers.append(("Content-Type", "application/json"))
        chunked = Chunked.NO
    items = [content] if isinstance(content, (str, bytes)) else list(content)
    encoded = [i.encode("utf-8") if isinstance(i, str) else i for i in items]
    if _wants_chunks(chunked, headers):
        headers = _without(headers, "content-length")
        if not any(k.lower() == "transfer-encoding" and "chunked" in v.lower() for k, v in headers):
            headers.append(("Transfer-Encoding", "chunked"))
        body: Any = iter([item for item in encoded if item])
    else:
        headers = _without(headers, "transfer-encoding")
        body = [b"".join(encoded)]
        headers.append(("Content-Length", str(len(body[0]))))
    if not any(k.lower() == "content-type" for k, _ in headers):
        headers.append(("Content-Type", "text/plain; charset=utf-8"))
    response = _ContentResponse(body, status=code, headers=headers)
    response.automatically_set_content_length = False
    return response


class _ContentResponse(Response):
    """A response whose headers are final as built: served without werkzeug's fixups.

    ``build_content_response`` already sets the framing headers, so the general
    ``Response.__call__`` (header rewriting, closing wrappers) is work for nothing
    on the hottest path of the server.
    """

    def __call__(self, environ: Any, start_response: Any) -> Any:
        start_response(self.status, self.headers.to_wsgi_list())
        return self.response


def _without(headers: list[tuple[str, str]], lowered: str) -> list[tuple[str, str]]:
    return [(k, v) for k, v in headers if k.lower() != lowered]


def _wants_chunks(chunked: Chunked, headers: list[tuple[str, str]]) -> bool:
    if chunked is Chunked.AUTO:
        return any(k.lower() == "transfer-encoding" and "chunked" in v.lower() for k, v in headers)
    return chunked is Chunked.YES
