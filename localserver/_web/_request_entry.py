"""An HTTP exchange as the web page shows it: the request, the response sent, a curl line."""

from __future__ import annotations

import json
import shlex
from typing import Callable, TypeVar

from werkzeug.wrappers import Response

from .._recorded import RecordedRequest
from ._format import iso_time, safe_filename, safe_type
from ._store import Download, Entry, JSONObject

__all__ = ["curl_command", "exchange_entry"]

_T = TypeVar("_T")

# Bodies longer than this are shown cut (the whole body stays a download).
TEXT_LIMIT = 1024 * 1024

# Headers curl writes itself from its other arguments.
_CURL_SETS = frozenset({"host", "content-length", "connection", "transfer-encoding"})


def _safe(read: Callable[[], _T], fallback: _T) -> _T:
    try:
        return read()
    except Exception:  # a malformed body must not cost the whole entry
        return fallback


def _wsgi_text(value: str) -> str:
    """A WSGI environ string (bytes as latin-1) as the UTF-8 text it usually is."""
    return value.encode("latin-1", "replace").decode("utf-8", "replace")


def body_view(data: bytes, content_type: str) -> JSONObject:
    """How a body is shown: its text (cut at TEXT_LIMIT), pretty JSON when it is JSON."""
    try:
        text: str | None = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and "\x00" in text:
        text = None
    pretty = None
    media = content_type.split(";")[0].strip().lower()
    if text is not None and media.endswith(("/json", "+json")):
        try:
            pretty = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
        except ValueError:
            pretty = None
    return {
        "size": len(data),
        "text": None if text is None else text[:TEXT_LIMIT],
        "truncated": text is not None and len(text) > TEXT_LIMIT,
        "json": pretty,
    }


def curl_command(method: str, url: str, headers: list[tuple[str, str]], body: bytes) -> str:
    """A curl command line (POSIX shell quoting) that sends this request again.

    A body that is not UTF-8 text is left out with a note, since a shell line
    cannot carry arbitrary bytes; download it and add ``--data-binary @FILE``.
    """
    words = ["curl"]
    if method == "HEAD":
        words.append("--head")
    elif method != "GET" or body:
        words += ["-X", method]
    if any(char in url for char in "[]{}"):
        words.append("--globoff")
    words.append(url)
    for name, value in headers:
        if name.lower() not in _CURL_SETS:
            words += ["-H", f"{name}: {value}"]
    note = ""
    if body:
        try:
            words += ["--data-raw", body.decode("utf-8")]
        except UnicodeDecodeError:
            note = f"  # the {len(body)}-byte binary body: add --data-binary @FILE"
    return " ".join(shlex.quote(word) for word in words) + note


def _files(request: RecordedRequest) -> list[tuple[str, Download]]:
    found = []
    for field, storage in request.files.items(multi=True):
        stream = storage.stream
        stream.seek(0)
        data = stream.read()
        stream.seek(0)
        name = safe_filename(storage.filename or "", f"{safe_filename(field, 'file')}.bin")
        found.append((field, Download(name, safe_type(storage.content_type or ""), data)))
    return found


def _response_view(response: Response | None) -> JSONObject | None:
    if response is None:
        return None
    # A streamed body (chunks, a slow body) was consumed as it was sent.
    data = response.get_data() if response.is_sequence else None
    view: JSONObject = {
        "status": response.status_code,
        "status_line": response.status,
        "headers": [[name, value] for name, value in response.headers.items()],
        "body": None if data is None else body_view(data, response.content_type or ""),
    }
    return view


def exchange_entry(request: RecordedRequest, response: Response | None) -> Entry:
    """Turn a request and the response sent (``server.log``'s pairs) into a store entry.

    Args:
        request: The request as the server recorded it.
        response: The response sent, or ``None`` when a fault cut the connection.

    Returns:
        An entry of kind ``"request"`` (its id is given when it is stored).
    """
    environ = request.environ
    body = request.get_data()
    content_type = request.content_type or ""
    target = _wsgi_text(str(environ.get("RAW_URI") or request.full_path))
    headers = list(request.headers.items())
    # The URL as the client wrote it: its Host header and target, not re-encoded.
    url = f"{request.scheme}://{request.headers.get('Host') or request.host}{target}"
    if target.lower().startswith(("http://", "https://")):  # absolute form (a proxy request)
        url = target
    files: list[tuple[str, Download]] = _safe(lambda: _files(request), [])
    response_view = _response_view(response)
    response_body = response_view and response_view["body"]
    summary: JSONObject = {
        "received_at": iso_time(request.received_at),
        "method": request.method,
        "path": request.path,
        "target": target,
        "status": None if response is None else response.status_code,
        "size": len(body),
        "content_type": content_type or None,
        "response_size": response_body["size"] if isinstance(response_body, dict) else None,
        "client_cert_subject": request.client_cert_subject,
    }
    detail: JSONObject = {
        **summary,
        "request_url": url,
        "scheme": request.scheme,
        "http_version": environ.get("SERVER_PROTOCOL"),
        "remote_addr": request.remote_addr,
        "connection_id": request.connection_id,
        "query": [[name, value] for name, value in request.args.items(multi=True)],
        "headers": [[name, value] for name, value in headers],
        "cookies": [[name, value] for name, value in request.cookies.items(multi=True)],
        "body": {**body_view(body, content_type), "stored": request.body_stored},
        "form": _safe(
            lambda: [[k, v] for k, v in request.form.items(multi=True)], list[list[str]]()
        ),
        "files": [
            {
                "index": index,
                "field": field,
                "filename": download.filename,
                "content_type": download.content_type,
                "size": len(download.data),
            }
            for index, (field, download) in enumerate(files)
        ],
        "response": response_view,
        "curl": curl_command(request.method, url, headers, body),
    }
    head = [f"{request.method} {target} {environ.get('SERVER_PROTOCOL', 'HTTP/1.1')}"]
    head += [f"{name}: {value}" for name, value in headers]
    raw = ("\r\n".join(head) + "\r\n\r\n").encode("utf-8", "replace") + body
    return Entry(
        kind="request",
        summary=summary,
        detail=detail,
        raw=raw,
        search=f"{request.method} {target}".lower(),
        body=body,
        downloads=tuple(download for _, download in files),
    )
