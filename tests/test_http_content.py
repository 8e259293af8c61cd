"""HTTPServer's content style: the pytest-localserver API and the request journal."""

from __future__ import annotations

import http.client
import json
import threading
import urllib.request

import httpx
import pytest
import requests

from localserver import Chunked, HTTPServer

from .conftest import TIMEOUT, RawClient


class TestDefaults:
    def test_fresh_server_has_no_default_response(self) -> None:
        """Before any content is set, requests get 500 with a body saying why."""
        with HTTPServer() as server:
            response = requests.get(server.url_for("/nothing"), timeout=TIMEOUT)
            assert response.status_code == 500
            assert "no expectation matched this request (answered 500)" in response.text
            assert "GET /nothing" in response.text
            assert "serve_content(...)" in response.text
            assert [r.path for r in server.requests] == ["/nothing"]

    def test_attributes_read_as_pytest_localserver_at_start(self) -> None:
        """code is 204, content empty, headers empty, Chunked.NO before anything is set."""
        server = HTTPServer()
        assert server.code == 204
        assert server.content == ""
        assert dict(server.headers) == {}
        assert server.chunked is Chunked.NO
        assert server.show_post_vars is False
        assert server.store_request_data is True
        assert server.requests == []

    def test_no_handler_status_code_is_configurable(self) -> None:
        """no_handler_status_code sets the status of the unanswered request."""
        with HTTPServer() as server:
            server.no_handler_status_code = 418
            assert requests.get(server.url, timeout=TIMEOUT).status_code == 418


class TestServeContent:
    def test_serve_content_answers_every_request(self, server: HTTPServer) -> None:
        """Content, code and headers apply to every path and method."""
        server.serve_content("hello", code=201, headers={"X-Test": "1"})
        for method in ("GET", "POST", "PUT", "DELETE", "PATCH"):
            response = requests.request(method, server.url_for("/a/b"), timeout=TIMEOUT)
            assert (response.status_code, response.text) == (201, "hello")
            assert response.headers["X-Test"] == "1"

    def test_defaults_of_serve_content(self, server: HTTPServer) -> None:
        """serve_content() with no arguments is an empty 200."""
        server.serve_content()
        response = requests.get(server.url, timeout=TIMEOUT)
        assert (response.status_code, response.content) == (200, b"")

    @pytest.mark.parametrize(
        ("content", "body"),
        [
            ("grüße", "grüße".encode()),
            (b"\x00\xff", b"\x00\xff"),
            (["a", b"b", "c"], b"abc"),
            ((x for x in ["g", "en"]), b"gen"),
            (None, b""),
        ],
    )
    def test_content_kinds(self, server: HTTPServer, content: object, body: bytes) -> None:
        """str (UTF-8), bytes, iterables of either and None are all served."""
        server.serve_content(content)  # type: ignore[arg-type]
        for _ in range(2):  # a generator is not used up by the first request
            assert requests.get(server.url, timeout=TIMEOUT).content == body

    def test_attributes_and_serve_content_are_equivalent(self) -> None:
        """Setting attributes gives the same response as serve_content()."""
        responses = []
        for style in ("attributes", "call"):
            with HTTPServer() as srv:
                if style == "attributes":
                    srv.content = "same"
                    srv.code = 202
                    srv.headers = {"X-Same": "yes"}
                else:
                    srv.serve_content("same", 202, {"X-Same": "yes"})
                r = requests.get(srv.url, timeout=TIMEOUT)
                responses.append((r.status_code, r.text, r.headers["X-Same"]))
        assert responses[0] == responses[1] == (202, "same", "yes")

    def test_setting_one_attribute_installs_the_default(self) -> None:
        """Setting code alone answers with it (empty body), as pytest-localserver does."""
        with HTTPServer() as server:
            server.code = 404
            response = requests.get(server.url, timeout=TIMEOUT)
            assert (response.status_code, response.text) == (404, "")

    def test_headers_changed_in_place_take_effect(self, server: HTTPServer) -> None:
        """The headers mapping may be edited in place."""
        server.headers["X-Later"] = "yes"
        assert requests.get(server.url, timeout=TIMEOUT).headers["X-Later"] == "yes"

    def test_list_of_header_pairs(self, server: HTTPServer) -> None:
        """Headers may repeat when given as pairs."""
        server.serve_content("x", headers=[("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")])
        response = requests.get(server.url, timeout=TIMEOUT)
        assert response.cookies.get_dict() == {"a": "1", "b": "2"}

    def test_default_content_type(self, server: HTTPServer) -> None:
        """Without a Content-Type header the body is labelled UTF-8 text."""
        assert requests.get(server.url, timeout=TIMEOUT).headers["Content-Type"] == (
            "text/plain; charset=utf-8"
        )

    def test_head_has_headers_and_no_body(self, server: HTTPServer) -> None:
        """HEAD gets the GET headers, including Content-Length, and no body."""
        server.serve_content("twelve bytes")
        conn = http.client.HTTPConnection(*server.server_address, timeout=TIMEOUT)
        try:
            conn.request("HEAD", "/")
            response = conn.getresponse()
            assert response.getheader("Content-Length") == "12"
            assert response.read() == b""
            conn.request("GET", "/")  # the connection is still usable
            assert conn.getresponse().read() == b"twelve bytes"
        finally:
            conn.close()

    def test_204_has_no_framing_headers(self, raw: type[RawClient]) -> None:
        """A 204 carries neither Content-Length nor Transfer-Encoding."""
        with HTTPServer() as server:
            server.code = 204
            client = raw(server.server_address)
            client.send(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            head = client.read_all().lower()
            assert head.startswith(b"http/1.1 204")
            assert b"content-length" not in head
            assert b"transfer-encoding" not in head


class TestBadArguments:
    @pytest.mark.parametrize("code", ["abc", 200.0, None, True])
    def test_code_type(self, server: HTTPServer, code: object) -> None:
        """A code that is not an int is a TypeError naming argument and value."""
        with pytest.raises(TypeError, match=r"'code' must be an int HTTP status such as 200 \(got"):
            server.serve_content("x", code=code)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="'code'"):
            server.code = code  # type: ignore[assignment]

    @pytest.mark.parametrize("code", [99, 1000, -200])
    def test_code_range(self, server: HTTPServer, code: int) -> None:
        """A code outside 100..999 is a ValueError."""
        with pytest.raises(ValueError, match=rf"'code' must be an HTTP status .* \(got {code}\)"):
            server.serve_content("x", code=code)

    @pytest.mark.parametrize("content", [42, {"a": 1}, [b"ok", 3], object()])
    def test_content_type(self, server: HTTPServer, content: object) -> None:
        """Content that is not str/bytes or an iterable of them is a TypeError."""
        with pytest.raises(TypeError, match="'content'"):
            server.serve_content(content)  # type: ignore[arg-type]

    def test_failed_call_changes_nothing(self, server: HTTPServer) -> None:
        """A rejected serve_content() leaves the previous response in place."""
        server.serve_content("before", code=200)
        with pytest.raises(TypeError):
            server.serve_content("after", code="bad")  # type: ignore[arg-type]
        assert requests.get(server.url, timeout=TIMEOUT).text == "before"

    def test_headers_type(self, server: HTTPServer) -> None:
        """Headers that are neither a mapping nor pairs are a TypeError."""
        with pytest.raises(TypeError, match="'headers' must be a mapping"):
            server.serve_content("x", headers=5)
        with pytest.raises(TypeError, match="'headers'"):
            server.serve_content("x", headers=["abc"])

    def test_chunked_type(self, server: HTTPServer) -> None:
        """chunked must be a Chunked member."""
        with pytest.raises(TypeError, match=r"'chunked' must be Chunked\.YES"):
            server.serve_content("x", chunked=True)  # type: ignore[arg-type]

    @pytest.mark.parametrize("name", ["store_request_data", "show_post_vars"])
    def test_flags_must_be_bool(self, server: HTTPServer, name: str) -> None:
        """The boolean settings refuse non-bool values."""
        with pytest.raises(TypeError, match=f"'{name}' must be True or False"):
            setattr(server, name, "yes")


def _raw_get(client: RawClient) -> bytes:
    client.send(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    return client.read_all()


class TestChunked:
    def test_yes_sends_each_item_as_one_chunk(
        self, server: HTTPServer, raw: type[RawClient]
    ) -> None:
        """Chunked.YES: Transfer-Encoding chunked, one chunk per item, no Content-Length."""
        server.serve_content(["ab", b"cde", "f"], chunked=Chunked.YES)
        data = _raw_get(raw(server.server_address))
        head, _, body = data.partition(b"\r\n\r\n")
        assert b"transfer-encoding: chunked" in head.lower()
        assert b"content-length" not in head.lower()
        assert body == b"2\r\nab\r\n3\r\ncde\r\n1\r\nf\r\n0\r\n\r\n"

    def test_yes_decodes_in_clients(self, server: HTTPServer) -> None:
        """requests and httpx reassemble the chunks."""
        server.serve_content(["one ", "two"], chunked=Chunked.YES)
        assert requests.get(server.url, timeout=TIMEOUT).text == "one two"
        assert httpx.get(server.url, timeout=TIMEOUT).text == "one two"

    def test_no_sends_content_length(self, server: HTTPServer, raw: type[RawClient]) -> None:
        """Chunked.NO: one body with Content-Length, even if headers ask for chunking."""
        server.serve_content(["ab", "cd"], headers={"Transfer-Encoding": "chunked"})
        head, _, body = _raw_get(raw(server.server_address)).partition(b"\r\n\r\n")
        assert b"content-length: 4" in head.lower()
        assert b"transfer-encoding" not in head.lower()
        assert body == b"abcd"

    @pytest.mark.parametrize(
        "name", ["Transfer-Encoding", "transfer-encoding", "TRANSFER-ENCODING", "Transfer-encoding"]
    )
    def test_auto_follows_the_header_in_any_case(
        self, server: HTTPServer, raw: type[RawClient], name: str
    ) -> None:
        """Chunked.AUTO chunks when a Transfer-Encoding header (any case) says chunked."""
        server.serve_content(["ab", "c"], headers={name: "chunked"}, chunked=Chunked.AUTO)
        head, _, body = _raw_get(raw(server.server_address)).partition(b"\r\n\r\n")
        assert head.lower().count(b"transfer-encoding: chunked") == 1
        assert b"content-length" not in head.lower()
        assert body == b"2\r\nab\r\n1\r\nc\r\n0\r\n\r\n"

    def test_auto_without_the_header_is_not_chunked(
        self, server: HTTPServer, raw: type[RawClient]
    ) -> None:
        """Chunked.AUTO without Transfer-Encoding sends Content-Length."""
        server.serve_content(["ab", "c"], chunked=Chunked.AUTO)
        head, _, body = _raw_get(raw(server.server_address)).partition(b"\r\n\r\n")
        assert b"content-length: 3" in head.lower()
        assert body == b"abc"

    def test_chunked_attribute(self, server: HTTPServer, raw: type[RawClient]) -> None:
        """The chunked attribute behaves as the serve_content argument."""
        server.content = ["x", "y"]
        server.code = 200
        server.chunked = Chunked.YES
        body = _raw_get(raw(server.server_address)).partition(b"\r\n\r\n")[2]
        assert body == b"1\r\nx\r\n1\r\ny\r\n0\r\n\r\n"

    def test_chunked_response_keeps_the_connection(self, server: HTTPServer) -> None:
        """A chunked response is framed, so the connection is reused."""
        server.serve_content(["a", "b"], chunked=Chunked.YES)
        with requests.Session() as session:
            for _ in range(3):
                assert session.get(server.url, timeout=TIMEOUT).text == "ab"
        assert len({r.connection_id for r in server.requests}) == 1


class TestShowPostVars:
    def test_form_fields_come_back_as_json(self, server: HTTPServer) -> None:
        """show_post_vars answers a form POST with its fields, parsable as JSON."""
        server.serve_content("ignored", show_post_vars=True)
        response = requests.post(
            server.url, data=[("a", "1"), ("b", "x y"), ("b", "z")], timeout=TIMEOUT
        )
        assert response.json() == {"a": "1", "b": ["x y", "z"]}
        assert response.headers["Content-Type"] == "application/json"

    def test_attribute_form(self, server: HTTPServer) -> None:
        """The show_post_vars attribute works as the argument does."""
        server.show_post_vars = True
        assert requests.post(server.url, data={"k": "v"}, timeout=TIMEOUT).json() == {"k": "v"}

    def test_get_still_gets_the_content(self, server: HTTPServer) -> None:
        """Requests without form data get the configured content."""
        server.serve_content("plain", show_post_vars=True)
        assert requests.get(server.url, timeout=TIMEOUT).text == "plain"


class TestURL:
    def test_url_and_url_for(self, server: HTTPServer) -> None:
        """url is scheme://host:port; url_for adds a path with or without a slash."""
        assert server.url == f"http://127.0.0.1:{server.port}"
        assert server.url_for("a/b?c=1") == server.url + "/a/b?c=1"
        assert server.url_for("/a") == server.url + "/a"

    def test_url_for_rejects_non_str(self, server: HTTPServer) -> None:
        """url_for() needs a str path."""
        with pytest.raises(TypeError, match="'path' must be a str"):
            server.url_for(3)  # type: ignore[arg-type]


class TestJournal:
    def test_requests_in_arrival_order(self, server: HTTPServer) -> None:
        """Every request is recorded, oldest first, with method, path and query."""
        requests.get(server.url_for("/one?x=1"), timeout=TIMEOUT)
        requests.post(server.url_for("/two"), data=b"body", timeout=TIMEOUT)
        requests.delete(server.url_for("/three"), timeout=TIMEOUT)
        assert [(r.method, r.path) for r in server.requests] == [
            ("GET", "/one"),
            ("POST", "/two"),
            ("DELETE", "/three"),
        ]
        assert server.requests[0].args["x"] == "1"

    def test_body_readable_after_the_response(self, server: HTTPServer) -> None:
        """get_data(), form and json still work once the connection is gone."""
        requests.post(server.url, data={"field": "value"}, timeout=TIMEOUT)
        requests.post(server.url, json={"k": [1, 2]}, timeout=TIMEOUT)
        requests.put(server.url, data=b"\x00raw", timeout=TIMEOUT)
        form, js, raw_body = server.requests
        assert form.form["field"] == "value"
        assert js.json == {"k": [1, 2]}
        assert raw_body.get_data() == b"\x00raw"
        assert raw_body.get_data() == b"\x00raw"  # twice

    def test_body_survives_form_parsing(self, server: HTTPServer) -> None:
        """Reading form first leaves get_data() with the raw body."""
        requests.post(server.url, data={"a": "1"}, timeout=TIMEOUT)
        (recorded,) = server.requests
        assert recorded.form["a"] == "1"
        assert recorded.get_data() == b"a=1"

    def test_multipart_files_are_readable(self, server: HTTPServer) -> None:
        """Uploaded files stay readable from the journal."""
        requests.post(server.url, files={"doc": ("a.txt", b"file body")}, timeout=TIMEOUT)
        upload = server.requests[0].files["doc"]
        assert (upload.filename, upload.read()) == ("a.txt", b"file body")

    def test_chunked_request_body(self, server: HTTPServer) -> None:
        """A chunked request body is reassembled in the journal."""
        requests.post(server.url, data=iter([b"ab", b"cd"]), timeout=TIMEOUT)
        assert server.requests[0].get_data() == b"abcd"

    def test_store_request_data_false_discards_bodies(self, server: HTTPServer) -> None:
        """store_request_data=False records the request without its body."""
        server.serve_content("ok", store_request_data=False)
        requests.post(server.url, data=b"x" * 100_000, timeout=TIMEOUT)
        recorded = server.requests[0]
        assert recorded.get_data() == b""
        assert recorded.body_stored is False
        assert recorded.headers["Content-Length"] == "100000"

    def test_clear_empties_the_journal_and_keeps_the_content(self, server: HTTPServer) -> None:
        """clear() forgets requests; the default response stays."""
        server.serve_content("kept")
        requests.get(server.url, timeout=TIMEOUT)
        server.clear()
        assert server.requests == []
        assert requests.get(server.url, timeout=TIMEOUT).text == "kept"
        assert len(server.requests) == 1

    def test_connection_ids_tell_reused_connections(self, server: HTTPServer) -> None:
        """A Session reuses one connection; separate requests use new ones."""
        with requests.Session() as session:
            for _ in range(5):
                assert session.get(server.url, timeout=TIMEOUT).text == "ok"
        requests.get(server.url, timeout=TIMEOUT)
        ids = [r.connection_id for r in server.requests]
        assert len(set(ids[:5])) == 1
        assert ids[5] != ids[0]

    def test_concurrent_requests_are_all_recorded(self, server: HTTPServer) -> None:
        """Requests from many threads at once are each recorded exactly once."""

        def send(n: int) -> None:
            with requests.Session() as session:
                for i in range(10):
                    session.get(server.url_for(f"/{n}/{i}"), timeout=TIMEOUT)

        threads = [threading.Thread(target=send, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        paths = sorted(r.path for r in server.requests)
        assert paths == sorted(f"/{n}/{i}" for n in range(8) for i in range(10))


class TestClients:
    def test_urllib(self, server: HTTPServer) -> None:
        """urllib.request gets the content."""
        server.serve_content("via urllib", code=200)
        with urllib.request.urlopen(server.url, timeout=TIMEOUT) as response:
            assert response.read() == b"via urllib"

    def test_http_client_keep_alive(self, server: HTTPServer) -> None:
        """http.client reuses one connection for many requests."""
        conn = http.client.HTTPConnection(*server.server_address, timeout=TIMEOUT)
        try:
            for i in range(5):
                conn.request("POST", f"/{i}", body=b"x" * i)
                assert conn.getresponse().read() == b"ok"
        finally:
            conn.close()
        assert len({r.connection_id for r in server.requests}) == 1
        assert [r.get_data() for r in server.requests] == [b"x" * i for i in range(5)]

    def test_httpx_client_keep_alive(self, server: HTTPServer) -> None:
        """httpx keeps its connection alive too."""
        with httpx.Client(timeout=TIMEOUT) as client:
            for _ in range(3):
                assert client.get(server.url).text == "ok"
        assert len({r.connection_id for r in server.requests}) == 1

    def test_http_10_client_gets_close(self, server: HTTPServer, raw: type[RawClient]) -> None:
        """An HTTP/1.0 request without keep-alive is answered and closed."""
        client = raw(server.server_address)
        client.send(b"GET / HTTP/1.0\r\n\r\n")
        data = client.read_all()
        assert data.startswith(b"HTTP/1.1 200")
        assert data.endswith(b"\r\n\r\nok")

    def test_expect_100_continue(self, server: HTTPServer, raw: type[RawClient]) -> None:
        """Expect: 100-continue gets an interim 100 before the body is sent."""
        client = raw(server.server_address)
        client.send(
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
            b"Expect: 100-continue\r\nConnection: close\r\n\r\n"
        )
        assert client.sock.recv(100).startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
        client.send(b"data")
        assert b"200 OK" in client.read_all()
        assert server.requests[0].get_data() == b"data"

    def test_slow_client_does_not_block_others(
        self, server: HTTPServer, raw: type[RawClient]
    ) -> None:
        """A client that sent half a request does not hold up another client."""
        slow = raw(server.server_address)
        slow.send(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
        assert requests.get(server.url, timeout=TIMEOUT).text == "ok"
        slow.send(b"defghij")
        assert b"200 OK" in slow.read_response_head()


def test_json_is_not_accepted_as_content(server: HTTPServer) -> None:
    """A dict as content is refused with a hint to serialize it."""
    with pytest.raises(TypeError, match=r"json\.dumps"):
        server.serve_content({"a": 1})  # type: ignore[arg-type]
    server.serve_content(json.dumps({"a": 1}), headers={"Content-Type": "application/json"})
    assert requests.get(server.url, timeout=TIMEOUT).json() == {"a": 1}
