"""Mails and HTTP exchanges turned into what the web page shows."""

from __future__ import annotations

import shlex
from email.message import EmailMessage

import pytest
import requests
from werkzeug.wrappers import Response

from localserver import Chunked, HTTPServer, HTTPSServer, ReceivedMail
from localserver._web import curl_command, exchange_entry, mail_entry

from ._web import make_mail
from .conftest import TIMEOUT


class TestMailEntry:
    def test_summary_fields(self) -> None:
        """Sender, recipients (envelope and headers), subject, date, size, TLS and AUTH."""
        mail = make_mail(
            "Invoice 7",
            to="Bob <bob@example.com>",
            cc="carl@example.com",
            envelope_to=["bob@example.com", "carl@example.com", "dora@example.com"],
            tls="starttls",
            auth_user="ann",
        )
        summary = mail_entry(mail).summary
        assert summary["from"] == "Ann <ann@example.com>"
        assert summary["mail_from"] == "ann@example.com"
        assert summary["rcpt_tos"] == ["bob@example.com", "carl@example.com", "dora@example.com"]
        assert summary["to"] == ["Bob <bob@example.com>"]
        assert summary["cc"] == ["carl@example.com"]
        assert summary["bcc"] == ["dora@example.com"]
        assert summary["subject"] == "Invoice 7"
        assert summary["date"] == "Sun, 22 Nov 2026 10:00:00 +0000"
        assert summary["size"] == len(mail.raw)
        assert (summary["tls"], summary["auth_user"]) == ("starttls", "ann")
        assert summary["received_at"].endswith("Z")  # type: ignore[union-attr]

    def test_bcc_header_and_envelope_only_recipients(self) -> None:
        """A Bcc header kept in the mail and envelope-only recipients are both Bcc."""
        message = EmailMessage()
        message["From"] = "ann@example.com"
        message["To"] = "bob@example.com"
        message["Bcc"] = "eve@example.com"
        message.set_content("x")
        mail = ReceivedMail(
            message.as_bytes(),
            mail_from="ann@example.com",
            rcpt_tos=["bob@example.com", "eve@example.com", "zed@example.com"],
        )
        entry = mail_entry(mail)
        assert entry.summary["bcc"] == ["eve@example.com", "zed@example.com"]
        assert entry.detail["envelope_only"] == ["eve@example.com", "zed@example.com"]

    def test_encoded_subject_is_decoded(self) -> None:
        """An RFC 2047 subject is shown decoded."""
        mail = make_mail("Grüße aus Köln ☕")
        assert b"=?utf-8?" in mail.raw
        assert mail_entry(mail).summary["subject"] == "Grüße aus Köln ☕"

    def test_text_html_and_attachments(self) -> None:
        """The text part, the HTML part and each attachment (name, type, bytes)."""
        mail = make_mail(
            text="Plain body",
            html="<p>HTML body</p>",
            attachments=(
                ("report.pdf", "application/pdf", b"%PDF-1.4"),
                ("a.csv", "text/csv", b"1,2"),
            ),
        )
        entry = mail_entry(mail)
        assert entry.detail["text"] == "Plain body\n"
        assert entry.html == "<p>HTML body</p>\n"
        assert entry.detail["has_html"] is True
        assert [(d.filename, d.content_type, d.data) for d in entry.downloads] == [
            ("report.pdf", "application/pdf", b"%PDF-1.4"),
            ("a.csv", "text/csv", b"1,2"),
        ]
        assert entry.detail["attachments"] == [
            {"index": 0, "filename": "report.pdf", "content_type": "application/pdf", "size": 8},
            {"index": 1, "filename": "a.csv", "content_type": "text/csv", "size": 3},
        ]
        assert entry.summary["attachment_count"] == 2
        assert entry.raw == mail.raw

    def test_inline_image_and_attached_mail_are_downloads(self) -> None:
        """Parts of multipart/related and an attached message/rfc822 are offered too."""
        inner = EmailMessage()
        inner["Subject"] = "forwarded"
        inner.set_content("inner body")
        message = EmailMessage()
        message["From"] = "ann@example.com"
        message["To"] = "bob@example.com"
        message.set_content("see below")
        message.add_alternative('<img src="cid:logo">', subtype="html")
        html = message.get_payload()[1]  # type: ignore[index]
        html.add_related(b"\x89PNG", maintype="image", subtype="png", cid="<logo>")
        message.add_attachment(inner)
        mail = ReceivedMail(message.as_bytes(), mail_from="ann@example.com", rcpt_tos=["b@x"])
        entry = mail_entry(mail)
        names = [(d.filename, d.content_type) for d in entry.downloads]
        assert names == [("part-1.png", "image/png"), ("part-2.eml", "message/rfc822")]
        assert b"inner body" in entry.downloads[1].data
        assert entry.detail["text"] == "see below\n"

    def test_inline_images_show_in_the_html_part(self) -> None:
        """cid: URLs of the mail's own images become data: URLs; others, and text, stay."""
        message = EmailMessage()
        message["From"] = "ann@example.com"
        message["To"] = "bob@example.com"
        message.set_content("logo below")
        message.add_alternative(
            '<img src="cid:logo@shop"><img src="cid:missing"><p>cid:logo@shop</p>',
            subtype="html",
        )
        html = message.get_payload()[1]  # type: ignore[index]
        html.add_related(b"\x89PNG", maintype="image", subtype="png", cid="<logo@shop>")
        mail = ReceivedMail(message.as_bytes(), mail_from="ann@example.com", rcpt_tos=["b@x"])
        shown = mail_entry(mail).html
        assert shown == (
            '<img src="data:image/png;base64,iVBORw=="><img src="cid:missing">'
            "<p>cid:logo@shop</p>\n"
        )

    def test_unsafe_file_names_are_cleaned(self) -> None:
        """A file name cannot climb directories or carry quotes and control characters."""
        mail = make_mail(attachments=(('../../etc/pass"wd\x07', "text/plain", b"x"),))
        assert mail_entry(mail).downloads[0].filename == "_.._etc_pass_wd_"

    def test_broken_charset_falls_back(self) -> None:
        """A text part in an unknown charset is still shown, decoded leniently."""
        raw = (
            b"From: a@example.com\r\nTo: b@example.com\r\nSubject: odd\r\n"
            b"Content-Type: text/plain; charset=no-such-charset\r\n\r\nHello \xff\r\n"
        )
        entry = mail_entry(ReceivedMail(raw, mail_from="a@example.com", rcpt_tos=["b@example.com"]))
        assert entry.detail["text"].startswith("Hello ")  # type: ignore[union-attr]
        assert entry.summary["subject"] == "odd"

    def test_search_covers_recipients_sender_and_subject(self) -> None:
        """Search text holds envelope and header recipients, the sender and the subject."""
        mail = make_mail("Quarterly", cc="Carl <carl@example.com>", envelope_to=["hid@example.com"])
        search = mail_entry(mail).search
        for needle in (
            "hid@example.com",
            "carl@example.com",
            "bob@example.com",
            "quarterly",
            "ann",
        ):
            assert needle in search


@pytest.fixture
def http() -> HTTPServer:
    with HTTPServer() as server:
        server.serve_content('{"ok":true}', headers={"Content-Type": "application/json"})
        yield server


def send(server: HTTPServer, method: str, path: str, **kwargs: object) -> None:
    with requests.Session() as session:
        session.trust_env = False
        session.request(method, server.url_for(path), timeout=TIMEOUT, **kwargs)  # type: ignore[arg-type]


class TestExchangeEntry:
    def test_request_and_response(self, http: HTTPServer) -> None:
        """Method, target, query, headers, cookies, pretty JSON body and the response sent."""
        send(http, "POST", "/hook?a=1&b=%C3%A9&a=2", json={"x": [1, 2]}, cookies={"sid": "s1"})
        entry = exchange_entry(*http.log[0])
        summary, detail = entry.summary, entry.detail
        assert (summary["method"], summary["path"], summary["target"]) == (
            "POST",
            "/hook",
            "/hook?a=1&b=%C3%A9&a=2",
        )
        assert (summary["status"], summary["size"], summary["response_size"]) == (200, 13, 11)
        assert detail["query"] == [["a", "1"], ["a", "2"], ["b", "é"]]
        assert ["Content-Type", "application/json"] in detail["headers"]  # type: ignore[operator]
        assert detail["cookies"] == [["sid", "s1"]]
        body = detail["body"]
        assert body["json"] == '{\n  "x": [\n    1,\n    2\n  ]\n}'  # type: ignore[index]
        assert body["text"] == '{"x": [1, 2]}'  # type: ignore[index]
        response = detail["response"]
        assert response["status_line"] == "200 OK"  # type: ignore[index]
        assert response["body"]["json"] == '{\n  "ok": true\n}'  # type: ignore[index]
        assert detail["request_url"] == f"{http.url}/hook?a=1&b=%C3%A9&a=2"
        assert entry.raw.startswith(b"POST /hook?a=1&b=%C3%A9&a=2 HTTP/1.1\r\nHost: ")
        assert entry.raw.endswith(b'\r\n\r\n{"x": [1, 2]}')

    def test_form_fields_and_files(self, http: HTTPServer) -> None:
        """Multipart form fields are listed; each uploaded file is a download."""
        send(
            http,
            "POST",
            "/upload",
            data={"name": "Ann"},
            files={"doc": ("notes.txt", b"hello", "text/plain")},
        )
        entry = exchange_entry(*http.log[0])
        assert entry.detail["form"] == [["name", "Ann"]]
        assert entry.detail["files"] == [
            {
                "index": 0,
                "field": "doc",
                "filename": "notes.txt",
                "content_type": "text/plain",
                "size": 5,
            }
        ]
        assert entry.downloads[0].data == b"hello"
        assert entry.body == http.log[0][0].get_data()

    def test_binary_body_has_no_text(self, http: HTTPServer) -> None:
        """A body that is not UTF-8 text is only counted (and offered as a download)."""
        send(http, "PUT", "/blob", data=b"\xff\x00\x01")
        body = exchange_entry(*http.log[0]).detail["body"]
        assert body == {"size": 3, "text": None, "truncated": False, "json": None, "stored": True}

    def test_no_response_after_a_fault(self, http: HTTPServer) -> None:
        """A request whose connection was cut has no status and no response."""
        http.expect_request("/cut").respond_with_fault("connection_reset")
        with pytest.raises(requests.ConnectionError):
            send(http, "GET", "/cut")
        request, response = http.log[0]
        entry = exchange_entry(request, response)
        assert entry.summary["status"] is None
        assert entry.detail["response"] is None

    def test_chunked_content_body_is_shown(self, http: HTTPServer) -> None:
        """A chunked default response is known in full (the server sent it from memory)."""
        http.serve_content(["a", "b"], chunked=Chunked.YES)
        send(http, "GET", "/chunks")
        response = exchange_entry(*http.log[0]).detail["response"]
        assert response["status"] == 200  # type: ignore[index]
        assert response["body"]["text"] == "ab"  # type: ignore[index]

    def test_streamed_response_body_is_not_kept(self, http: HTTPServer) -> None:
        """A handler's streamed body was consumed as it was sent: only its headers remain."""
        http.expect_request("/stream").respond_with_handler(
            lambda request: Response(iter([b"a", b"b"]), 200)
        )
        send(http, "GET", "/stream")
        response = exchange_entry(*http.log[0]).detail["response"]
        assert response["status"] == 200  # type: ignore[index]
        assert response["body"] is None  # type: ignore[index]

    def test_client_certificate_subject(self) -> None:
        """The subject of a mutual-TLS client certificate is shown."""
        with HTTPSServer(require_client_cert=True) as server:
            server.serve_content("ok")
            cert = server.issue_client_cert("alice")
            with requests.Session() as session:
                session.trust_env = False
                session.get(
                    server.url_for("/"),
                    verify=server.ca_bundle,
                    cert=cert.pem_file,
                    timeout=TIMEOUT,
                )
            entry = exchange_entry(*server.log[0])
        assert entry.summary["client_cert_subject"] == cert.subject
        assert entry.detail["scheme"] == "https"


class TestCurl:
    def test_post_with_headers_and_body(self) -> None:
        """Method, URL, headers (not those curl sets) and the body, quoted for a shell."""
        line = curl_command(
            "POST",
            "http://127.0.0.1:8000/x?a=1&b='2'",
            [("Host", "127.0.0.1:8000"), ("Content-Length", "9"), ("X-Token", "it's")],
            b'{"a": "$HOME"}',
        )
        assert shlex.split(line) == [
            "curl",
            "-X",
            "POST",
            "http://127.0.0.1:8000/x?a=1&b='2'",
            "-H",
            "X-Token: it's",
            "--data-raw",
            '{"a": "$HOME"}',
        ]

    def test_get_head_and_globbing(self) -> None:
        """GET needs no -X, HEAD is --head, brackets in the URL turn globbing off."""
        assert curl_command("GET", "http://h/", [], b"") == "curl http://h/"
        assert curl_command("HEAD", "http://h/", [], b"") == "curl --head http://h/"
        assert shlex.split(curl_command("GET", "http://h/?a[]=1", [], b""))[1] == "--globoff"

    def test_binary_body_is_named_not_inlined(self) -> None:
        """A binary body cannot go on a shell line: a comment says how to add it."""
        line = curl_command("PUT", "http://h/", [], b"\xff\xfe")
        assert line.endswith("# the 2-byte binary body: add --data-binary @FILE")
        assert "--data-raw" not in line
