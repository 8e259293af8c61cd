"""localserver.compat.pytest_localserver: the servers, as pytest-localserver documents them."""

from __future__ import annotations

import smtplib
import ssl
import threading
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any, Callable

import pytest
import requests

import localserver
from localserver.compat import pytest_localserver as pl
from localserver.compat.pytest_localserver import http, https, smtp

TIMEOUT = 5


def hello_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    body = f"hello from {environ['PATH_INFO']}".encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


class TestPackage:
    def test_version(self) -> None:
        """VERSION names the pytest-localserver release whose API is offered."""
        assert isinstance(pl.VERSION, str)
        assert pl.VERSION.startswith("0.")

    def test_names(self) -> None:
        assert set(http.__all__) == {"Chunked", "ContentServer", "WSGIServer"}
        assert http.Chunked is localserver.Chunked
        assert set(smtp.__all__) == {"Server"}

    @pytest.mark.parametrize(
        ("module", "name", "hint"),
        [
            ("localserver.compat.pytest_localserver.smtp", "Handler", "outbox"),
            ("localserver.compat.pytest_localserver.smtp", "MessageDetails", "mail.details"),
            ("localserver.compat.pytest_localserver.http", "make_server", "start()"),
        ],
    )
    def test_names_not_offered(self, module: str, name: str, hint: str) -> None:
        with pytest.raises(ImportError, match="not offered by localserver") as caught:
            exec(f"from {module} import {name}", {})
        assert hint in str(caught.value)


class TestWSGIServer:
    def test_positional_arguments(self) -> None:
        """WSGIServer(host, port, application), as the peer orders them."""
        server = http.WSGIServer("127.0.0.1", 0, hello_app)
        server.start()
        try:
            assert server.is_alive()
            assert server.app is hello_app
            assert server.url == f"http://127.0.0.1:{server.server_address[1]}"
            assert requests.get(server.url + "/x", timeout=TIMEOUT).text == "hello from /x"
        finally:
            server.stop()
        assert not server.is_alive()
        server.stop()  # a second stop is harmless

    def test_subclass_calling_init_with_ssl_context(self) -> None:
        """A subclass calling WSGIServer.__init__(self, host, port, app, ssl_context=...): HTTPS."""
        authority = localserver.TestAuthority()

        class Secure(http.WSGIServer):
            def __init__(self) -> None:
                context = authority.server_context()
                http.WSGIServer.__init__(self, "127.0.0.1", 0, hello_app, ssl_context=context)

        with Secure() as server:
            assert isinstance(server, localserver.WSGIServer)
            assert server.url.startswith("https://")
            response = requests.get(server.url + "/s", verify=authority.ca_bundle, timeout=5)
            assert response.text == "hello from /s"

    def test_ssl_context_as_files(self) -> None:
        """ssl_context may be (cert_file, key_file), as werkzeug takes it."""
        authority = localserver.TestAuthority()
        pem = authority.server_pem_file
        with http.WSGIServer(application=hello_app, ssl_context=(pem, pem)) as server:
            response = requests.get(server.url + "/f", verify=authority.ca_bundle, timeout=5)
            assert response.text == "hello from /f"

    def test_werkzeug_options(self) -> None:
        """threaded and passthrough_errors are taken; what cannot work is refused."""
        http.WSGIServer(application=hello_app, threaded=True, passthrough_errors=True)
        with pytest.raises(ValueError, match="processes"):
            http.WSGIServer(application=hello_app, processes=4)
        with pytest.raises(TypeError, match="request_handler"):
            http.WSGIServer(application=hello_app, request_handler=object)
        with pytest.raises(TypeError, match="ssl_context"):
            http.WSGIServer(application=hello_app, ssl_context=42)

    def test_join_waits_for_stop(self) -> None:
        """join() returns once another thread stopped the server."""
        server = http.WSGIServer(application=hello_app)
        server.start()
        stopper = threading.Timer(0.01, server.stop)
        stopper.start()
        server.join(TIMEOUT)
        stopper.join()
        assert not server.is_alive()

    def test_thread_attributes_explained(self) -> None:
        server = http.WSGIServer(application=hello_app)
        with pytest.raises(AttributeError, match="were threads"):
            server.daemon  # noqa: B018


@pytest.fixture
def content() -> Iterator[http.ContentServer]:
    server = http.ContentServer()
    server.start()
    yield server
    server.stop()


class TestContentServer:
    def test_fresh_server_answers_204(self, content: http.ContentServer) -> None:
        """A fresh ContentServer answers an empty 204, as the peer's does."""
        assert (content.code, content.content) == (204, "")
        response = requests.get(content.url, timeout=TIMEOUT)
        assert (response.status_code, response.text) == (204, "")
        assert len(content.requests) == 1
        assert content.compress is None

    def test_serve_content_and_attributes(self, content: http.ContentServer) -> None:
        content.serve_content("TEST!", headers={"Content-type": "text/plain"})
        response = requests.get(content.url, timeout=TIMEOUT)
        assert response.text == "TEST!"
        assert response.headers["Content-type"] == "text/plain"
        content.code = 503
        assert requests.get(content.url, timeout=TIMEOUT).status_code == 503

    def test_request_bodies_are_kept(self, content: http.ContentServer) -> None:
        content.serve_content("ok")
        requests.post(content.url, data=b"payload", timeout=TIMEOUT)
        assert content.requests[-1].data == b"payload"

    @pytest.mark.parametrize("chunked", [http.Chunked.YES, http.Chunked.AUTO])
    def test_chunked(self, content: http.ContentServer, chunked: http.Chunked) -> None:
        content.serve_content(
            ("TEST!", "test"), headers={"Transfer-Encoding": "chunked"}, chunked=chunked
        )
        response = requests.get(content.url, timeout=TIMEOUT)
        assert response.text == "TEST!test"
        assert "chunked" in response.headers["Transfer-Encoding"]

    def test_ssl_context(self) -> None:
        """ContentServer(ssl_context=...) serves HTTPS and is still a ContentServer."""
        authority = localserver.TestAuthority()
        server = http.ContentServer(ssl_context=authority.server_context())
        assert isinstance(server, http.ContentServer)
        with server:
            server.serve_content("secret")
            response = requests.get(server.url, verify=authority.ca_bundle, timeout=TIMEOUT)
            assert response.text == "secret"


class TestSecureContentServer:
    def test_default_certificate_is_trusted(self) -> None:
        """certificate is a file a client can verify the server with."""
        with https.SecureContentServer() as server:
            assert isinstance(server, http.ContentServer)
            assert server.url.startswith("https://localhost:")
            server.serve_content("TEST!")
            response = requests.get(server.url, verify=server.certificate, timeout=TIMEOUT)
            assert response.text == "TEST!"
            with pytest.raises(requests.exceptions.SSLError):
                requests.get(server.url, verify=True, timeout=TIMEOUT)

    def test_default_key_and_certificate(self) -> None:
        """DEFAULT_KEY and DEFAULT_CERTIFICATE are files made at run time, usable as the peer's."""
        key, cert = https.DEFAULT_KEY, https.DEFAULT_CERTIFICATE
        with open(key) as file:
            assert "PRIVATE KEY" in file.read()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        with https.SecureContentServer(key=key, cert=cert) as server:
            assert server.certificate == cert
            server.serve_content("own files")
            response = requests.get(server.url, verify=cert, timeout=TIMEOUT)
            assert response.text == "own files"


class TestSMTPServer:
    def test_outbox_addr_and_details(self) -> None:
        """Mail lands in outbox with its envelope in details; addr is (host, port)."""
        server = smtp.Server()
        server.start()
        try:
            assert server.is_alive()
            assert server.accepting
            host, port = server.addr
            assert isinstance(host, str)
            assert port > 0
            message = EmailMessage()
            message["From"], message["To"], message["Subject"] = "a@x.org", "b@x.org", "Hi"
            message.set_content("body")
            with smtplib.SMTP(host, port, timeout=TIMEOUT) as client:
                client.send_message(message)
            mail = server.outbox[-1]
            assert mail["Subject"] == "Hi"
            assert mail.details.mailfrom == "a@x.org"
            assert mail.details.rcpttos == ["b@x.org"]
            assert mail.details.peer
        finally:
            server.stop()
        assert not server.is_alive()
        server.stop(timeout=1)

    def test_del_stops_it(self) -> None:
        """Calling __del__() stops the server, as with the peer."""
        server = smtp.Server()
        server.start()
        server.__del__()
        assert not server.is_alive()
        assert repr(server).startswith("<smtp.Server ")
