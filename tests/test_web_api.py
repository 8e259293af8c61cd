"""The web page's JSON API and event stream, over real sockets with requests."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from localserver import HTTPServer
from localserver._web import WebServer, WebStore, start_web
from localserver._web._guard import host_allowed

from ._web import EventReader, add_exchange, add_mail
from .conftest import TIMEOUT, ipv6_available

STATIC = Path(__file__).resolve().parent.parent / "localserver" / "_web" / "static"


@pytest.fixture
def store() -> WebStore:
    return WebStore()


@pytest.fixture
def web(store: WebStore) -> Iterator[WebServer]:
    server = start_web(store, port=0)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def api(web: WebServer) -> Iterator[requests.Session]:
    """A session whose relative URLs go to the web page."""

    class Session(requests.Session):
        def request(self, method: str, url: str, *args: object, **kwargs: object):  # type: ignore[override]
            kwargs.setdefault("timeout", TIMEOUT)
            return super().request(method, web.url + url, *args, **kwargs)  # type: ignore[arg-type]

    with Session() as session:
        session.trust_env = False
        yield session


@pytest.fixture
def http() -> Iterator[HTTPServer]:
    with HTTPServer() as server:
        server.serve_content('{"ok": true}', headers={"Content-Type": "application/json"})
        yield server


class TestListing:
    def test_newest_first_with_paging(self, store: WebStore, api: requests.Session) -> None:
        """GET /api/messages lists newest first; offset and limit page it; total counts all."""
        for n in range(5):
            add_mail(store, f"mail {n}")
        page = api.get("/api/messages", params={"offset": 1, "limit": 2}).json()
        assert (page["total"], page["offset"], page["limit"]) == (5, 1, 2)
        assert [item["subject"] for item in page["items"]] == ["mail 3", "mail 2"]
        assert page["items"][0]["url"] == "/api/messages/4"
        assert page["items"][0]["kind"] == "mail"

    def test_search_by_recipient_or_subject(self, store: WebStore, api: requests.Session) -> None:
        """?q= finds mail by envelope or header recipient, or by subject."""
        add_mail(store, "Invoice", to="bob@example.com")
        add_mail(
            store, "Welcome", to="carl@example.com", envelope_to=["carl@example.com", "dee@x.org"]
        )

        def found(q: str) -> list[str]:
            return [i["subject"] for i in api.get("/api/messages", params={"q": q}).json()["items"]]

        assert found("invoice") == ["Invoice"]
        assert found("CARL@") == ["Welcome"]
        assert found("dee@x.org") == ["Welcome"]
        assert found("nobody") == []

    def test_requests_listing(
        self, store: WebStore, http: HTTPServer, api: requests.Session
    ) -> None:
        """GET /api/requests: method, path, status, time, sizes."""
        add_exchange(store, http, "POST", "/hook?x=1", data=b"12345")
        (item,) = api.get("/api/requests").json()["items"]
        assert (item["method"], item["path"], item["target"], item["status"]) == (
            "POST",
            "/hook",
            "/hook?x=1",
            200,
        )
        assert (item["size"], item["response_size"]) == (5, 12)
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", item["received_at"])

    @pytest.mark.parametrize(
        ("params", "message"),
        [
            ({"limit": "0"}, "'limit' must be a whole number from 1 to 500 (got '0')"),
            ({"limit": "x"}, "'limit' must be a whole number from 1 to 500 (got 'x')"),
            ({"offset": "-1"}, "'offset' must be a whole number from 0 to 1000000000 (got '-1')"),
        ],
    )
    def test_bad_paging_is_400(
        self, api: requests.Session, params: dict[str, str], message: str
    ) -> None:
        """A paging value out of range is answered 400 with a JSON error naming it."""
        response = api.get("/api/messages", params=params)
        assert response.status_code == 400
        assert response.json() == {"error": message}

    def test_unknown_or_absent_collection_is_404(self, api: requests.Session) -> None:
        """Only the collections the store keeps exist."""
        assert api.get("/api/faxes").status_code == 404
        assert api.get("/api/nothing/here").json()["error"].startswith("nothing at /api/nothing")

    def test_info_names_the_collections(self, store: WebStore, api: requests.Session) -> None:
        """GET /api/info says what the page keeps and how many of each."""
        add_mail(store)
        info = api.get("/api/info").json()
        assert [c["url"] for c in info["collections"]] == ["/api/messages", "/api/requests"]
        assert info["counts"] == {"messages": 1, "requests": 0}
        assert info["events"] == "/api/events"


class TestItems:
    def test_mail_detail(self, store: WebStore, api: requests.Session) -> None:
        """GET /api/messages/<id>: the whole mail, with links to its parts."""
        mail_id = add_mail(
            store,
            "Report",
            html="<p>hi</p>",
            attachments=(("r.pdf", "application/pdf", b"%PDF"),),
        )
        detail = api.get(f"/api/messages/{mail_id}").json()
        assert detail["subject"] == "Report"
        assert detail["text"] == "Hello Bob\n"
        assert detail["raw_url"] == f"/api/messages/{mail_id}/raw"
        assert detail["html_url"] == f"/api/messages/{mail_id}/html"
        assert detail["attachments"][0]["url"] == f"/api/messages/{mail_id}/parts/0"
        assert ["Subject", "Report"] in detail["headers"]

    def test_raw_bytes(self, store: WebStore, api: requests.Session) -> None:
        """…/raw is the mail exactly as received; ?download=1 makes it a .eml download."""
        mail_id = add_mail(store, "Ünïcode")
        raw = store.get("mail", mail_id).raw  # type: ignore[union-attr]
        response = api.get(f"/api/messages/{mail_id}/raw")
        assert response.content == raw
        assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
        download = api.get(f"/api/messages/{mail_id}/raw", params={"download": "1"})
        assert download.content == raw
        assert download.headers["Content-Type"] == "message/rfc822"
        assert download.headers["Content-Disposition"].startswith(
            f'attachment; filename="message-{mail_id}.eml"'
        )

    def test_attachment_download(self, store: WebStore, api: requests.Session) -> None:
        """An attachment comes with its type, as an attachment, never sniffed."""
        mail_id = add_mail(
            store, attachments=(("résumé.html", "text/html", b"<script>x</script>"),)
        )
        response = api.get(f"/api/messages/{mail_id}/parts/0")
        assert response.content == b"<script>x</script>"
        assert response.headers["Content-Type"] == "text/html"
        assert response.headers["Content-Disposition"] == (
            "attachment; filename=\"r_sum_.html\"; filename*=UTF-8''r%C3%A9sum%C3%A9.html"
        )
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response.headers["Content-Security-Policy"]
        assert api.get(f"/api/messages/{mail_id}/parts/1").status_code == 404

    def test_html_part_is_locked_down(self, store: WebStore, api: requests.Session) -> None:
        """The HTML part runs nothing and loads nothing; ?images=1 allows remote images."""
        mail_id = add_mail(store, html="<p>hi</p>")
        response = api.get(f"/api/messages/{mail_id}/html")
        assert response.text == "<p>hi</p>\n"
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
        csp = response.headers["Content-Security-Policy"]
        assert csp.startswith("default-src 'none'; style-src 'unsafe-inline'; img-src data:;")
        assert "sandbox" in csp
        assert "script-src" not in csp
        relaxed = api.get(f"/api/messages/{mail_id}/html", params={"images": "1"})
        assert "img-src data: http: https:;" in relaxed.headers["Content-Security-Policy"]
        plain = add_mail(store, html=None)
        assert api.get(f"/api/messages/{plain}/html").status_code == 404

    def test_request_detail_and_downloads(
        self, store: WebStore, http: HTTPServer, api: requests.Session
    ) -> None:
        """GET /api/requests/<id>: request, response, curl; the body and files download."""
        entry_id = add_exchange(
            store, http, "POST", "/up", files={"doc": ("a.bin", b"\x00\x01", "application/x-thing")}
        )
        detail = api.get(f"/api/requests/{entry_id}").json()
        assert detail["files"][0]["url"] == f"/api/requests/{entry_id}/parts/0"
        assert detail["response"]["status"] == 200
        assert detail["curl"].startswith("curl -X POST ")
        part = api.get(detail["files"][0]["url"])
        assert part.content == b"\x00\x01"
        assert part.headers["Content-Type"] == "application/x-thing"
        body = api.get(detail["body_url"])
        assert body.content == http.log[0][0].get_data()
        assert body.headers["Content-Disposition"].startswith("attachment;")
        raw = api.get(detail["raw_url"]).content
        assert raw.startswith(b"POST /up HTTP/1.1\r\n")

    def test_unknown_item_is_404(self, store: WebStore, api: requests.Session) -> None:
        """An id that is not there (or of the other kind) is 404 with a JSON error."""
        mail_id = add_mail(store)
        assert api.get("/api/messages/99").status_code == 404
        response = api.get(f"/api/requests/{mail_id}")
        assert response.status_code == 404
        assert "error" in response.json()


class TestDeleting:
    def test_delete_one(self, store: WebStore, api: requests.Session) -> None:
        """DELETE /api/messages/<id> answers 204; the mail is gone; again is 404."""
        first, second = add_mail(store, "one"), add_mail(store, "two")
        assert api.delete(f"/api/messages/{first}").status_code == 204
        assert api.get(f"/api/messages/{first}").status_code == 404
        assert [i["id"] for i in api.get("/api/messages").json()["items"]] == [second]
        assert api.delete(f"/api/messages/{first}").status_code == 404

    def test_delete_all(self, store: WebStore, http: HTTPServer, api: requests.Session) -> None:
        """DELETE /api/messages deletes every mail (not the requests) and says how many."""
        add_mail(store)
        add_mail(store)
        add_exchange(store, http, "GET", "/")
        assert api.delete("/api/messages").json() == {"deleted": 2}
        assert api.get("/api/messages").json()["total"] == 0
        assert api.get("/api/requests").json()["total"] == 1

    def test_other_methods_are_405(self, api: requests.Session) -> None:
        """A method a route does not take is 405, with Allow."""
        response = api.post("/api/messages")
        assert response.status_code == 405
        assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "DELETE"}

    def test_delete_from_another_site_is_403(self, store: WebStore, api: requests.Session) -> None:
        """A DELETE carrying another site's Origin is refused, and nothing is deleted."""
        mail_id = add_mail(store)
        response = api.delete("/api/messages", headers={"Origin": "http://evil.example"})
        assert response.status_code == 403
        response = api.get(f"/api/messages/{mail_id}", headers={"Sec-Fetch-Site": "cross-site"})
        assert response.status_code == 403
        assert store.counts()["mail"] == 1


class TestEvents:
    def test_added_deleted_cleared_arrive(
        self, store: WebStore, web: WebServer, api: requests.Session
    ) -> None:
        """The stream says hello, then each change as it happens, with its id."""
        reader = EventReader(f"{web.url}/api/events")
        try:
            name, data, event_id = reader.next()
            assert (name, data, event_id) == (
                "hello",
                {"seq": 0, "kinds": ["mail", "request"]},
                "0",
            )
            mail_id = add_mail(store, "<script>live</script>")
            name, data, event_id = reader.next()
            assert (name, event_id, data["kind"], data["id"]) == ("added", "1", "mail", mail_id)
            assert data["summary"]["subject"] == "<script>live</script>"
            assert data["summary"]["url"] == f"/api/messages/{mail_id}"
            api.delete(f"/api/messages/{mail_id}")
            assert reader.next()[:2] == ("deleted", {"seq": 2, "kind": "mail", "id": mail_id})
            api.delete("/api/messages")
            assert reader.next()[:2] == ("cleared", {"seq": 3, "kind": "mail", "id": None})
        finally:
            reader.close()

    def test_last_event_id_resumes(self, store: WebStore, web: WebServer) -> None:
        """A client that reconnects with Last-Event-ID gets what it missed."""
        add_mail(store, "a")
        add_mail(store, "b")
        reader = EventReader(f"{web.url}/api/events", headers={"Last-Event-ID": "1"})
        try:
            assert reader.next()[0] == "hello"
            name, data, event_id = reader.next()
            assert (name, event_id, data["summary"]["subject"]) == ("added", "2", "b")
        finally:
            reader.close()

    def test_stop_ends_the_stream_at_once(self, store: WebStore) -> None:
        """Stopping the page ends open event streams; no thread is left waiting."""
        server = start_web(store, port=0)
        prefix = f"localserver-web:{server.port}"
        reader = EventReader(f"{server.url}/api/events")
        try:
            assert reader.next()[0] == "hello"
            server.stop()
            assert reader.rest() == []
        finally:
            reader.close()
            server.stop()
        assert not [t.name for t in threading.enumerate() if t.name.startswith(prefix)]

    def test_heartbeat_keeps_idle_streams_alive(self, store: WebStore) -> None:
        """An idle stream gets keep-alive comments (how a vanished client is noticed)."""
        server = WebServer(store, port=0, heartbeat=0.01).start()
        try:
            with requests.get(f"{server.url}/api/events", stream=True, timeout=TIMEOUT) as response:
                lines = response.iter_lines(chunk_size=None, decode_unicode=True)
                assert ": keep-alive" in (next(lines) for _ in range(20))
        finally:
            server.stop()


class TestSafety:
    @pytest.mark.parametrize(
        "host",
        ["evil.example:{port}", "127.0.0.1:{other}", "127.0.0.1", "localhost.evil.example:{port}"],
    )
    def test_other_hosts_are_421(self, web: WebServer, host: str) -> None:
        """Only the served address answers: a rebinding name gets 421 and no data."""
        header = host.format(port=web.port, other=web.port + 1)
        for path in ("/", "/api/messages", "/api/events"):
            response = requests.get(web.url + path, headers={"Host": header}, timeout=TIMEOUT)
            assert response.status_code == 421, path
            assert "answers requests for 127.0.0.1:" in response.text
            assert response.headers["X-Content-Type-Options"] == "nosniff"

    def test_localhost_is_accepted_on_loopback(self, web: WebServer) -> None:
        """localhost:PORT is the same page when it is bound to loopback."""
        headers = {"Host": f"LOCALHOST:{web.port}"}
        response = requests.get(web.url + "/api/info", headers=headers, timeout=TIMEOUT)
        assert response.status_code == 200

    @pytest.mark.skipif(not ipv6_available(), reason="::1 cannot be bound here")
    def test_ipv6_loopback(self, store: WebStore) -> None:
        """Bound to ::1, the page answers [::1]:PORT and localhost:PORT, nothing else."""
        server = start_web(store, host="::1", port=0)
        try:
            assert server.url == f"http://[::1]:{server.port}"
            for host, status in (
                (f"[::1]:{server.port}", 200),
                (f"localhost:{server.port}", 200),
                (f"rebind.example:{server.port}", 421),
            ):
                response = requests.get(
                    f"{server.url}/api/info", headers={"Host": host}, timeout=TIMEOUT
                )
                assert response.status_code == status, host
        finally:
            server.stop()

    @pytest.mark.parametrize(
        "path",
        [
            "/",
            "/static/app.js",
            "/static/app.css",
            "/static/nope.js",
            "/api/info",
            "/api/messages",
            "/api/messages/1",
            "/api/messages/1/raw",
            "/api/messages/1/html",
            "/api/messages/1/parts/0",
            "/api/messages/99",
            "/api/unknown",
        ],
    )
    def test_headers_on_every_response(
        self, store: WebStore, api: requests.Session, path: str
    ) -> None:
        """nosniff, no referrer and a CSP on every answer, errors included."""
        add_mail(store, html="<b>x</b>", attachments=(("a.txt", "text/plain", b"a"),))
        response = api.get(path)
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["Content-Security-Policy"]
        assert response.headers["Cache-Control"] == "no-store"

    def test_page_policy_allows_no_inline_script(self, api: requests.Session) -> None:
        """The page's CSP: its own files only, frames from itself, never framed."""
        csp = api.get("/").headers["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
        assert directives["default-src"] == "'self'"
        assert directives["script-src"] == "'self'"
        assert directives["frame-src"] == "'self'"
        assert directives["frame-ancestors"] == "'none'"
        assert "unsafe" not in csp

    def test_data_is_text_in_json_and_never_in_the_page(
        self, store: WebStore, api: requests.Session
    ) -> None:
        """A subject of <script> is a JSON string; the page's HTML carries no data at all."""
        add_mail(store, '<script>alert("x")</script><img src=x onerror=alert(1)>')
        listing = api.get("/api/messages")
        assert listing.headers["Content-Type"] == "application/json"
        assert listing.json()["items"][0]["subject"].startswith("<script>alert(")
        page = api.get("/")
        assert "alert" not in page.text
        assert page.content == (STATIC / "index.html").read_bytes()

    def test_script_builds_no_html_from_strings(self) -> None:
        """app.js never parses strings as HTML, and has no inline handlers to allow."""
        script = (STATIC / "app.js").read_text()
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
            assert sink not in script, sink
        html = (STATIC / "index.html").read_text()
        assert not re.search(r"\son\w+=", html)
        assert "<script>" not in html
        assert "style=" not in html

    def test_assets_are_small_and_local(self) -> None:
        """The page ships a few kilobytes and fetches nothing from elsewhere."""
        files = [STATIC / name for name in ("index.html", "app.css", "app.js")]
        assert sum(path.stat().st_size for path in files) < 40_000
        for path in files:
            assert not re.search(r"https?://", path.read_text()), path.name


@pytest.mark.parametrize(
    ("header", "host", "port", "allowed"),
    [
        ("127.0.0.1:8025", "127.0.0.1", 8025, True),
        ("localhost:8025", "127.0.0.1", 8025, True),
        ("[::1]:8025", "127.0.0.1", 8025, True),
        ("127.0.0.1:8026", "127.0.0.1", 8025, False),
        ("127.0.0.1", "127.0.0.1", 8025, False),
        ("127.0.0.1", "127.0.0.1", 80, True),
        ("rebind.example:8025", "127.0.0.1", 8025, False),
        ("[::1]:8025", "::1", 8025, True),
        ("[0:0:0:0:0:0:0:1]:8025", "::1", 8025, True),
        ("localhost:8025", "::1", 8025, True),
        ("192.168.1.5:8025", "0.0.0.0", 8025, True),
        ("localhost:8025", "0.0.0.0", 8025, True),
        ("rebind.example:8025", "0.0.0.0", 8025, False),
        ("192.168.1.5:8025", "192.168.1.5", 8025, True),
        ("localhost:8025", "192.168.1.5", 8025, False),
        ("devbox:8025", "devbox", 8025, True),
        (None, "127.0.0.1", 8025, False),
        ("[::1:8025", "::1", 8025, False),
        ("127.0.0.1:80x", "127.0.0.1", 8025, False),
    ],
)
def test_host_allowed(header: str | None, host: str, port: int, allowed: bool) -> None:
    """The Host rule: the bound address, loopback aliases, IP literals on a wildcard."""
    assert host_allowed(header, host, port) is allowed
