"""The web page's WSGI application: the page, its assets, the JSON API and the event stream.

Routes (``collection`` is ``messages`` for mail, ``requests`` for HTTP exchanges)::

    GET    /                                   the page
    GET    /static/<name>                      its script and style sheet
    GET    /api/info                           what this server keeps, and how many
    GET    /api/events                         server-sent events: added, deleted, cleared
    GET    /api/<collection>                   newest first; ?offset= &limit= &q=
    DELETE /api/<collection>                   delete all
    GET    /api/<collection>/<id>              one entry, in full
    DELETE /api/<collection>/<id>              delete one
    GET    /api/<collection>/<id>/raw          the bytes as received (?download=1)
    GET    /api/<collection>/<id>/parts/<n>    an attachment or uploaded file
    GET    /api/messages/<id>/html             the HTML part, sandboxed (?images=1)
    GET    /api/requests/<id>/body             the request body
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator
from importlib import resources
from typing import Any, Callable

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from .._version import __version__
from ._format import content_disposition, safe_type
from ._guard import API_CSP, COMMON_HEADERS, PAGE_CSP, host_allowed, html_part_csp
from ._store import KINDS, Entry, JSONObject, WebStore

__all__ = ["WebApp"]

# Seconds between keep-alive comments on an idle event stream; a client that
# went away is noticed at the next one.
HEARTBEAT = 15.0
MAX_LIMIT = 500
_ASSETS = {
    "app.js": "text/javascript; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
}
_COLLECTIONS = {collection: kind for kind, collection in KINDS.items()}


def _load_asset(name: str) -> bytes:
    return (resources.files(__package__) / "static" / name).read_bytes()


def _json(data: object, status: int = 200) -> Response:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return Response(text, status=status, mimetype="application/json")


def _error(status: int, message: str) -> Response:
    return _json({"error": message}, status)


def _count(request: Request, name: str, default: int, low: int, high: int) -> int:
    text = request.args.get(name)
    if text is None or text == "":
        return default
    if not text.isdigit() or not low <= int(text) <= high:
        raise _BadQuery(f"{name!r} must be a whole number from {low} to {high} (got {text!r})")
    return int(text)


class _BadQuery(Exception):
    """A query parameter the API cannot use; answered 400 with this message."""


class WebApp:
    """The WSGI application of the web page, reading and changing *store*.

    Args:
        store: What the page shows.
        heartbeat: Seconds between keep-alive comments on an idle event stream.
    """

    def __init__(self, store: WebStore, heartbeat: float = HEARTBEAT) -> None:
        self.store = store
        self.heartbeat = heartbeat
        self._address: tuple[str, int] | None = None
        self._closing = False
        self._streams = 0  # event streams not yet fully sent
        self._streams_changed = threading.Condition()
        self._page = _load_asset("index.html")
        self._assets = {name: _load_asset(name) for name in _ASSETS}
        self._routes = Map(
            [
                Rule("/", endpoint="page", methods=["GET"]),
                Rule("/static/<name>", endpoint="asset", methods=["GET"]),
                Rule("/api/info", endpoint="info", methods=["GET"]),
                Rule("/api/events", endpoint="events", methods=["GET"]),
                Rule("/api/<collection>", endpoint="listing", methods=["GET", "DELETE"]),
                Rule(
                    "/api/<collection>/<int:entry_id>", endpoint="item", methods=["GET", "DELETE"]
                ),
                Rule("/api/<collection>/<int:entry_id>/raw", endpoint="raw", methods=["GET"]),
                Rule(
                    "/api/<collection>/<int:entry_id>/parts/<int:index>",
                    endpoint="part",
                    methods=["GET"],
                ),
                Rule("/api/messages/<int:entry_id>/html", endpoint="html", methods=["GET"]),
                Rule("/api/requests/<int:entry_id>/body", endpoint="body", methods=["GET"]),
            ]
        )

    # -- lifecycle, driven by the server ----------------------------------------------

    def serve(self, host: str, port: int) -> None:
        """Answer requests for *host*:*port* from now on (called as the server starts)."""
        self._address = (host, port)
        self._closing = False

    def _stopping(self) -> bool:
        return self._closing

    def close_streams(self, timeout: float = 1.0) -> None:
        """End every event stream at once and wait until each was sent to its end.

        Called as the server stops, before it shuts the connections down: a client
        then sees a stream that ended, not one that broke off.
        """
        self._closing = True
        self.store.wake()
        with self._streams_changed:
            self._streams_changed.wait_for(lambda: self._streams == 0, timeout)

    def _stream_done(self) -> None:
        with self._streams_changed:
            self._streams -= 1
            self._streams_changed.notify_all()

    # -- WSGI -------------------------------------------------------------------------

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        request = Request(environ)
        response = self._guarded(request)
        for name, value in COMMON_HEADERS:
            response.headers.setdefault(name, value)
        response.headers.setdefault("Content-Security-Policy", API_CSP)
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response(environ, start_response)

    def _guarded(self, request: Request) -> Response:
        host = request.environ.get("HTTP_HOST")
        if self._address is None or not host_allowed(host, *self._address):
            served = self._address or ("?", 0)
            return Response(
                f"421 Misdirected Request: this page answers requests for "
                f"{served[0]}:{served[1]} only (Host was {host!r}); open it by that address\n",
                status=421,
                mimetype="text/plain",
            )
        cross_site = request.headers.get("Sec-Fetch-Site") == "cross-site"
        origin = request.headers.get("Origin")
        foreign = origin is not None and origin.lower() != f"{request.scheme}://{host}".lower()
        if (cross_site and request.path != "/") or (foreign and request.method != "GET"):
            return _error(403, "requests from other web sites are refused")
        try:
            endpoint, args = self._routes.bind_to_environ(request.environ).match()
            handler: Callable[..., Response] = getattr(self, f"_on_{endpoint}")
            return handler(request, **args)
        except _BadQuery as exc:
            return _error(400, str(exc))
        except MethodNotAllowed as exc:
            allowed = ", ".join(exc.valid_methods or ())
            response = _error(405, f"{request.method} is not allowed here; use {allowed}")
            response.headers["Allow"] = allowed
            return response
        except NotFound:
            return _error(404, f"nothing at {request.path}; the API is described at /api/info")
        except HTTPException as exc:
            return _error(exc.code or 500, exc.description or exc.name)

    # -- the page ---------------------------------------------------------------------

    def _on_page(self, request: Request) -> Response:
        response = Response(self._page, mimetype="text/html")
        response.headers["Content-Security-Policy"] = PAGE_CSP
        return response

    def _on_asset(self, request: Request, name: str) -> Response:
        if name not in self._assets:
            raise NotFound()
        response = Response(self._assets[name], content_type=_ASSETS[name])
        response.headers["Content-Security-Policy"] = PAGE_CSP
        return response

    # -- the API ----------------------------------------------------------------------

    def _kind(self, collection: str) -> str:
        kind = _COLLECTIONS.get(collection)
        if kind is None or kind not in self.store.kinds:
            raise NotFound()
        return kind

    def _entry(self, collection: str, entry_id: int) -> Entry:
        entry = self.store.get(self._kind(collection), entry_id)
        if entry is None:
            raise NotFound()
        return entry

    def _on_info(self, request: Request) -> Response:
        counts = self.store.counts()
        return _json(
            {
                "name": "localserver",
                "version": __version__,
                "collections": [
                    {"kind": kind, "name": KINDS[kind], "url": f"/api/{KINDS[kind]}"}
                    for kind in self.store.kinds
                ],
                "counts": {KINDS[kind]: count for kind, count in counts.items()},
                "events": "/api/events",
            }
        )

    def _on_listing(self, request: Request, collection: str) -> Response:
        kind = self._kind(collection)
        if request.method == "DELETE":
            return _json({"deleted": self.store.clear(kind)})
        offset = _count(request, "offset", 0, 0, 10**9)
        limit = _count(request, "limit", 50, 1, MAX_LIMIT)
        page = self.store.page(kind, offset, limit, request.args.get("q", ""))
        return _json(
            {
                "total": page.total,
                "offset": page.offset,
                "limit": page.limit,
                "items": [self._summary(entry) for entry in page.entries],
            }
        )

    def _on_item(self, request: Request, collection: str, entry_id: int) -> Response:
        if request.method == "DELETE":
            if not self.store.delete(self._kind(collection), entry_id):
                raise NotFound()
            return Response(status=204)
        return _json(self._detail(self._entry(collection, entry_id)))

    def _on_raw(self, request: Request, collection: str, entry_id: int) -> Response:
        entry = self._entry(collection, entry_id)
        if request.args.get("download"):
            mail = entry.kind == "mail"
            name = f"message-{entry.id}.eml" if mail else f"request-{entry.id}.http"
            response = Response(
                entry.raw, content_type="message/rfc822" if mail else "message/http"
            )
            response.headers["Content-Disposition"] = content_disposition("attachment", name)
            return response
        return Response(entry.raw, content_type="text/plain; charset=utf-8")

    def _on_part(self, request: Request, collection: str, entry_id: int, index: int) -> Response:
        entry = self._entry(collection, entry_id)
        if index >= len(entry.downloads):
            raise NotFound()
        download = entry.downloads[index]
        return self._download(download.data, download.content_type, download.filename)

    def _on_body(self, request: Request, entry_id: int) -> Response:
        entry = self._entry("requests", entry_id)
        content_type = safe_type(str(entry.summary.get("content_type") or "").split(";")[0])
        return self._download(entry.body, content_type, f"request-{entry.id}-body")

    def _on_html(self, request: Request, entry_id: int) -> Response:
        entry = self._entry("messages", entry_id)
        if entry.html is None:
            raise NotFound()
        response = Response(entry.html, mimetype="text/html")
        images = request.args.get("images") == "1"
        response.headers["Content-Security-Policy"] = html_part_csp(images)
        response.headers["X-Frame-Options"] = "SAMEORIGIN"
        return response

    @staticmethod
    def _download(data: bytes, content_type: str, filename: str) -> Response:
        response = Response(data, content_type=content_type)
        response.headers["Content-Disposition"] = content_disposition("attachment", filename)
        return response

    # -- JSON shapes --------------------------------------------------------------------

    @staticmethod
    def _summary(entry: Entry) -> JSONObject:
        url = f"/api/{KINDS[entry.kind]}/{entry.id}"
        return {"id": entry.id, "kind": entry.kind, **entry.summary, "url": url}

    @staticmethod
    def _detail(entry: Entry) -> JSONObject:
        url = f"/api/{KINDS[entry.kind]}/{entry.id}"
        links: JSONObject = {"url": url, "raw_url": f"{url}/raw"}
        detail = dict(entry.detail)
        if entry.kind == "mail":
            if entry.html is not None:
                links["html_url"] = f"{url}/html"
            key = "attachments"
        else:
            links["body_url"] = f"{url}/body"
            key = "files"
        parts = detail.get(key)
        if isinstance(parts, list):
            detail[key] = [{**part, "url": f"{url}/parts/{part['index']}"} for part in parts]
        return {"id": entry.id, "kind": entry.kind, **detail, **links}

    # -- server-sent events -------------------------------------------------------------

    def _on_events(self, request: Request) -> Response:
        latest = self.store.seq
        last = request.headers.get("Last-Event-ID") or request.args.get("after") or ""
        cursor = int(last) if last.isdigit() else latest
        response = Response(self._stream(cursor, latest), mimetype="text/event-stream")
        response.headers["X-Accel-Buffering"] = "no"
        with self._streams_changed:
            self._streams += 1
        # Called once the server has written the stream to its end (or given up).
        response.call_on_close(self._stream_done)
        return response

    def _stream(self, cursor: int, latest: int) -> Iterator[bytes]:
        """The event stream from change *cursor* on, until the server stops.

        It opens with ``hello``, whose id is where the stream starts: a client
        reads the listings then, and reconnects with that ``Last-Event-ID``.
        """
        cursor = min(cursor, latest)  # a number from an earlier run starts over
        yield _event("hello", {"seq": cursor, "kinds": list(self.store.kinds)}, cursor, 2000)
        while not self._stopping():
            changes, lost = self.store.changes_after(cursor, self.heartbeat, self._stopping)
            if self._stopping():
                return
            if not changes:
                yield b": keep-alive\n\n"
                continue
            if lost:
                cursor = changes[-1].seq
                yield _event("reset", {"seq": cursor}, cursor)
                continue
            for change in changes:
                data: JSONObject = {"seq": change.seq, "kind": change.kind, "id": change.id}
                if change.summary is not None and change.id is not None:
                    data["summary"] = {
                        "id": change.id,
                        "kind": change.kind,
                        **change.summary,
                        "url": f"/api/{KINDS[change.kind]}/{change.id}",
                    }
                yield _event(change.event, data, change.seq)
            cursor = changes[-1].seq


def _event(name: str, data: JSONObject, seq: int | None, retry: int | None = None) -> bytes:
    lines = []
    if retry is not None:
        lines.append(f"retry: {retry}")
    if seq is not None:
        lines.append(f"id: {seq}")
    lines.append(f"event: {name}")
    lines.append("data: " + json.dumps(data, ensure_ascii=False, separators=(",", ":")))
    return ("\n".join(lines) + "\n\n").encode("utf-8")
