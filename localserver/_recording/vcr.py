"""Reading VCR.py cassettes (its YAML format, version 1) as exchanges.

A cassette is a YAML mapping ``{version: 1, interactions: [...]}``; each
interaction holds a ``request`` (``method``, ``uri``, ``body``, ``headers``) and a
``response`` (``status: {code, message}``, ``headers``, ``body: {string}``).
Headers map a name to a list of values. Bodies are text, or bytes written with
the ``!!binary`` tag (gzip bodies recorded as they came, for instance).

A recorded ``Content-Encoding: gzip`` (or ``deflate``) whose body is not in that
coding (some HTTP clients hand VCR.py the body already decoded) is dropped, so
the exchange's body and headers agree; so is a ``Content-Length`` that does
not fit the body.

PyYAML is the optional extra ``localserver[replay]``, imported on first use.
Cassettes are read with PyYAML's safe loader: Python object tags are refused,
except the plain string tags (``!!python/unicode``, ``!!python/str``) that
cassettes written under Python 2 carry.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any, Union

from .._extras import import_extra
from .coding import GZIP_MAGIC, content_coding, decode_content, without
from .exchange import Exchange, Headers, RecordingFormatError

__all__ = ["read_cassette"]

StrPath = Union[str, "os.PathLike[str]"]

_REQUIRED: Any = object()


def read_cassette(path: StrPath) -> list[Exchange]:
    """The exchanges of a VCR.py cassette, in recorded order.

    Args:
        path: A cassette file (YAML, as VCR.py writes it by default).

    Returns:
        One :class:`Exchange` per interaction. Cassettes keep no times: every
        exchange starts at the file's modification time, with zero timings.

    Raises:
        RecordingFormatError: Not YAML, not a VCR.py cassette of format
            version 1, or an interaction lacks what replaying needs; the message
            says where and what.
        MissingExtraError: PyYAML is not installed (``pip install "localserver[replay]"``).
        OSError: The file cannot be read.
    """
    name = os.fspath(path)
    data = _load(name)
    if isinstance(data, list):
        raise RecordingFormatError(
            name, "", "a cassette in VCR.py's format from before version 1.0; re-record it"
        )
    if isinstance(data, dict) and "http_interactions" in data:
        raise RecordingFormatError(
            name, "", "a cassette of Ruby's VCR (http_interactions), not of VCR.py"
        )
    if not isinstance(data, dict) or not isinstance(data.get("interactions"), list):
        raise RecordingFormatError(
            name, "", "no 'interactions' list at the top: not a VCR.py cassette"
        )
    version = data.get("version", 1)
    if version != 1:
        raise RecordingFormatError(
            name, "version", f"cassette format version {version!r} is not supported (1 is)"
        )
    started = dt.datetime.fromtimestamp(os.path.getmtime(name), dt.timezone.utc)
    return [
        _exchange(name, item, f"interactions[{i}]", started)
        for i, item in enumerate(data["interactions"])
    ]


def _load(path: str) -> Any:
    yaml = import_extra("yaml", extra="replay", feature="VCR.py cassettes")
    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class Loader(base):  # type: ignore[valid-type,misc]
        """The safe loader, plus the string tags of Python 2 cassettes."""

    def as_str(loader: Any, node: Any) -> str:
        return str(loader.construct_scalar(node))

    for tag in ("python/unicode", "python/str"):
        Loader.add_constructor(f"tag:yaml.org,2002:{tag}", as_str)
    with open(path, "rb") as file:
        try:
            return yaml.load(file, Loader=Loader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"line {mark.line + 1}" if mark is not None else ""
            problem = " ".join(str(exc).split())
            raise RecordingFormatError(
                path, where, f"not a readable YAML file ({problem})"
            ) from None


def _exchange(path: str, item: Any, where: str, started: dt.datetime) -> Exchange:
    request = _get(path, item, where, "request", dict)
    response = _get(path, item, where, "response", dict)
    req_at, resp_at = f"{where}.request", f"{where}.response"
    status = _get(path, response, resp_at, "status", dict)
    code = _get(path, status, f"{resp_at}.status", "code", int)
    request_headers = _headers(path, request, req_at)
    response_headers = _headers(path, response, resp_at)
    body = _get(path, response, resp_at, "body", dict, {})
    response_body = _bytes(path, body.get("string"), f"{resp_at}.body.string")
    response_headers = _settle(response_headers, response_body)
    return Exchange(
        method=str(_get(path, request, req_at, "method", str)).upper(),
        url=_get(path, request, req_at, "uri", str),
        status=code,
        reason=str(_get(path, status, f"{resp_at}.status", "message", str, "")),
        request_headers=request_headers,
        request_body=_bytes(path, request.get("body"), f"{req_at}.body"),
        request_mime=_first(request_headers, "content-type"),
        response_headers=response_headers,
        response_body=response_body,
        response_mime=_first(response_headers, "content-type"),
        started_at=started,
    )


def _get(path: str, obj: Any, where: str, key: str, kind: type, default: Any = _REQUIRED) -> Any:
    if not isinstance(obj, dict):
        raise RecordingFormatError(path, where, f"expected a mapping (got {obj!r:.60})")
    value = obj.get(key)
    if value is None:
        if default is _REQUIRED:
            raise RecordingFormatError(path, f"{where}.{key}", "missing")
        return default
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise RecordingFormatError(
            path, f"{where}.{key}", f"expected {kind.__name__} (got {value!r:.60})"
        )
    return value


def _headers(path: str, message: dict[str, Any], where: str) -> Headers:
    headers = message.get("headers") or {}
    if not isinstance(headers, dict):
        raise RecordingFormatError(
            path, f"{where}.headers", f"expected a mapping of names to lists (got {headers!r:.60})"
        )
    pairs = []
    for name, values in headers.items():
        for value in values if isinstance(values, list) else [values]:
            if isinstance(value, (dict, list)) or value is None:
                raise RecordingFormatError(
                    path, f"{where}.headers.{name}", f"expected text values (got {value!r:.60})"
                )
            text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
            pairs.append((str(name), text))
    return tuple(pairs)


def _bytes(path: str, value: Any, where: str) -> bytes:
    if value is None:
        return b""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape")
    raise RecordingFormatError(path, where, f"expected text or !!binary (got {value!r:.60})")


def _settle(headers: Headers, body: bytes) -> Headers:
    """Make the recorded headers agree with the recorded body."""
    coding = content_coding(headers)
    if coding in ("gzip", "x-gzip") and body and not body.startswith(GZIP_MAGIC):
        headers = without(headers, "content-encoding")  # stored decoded already
    elif coding == "deflate" and body and decode_content(body, coding) is None:
        headers = without(headers, "content-encoding")
    length = _first(headers, "content-length")
    if length and length.strip() != str(len(body)) and body:
        headers = without(headers, "content-length")
    return headers


def _first(headers: Headers, name: str) -> str:
    return next((v for n, v in headers if n.lower() == name), "")
