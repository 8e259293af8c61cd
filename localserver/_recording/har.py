"""Writing exchanges to an HTTP Archive (HAR 1.2) file that browsers' devtools open.

The file is rewritten whole on every append, through a temporary file in the
same directory and ``os.replace``: whoever opens it, whenever, reads a complete
and valid HAR. Each entry takes one line, so recordings diff well.

What the writer puts in each entry (HAR 1.2 field names):

- ``startedDateTime`` in ISO 8601 with milliseconds; ``time`` the sum of ``timings``
  (``send``, ``wait``, ``receive`` and, when known, ``connect``); ``cache`` is ``{}``.
- ``request``: ``method``, ``url``, ``httpVersion``, ``cookies``, ``headers``,
  ``queryString``, ``postData`` when there is a body (``mimeType`` and ``text``),
  ``headersSize`` -1 (unknown), ``bodySize``.
- ``response``: ``status``, ``statusText``, ``httpVersion``, ``cookies``, ``headers``,
  ``content`` (``size``, ``mimeType``, ``text``, and ``encoding: "base64"`` for binary
  bodies), ``redirectURL``, ``headersSize`` -1, ``bodySize``.
- A gzip or deflate response body is stored decoded, as the spec asks (``content.size``
  the decoded size, ``compression`` the bytes saved, ``bodySize`` the size on the
  wire). A body in a coding the standard library cannot undo (``br``, ``zstd``) is
  stored as it came, in base64, marked with the custom field ``_contentEncoding``.
- Binary request bodies: HAR 1.2 has no ``encoding`` for ``postData``; they are
  stored in base64 with the custom field ``_encoding: "base64"`` (custom fields
  start with ``_``; other readers ignore them).

Redaction: the values of the headers named in *redact* (by default
``Authorization``, ``Cookie`` and ``Set-Cookie``) and of the cookies they carry are
replaced by :data:`REDACTED`; pass ``redact=()`` to keep every value.
"""

from __future__ import annotations

import base64
import datetime as dt
import email.utils
import json
import os
import secrets
import threading
from collections.abc import Iterable
from typing import Any, Union

from werkzeug.http import parse_cookie, parse_options_header

from .._version import __version__
from .coding import content_coding, decode_content
from .exchange import Exchange, Headers
from .har_read import read_har_entries

__all__ = ["DEFAULT_REDACT", "REDACTED", "HARWriter", "har_entry"]

StrPath = Union[str, "os.PathLike[str]"]

#: What a redacted header or cookie value is replaced by.
REDACTED = "REDACTED"
#: Headers whose values are redacted unless told otherwise.
DEFAULT_REDACT = ("authorization", "cookie", "set-cookie")

CREATOR = {"name": "localserver", "version": __version__}

_TEXT_TYPES = {
    "application/json",
    "application/xml",
    "application/javascript",
    "application/ecmascript",
    "application/x-www-form-urlencoded",
    "application/graphql",
    "image/svg+xml",
}


class HARWriter:
    """Append exchanges to a HAR 1.2 file, thread-safely, valid after every append.

    The file is written at once (an empty log), so it exists and is valid even
    if nothing is recorded.

    Args:
        path: The ``.har`` file; its directory must exist.
        redact: Header names (any case) whose values, and the cookies they
            carry, are written as :data:`REDACTED`. ``()`` redacts nothing.
        append: Keep the entries of an existing file at *path* and add after
            them; by default the file is started afresh.

    Raises:
        OSError: The file cannot be written (e.g. its directory is missing).
        RecordingFormatError: *append* is set and the existing file is not HAR.
    """

    def __init__(
        self, path: StrPath, *, redact: Iterable[str] = DEFAULT_REDACT, append: bool = False
    ) -> None:
        if isinstance(redact, str):
            raise TypeError(f"'redact' must be a list of header names, not one str ({redact!r})")
        self.path = os.fspath(path)
        self.redact = frozenset(name.lower() for name in redact)
        self._lock = threading.Lock()
        self._lines: list[str] = []
        if append and os.path.exists(self.path):
            self._lines = [_line(entry) for entry in read_har_entries(self.path)]
        with self._lock:
            self._write()

    def append(self, exchange: Exchange) -> None:
        """Add *exchange* as the last entry and rewrite the file.

        Raises:
            OSError: The file cannot be written; the entry is not kept.
        """
        line = _line(har_entry(exchange, self.redact))
        with self._lock:
            self._lines.append(line)
            try:
                self._write()
            except BaseException:
                self._lines.pop()
                raise

    def __len__(self) -> int:
        with self._lock:
            return len(self._lines)

    def _write(self) -> None:
        head = json.dumps({"version": "1.2", "creator": CREATOR})[:-1]
        text = "".join(
            [
                '{"log": ',
                head,
                ', "entries": [\n',
                ",\n".join(self._lines),
                "\n]}}\n" if self._lines else "]}}\n",
            ]
        )
        folder = os.path.dirname(os.path.abspath(self.path))
        temp = os.path.join(
            folder, f".{os.path.basename(self.path)}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
        )
        try:
            with open(temp, "x", encoding="utf-8", newline="\n") as file:
                file.write(text)
            os.replace(temp, self.path)
        except BaseException:
            if os.path.exists(temp):
                os.remove(temp)
            raise

    def __repr__(self) -> str:
        return f"<HARWriter {self.path!r}, {len(self)} entries>"


def _line(entry: dict[str, Any]) -> str:
    return json.dumps(entry, ensure_ascii=False)


def har_entry(exchange: Exchange, redact: Iterable[str] = DEFAULT_REDACT) -> dict[str, Any]:
    """The HAR 1.2 ``entry`` object for *exchange*, values of *redact* headers hidden."""
    hidden = frozenset(n.lower() for n in redact)
    ex = exchange
    request: dict[str, Any] = {
        "method": ex.method,
        "url": ex.url,
        "httpVersion": ex.http_version,
        "cookies": _request_cookies(ex.request_headers, hidden),
        "headers": _headers(ex.request_headers, hidden),
        "queryString": [{"name": n, "value": v} for n, v in ex.query or ()],
        "headersSize": -1,
        "bodySize": ex.request_size if ex.request_size is not None else len(ex.request_body),
    }
    if ex.request_body or ex.request_mime:
        request["postData"] = _post_data(ex.request_body, ex.request_mime)
    content, body_size = _content(ex)
    response = {
        "status": ex.status,
        "statusText": ex.reason,
        "httpVersion": ex.http_version,
        "cookies": _response_cookies(ex.response_headers, hidden),
        "headers": _headers(ex.response_headers, hidden),
        "content": content,
        "redirectURL": ex.response_header("location") or "",
        "headersSize": -1,
        "bodySize": body_size,
    }
    timings: dict[str, float] = {}
    if ex.timings.connect >= 0:
        timings["connect"] = _ms(ex.timings.connect)
    timings.update(
        send=_ms(ex.timings.send), wait=_ms(ex.timings.wait), receive=_ms(ex.timings.receive)
    )
    entry: dict[str, Any] = {
        "startedDateTime": _iso(ex.started_at),
        "time": _ms(sum(timings.values())),
        "request": request,
        "response": response,
        "cache": {},
        "timings": timings,
    }
    if ex.comment:
        entry["comment"] = ex.comment
    return entry


def _ms(value: float) -> float:
    return round(max(value, 0.0), 3)


def _iso(when: dt.datetime) -> str:
    text = when.isoformat(timespec="milliseconds")
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _headers(headers: Headers, hidden: frozenset[str]) -> list[dict[str, str]]:
    return [{"name": n, "value": REDACTED if n.lower() in hidden else v} for n, v in headers]


def _request_cookies(headers: Headers, hidden: frozenset[str]) -> list[dict[str, Any]]:
    redact = "cookie" in hidden
    return [
        {"name": name, "value": REDACTED if redact else value}
        for n, v in headers
        if n.lower() == "cookie"
        for name, value in parse_cookie(v).items(multi=True)
    ]


def _response_cookies(headers: Headers, hidden: frozenset[str]) -> list[dict[str, Any]]:
    redact = "set-cookie" in hidden
    cookies = []
    for n, v in headers:
        if n.lower() != "set-cookie":
            continue
        first, *attributes = v.split(";")
        name, _, value = first.partition("=")
        cookie: dict[str, Any] = {
            "name": name.strip(),
            "value": REDACTED if redact else value.strip(),
        }
        for attribute in attributes:
            key, _, arg = attribute.strip().partition("=")
            key = key.lower()
            if key in ("path", "domain"):
                cookie[key] = arg
            elif key == "expires":
                try:
                    cookie["expires"] = _iso(email.utils.parsedate_to_datetime(arg))
                except (TypeError, ValueError):
                    pass  # an unreadable date is left out rather than guessed
            elif key == "httponly":
                cookie["httpOnly"] = True
            elif key == "secure":
                cookie["secure"] = True
        cookies.append(cookie)
    return cookies


def _post_data(body: bytes, mime: str) -> dict[str, Any]:
    text, encoding = _as_text(body, mime)
    data: dict[str, Any] = {"mimeType": mime, "text": text}
    if encoding:
        data["_encoding"] = encoding
    return data


def _content(ex: Exchange) -> tuple[dict[str, Any], int]:
    body = ex.response_body
    wire_size = ex.response_size if ex.response_size is not None else len(body)
    truncated = wire_size > len(body)
    coding = content_coding(ex.response_headers)
    decoded = body if not coding or truncated else decode_content(body, coding)
    content: dict[str, Any] = {"size": wire_size, "mimeType": ex.response_mime}
    if decoded is None or (coding and truncated):
        # Stored as it came; the custom field says the text is still in this coding.
        text = base64.b64encode(body).decode("ascii")
        content.update(text=text, encoding="base64", _contentEncoding=coding)
    else:
        if coding:
            content["size"] = len(decoded)
            if len(decoded) > len(body):  # "bytes saved": left out when there were none
                content["compression"] = len(decoded) - len(body)
        text, encoding = _as_text(decoded, ex.response_mime)
        content["text"] = text
        if encoding:
            content["encoding"] = encoding
    if truncated:
        content["comment"] = f"body truncated to its first {len(body)} of {wire_size} bytes"
    return content, wire_size


def _as_text(body: bytes, mime: str) -> tuple[str, str | None]:
    """The body as HAR text: decoded when it is text and decodes losslessly, else base64."""
    if not body:
        return "", None
    media, params = parse_options_header(mime)
    media = media.lower()
    textual = (
        not media
        or media.startswith("text/")
        or media in _TEXT_TYPES
        or media.endswith(("+json", "+xml"))
    )
    if textual:
        charset = params.get("charset") or "utf-8"
        try:
            text = body.decode(charset)
            if text.encode(charset) == body:
                return text, None
        except (LookupError, UnicodeError):
            pass
    return base64.b64encode(body).decode("ascii"), "base64"
