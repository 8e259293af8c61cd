"""replay(): recorded exchanges (HAR, VCR.py cassettes) answer requests over a real socket."""

from __future__ import annotations

import gzip
import json
import textwrap
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import requests

from localserver import (
    HTTPServer,
    RecordingFormatError,
    SequenceExhaustedError,
    UnmatchedRequestError,
)
from localserver._recording import Exchange, HARWriter

from .conftest import TIMEOUT


@pytest.fixture
def srv() -> Iterator[HTTPServer]:
    with HTTPServer() as server:
        yield server


@pytest.fixture
def client() -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.trust_env = False
        yield session


def write_har(path: Path, *exchanges: Exchange) -> Path:
    writer = HARWriter(path, redact=())
    for exchange in exchanges:
        writer.append(exchange)
    return path


def exchange(
    method: str, path: str, status: int = 200, body: bytes = b"", **kwargs: object
) -> Exchange:
    return Exchange(
        method=method,
        url=f"https://api.example.test{path}",
        status=status,
        response_body=body,
        **kwargs,  # type: ignore[arg-type]
    )


class TestFromTheProxy:
    def test_record_once_then_replay_without_the_upstream(
        self, tmp_path: Path, client: requests.Session
    ) -> None:
        """What proxy_to recorded answers the same way once the upstream is gone."""
        har = tmp_path / "api.har"
        with HTTPServer() as upstream, HTTPServer() as front:
            upstream.expect_request("/users/7").respond_with_json(
                {"id": 7}, headers={"X-Upstream": "yes"}
            )
            upstream.expect_request("/missing").respond_with_data("no", status=404)
            front.proxy_to(upstream.url, record_to=har)
            client.get(front.url_for("/users/7?full=1"), timeout=TIMEOUT)
            client.get(front.url_for("/missing"), timeout=TIMEOUT)
        with HTTPServer() as replayer:
            expectations = replayer.replay(har)
            assert [e.matcher.uri for e in expectations] == ["/users/7", "/missing"]
            response = client.get(replayer.url_for("/users/7?full=1"), timeout=TIMEOUT)
            assert (response.status_code, response.json()) == (200, {"id": 7})
            assert response.headers["X-Upstream"] == "yes"
            assert response.headers["Content-Type"] == "application/json"
            missing = client.get(replayer.url_for("/missing"), timeout=TIMEOUT)
            assert (missing.status_code, missing.text) == (404, "no")
            replayer.check()

    def test_replay_first_forward_the_rest(self, tmp_path: Path) -> None:
        """replay() and proxy_to() together: recorded answers locally, the rest upstream."""
        har = write_har(tmp_path / "r.har", exchange("GET", "/known", body=b"recorded"))
        with HTTPServer() as upstream, HTTPServer() as srv:
            upstream.expect_request("/new").respond_with_data("live")
            srv.replay(har)
            srv.proxy_to(upstream.url)
            with httpx.Client(trust_env=False, timeout=TIMEOUT) as client:
                assert client.get(srv.url_for("/known")).text == "recorded"
                assert client.get(srv.url_for("/new")).text == "live"
            assert [r.path for r in upstream.requests] == ["/new"]


class TestMatching:
    def test_repeated_requests_get_the_recorded_order(
        self, srv: HTTPServer, client: requests.Session, tmp_path: Path
    ) -> None:
        """Identical requests get the recorded answers in turn, then the last one again."""
        har = write_har(
            tmp_path / "c.har",
            exchange("GET", "/count", body=b"1"),
            exchange("GET", "/other", body=b"x"),
            exchange("GET", "/count", body=b"2"),
        )
        expectations = srv.replay(har)
        assert len(expectations) == 2
        answers = [client.get(srv.url_for("/count"), timeout=TIMEOUT).text for _ in range(3)]
        assert answers == ["1", "2", "2"]

    def test_when_exhausted_error(
        self, srv: HTTPServer, client: requests.Session, tmp_path: Path
    ) -> None:
        """when_exhausted="error": one request more than recorded fails."""
        har = write_har(tmp_path / "e.har", exchange("GET", "/once", body=b"1"))
        srv.replay(har, when_exhausted="error")
        assert client.get(srv.url_for("/once"), timeout=TIMEOUT).text == "1"
        assert client.get(srv.url_for("/once"), timeout=TIMEOUT).status_code == 500
        with pytest.raises(SequenceExhaustedError):
            srv.check_assertions()

    def test_unrecorded_request_reports_the_closest_recorded_ones(
        self, srv: HTTPServer, client: requests.Session, tmp_path: Path
    ) -> None:
        """A request with no recorded exchange is unmatched; the report lists recordings."""
        har = write_har(
            tmp_path / "u.har",
            exchange("GET", "/users/7?full=1", body=b"{}"),
            exchange("DELETE", "/users/7", status=204),
        )
        srv.replay(har)
        response = client.get(srv.url_for("/users/7?full=0"), timeout=TIMEOUT)
        assert response.status_code == 500
        with pytest.raises(UnmatchedRequestError) as caught:
            srv.check_assertions()
        text = str(caught.value)
        assert "1. expect_request('/users/7', method='GET', query_string='full=1')" in text
        assert ">> query" in text

    def test_match_on_chooses_the_fields(
        self, srv: HTTPServer, client: requests.Session, tmp_path: Path
    ) -> None:
        """Without "query" the query is ignored; with "body" bodies tell exchanges apart."""
        har = write_har(
            tmp_path / "m.har",
            exchange("POST", "/search?page=1", body=b"cats", request_body=b"q=cat"),
            exchange("POST", "/search?page=1", body=b"dogs", request_body=b"q=dog"),
        )
        srv.replay(har, match_on=("method", "path", "body"))
        url = srv.url_for("/search?page=9")
        assert client.post(url, data=b"q=dog", timeout=TIMEOUT).text == "dogs"
        assert client.post(url, data=b"q=cat", timeout=TIMEOUT).text == "cats"

    def test_query_order_of_names_does_not_matter(
        self, srv: HTTPServer, client: requests.Session, tmp_path: Path
    ) -> None:
        """a=1&b=2 and b=2&a=1 are the same request, as the query matcher sees it."""
        har = write_har(
            tmp_path / "q.har",
            exchange("GET", "/q?a=1&b=2", body=b"first"),
            exchange("GET", "/q?b=2&a=1", body=b"second"),
        )
        assert len(srv.replay(har)) == 1
        answers = [client.get(srv.url_for("/q?b=2&a=1"), timeout=TIMEOUT).text for _ in range(2)]
        assert answers == ["first", "second"]

    def test_paths_are_matched_decoded_and_literally(
        self, srv: HTTPServer, client: requests.Session, tmp_path: Path
    ) -> None:
        """A percent-encoded path matches its decoded form; "<" is no template."""
        har = write_har(
            tmp_path / "p.har",
            exchange("GET", "/caf%C3%A9", body=b"cafe"),
            exchange("GET", "/a%3Cb%3E", body=b"angle"),
        )
        srv.replay(har)
        assert client.get(srv.url_for("/caf%C3%A9"), timeout=TIMEOUT).text == "cafe"
        assert client.get(srv.url_for("/a%3Cb%3E"), timeout=TIMEOUT).text == "angle"


class TestResponses:
    def test_status_reason_and_headers_as_recorded(self, srv: HTTPServer, tmp_path: Path) -> None:
        """The recorded reason phrase and headers go out; Content-Length fits the body."""
        har = write_har(
            tmp_path / "s.har",
            exchange(
                "GET",
                "/teapot",
                status=418,
                reason="Short And Stout",
                body=b"tea",
                response_headers=(("X-Kind", "pot"), ("Content-Length", "999")),
            ),
        )
        srv.replay(har)
        with httpx.Client(trust_env=False, timeout=TIMEOUT) as client:
            response = client.get(srv.url_for("/teapot"))
        assert (response.status_code, response.reason_phrase) == (418, "Short And Stout")
        assert response.headers["X-Kind"] == "pot"
        assert response.headers["Content-Length"] == "3"
        assert "Content-Type" not in response.headers  # none recorded, none added

    def test_redacted_headers_are_not_replayed(
        self, srv: HTTPServer, client: requests.Session, tmp_path: Path
    ) -> None:
        """A Set-Cookie the recording redacted is left out."""
        har = tmp_path / "r.har"
        HARWriter(har).append(
            exchange("GET", "/in", response_headers=(("Set-Cookie", "s=1"), ("X-Ok", "1")))
        )
        srv.replay(har)
        response = client.get(srv.url_for("/in"), timeout=TIMEOUT)
        assert "Set-Cookie" not in response.headers
        assert response.headers["X-Ok"] == "1"
        assert not client.cookies

    def test_head_keeps_the_recorded_length(
        self, srv: HTTPServer, client: requests.Session, tmp_path: Path
    ) -> None:
        """A recorded HEAD answer keeps its Content-Length, with no body."""
        har = write_har(
            tmp_path / "h.har",
            exchange("HEAD", "/file", response_headers=(("Content-Length", "1234"),)),
        )
        srv.replay(har)
        response = client.head(srv.url_for("/file"), timeout=TIMEOUT)
        assert response.headers["Content-Length"] == "1234"

    def test_truncated_recording_warns(self, srv: HTTPServer, tmp_path: Path) -> None:
        """A response body recorded in part is replayed as it is, with a warning."""
        har = write_har(
            tmp_path / "t.har", exchange("GET", "/big", body=b"abc", response_size=10_000)
        )
        with pytest.warns(UserWarning, match="holds 3 of the 10000 bytes"):
            srv.replay(har)


CASSETTE = """\
interactions:
- request:
    body: null
    headers:
      Accept: ['application/json']
    method: GET
    uri: https://api.example.test/v1/greeting?lang=en
  response:
    body:
      string: !!binary |
        {gzipped}
    headers:
      Content-Type: ['application/json']
      Content-Encoding: ['gzip']
    status: {{code: 200, message: OK}}
- request:
    body: '{{"name": "ann"}}'
    headers:
      Content-Type: [application/json]
    method: POST
    uri: https://api.example.test/v1/users
  response:
    body: {{string: ''}}
    headers:
      Location: [/v1/users/42]
    status: {{code: 201, message: Created}}
version: 1
"""


class TestCassettes:
    @pytest.fixture
    def cassette(self, tmp_path: Path) -> Path:
        import base64

        body = gzip.compress(json.dumps({"greeting": "hello"}).encode())
        path = tmp_path / "greeting.yaml"
        path.write_text(CASSETTE.format(gzipped=base64.b64encode(body).decode("ascii")))
        return path

    def test_a_vcr_cassette_answers_real_clients(
        self, srv: HTTPServer, cassette: Path, client: requests.Session
    ) -> None:
        """Each interaction answers its request; a gzip body arrives decoded by the client."""
        srv.replay(cassette)
        response = client.get(srv.url_for("/v1/greeting?lang=en"), timeout=TIMEOUT)
        assert response.json() == {"greeting": "hello"}
        assert response.headers["Content-Encoding"] == "gzip"
        created = client.post(srv.url_for("/v1/users"), json={"name": "ann"}, timeout=TIMEOUT)
        assert (created.status_code, created.headers["Location"]) == (201, "/v1/users/42")

    def test_a_cassette_by_its_content(self, srv: HTTPServer, cassette: Path) -> None:
        """A file with another extension is read by its first character."""
        other = cassette.with_suffix(".cassette")
        other.write_bytes(cassette.read_bytes())
        assert len(srv.replay(other)) == 2


class TestErrors:
    def test_bad_file_registers_nothing(self, srv: HTTPServer, tmp_path: Path) -> None:
        """A file that is no recording raises RecordingFormatError and adds nothing."""
        bad = tmp_path / "bad.har"
        bad.write_text(
            json.dumps({"log": {"version": "1.2", "entries": [{"request": {"method": "GET"}}]}})
        )
        with pytest.raises(RecordingFormatError, match=r"bad\.har at entries\[0\]"):
            srv.replay(bad)
        assert srv.format_matchers().endswith("Persistent matchers:\n    none")

    def test_not_yaml_either(self, srv: HTTPServer, tmp_path: Path) -> None:
        """Neither JSON nor a cassette: the message says it is no cassette."""
        odd = tmp_path / "odd.txt"
        odd.write_text(textwrap.dedent("just: text\n"))
        with pytest.raises(RecordingFormatError, match=r"not a VCR\.py cassette"):
            srv.replay(odd)

    def test_match_on_is_checked(self, srv: HTTPServer, tmp_path: Path) -> None:
        """Unknown fields and a bare string are refused, naming the fields."""
        har = write_har(tmp_path / "x.har")
        with pytest.raises(ValueError, match="unknown field 'headers'; the fields are method"):
            srv.replay(har, match_on=("method", "headers"))
        with pytest.raises(TypeError, match="must be a list of field names"):
            srv.replay(har, match_on="path")

    def test_partial_request_body_cannot_match_on_body(
        self, srv: HTTPServer, tmp_path: Path
    ) -> None:
        """match_on "body" needs whole request bodies."""
        har = write_har(
            tmp_path / "b.har",
            exchange("POST", "/up", request_body=b"abc", request_size=10_000),
        )
        with pytest.raises(ValueError, match="holds only part of its request body"):
            srv.replay(har, match_on=("method", "path", "body"))
