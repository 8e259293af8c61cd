"""proxy_to(): what no expectation matched goes to a real upstream server, recorded to HAR."""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import requests
from werkzeug.wrappers import Request, Response

from localserver import (
    HandlerError,
    HTTPServer,
    HTTPSServer,
    UnmatchedRequestError,
    UpstreamError,
)
from localserver._recording import REDACTED, read_har

from .conftest import TIMEOUT
from .test_recording_har import check_har_1_2


@pytest.fixture
def upstream() -> Iterator[HTTPServer]:
    with HTTPServer() as srv:
        yield srv


@pytest.fixture
def front() -> Iterator[HTTPServer]:
    with HTTPServer() as srv:
        yield srv


@pytest.fixture
def client() -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.trust_env = False
        yield session


@pytest.fixture
def refused_url() -> Iterator[str]:
    """The URL of a port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


class TestForwarding:
    def test_request_and_answer_pass_as_they_are(
        self, upstream: HTTPServer, front: HTTPServer, client: requests.Session
    ) -> None:
        """Method, path, query, headers and body go up; status, headers, body come back."""
        upstream.expect_request(
            "/api/items", method="POST", query_string="a=1&b=2"
        ).respond_with_data(
            b"\x00made\xff", status=418, headers=[("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")]
        )
        front.proxy_to(upstream.url)
        response = client.post(
            front.url_for("/api/items?a=1&b=2"),
            data=b"payload",
            headers={"X-Trace": "t-1", "Content-Type": "application/octet-stream"},
            timeout=TIMEOUT,
        )
        assert response.status_code == 418
        assert response.content == b"\x00made\xff"
        assert response.raw.headers.getlist("Set-Cookie") == ["a=1", "b=2"]
        (sent,) = upstream.requests
        assert (sent.method, sent.path, sent.args.to_dict()) == (
            "POST",
            "/api/items",
            {"a": "1", "b": "2"},
        )
        assert sent.get_data() == b"payload"
        assert sent.headers["X-Trace"] == "t-1"
        assert sent.headers["Host"] == f"127.0.0.1:{upstream.port}"
        assert len(front.requests) == 1
        front.check()
        upstream.check()

    def test_hop_by_hop_headers_stay_behind(
        self, upstream: HTTPServer, front: HTTPServer, client: requests.Session
    ) -> None:
        """Connection-scoped headers are dropped both ways; end-to-end ones pass."""
        upstream.expect_request("/h").respond_with_data(
            "h", headers={"Keep-Alive": "timeout=5", "X-Kept": "yes"}
        )
        front.proxy_to(upstream.url)
        response = client.get(
            front.url_for("/h"),
            headers={"Connection": "X-Secret", "X-Secret": "s", "Proxy-Authorization": "p"},
            timeout=TIMEOUT,
        )
        assert response.headers["X-Kept"] == "yes"
        assert "Keep-Alive" not in response.headers
        sent = upstream.requests[0]
        assert "X-Secret" not in sent.headers
        assert "Proxy-Authorization" not in sent.headers

    def test_path_prefix_of_the_upstream_url(
        self, upstream: HTTPServer, front: HTTPServer, client: requests.Session
    ) -> None:
        """proxy_to("http://host:port/v2") forwards /users to /v2/users."""
        upstream.expect_request("/v2/users").respond_with_json([1])
        front.proxy_to(upstream.url_for("/v2"))
        assert client.get(front.url_for("/users"), timeout=TIMEOUT).json() == [1]

    def test_expectations_come_first_then_the_proxy_then_the_default(
        self, upstream: HTTPServer, front: HTTPServer, client: requests.Session
    ) -> None:
        """An expectation answers what it matches; the proxy takes the rest, default or not."""
        upstream.expect_request("").respond_with_data("from upstream")
        front.serve_content("default")
        front.expect_request("/local").respond_with_data("local")
        front.proxy_to(upstream.url)
        assert client.get(front.url_for("/local"), timeout=TIMEOUT).text == "local"
        assert client.get(front.url_for("/other"), timeout=TIMEOUT).text == "from upstream"
        front.proxy_to(None)
        assert client.get(front.url_for("/other"), timeout=TIMEOUT).text == "default"

    def test_the_body_streams_back_as_it_comes(
        self, upstream: HTTPServer, front: HTTPServer
    ) -> None:
        """The client reads the first chunk while the upstream still holds back the second."""
        gate = threading.Event()

        def events(request: Request) -> Response:
            def body() -> Iterator[bytes]:
                yield b"first;"
                gate.wait(TIMEOUT)
                yield b"second"

            return Response(body(), mimetype="text/event-stream")

        upstream.expect_request("/events").respond_with_handler(events)
        front.proxy_to(upstream.url)
        client = httpx.Client(trust_env=False, timeout=TIMEOUT)
        with client, client.stream("GET", front.url_for("/events")) as response:
            chunks = response.iter_raw()
            assert next(chunks) == b"first;"
            assert not gate.is_set()
            gate.set()
            assert b"".join(chunks) == b"second"

    def test_stop_ends_an_answer_still_streaming(
        self, upstream: HTTPServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        """stop() does not wait for an upstream that holds its body back; no failure is kept."""
        gate = threading.Event()

        def events(request: Request) -> Response:
            def body() -> Iterator[bytes]:
                yield b"first;"
                gate.wait(TIMEOUT)
                yield b"late"

            return Response(body())

        upstream.expect_request("/events").respond_with_handler(events)
        har = tmp_path / "stopped.har"
        caplog.set_level(logging.WARNING, logger="localserver")
        try:
            front = HTTPServer().start()
            front.proxy_to(upstream.url, record_to=har)
            client = httpx.Client(trust_env=False, timeout=TIMEOUT)
            with client, client.stream("GET", front.url_for("/events")) as response:
                chunks = response.iter_raw()
                assert next(chunks) == b"first;"
                front.stop()
                with pytest.raises(httpx.RemoteProtocolError):
                    b"".join(chunks)
            front.check()
            assert not [r for r in caplog.records if "still busy" in r.getMessage()]
            (exchange,) = read_har(har)
            assert exchange.comment.endswith("the server stopped after 6 bytes of the body")
        finally:
            gate.set()

    def test_a_large_body_both_ways(
        self, upstream: HTTPServer, front: HTTPServer, client: requests.Session
    ) -> None:
        """Several MiB go up and come back whole."""
        data = bytes(range(256)) * (12 * 1024)  # 3 MiB

        upstream.expect_request("/echo", method="PUT").respond_with_handler(
            lambda request: Response(request.get_data()[::-1])
        )
        front.proxy_to(upstream.url)
        response = client.put(front.url_for("/echo"), data=data, timeout=TIMEOUT)
        assert response.content == data[::-1]

    def test_an_unstored_body_streams_up(self, upstream: HTTPServer, front: HTTPServer) -> None:
        """With store_request_data=False the body goes to the upstream as it arrives."""
        front.store_request_data = False
        upstream.expect_request("/up", method="POST").respond_with_handler(
            lambda request: Response(str(len(request.get_data())))
        )
        front.expect_request("/local").respond_with_data("local")
        front.proxy_to(upstream.url)
        parts = [b"x" * 65536 for _ in range(40)]
        with httpx.Client(trust_env=False, timeout=TIMEOUT) as client:
            response = client.post(front.url_for("/up"), content=iter(parts))
            assert response.text == str(65536 * 40)
            assert client.post(front.url_for("/local"), content=b"dropped").text == "local"
        assert not front.requests[0].body_stored
        assert upstream.requests[0].get_data() == b"".join(parts)

    def test_head_keeps_the_upstream_length(
        self, upstream: HTTPServer, front: HTTPServer, client: requests.Session
    ) -> None:
        """A HEAD answer keeps the upstream's Content-Length and has no body."""
        upstream.expect_request("/file").respond_with_data(b"z" * 1234)
        front.proxy_to(upstream.url)
        response = client.head(front.url_for("/file"), timeout=TIMEOUT)
        assert (response.status_code, response.headers["Content-Length"]) == (200, "1234")
        assert response.content == b""

    def test_https_upstream_verified_with_its_context(
        self, front: HTTPServer, client: requests.Session
    ) -> None:
        """An HTTPSServer upstream is verified with its client_ssl_context()."""
        with HTTPSServer() as secure:
            secure.expect_request("/s").respond_with_data("secure")
            front.proxy_to(secure.url, ssl_context=secure.client_ssl_context())
            assert client.get(front.url_for("/s"), timeout=TIMEOUT).text == "secure"

    def test_bad_arguments_change_nothing(self, front: HTTPServer, upstream: HTTPServer) -> None:
        """A bad URL raises ValueError at proxy_to(); the setting before stays."""
        front.proxy_to(upstream.url)
        with pytest.raises(ValueError, match="must look like http://host:port"):
            front.proxy_to("ftp://example.test")
        with pytest.raises(ValueError, match="'record_to' needs an upstream"):
            front.proxy_to(None, record_to="x.har")
        upstream.expect_request("/still").respond_with_data("still")
        with requests.Session() as session:
            session.trust_env = False
            assert session.get(front.url_for("/still"), timeout=TIMEOUT).text == "still"

    def test_clear_keeps_the_proxy_and_end_test_restores_it(
        self, front: HTTPServer, upstream: HTTPServer, client: requests.Session
    ) -> None:
        """clear() keeps proxy_to; a test that sets it has it undone when it ends."""
        upstream.expect_request("").respond_with_data("up")
        front.proxy_to(upstream.url)
        front.clear()
        assert client.get(front.url_for("/a"), timeout=TIMEOUT).text == "up"
        mark = front.begin_test()
        front.proxy_to(None)
        front.end_test(mark)
        assert client.get(front.url_for("/b"), timeout=TIMEOUT).text == "up"
        mark = front.begin_test()
        front.proxy_to(None)
        front.end_test(mark)
        front.proxy_to(None)
        mark = front.begin_test()
        front.proxy_to(upstream.url)
        front.end_test(mark)
        assert client.get(front.url_for("/c"), timeout=TIMEOUT).status_code == 500
        with pytest.raises(UnmatchedRequestError):
            front.check_assertions()


class TestRecording:
    def test_each_exchange_is_in_the_har_when_the_client_has_it(
        self,
        upstream: HTTPServer,
        front: HTTPServer,
        client: requests.Session,
        tmp_path: Path,
    ) -> None:
        """No waiting: the entry is written before the end of the answer goes out."""
        har = tmp_path / "api.har"
        upstream.expect_request("/users/7").respond_with_json({"id": 7})
        upstream.expect_request("/stream").respond_with_handler(
            lambda request: Response(iter([b"a", b"b"]))
        )
        front.proxy_to(upstream.url, record_to=har)
        assert client.get(front.url_for("/users/7?full=1"), timeout=TIMEOUT).json() == {"id": 7}
        assert len(read_har(har)) == 1
        assert client.get(front.url_for("/stream"), timeout=TIMEOUT).content == b"ab"
        check_har_1_2(json.loads(har.read_text(encoding="utf-8")))
        first, second = read_har(har)
        assert (first.method, first.url) == ("GET", front.url_for("/users/7?full=1"))
        assert (first.status, json.loads(first.response_body)) == (200, {"id": 7})
        assert first.comment == f"forwarded to {upstream.url}/users/7?full=1"
        assert second.response_body == b"ab"

    def test_secrets_are_redacted_by_default(
        self,
        upstream: HTTPServer,
        front: HTTPServer,
        client: requests.Session,
        tmp_path: Path,
    ) -> None:
        """Authorization, Cookie and Set-Cookie values never reach the file."""
        har = tmp_path / "secret.har"
        upstream.expect_request("/login").respond_with_data(
            "in", headers={"Set-Cookie": "session=s3cr3t; Path=/"}
        )
        front.proxy_to(upstream.url, record_to=har)
        client.get(
            front.url_for("/login"),
            headers={"Authorization": "Bearer t0ken", "Cookie": "id=c00kie"},
            timeout=TIMEOUT,
        )
        text = har.read_text(encoding="utf-8")
        for secret in ("t0ken", "c00kie", "s3cr3t"):
            assert secret not in text
        (exchange,) = read_har(har)
        assert exchange.request_header("Authorization") == REDACTED
        assert exchange.response_header("Set-Cookie") == REDACTED
        assert upstream.requests[0].headers["Authorization"] == "Bearer t0ken"

    def test_redaction_can_be_switched_off(
        self,
        upstream: HTTPServer,
        front: HTTPServer,
        client: requests.Session,
        tmp_path: Path,
    ) -> None:
        """redact=() records every value; a list of names redacts those."""
        har = tmp_path / "open.har"
        upstream.expect_request("").respond_with_data("ok")
        front.proxy_to(upstream.url, record_to=har, redact=())
        client.get(front.url_for("/"), headers={"Authorization": "Bearer t0ken"}, timeout=TIMEOUT)
        assert read_har(har)[0].request_header("Authorization") == "Bearer t0ken"
        front.proxy_to(upstream.url, record_to=har, redact=["X-Api-Key"])
        client.get(
            front.url_for("/"), headers={"X-Api-Key": "k", "Authorization": "a"}, timeout=TIMEOUT
        )
        (exchange,) = read_har(har)  # started afresh
        assert exchange.request_header("X-Api-Key") == REDACTED
        assert exchange.request_header("Authorization") == "a"

    def test_unwritable_recording_is_refused_at_once(
        self, front: HTTPServer, tmp_path: Path
    ) -> None:
        """A file in a missing directory fails proxy_to(), not the first request."""
        with pytest.raises(FileNotFoundError, match="No such file or directory"):
            front.proxy_to("http://127.0.0.1:1", record_to=tmp_path / "missing" / "x.har")


class TestUpstreamFailures:
    def test_refused_answers_502_and_fails_the_checks(
        self, front: HTTPServer, client: requests.Session, refused_url: str, tmp_path: Path
    ) -> None:
        """Nobody listening: 502 whose body says so; check_assertions raises UpstreamError."""
        har = tmp_path / "none.har"
        front.proxy_to(refused_url, record_to=har)
        response = client.get(front.url_for("/x"), timeout=TIMEOUT)
        assert response.status_code == 502
        assert response.text == (
            f"502 Bad Gateway: the upstream {refused_url} refused the connection; "
            "is it running, on that port?"
        )
        with pytest.raises(UpstreamError) as caught:
            front.check_assertions()
        assert (caught.value.kind, caught.value.status) == ("refused", 502)
        assert str(caught.value) == (
            f"localserver: the proxy could not forward GET /x (answered 502): the upstream "
            f"{refused_url} refused the connection; is it running, on that port?\n"
        )
        assert read_har(har) == []  # no answer, nothing recorded

    def test_timeout_answers_504(self, front: HTTPServer, upstream: HTTPServer) -> None:
        """An upstream slower than the timeout: 504, kind "timeout"."""
        upstream.expect_request("/slow").with_delay(30).respond_with_data("late")
        front.proxy_to(upstream.url, timeout=0.2)
        with httpx.Client(trust_env=False, timeout=TIMEOUT) as client:
            response = client.get(front.url_for("/slow"))
        assert response.status_code == 504
        assert response.text.startswith("504 Gateway Timeout: the upstream")
        assert "raise the proxy timeout if it is just slow" in response.text
        with pytest.raises(UpstreamError, match="answered 504"):
            front.check()

    def test_untrusted_https_upstream_is_refused(
        self, front: HTTPServer, client: requests.Session
    ) -> None:
        """Verification is on by default: a test CA the system does not know fails with 502."""
        with HTTPSServer() as secure:
            secure.expect_request("").respond_with_data("secret")
            front.proxy_to(secure.url)
            response = client.get(front.url_for("/"), timeout=TIMEOUT)
            assert response.status_code == 502
            assert "TLS certificate of the upstream" in response.text
            assert "client_ssl_context()" in response.text
            assert secure.requests == []
        with pytest.raises(UpstreamError) as caught:
            front.check_assertions()
        assert caught.value.kind == "tls"

    def test_body_breaking_off_cuts_the_client_short(
        self,
        front: HTTPServer,
        upstream: HTTPServer,
        tmp_path: Path,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        """Fewer bytes than announced: the client's connection ends short, the check says why."""
        har = tmp_path / "short.har"
        upstream.expect_request("/short").respond_with_raw(
            b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789"
        )
        front.proxy_to(upstream.url, record_to=har)
        caplog.set_level(logging.DEBUG, logger="localserver")
        with requests.Session() as session:
            session.trust_env = False
            with pytest.raises(requests.exceptions.ChunkedEncodingError, match="IncompleteRead"):
                session.get(front.url_for("/short"), timeout=TIMEOUT)
        with pytest.raises(UpstreamError) as caught:
            front.check_assertions()
        assert str(caught.value).startswith(
            "localserver: the upstream's answer to GET /short broke off after 10 bytes of its "
            "body, so the client's connection was cut: the upstream"
        )
        (exchange,) = read_har(har)
        assert exchange.comment.endswith("the upstream's body broke off after 10 bytes")
        front.stop()  # no thread error kept for stop() to raise
        assert not [r for r in caplog.records if r.levelno >= logging.WARNING]

    def test_failed_recording_is_reported(
        self, front: HTTPServer, upstream: HTTPServer, client: requests.Session, tmp_path: Path
    ) -> None:
        """A recording file that can no longer be written fails the checks, not the answer."""
        directory = tmp_path / "gone"
        directory.mkdir()
        har = directory / "x.har"
        upstream.expect_request("").respond_with_data("ok")
        front.proxy_to(upstream.url, record_to=har)
        har.unlink()
        directory.rmdir()
        assert client.get(front.url_for("/r"), timeout=TIMEOUT).text == "ok"
        with pytest.raises(HandlerError, match=r"recording GET /r to .*x\.har failed: "):
            front.check_assertions()
