"""The quickstart's examples: each is included into docs/quickstart.rst."""

from __future__ import annotations

import smtplib

import requests

from localserver import Chunked, HTTPServer, HTTPSServer, SMTPServer, WSGIServer


def test_serve_content() -> None:
    with HTTPServer() as server:
        server.serve_content("hello", code=200, headers={"X-Greeting": "yes"})

        response = requests.get(server.url_for("/anything"), timeout=5)

        assert response.status_code == 200
        assert response.text == "hello"
        assert response.headers["X-Greeting"] == "yes"


def test_inspect_requests() -> None:
    with HTTPServer() as server:
        server.serve_content("created", code=201)

        requests.post(server.url_for("/users"), json={"name": "Ada"}, timeout=5)

        (request,) = server.requests
        assert request.method == "POST"
        assert request.path == "/users"
        assert request.json == {"name": "Ada"}


def test_wsgi_application() -> None:
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"success"]

    with WSGIServer(app) as server:
        assert requests.get(server.url, timeout=5).text == "success"


def test_chunked() -> None:
    with HTTPServer() as server:
        server.serve_content(["first ", "second"], chunked=Chunked.YES)

        response = requests.get(server.url, timeout=5)

        assert response.headers["Transfer-Encoding"] == "chunked"
        assert response.text == "first second"


def test_https() -> None:
    with HTTPSServer() as server:
        server.serve_content("secret")

        response = requests.get(server.url, verify=server.ca_bundle, timeout=5)

        assert response.text == "secret"


def test_smtp() -> None:
    with SMTPServer() as server:
        with smtplib.SMTP(*server.addr, local_hostname="localhost", timeout=5) as client:
            client.sendmail(
                "shop@example.com", ["ada@example.com"], b"Subject: Hi\r\n\r\nHello\r\n"
            )

        (mail,) = server.outbox
        assert mail["Subject"] == "Hi"
        assert mail.rcpt_tos == ["ada@example.com"]


def test_start_and_stop_by_hand() -> None:
    server = HTTPServer().start()
    try:
        server.serve_content("ok")
        assert requests.get(server.url, timeout=5).text == "ok"
    finally:
        server.stop()
    assert not server.running
