"""HAR 1.2: exchanges written by HARWriter are valid HAR after every append, and read back."""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import json
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from localserver import LocalServerError
from localserver._recording import (
    REDACTED,
    Exchange,
    HARWriter,
    RecordingFormatError,
    Timings,
    read_har,
)

from .conftest import TIMEOUT

WHEN = dt.datetime(2030, 5, 17, 9, 30, 15, 250000, tzinfo=dt.timezone.utc)
PNG_START = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))


# -- a HAR 1.2 checker, from the spec's tables of required fields ----------------------

_NUMBER = (int, float)


def _require(obj: Any, where: str, fields: dict[str, Any]) -> None:
    assert isinstance(obj, dict), f"{where} is not an object"
    for name, kind in fields.items():
        assert name in obj, f"{where}.{name} is required by HAR 1.2"
        value = obj[name]
        assert isinstance(value, kind), f"{where}.{name} has the wrong type: {value!r}"
        assert not isinstance(value, bool), f"{where}.{name} is a boolean: {value!r}"


def _name_values(items: Any, where: str) -> None:
    assert isinstance(items, list), f"{where} is not a list"
    for i, item in enumerate(items):
        _require(item, f"{where}[{i}]", {"name": str, "value": str})


def check_har_1_2(document: Any) -> None:
    """Fail unless *document* has every field HAR 1.2 requires, with the right types."""
    _require(document, "", {"log": dict})
    log = document["log"]
    _require(log, "log", {"version": str, "creator": dict, "entries": list})
    assert log["version"] == "1.2"
    _require(log["creator"], "log.creator", {"name": str, "version": str})
    for i, entry in enumerate(log["entries"]):
        at = f"log.entries[{i}]"
        _require(
            entry,
            at,
            {
                "startedDateTime": str,
                "time": _NUMBER,
                "request": dict,
                "response": dict,
                "cache": dict,
                "timings": dict,
            },
        )
        dt.datetime.fromisoformat(entry["startedDateTime"].replace("Z", "+00:00"))
        request, response = entry["request"], entry["response"]
        _require(
            request,
            f"{at}.request",
            {
                "method": str,
                "url": str,
                "httpVersion": str,
                "cookies": list,
                "headers": list,
                "queryString": list,
                "headersSize": int,
                "bodySize": int,
            },
        )
        _name_values(request["headers"], f"{at}.request.headers")
        _name_values(request["queryString"], f"{at}.request.queryString")
        _name_values(request["cookies"], f"{at}.request.cookies")
        if "postData" in request:
            _require(request["postData"], f"{at}.request.postData", {"mimeType": str})
            assert ("text" in request["postData"]) != ("params" in request["postData"])
        _require(
            response,
            f"{at}.response",
            {
                "status": int,
                "statusText": str,
                "httpVersion": str,
                "cookies": list,
                "headers": list,
                "content": dict,
                "redirectURL": str,
                "headersSize": int,
                "bodySize": int,
            },
        )
        _name_values(response["headers"], f"{at}.response.headers")
        _name_values(response["cookies"], f"{at}.response.cookies")
        _require(response["content"], f"{at}.response.content", {"size": int, "mimeType": str})
        timings = entry["timings"]
        _require(timings, f"{at}.timings", {"send": _NUMBER, "wait": _NUMBER, "receive": _NUMBER})
        assert min(timings["send"], timings["wait"], timings["receive"]) >= 0
        known = [v for v in timings.values() if isinstance(v, _NUMBER) and v >= 0]
        assert entry["time"] == pytest.approx(sum(known))


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def exchange(**changes: Any) -> Exchange:
    """A JSON GET exchange; keyword arguments change fields."""
    fields: dict[str, Any] = {
        "method": "GET",
        "url": "http://127.0.0.1:8000/users/7?fields=name&fields=email",
        "status": 200,
        "reason": "OK",
        "request_headers": (("Host", "127.0.0.1:8000"), ("Accept", "application/json")),
        "response_headers": (("Content-Type", "application/json"), ("X-Id", "1"), ("X-Id", "2")),
        "response_body": b'{"id": 7, "name": "Zo\xc3\xab"}',
        "response_mime": "application/json",
        "started_at": WHEN,
        "timings": Timings(send=0.5, wait=12.25, receive=1.0, connect=0.75),
    }
    fields.update(changes)
    return Exchange(**fields)


class TestRoundTrip:
    """What the writer writes, the reader reads back the same."""

    @pytest.mark.parametrize(
        "recorded",
        [
            pytest.param(exchange(), id="json-get"),
            pytest.param(
                exchange(
                    method="POST",
                    url="http://127.0.0.1:8000/upload",
                    request_headers=(("Content-Type", "application/octet-stream"),),
                    request_body=PNG_START,
                    request_mime="application/octet-stream",
                    status=201,
                    reason="Created",
                    response_headers=(("Content-Type", "image/png"),),
                    response_body=PNG_START,
                    response_mime="image/png",
                ),
                id="binary-both-ways",
            ),
            pytest.param(
                exchange(
                    method="POST",
                    request_body=b"name=Zo%C3%AB&tag=a&tag=b",
                    request_mime="application/x-www-form-urlencoded",
                    response_headers=(("Content-Type", "text/plain; charset=iso-8859-1"),),
                    response_body="café crème".encode("latin-1"),
                    response_mime="text/plain; charset=iso-8859-1",
                ),
                id="form-and-latin-1",
            ),
            pytest.param(
                exchange(
                    status=302,
                    reason="Found",
                    response_headers=(("Location", "/login"),),
                    response_body=b"",
                    response_mime="",
                    timings=Timings(),
                    comment="recorded by a test",
                ),
                id="redirect-empty-body",
            ),
        ],
    )
    def test_exchange_comes_back_equal(self, tmp_path: Path, recorded: Exchange) -> None:
        """Every field survives writing and reading (redaction off)."""
        path = tmp_path / "rec.har"
        HARWriter(path, redact=()).append(recorded)
        check_har_1_2(load(path))
        assert read_har(path) == [recorded]

    def test_many_exchanges_keep_their_order(self, tmp_path: Path) -> None:
        """Entries come back in the order they were appended."""
        path = tmp_path / "rec.har"
        writer = HARWriter(path)
        recorded = [exchange(url=f"http://h/item/{i}") for i in range(5)]
        for item in recorded:
            writer.append(item)
        assert [e.path for e in read_har(path)] == [f"/item/{i}" for i in range(5)]
        assert len(writer) == 5

    def test_gzip_body_is_stored_decoded(self, tmp_path: Path) -> None:
        """A gzip body is written decoded, as HAR asks; read back, it has no Content-Encoding."""
        plain = b'{"items": [' + b'{"n": 1}, ' * 200 + b"{}]}"
        packed = gzip.compress(plain)
        path = tmp_path / "rec.har"
        HARWriter(path, redact=()).append(
            exchange(
                response_headers=(
                    ("Content-Type", "application/json"),
                    ("Content-Encoding", "gzip"),
                    ("Content-Length", str(len(packed))),
                ),
                response_body=packed,
            )
        )
        document = load(path)
        check_har_1_2(document)
        response = document["log"]["entries"][0]["response"]
        assert response["content"]["text"] == plain.decode()
        assert response["content"]["size"] == len(plain)
        assert response["content"]["compression"] == len(plain) - len(packed)
        assert response["bodySize"] == len(packed)
        (back,) = read_har(path)
        assert back.response_body == plain
        assert back.response_headers == (("Content-Type", "application/json"),)

    def test_body_in_an_unknown_coding_is_kept_as_it_came(self, tmp_path: Path) -> None:
        """A brotli body (no decoder in the standard library) stays encoded, header and all."""
        raw = b"\x0b\x02\x80hello\x03"
        headers = (("Content-Type", "text/plain"), ("Content-Encoding", "br"))
        path = tmp_path / "rec.har"
        HARWriter(path).append(exchange(response_headers=headers, response_body=raw))
        content = load(path)["log"]["entries"][0]["response"]["content"]
        assert content["encoding"] == "base64"
        assert content["_contentEncoding"] == "br"
        (back,) = read_har(path)
        assert back.response_body == raw
        assert back.response_headers == headers

    def test_truncated_body_says_so(self, tmp_path: Path) -> None:
        """A body captured in part keeps its full size and a comment."""
        path = tmp_path / "rec.har"
        HARWriter(path).append(exchange(response_body=b"x" * 10, response_size=10_000))
        response = load(path)["log"]["entries"][0]["response"]
        assert response["bodySize"] == 10_000
        assert response["content"]["comment"] == "body truncated to its first 10 of 10000 bytes"
        (back,) = read_har(path)
        assert (back.response_body, back.response_size) == (b"x" * 10, 10_000)


class TestFileFormat:
    """The file is HAR 1.2 as browsers' devtools read it."""

    def test_fields_and_values(self, tmp_path: Path) -> None:
        """Dates in ISO 8601 with milliseconds, time as the sum of timings, base64 for binary."""
        path = tmp_path / "rec.har"
        HARWriter(path).append(
            exchange(response_body=PNG_START, response_mime="image/png", http_version="HTTP/1.0")
        )
        document = load(path)
        check_har_1_2(document)
        log = document["log"]
        assert log["creator"]["name"] == "localserver"
        entry = log["entries"][0]
        assert entry["startedDateTime"] == "2030-05-17T09:30:15.250Z"
        assert entry["time"] == 14.5
        assert entry["timings"] == {"connect": 0.75, "send": 0.5, "wait": 12.25, "receive": 1.0}
        assert entry["request"]["queryString"] == [
            {"name": "fields", "value": "name"},
            {"name": "fields", "value": "email"},
        ]
        assert entry["request"]["httpVersion"] == entry["response"]["httpVersion"] == "HTTP/1.0"
        content = entry["response"]["content"]
        assert content["encoding"] == "base64"
        assert base64.b64decode(content["text"]) == PNG_START
        assert "postData" not in entry["request"]

    def test_file_is_valid_before_anything_is_recorded(self, tmp_path: Path) -> None:
        """Creating the writer writes an empty, valid log."""
        path = tmp_path / "empty.har"
        HARWriter(path)
        check_har_1_2(load(path))
        assert read_har(path) == []

    def test_utf8_without_escapes(self, tmp_path: Path) -> None:
        """The file is UTF-8 (HAR requires it); text is not \\u-escaped."""
        path = tmp_path / "rec.har"
        HARWriter(path).append(exchange())
        assert "Zoë" in path.read_bytes().decode("utf-8")

    def test_starts_afresh_or_appends(self, tmp_path: Path) -> None:
        """A new writer replaces the file, unless ``append=True`` keeps its entries."""
        path = tmp_path / "rec.har"
        HARWriter(path).append(exchange(url="http://h/first"))
        HARWriter(path, append=True).append(exchange(url="http://h/second"))
        assert [e.path for e in read_har(path)] == ["/first", "/second"]
        HARWriter(path).append(exchange(url="http://h/third"))
        assert [e.path for e in read_har(path)] == ["/third"]

    def test_append_refuses_a_file_that_is_not_har(self, tmp_path: Path) -> None:
        """``append=True`` on a file that is not HAR fails instead of overwriting it."""
        path = tmp_path / "notes.har"
        path.write_text("my notes", encoding="utf-8")
        with pytest.raises(RecordingFormatError, match="not valid JSON"):
            HARWriter(path, append=True)
        assert path.read_text(encoding="utf-8") == "my notes"

    def test_missing_directory(self, tmp_path: Path) -> None:
        """A HAR path in a directory that does not exist fails at once."""
        with pytest.raises(FileNotFoundError):
            HARWriter(tmp_path / "nope" / "rec.har")


class TestRedaction:
    """Credentials are hidden by default, and only they."""

    SECRET_HEADERS = (
        ("Authorization", "Bearer s3cret"),
        ("Cookie", "session=abc; theme=dark"),
        ("X-Api-Key", "k-123"),
    )

    def recorded(self) -> Exchange:
        return exchange(
            request_headers=self.SECRET_HEADERS,
            response_headers=(
                ("Content-Type", "text/plain"),
                ("Set-Cookie", "session=xyz; Path=/; HttpOnly; Secure"),
            ),
        )

    def test_default_redacts_credentials(self, tmp_path: Path) -> None:
        """Authorization, Cookie and Set-Cookie values, and the cookies in them, are REDACTED."""
        path = tmp_path / "rec.har"
        HARWriter(path).append(self.recorded())
        entry = load(path)["log"]["entries"][0]
        assert entry["request"]["headers"] == [
            {"name": "Authorization", "value": REDACTED},
            {"name": "Cookie", "value": REDACTED},
            {"name": "X-Api-Key", "value": "k-123"},
        ]
        assert entry["request"]["cookies"] == [
            {"name": "session", "value": REDACTED},
            {"name": "theme", "value": REDACTED},
        ]
        assert entry["response"]["headers"][1] == {"name": "Set-Cookie", "value": REDACTED}
        assert entry["response"]["cookies"] == [
            {"name": "session", "value": REDACTED, "path": "/", "httpOnly": True, "secure": True}
        ]
        text = path.read_text(encoding="utf-8")
        assert "s3cret" not in text
        assert "abc" not in text
        assert "xyz" not in text

    def test_redaction_off(self, tmp_path: Path) -> None:
        """``redact=()`` writes every value as it was."""
        path = tmp_path / "rec.har"
        HARWriter(path, redact=()).append(self.recorded())
        entry = load(path)["log"]["entries"][0]
        assert entry["request"]["headers"][0]["value"] == "Bearer s3cret"
        assert entry["request"]["cookies"][0] == {"name": "session", "value": "abc"}
        assert entry["response"]["cookies"][0]["value"] == "xyz"

    def test_own_list_of_names(self, tmp_path: Path) -> None:
        """A list of names (any case) redacts exactly those headers."""
        path = tmp_path / "rec.har"
        HARWriter(path, redact=["x-API-key"]).append(self.recorded())
        (back,) = read_har(path)
        assert back.request_headers == (
            ("Authorization", "Bearer s3cret"),
            ("Cookie", "session=abc; theme=dark"),
            ("X-Api-Key", REDACTED),
        )

    def test_one_string_is_refused(self, tmp_path: Path) -> None:
        """``redact="authorization"`` would redact letters; it is refused."""
        with pytest.raises(TypeError, match="list of header names"):
            HARWriter(tmp_path / "rec.har", redact="authorization")


class TestConcurrentAppends:
    """Appends from many threads: nothing lost, and the file is valid at every moment."""

    def test_sixteen_threads(self, tmp_path: Path) -> None:
        """16 threads x 10 appends give 160 entries; a reader never sees a broken file."""
        path = tmp_path / "rec.har"
        writer = HARWriter(path)
        done = threading.Event()
        reads: list[int] = []
        problems: list[BaseException] = []

        def write(n: int) -> None:
            for i in range(10):
                writer.append(exchange(url=f"http://h/{n}/{i}"))

        reading = threading.Event()

        def read() -> None:
            while not done.is_set():
                try:
                    reads.append(len(read_har(path)))
                except BaseException as exc:
                    problems.append(exc)
                    return
                finally:
                    reading.set()

        reader = threading.Thread(target=read)
        reader.start()
        assert reading.wait(TIMEOUT)
        writers = [threading.Thread(target=write, args=(n,)) for n in range(16)]
        for thread in writers:
            thread.start()
        for thread in writers:
            thread.join(TIMEOUT * 6)
        done.set()
        reader.join(TIMEOUT)
        assert problems == []
        assert len(reads) > 1
        assert reads == sorted(reads)  # the file only ever grows
        urls = sorted(e.path for e in read_har(path))
        assert urls == sorted(f"/{n}/{i}" for n in range(16) for i in range(10))
        assert sorted(os.listdir(tmp_path)) == ["rec.har"]  # no temporary files left


class TestReadingErrors:
    """A file that cannot be replayed is refused with the file, the place and the problem."""

    def write(self, tmp_path: Path, document: Any) -> Path:
        path = tmp_path / "in.har"
        text = document if isinstance(document, str) else json.dumps(document)
        path.write_text(text, encoding="utf-8")
        return path

    def entry(self, **changes: Any) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "startedDateTime": "2030-05-17T09:30:15.250Z",
            "time": 1,
            "request": {"method": "GET", "url": "http://h/a", "headers": []},
            "response": {
                "status": 200,
                "statusText": "OK",
                "headers": [],
                "content": {"size": 2, "mimeType": "text/plain", "text": "hi"},
            },
            "cache": {},
            "timings": {"send": 0, "wait": 1, "receive": 0},
        }
        for dotted, value in changes.items():
            *parents, last = dotted.split("__")
            target = entry
            for parent in parents:
                target = target[parent]
            target[last] = value
        return entry

    def har(self, *entries: Any, version: str = "1.2") -> dict[str, Any]:
        return {
            "log": {
                "version": version,
                "creator": {"name": "t", "version": "1"},
                "entries": list(entries),
            }
        }

    @pytest.mark.parametrize(
        ("document", "message"),
        [
            ("{not json", r"in\.har at line 1, column 2: not valid JSON .*is this a HAR file\?"),
            ([1, 2], r'no "log" object at the top: not a HAR file'),
            ({"log": {"entries": []}}, r"at log\.version: missing"),
            ({"log": {"version": "2.0", "entries": []}}, r"HAR version '2\.0' is not supported"),
            ({"log": {"version": "1.2", "entries": {}}}, r"at log\.entries: expected a list"),
        ],
    )
    def test_not_a_har_file(self, tmp_path: Path, document: Any, message: str) -> None:
        """JSON errors, a missing log, an unknown version: the file as a whole is refused."""
        path = self.write(tmp_path, document)
        with pytest.raises(RecordingFormatError, match=message) as caught:
            read_har(path)
        assert str(caught.value).startswith(str(path))
        assert isinstance(caught.value, ValueError)
        assert isinstance(caught.value, LocalServerError)

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            (
                {"response__status": "200"},
                r"entries\[0\]\.response\.status: expected an integer \(got '200'\)",
            ),
            ({"response__status": True}, r"entries\[0\]\.response\.status: expected an integer"),
            ({"request__url": "/relative"}, r"entries\[0\]\.request\.url: not an absolute URL"),
            (
                {"request__headers": [{"name": "X"}]},
                r"entries\[0\]\.request\.headers\[0\]\.value: missing",
            ),
            (
                {"response__headers": {"X": "1"}},
                r"entries\[0\]\.response\.headers: expected a list",
            ),
            ({"startedDateTime": "yesterday"}, r"entries\[0\]\.startedDateTime: not an ISO 8601"),
            (
                {"response__content": {"mimeType": "x", "text": "@@", "encoding": "base64"}},
                r"entries\[0\]\.response\.content\.text: not valid base64",
            ),
            (
                {"response__content": {"mimeType": "x", "text": "a", "encoding": "rot13"}},
                r"entries\[0\]\.response\.content\.encoding: unknown encoding 'rot13'",
            ),
        ],
    )
    def test_bad_entry(self, tmp_path: Path, changes: dict[str, Any], message: str) -> None:
        """A bad entry is named by its place in the file."""
        path = self.write(tmp_path, self.har(self.entry(), self.entry()))
        read_har(path)  # the good file reads
        path = self.write(tmp_path, self.har(self.entry(**changes)))
        with pytest.raises(RecordingFormatError, match=message):
            read_har(path)

    def test_missing_response(self, tmp_path: Path) -> None:
        """An entry without a response is refused."""
        entry = self.entry()
        del entry["response"]
        path = self.write(tmp_path, self.har(self.entry(), entry))
        with pytest.raises(RecordingFormatError, match=r"entries\[1\]\.response: missing"):
            read_har(path)


class TestOtherWriters:
    """Files written by browsers' devtools and other tools (HAR 1.1 and 1.2) read well."""

    def test_devtools_style_file(self, tmp_path: Path) -> None:
        """Offsets, a BOM, decoded gzip text, form params, missing timings and sizes."""
        document = {
            "log": {
                "version": "1.1",
                "creator": {"name": "SomeBrowser", "version": "99"},
                "pages": [],
                "entries": [
                    {
                        "startedDateTime": "2030-05-17T11:30:15.2+02:00",
                        "time": 3,
                        "request": {
                            "method": "POST",
                            "url": "https://example.test/login?next=%2Fhome",
                            "httpVersion": "http/2.0",
                            "headers": [{"name": ":authority", "value": "example.test"}],
                            "postData": {
                                "mimeType": "application/x-www-form-urlencoded",
                                "params": [
                                    {"name": "user", "value": "ann"},
                                    {"name": "pw", "value": "p w"},
                                ],
                            },
                        },
                        "response": {
                            "status": 200,
                            "statusText": "",
                            "httpVersion": "http/2.0",
                            "headers": [
                                {"name": "content-type", "value": "text/html; charset=utf-8"},
                                {"name": "content-encoding", "value": "gzip"},
                                {"name": "content-length", "value": "31"},
                            ],
                            "content": {
                                "size": 17,
                                "mimeType": "text/html; charset=utf-8",
                                "text": "<p>welcome ✓</p>",
                            },
                            "_transferSize": 120,
                        },
                        "_priority": "High",
                    }
                ],
            }
        }
        path = tmp_path / "browser.har"
        path.write_bytes(b"\xef\xbb\xbf" + json.dumps(document).encode("utf-8"))
        (back,) = read_har(path)
        assert back.started_at == dt.datetime(
            2030, 5, 17, 9, 30, 15, 200000, tzinfo=dt.timezone.utc
        )
        assert back.request_body == b"user=ann&pw=p+w"
        assert back.query == (("next", "/home"),)
        assert back.response_body == "<p>welcome ✓</p>".encode()
        assert back.response_headers == (("content-type", "text/html; charset=utf-8"),)
        assert back.timings == Timings(send=0.0, wait=0.0, receive=0.0, connect=-1.0)
        assert back.http_version == "http/2.0"
        assert back.replay_headers() == [("content-type", "text/html; charset=utf-8")]

    def test_replay_headers_drop_framing(self) -> None:
        """Replayed answers leave the framing headers to the server."""
        recorded = exchange(
            response_headers=(
                ("Content-Type", "text/plain"),
                ("Content-Length", "5"),
                ("Transfer-Encoding", "chunked"),
                ("Connection", "keep-alive"),
                ("Set-Cookie", "a=1"),
                ("Set-Cookie", "b=2"),
            )
        )
        assert recorded.replay_headers() == [
            ("Content-Type", "text/plain"),
            ("Set-Cookie", "a=1"),
            ("Set-Cookie", "b=2"),
        ]


class TestExchange:
    """The Exchange record itself."""

    def test_query_from_url_and_accessors(self) -> None:
        """The query is taken from the URL unless given; path and headers are easy to read."""
        recorded = Exchange("get", "http://h/a%20b?x=1&y=&x=2", 204)
        assert recorded.method == "GET"
        assert recorded.query == (("x", "1"), ("y", ""), ("x", "2"))
        assert recorded.path == "/a%20b"
        assert recorded.query_string == "x=1&y=&x=2"
        assert exchange().response_header("x-id") == "1"
        assert exchange().request_header("ACCEPT") == "application/json"
        assert exchange().request_header("X-Nope") is None

    def test_naive_start_time_is_refused(self) -> None:
        """A start time without a timezone would be written wrong: refused."""
        with pytest.raises(ValueError, match="timezone-aware"):
            Exchange("GET", "http://h/", 200, started_at=dt.datetime(2030, 1, 1))

    def test_timings_total(self) -> None:
        """The total leaves out phases marked -1."""
        assert Timings(send=1, wait=2, receive=3).total == 6
        assert Timings(send=1, wait=2, receive=3, connect=4).total == 10
