"""forward(): one request passed to a real upstream server, its answer streamed back."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import socket
import threading
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable

import httpx
import pytest
import requests
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request, Response

from localserver import HTTPServer, HTTPSServer, LocalServerError, TestAuthority
from localserver._proxy import ForwardedResponse, Upstream, UpstreamError, forward
from localserver._recording import REDACTED, HARWriter, forwarded_exchange, read_har

from .conftest import TIMEOUT
from .test_recording_har import check_har_1_2

MIB = 1024 * 1024


def make_request(path: str = "/", **kwargs: Any) -> Request:
    """A werkzeug Request whose body is still in its stream, as a WSGI server hands it over."""
    return EnvironBuilder(path=path, **kwargs).get_request()


def fetch(forwarded: ForwardedResponse) -> bytes:
    """Read the whole forwarded body (closing the upstream connection)."""
    return b"".join(forwarded)


@pytest.fixture
def upstream() -> Iterator[HTTPServer]:
    with HTTPServer() as srv:
        yield srv


@pytest.fixture
def refused_port() -> Iterator[int]:
    """A port bound by nobody listening: connections to it are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections (the kernel does) and never answers."""
    with socket.create_server(("127.0.0.1", 0)) as sock:
        yield sock.getsockname()[1]


class TestRequestForwarding:
    """What the upstream receives."""

    def test_method_path_query_and_body_as_sent(self, upstream: HTTPServer) -> None:
        """The path keeps its percent-encoding, the query its order, the body its bytes."""
        upstream.expect_request("/files/a b/%2F").respond_with_data("ok")
        request = make_request(
            "/files/a%20b/%252F",
            method="PATCH",
            query_string="tag=x&tag=%C3%A9&empty=",
            input_stream=io.BytesIO(b"\x00patch\xff"),
            content_length=7,
            content_type="application/octet-stream",
        )
        with forward(request, upstream.url) as forwarded:
            assert fetch(forwarded) == b"ok"
        (received,) = upstream.requests
        assert received.method == "PATCH"
        assert received.environ["RAW_URI"] == "/files/a%20b/%252F?tag=x&tag=%C3%A9&empty="
        assert received.get_data() == b"\x00patch\xff"
        assert received.headers["Content-Type"] == "application/octet-stream"
        assert received.headers["Host"] == f"127.0.0.1:{upstream.port}"

    def test_path_prefix_of_the_upstream(self, upstream: HTTPServer) -> None:
        """A base URL with a path puts it in front of the request's path."""
        upstream.serve_content("ok")
        fetch(forward(make_request("/users", query_string="page=2"), f"{upstream.url}/api/v2/"))
        assert upstream.requests[0].environ["RAW_URI"] == "/api/v2/users?page=2"

    def test_hop_by_hop_headers_stay_behind(self, upstream: HTTPServer) -> None:
        """Connection, Keep-Alive, TE, Trailer, Upgrade, Proxy-* and listed names are dropped."""
        upstream.serve_content("ok")
        request = make_request(
            headers=[
                ("Connection", "keep-alive, X-Session-Hint"),
                ("X-Session-Hint", "local"),
                ("Keep-Alive", "timeout=5"),
                ("TE", "trailers"),
                ("Trailer", "X-Checksum"),
                ("Upgrade", "h2c"),
                ("Proxy-Authorization", "Basic cHJveHk6cHc="),
                ("Proxy-Connection", "keep-alive"),
                ("Authorization", "Bearer end-to-end"),
                ("X-Request-Id", "r-1"),
                ("X-Request-Id", "r-2"),
            ]
        )
        fetch(forward(request, upstream.url))
        received = list(upstream.requests[0].headers.items())
        assert received == [
            ("Host", f"127.0.0.1:{upstream.port}"),
            ("Authorization", "Bearer end-to-end"),
            ("X-Request-Id", "r-1, r-2"),  # a WSGI environ folds repeated fields
        ]

    def test_chunked_request_body_is_streamed_chunked(self, upstream: HTTPServer) -> None:
        """A request without Content-Length goes on chunked, body intact."""
        upstream.serve_content("ok")
        payload = bytes(range(256)) * 1024
        request = make_request(
            method="POST",
            input_stream=io.BytesIO(payload),
            headers={"Transfer-Encoding": "chunked"},
            environ_overrides={"wsgi.input_terminated": True},
        )
        forwarded = forward(request, upstream.url, capture=10)
        fetch(forwarded)
        received = upstream.requests[0]
        assert received.headers["Transfer-Encoding"] == "chunked"
        assert "Content-Length" not in received.headers
        assert received.get_data() == payload
        assert (forwarded.sent_body, forwarded.sent_size) == (payload[:10], len(payload))

    def test_large_upload_arrives_whole(self, upstream: HTTPServer) -> None:
        """Eight MiB from the request stream reach the upstream byte for byte."""
        upstream.serve_content("ok")
        payload = hashlib.sha256(b"seed").digest() * (8 * MIB // 32)
        request = make_request(
            method="PUT", input_stream=io.BytesIO(payload), content_length=len(payload)
        )
        fetch(forward(request, upstream.url))
        received = upstream.requests[0].get_data()
        assert hashlib.sha256(received).digest() == hashlib.sha256(payload).digest()

    def test_body_read_already_is_passed_explicitly(self, upstream: HTTPServer) -> None:
        """A body read before (as the journal does) goes with ``body=``."""
        upstream.serve_content("ok")
        request = make_request(method="POST", data=b"abc")
        assert request.get_data() == b"abc"
        fetch(forward(request, upstream.url, body=request.get_data()))
        assert upstream.requests[0].get_data() == b"abc"
        assert upstream.requests[0].headers["Content-Length"] == "3"

    def test_body_read_already_without_body_argument_is_an_error(
        self, upstream: HTTPServer
    ) -> None:
        """An exhausted stream is refused (never sent short, which would hang the upstream)."""
        upstream.serve_content("ok")
        request = make_request(method="POST", data=b"abc")
        request.get_data()
        with pytest.raises(
            ValueError, match=r"ended after 0 of its 3 bytes.*body=request\.get_data"
        ):
            forward(request, upstream.url)


class TestResponses:
    """What comes back: status, reason and headers as sent, the body streamed."""

    def test_status_reason_and_headers_as_they_came(self, upstream: HTTPServer) -> None:
        """An unusual status and reason, repeated headers in order, hop-by-hop ones dropped."""
        upstream.expect_request("/").respond_with_raw(
            b"HTTP/1.1 299 Quite Fine\r\n"
            b"Content-Type: text/plain\r\n"
            b"Connection: close, X-Hop-Note\r\n"
            b"X-Hop-Note: internal\r\n"
            b"Keep-Alive: timeout=5\r\n"
            b"Proxy-Authenticate: Basic\r\n"
            b"Upgrade: h2c\r\n"
            b"Set-Cookie: a=1\r\n"
            b"Set-Cookie: b=2\r\n"
            b"Content-Length: 4\r\n"
            b"\r\n"
            b"body"
        )
        with forward(make_request(), upstream.url) as forwarded:
            assert (forwarded.status, forwarded.reason) == (299, "Quite Fine")
            assert forwarded.http_version == "HTTP/1.1"
            assert forwarded.headers == [
                ("Content-Type", "text/plain"),
                ("Set-Cookie", "a=1"),
                ("Set-Cookie", "b=2"),
                ("Content-Length", "4"),
            ]
            assert fetch(forwarded) == b"body"

    def test_chunked_response(self, upstream: HTTPServer) -> None:
        """A chunked answer arrives de-chunked, without its Transfer-Encoding header."""
        upstream.expect_request("/").respond_with_raw(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n"
            b"5\r\nhello\r\n1;ext=1\r\n \r\n6\r\nworld!\r\n0\r\nX-Sum: 1\r\n\r\n"
        )
        forwarded = forward(make_request(), upstream.url, capture=100)
        assert forwarded.headers == []
        assert fetch(forwarded) == b"hello world!"
        assert forwarded.captured == b"hello world!"
        assert (forwarded.complete, forwarded.truncated) == (True, False)

    def test_binary_body(self, upstream: HTTPServer) -> None:
        """Every byte value comes back unchanged, in chunks no larger than asked."""
        payload = bytes(range(256)) * 4096
        upstream.serve_content(payload, headers={"Content-Type": "application/octet-stream"})
        forwarded = forward(make_request(), upstream.url, chunk_size=10_000)
        chunks = list(forwarded)
        assert b"".join(chunks) == payload
        assert max(len(c) for c in chunks) <= 10_000
        assert forwarded.size == len(payload)

    def test_head(self, upstream: HTTPServer) -> None:
        """HEAD: the upstream's Content-Length comes back, with no body."""
        upstream.serve_content("x" * 1234)
        forwarded = forward(make_request(method="HEAD"), upstream.url)
        assert ("Content-Length", "1234") in forwarded.headers
        assert fetch(forwarded) == b""
        assert forwarded.complete

    def test_ten_mebibytes_stream_in_bounded_memory(self, upstream: HTTPServer) -> None:
        """A 10 MiB answer streams through with far less than 10 MiB allocated at once."""
        block = bytes(range(256)) * 256  # 64 KiB, allocated before tracing starts

        def stream(request: Request) -> Response:
            return Response((block for _ in range(160)), mimetype="application/octet-stream")

        upstream.expect_request("/big").respond_with_handler(stream)
        request = make_request("/big")
        tracemalloc.start()
        try:
            forwarded = forward(request, upstream.url, capture=1000)
            size = 0
            for chunk in forwarded:
                size += len(chunk)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert size == 10 * MIB
        assert peak < 2 * MIB
        assert forwarded.captured == block[:1000]
        assert (forwarded.complete, forwarded.truncated, forwarded.size) == (True, True, 10 * MIB)

    def test_closing_early_stops_reading(self, upstream: HTTPServer) -> None:
        """Closing before the end drops the connection without reading the rest."""
        upstream.serve_content(b"x" * MIB)
        forwarded = forward(make_request(), upstream.url, chunk_size=1024)
        first = next(iter(forwarded))
        forwarded.close()
        assert len(first) <= 1024
        assert not forwarded.complete


class TestUpstreamFailures:
    """Failures to reach the upstream say which, with 502 or 504 and the address."""

    def test_refused(self, refused_port: int) -> None:
        """Nothing listening: 502, "refused", the address."""
        with pytest.raises(UpstreamError) as caught:
            forward(make_request(), f"http://127.0.0.1:{refused_port}")
        error = caught.value
        assert (error.status, error.kind) == (502, "refused")
        assert error.upstream == f"http://127.0.0.1:{refused_port}"
        assert str(error) == error.text
        assert error.text == (
            f"502 Bad Gateway: the upstream http://127.0.0.1:{refused_port} refused the "
            "connection; is it running, on that port?"
        )
        assert isinstance(error, LocalServerError)

    def test_timeout_waiting_for_the_answer(self, silent_port: int) -> None:
        """An upstream that never answers: 504 once the timeout has passed."""
        with pytest.raises(UpstreamError) as caught:
            forward(make_request(), f"http://127.0.0.1:{silent_port}", timeout=0.2)
        assert (caught.value.status, caught.value.kind) == (504, "timeout")
        assert caught.value.text.startswith(
            f"504 Gateway Timeout: the upstream http://127.0.0.1:{silent_port} did not answer "
            "within 0.2 s while waiting for the response head; raise the proxy timeout"
        )

    def test_timeout_on_a_delayed_expectation(self, upstream: HTTPServer) -> None:
        """A localserver upstream delaying its answer past the timeout gives 504."""
        upstream.expect_request("/slow").with_delay(30).respond_with_data("late")
        with pytest.raises(UpstreamError) as caught:
            forward(make_request("/slow"), upstream.url, timeout=0.2)
        assert caught.value.status == 504

    def test_untrusted_certificate(self) -> None:
        """An HTTPS upstream whose CA is not trusted: 502, TLS, and how to trust it."""
        with HTTPSServer() as secure:
            secure.serve_content("secret")
            with pytest.raises(UpstreamError) as caught:
                forward(make_request(), secure.url)
        assert (caught.value.status, caught.value.kind) == (502, "tls")
        assert "TLS certificate of the upstream" in caught.value.text
        assert "HTTPSServer.client_ssl_context()" in caught.value.text

    def test_certificate_from_another_authority(self) -> None:
        """A context trusting a different CA is refused the same way."""
        with HTTPSServer() as secure:
            secure.serve_content("secret")
            other = TestAuthority().client_ssl_context()
            with pytest.raises(UpstreamError, match="certificate") as caught:
                forward(make_request(), secure.url, ssl_context=other)
        assert caught.value.kind == "tls"

    def test_trusted_https_upstream(self) -> None:
        """With the upstream's client context, HTTPS forwarding verifies and works."""
        with HTTPSServer() as secure:
            secure.serve_content("secret")
            context = secure.client_ssl_context()
            assert fetch(forward(make_request(), secure.url, ssl_context=context)) == b"secret"
            assert secure.requests[0].headers["Host"] == f"127.0.0.1:{secure.port}"

    def test_client_certificate_required(self) -> None:
        """An upstream wanting a client certificate: refused without one, served with one."""
        with HTTPSServer(require_client_cert=True) as secure:
            secure.serve_content("mutual")
            with pytest.raises(UpstreamError, match="client certificate") as caught:
                fetch(forward(make_request(), secure.url, ssl_context=secure.client_ssl_context()))
            assert (caught.value.status, caught.value.kind) == (502, "tls")
            context = secure.client_ssl_context(secure.issue_client_cert("proxy"))
            assert fetch(forward(make_request(), secure.url, ssl_context=context)) == b"mutual"

    def test_tls_to_a_plain_port(self, upstream: HTTPServer) -> None:
        """https:// to a plain HTTP server fails the handshake: 502, TLS."""
        upstream.serve_content("ok")
        with pytest.raises(UpstreamError, match="TLS handshake") as caught:
            forward(make_request(), f"https://127.0.0.1:{upstream.port}")
        assert caught.value.kind == "tls"

    def test_not_http(self, upstream: HTTPServer) -> None:
        """An answer that is not HTTP: 502, bad response."""
        upstream.expect_request("/").respond_with_raw(b"SSH-2.0-OpenSSH_9.0\r\n\r\n")
        with pytest.raises(UpstreamError) as caught:
            forward(make_request(), upstream.url)
        assert (caught.value.status, caught.value.kind) == (502, "bad-response")
        assert "did not answer as HTTP while reading the response head" in caught.value.text

    def test_body_breaks_off(self, upstream: HTTPServer) -> None:
        """A body shorter than its Content-Length fails the iteration, not silently."""
        upstream.expect_request("/").respond_with_raw(
            b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten.."
        )
        forwarded = forward(make_request(), upstream.url, capture=50)
        with pytest.raises(UpstreamError, match="while reading the body") as caught:
            fetch(forwarded)
        assert caught.value.kind == "bad-response"
        assert "ended after 10 of the 100 bytes of its Content-Length" in caught.value.text
        assert forwarded.captured == b"only ten.."
        assert not forwarded.complete


class TestUpstreamURL:
    """The upstream's base URL is checked before anything is sent."""

    @pytest.mark.parametrize(
        ("url", "message"),
        [
            ("ftp://127.0.0.1/", "must look like http://host:port"),
            ("127.0.0.1:8000", "must look like http://host:port"),
            ("http://127.0.0.1:8000/?a=1", "has a query, fragment or user info"),
            ("http://user:pw@127.0.0.1/", "has a query, fragment or user info"),
            ("http://127.0.0.1:99999/", "has an invalid port"),
        ],
    )
    def test_bad_urls(self, url: str, message: str) -> None:
        with pytest.raises(ValueError, match=message):
            Upstream(url)

    def test_timeout_must_be_positive(self) -> None:
        with pytest.raises(ValueError, match="positive number of seconds"):
            Upstream("http://127.0.0.1:1", timeout=0)

    def test_host_header_and_address(self) -> None:
        """Default ports stay out of Host; IPv6 hosts are bracketed."""
        assert Upstream("https://api.example.test").host_header == "api.example.test"
        assert Upstream("http://[::1]:8080/x/").host_header == "[::1]:8080"
        assert Upstream("http://[::1]:8080/x/").address == "http://[::1]:8080"
        assert Upstream("http://[::1]:8080/x/").prefix == "/x"


class TestThroughAServer:
    """Real clients, a localserver in front forwarding and recording, another behind."""

    @pytest.fixture
    def recorded(self) -> threading.Semaphore:
        """Released once per exchange the front server has written to its HAR file."""
        return threading.Semaphore(0)

    @pytest.fixture
    def front(
        self, upstream: HTTPServer, tmp_path: Path, recorded: threading.Semaphore
    ) -> Iterator[Callable[[], tuple[HTTPServer, Path]]]:
        """Start a server that forwards everything to *upstream*, recording to a HAR file."""
        servers: list[HTTPServer] = []

        def start() -> tuple[HTTPServer, Path]:
            har = tmp_path / "proxy.har"
            writer = HARWriter(har)

            def handler(request: Request) -> Response:
                started = dt.datetime.now(dt.timezone.utc)
                try:
                    forwarded = forward(request, upstream.url, body=request.get_data(), capture=MIB)
                except UpstreamError as exc:
                    return Response(exc.text, status=exc.status, mimetype="text/plain")

                def body() -> Iterator[bytes]:
                    try:
                        yield from forwarded
                    finally:
                        writer.append(forwarded_exchange(request, forwarded, started_at=started))
                        recorded.release()

                status = f"{forwarded.status} {forwarded.reason}"
                return Response(body(), status=status, headers=forwarded.headers)

            srv = HTTPServer().start()
            servers.append(srv)
            srv.expect_request("").respond_with_handler(handler)
            return srv, har

        yield start
        for srv in servers:
            srv.stop()

    def test_requests_client_and_har_recording(
        self,
        upstream: HTTPServer,
        front: Callable[[], tuple[HTTPServer, Path]],
        recorded: threading.Semaphore,
    ) -> None:
        """requests sees the upstream's answer; the HAR file holds the exchange, redacted."""
        upstream.expect_request("/users/7", method="GET").respond_with_json(
            {"id": 7}, headers={"X-Upstream": "yes"}
        )
        proxy, har = front()
        with requests.Session() as session:
            session.trust_env = False
            response = session.get(
                proxy.url_for("/users/7?full=1"),
                headers={"Authorization": "Bearer t0ken"},
                timeout=TIMEOUT,
            )
        assert response.status_code == 200
        assert response.json() == {"id": 7}
        assert response.headers["X-Upstream"] == "yes"
        assert upstream.requests[0].headers["Authorization"] == "Bearer t0ken"
        assert recorded.acquire(timeout=TIMEOUT)
        check_har_1_2(json.loads(har.read_text(encoding="utf-8")))
        (exchange,) = read_har(har)
        assert (exchange.method, exchange.url) == ("GET", proxy.url_for("/users/7?full=1"))
        assert (exchange.status, json.loads(exchange.response_body)) == (200, {"id": 7})
        assert exchange.request_header("Authorization") == REDACTED
        assert exchange.comment == f"forwarded to {upstream.url}/users/7?full=1"
        assert "t0ken" not in har.read_text(encoding="utf-8")

    def test_httpx_streamed_upload(
        self,
        upstream: HTTPServer,
        front: Callable[[], tuple[HTTPServer, Path]],
        recorded: threading.Semaphore,
    ) -> None:
        """httpx sends a generator body (chunked); the upstream gets it whole."""
        upstream.expect_request("/upload", method="POST").respond_with_data("stored", status=201)
        proxy, har = front()
        parts = [b"part-%d;" % i for i in range(100)]
        with httpx.Client(trust_env=False, timeout=TIMEOUT) as client:
            response = client.post(proxy.url_for("/upload"), content=iter(parts))
        assert (response.status_code, response.text) == (201, "stored")
        assert upstream.requests[0].get_data() == b"".join(parts)
        assert recorded.acquire(timeout=TIMEOUT)
        assert read_har(har)[0].request_body == b"".join(parts)

    def test_upstream_down_answers_502(
        self, upstream: HTTPServer, front: Callable[[], tuple[HTTPServer, Path]]
    ) -> None:
        """With the upstream stopped, the client gets 502 and a body that says why."""
        proxy, _ = front()
        address = upstream.url
        upstream.stop()
        with requests.Session() as session:
            session.trust_env = False
            response = session.get(proxy.url_for("/anything"), timeout=TIMEOUT)
        assert response.status_code == 502
        assert response.text == (
            f"502 Bad Gateway: the upstream {address} refused the connection; "
            "is it running, on that port?"
        )
