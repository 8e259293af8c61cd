"""Reading HTTP Archive (HAR 1.x) files, as localserver and browsers' devtools write them.

Strict about what replaying needs (a request method and absolute URL, a
response status, headers as ``{name, value}`` lists, decodable bodies), lenient
about what it does not (sizes, cookies, cache, missing timings). Errors name the
file, the place (``entries[2].response.content.text``) and what was found.

Per the spec, ``content.text`` holds the body *decoded* (no gzip): an exchange
read back carries that body without the recorded ``Content-Encoding`` (and
without a ``Content-Length`` that no longer fits), unless localserver wrote the
body still encoded (its custom ``_contentEncoding`` field).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import os
import re
from typing import Any, Union
from urllib.parse import urlencode, urlsplit

from werkzeug.http import parse_options_header

from .coding import content_coding, without
from .exchange import Exchange, Headers, RecordingFormatError, Timings

__all__ = ["read_har", "read_har_entries"]

StrPath = Union[str, "os.PathLike[str]"]

_REQUIRED: Any = object()
_ISO_8601 = re.compile(
    r"^(\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d)?)(?:[.,](\d+))?(Z|z|[+-]\d\d:?\d\d)?$"
)
_NO_BODY_STATUS = (204, 304)


def read_har(path: StrPath) -> list[Exchange]:
    """The exchanges of a HAR file, in file order.

    Args:
        path: A ``.har`` file (HAR 1.1 or 1.2; UTF-8, a BOM allowed).

    Returns:
        One :class:`Exchange` per entry.

    Raises:
        RecordingFormatError: The file is not JSON, not HAR, or an entry lacks
            what replaying needs; the message says where and what.
        OSError: The file cannot be read.
    """
    name = os.fspath(path)
    log = _load_log(name)
    return [_exchange(name, entry, f"entries[{i}]", log) for i, entry in enumerate(log["entries"])]


def read_har_entries(path: StrPath) -> list[dict[str, Any]]:
    """The raw ``entries`` of a HAR file whose top level is valid (for appending)."""
    name = os.fspath(path)
    entries = _load_log(name)["entries"]
    for i, entry in enumerate(entries):
        _get(name, entry, f"entries[{i}]", "request", dict)
    return list(entries)


def _load_log(path: str) -> dict[str, Any]:
    with open(path, "rb") as file:
        raw = file.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RecordingFormatError(
            path, "", f"not UTF-8 text ({exc}); a HAR file is UTF-8 JSON"
        ) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RecordingFormatError(
            path,
            f"line {exc.lineno}, column {exc.colno}",
            f"not valid JSON ({exc.msg}); is this a HAR file?",
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("log"), dict):
        raise RecordingFormatError(
            path, "", 'no "log" object at the top: not a HAR file (HTTP Archive 1.2)'
        )
    log: dict[str, Any] = data["log"]
    version = _get(path, log, "log", "version", str)
    if version.partition(".")[0] != "1":
        raise RecordingFormatError(
            path, "log.version", f"HAR version {version!r} is not supported (1.x is)"
        )
    _get(path, log, "log", "entries", list)
    return log


def _get(path: str, obj: Any, where: str, key: str, kind: Any, default: Any = _REQUIRED) -> Any:
    """``obj[key]`` checked to be a *kind*; *default* when absent (if one is given)."""
    if not isinstance(obj, dict):
        raise RecordingFormatError(path, where, f"expected an object (got {obj!r:.60})")
    if key not in obj or (obj[key] is None and default is not _REQUIRED):
        if default is _REQUIRED:
            raise RecordingFormatError(path, f"{where}.{key}", "missing")
        return default
    value = obj[key]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        names = " or ".join(_KIND_NAMES.get(k, k.__name__) for k in kinds)
        raise RecordingFormatError(path, f"{where}.{key}", f"expected {names} (got {value!r:.60})")
    return value


_KIND_NAMES = {
    str: "a string",
    int: "an integer",
    float: "a number",
    list: "a list",
    dict: "an object",
}


def _exchange(path: str, entry: Any, where: str, log: dict[str, Any]) -> Exchange:
    request = _get(path, entry, where, "request", dict)
    response = _get(path, entry, where, "response", dict)
    req_at, resp_at = f"{where}.request", f"{where}.response"
    url = _get(path, request, req_at, "url", str)
    if not urlsplit(url).scheme:
        raise RecordingFormatError(path, f"{req_at}.url", f"not an absolute URL ({url!r})")
    request_headers = _headers(path, request, req_at)
    request_body, request_mime = _post_data(path, request, req_at)
    request_size = _get(path, request, req_at, "bodySize", int, -1)
    query = request.get("queryString")
    status = _get(path, response, resp_at, "status", int)
    response_headers = _headers(path, response, resp_at)
    content = _get(path, response, resp_at, "content", dict)
    body = _body(path, content, f"{resp_at}.content")
    written_by_us = isinstance(log.get("creator"), dict) and log["creator"].get("name") == (
        "localserver"
    )
    still_encoded = written_by_us and bool(content.get("_contentEncoding"))
    decoded = bool(content_coding(response_headers)) and not still_encoded
    if decoded:
        response_headers = without(response_headers, "content-encoding")
    length = next((v for n, v in response_headers if n.lower() == "content-length"), None)
    empty_by_rule = status in _NO_BODY_STATUS or request.get("method") == "HEAD"
    if length is not None and length.strip() != str(len(body)) and not empty_by_rule:
        response_headers = without(response_headers, "content-length")
    wire_size = _get(path, response, resp_at, "bodySize", int, -1)
    comment = _get(path, entry, where, "comment", str, "")
    return Exchange(
        method=_get(path, request, req_at, "method", str),
        url=url,
        status=status,
        reason=_get(path, response, resp_at, "statusText", str, ""),
        http_version=_get(path, response, resp_at, "httpVersion", str, "HTTP/1.1") or "HTTP/1.1",
        request_headers=request_headers,
        query=None if query is None else _pairs(path, query, f"{req_at}.queryString"),
        request_body=request_body,
        request_mime=request_mime,
        request_size=request_size if request_size > len(request_body) else None,
        response_headers=response_headers,
        response_body=body,
        response_mime=_get(path, content, f"{resp_at}.content", "mimeType", str, ""),
        # bodySize is the size on the wire: it only says "more than the text" when
        # the text was not decoded (a capture limit, or devtools not keeping a body).
        response_size=wire_size if wire_size > len(body) and not decoded else None,
        started_at=_started_at(path, entry, where),
        timings=_timings(path, entry, where),
        comment=comment,
    )


def _headers(path: str, message: dict[str, Any], where: str) -> Headers:
    return _pairs(path, _get(path, message, where, "headers", list, []), f"{where}.headers")


def _pairs(path: str, items: Any, where: str, value: Any = _REQUIRED) -> Headers:
    """``[{name, value}]`` as pairs; *value* is the default of an absent value."""
    if not isinstance(items, list):
        raise RecordingFormatError(path, where, f"expected a list (got {items!r:.60})")
    pairs = []
    for i, item in enumerate(items):
        at = f"{where}[{i}]"
        pairs.append((_get(path, item, at, "name", str), _get(path, item, at, "value", str, value)))
    return tuple(pairs)


def _post_data(path: str, request: dict[str, Any], where: str) -> tuple[bytes, str]:
    post = _get(path, request, where, "postData", dict, None)
    if post is None:
        return b"", ""
    at = f"{where}.postData"
    mime = _get(path, post, at, "mimeType", str, "")
    if "text" not in post and isinstance(post.get("params"), list):
        pairs = _pairs(path, post["params"], f"{at}.params", value="")
        return urlencode(pairs).encode("utf-8"), mime
    encoding = post.get("_encoding") or post.get("encoding")
    return _decode(path, post, at, mime, encoding), mime


def _body(path: str, content: dict[str, Any], where: str) -> bytes:
    mime = _get(path, content, where, "mimeType", str, "")
    return _decode(path, content, where, mime, content.get("encoding"))


def _decode(path: str, obj: dict[str, Any], where: str, mime: str, encoding: Any) -> bytes:
    text: str = _get(path, obj, where, "text", str, "")
    if encoding == "base64":
        try:
            return base64.b64decode("".join(text.split()), validate=True)
        except binascii.Error as exc:
            raise RecordingFormatError(path, f"{where}.text", f"not valid base64 ({exc})") from None
    if encoding not in (None, ""):
        raise RecordingFormatError(
            path, f"{where}.encoding", f"unknown encoding {encoding!r} (only base64 is defined)"
        )
    charset = parse_options_header(mime)[1].get("charset") or "utf-8"
    try:
        return text.encode(charset)
    except (LookupError, UnicodeError):
        return text.encode("utf-8", "surrogatepass")


def _started_at(path: str, entry: dict[str, Any], where: str) -> dt.datetime:
    text = _get(path, entry, where, "startedDateTime", str)
    match = _ISO_8601.match(text.strip())
    if match is None:
        raise RecordingFormatError(
            path, f"{where}.startedDateTime", f"not an ISO 8601 date and time ({text!r})"
        )
    base, fraction, offset = match.groups()
    fraction = (fraction or "0")[:6].ljust(6, "0")
    if offset is None or offset in ("Z", "z"):
        offset = "+00:00"
    elif ":" not in offset:
        offset = f"{offset[:3]}:{offset[3:]}"
    try:
        return dt.datetime.fromisoformat(f"{base.replace(' ', 'T')}.{fraction}{offset}")
    except ValueError as exc:
        raise RecordingFormatError(
            path, f"{where}.startedDateTime", f"not a valid date and time ({text!r}: {exc})"
        ) from None


def _timings(path: str, entry: dict[str, Any], where: str) -> Timings:
    timings = _get(path, entry, where, "timings", dict, {})
    at = f"{where}.timings"

    def phase(name: str, default: float) -> float:
        return float(_get(path, timings, at, name, (int, float), default))

    return Timings(
        send=max(phase("send", 0.0), 0.0),
        wait=max(phase("wait", 0.0), 0.0),
        receive=max(phase("receive", 0.0), 0.0),
        connect=max(phase("connect", -1.0), -1.0),
    )
