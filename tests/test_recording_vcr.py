"""VCR.py cassettes (YAML, format version 1) read as exchanges, gzip and binary bodies included."""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from localserver import LocalServerError
from localserver._extras import MissingExtraError
from localserver._recording import RecordingFormatError, read_cassette

GREETING = b'{"greeting": "hello from the recorded API"}'
PIXEL = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04"
UPLOAD = b"\x00\x01\x02"


def binary(data: bytes) -> str:
    """A YAML ``!!binary`` scalar for *data*."""
    return "!!binary |\n          " + base64.b64encode(data).decode("ascii")


# A cassette as VCR.py writes one: headers map names to lists, bodies are text or
# !!binary. Written for these tests; the values are made up.
CASSETTE = f"""\
interactions:
- request:
    body: null
    headers:
      Accept: ['application/json']
      User-Agent: ['python-requests/2.31.0']
    method: GET
    uri: https://api.example.test/v1/greeting?lang=en&lang=fr
  response:
    body:
      string: '{GREETING.decode()}'
    headers:
      Content-Type: ['application/json']
      Content-Length: ['{len(GREETING)}']
      Set-Cookie: ['a=1; Path=/', 'b=2; Path=/']
    status: {{code: 200, message: OK}}
- request:
    body: '{{"name": "ann"}}'
    headers:
      Content-Type: [application/json]
      Content-Length: ['15']
    method: POST
    uri: https://api.example.test/v1/users
  response:
    body: {{string: ''}}
    headers:
      Location: [/v1/users/42]
    status: {{code: 201, message: Created}}
- request:
    body: null
    headers: {{}}
    method: GET
    uri: https://api.example.test/v1/pixel.gif
  response:
    body:
      string: {binary(PIXEL)}
    headers:
      Content-Type: [image/gif]
    status: {{code: 200, message: OK}}
- request:
    body: {binary(UPLOAD)}
    headers:
      Content-Type: [application/octet-stream]
    method: PUT
    uri: https://api.example.test/v1/blob
  response:
    body: {{string: !!python/unicode 'stored'}}
    headers:
      Content-Type: !!python/str text/plain
    status: {{code: 200, message: OK}}
version: 1
"""


def write(tmp_path: Path, text: str, name: str = "cassette.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


class TestReading:
    """Interactions come back as exchanges, in order, with their bodies as bytes."""

    def test_interactions(self, tmp_path: Path) -> None:
        """Methods, URLs, queries, headers (lists flattened), statuses and bodies."""
        get, post, pixel, put = read_cassette(write(tmp_path, CASSETTE))
        assert (get.method, get.path, get.query) == (
            "GET",
            "/v1/greeting",
            (("lang", "en"), ("lang", "fr")),
        )
        assert get.request_headers == (
            ("Accept", "application/json"),
            ("User-Agent", "python-requests/2.31.0"),
        )
        assert (get.status, get.reason, get.response_body) == (200, "OK", GREETING)
        assert get.response_mime == "application/json"
        assert [v for n, v in get.response_headers if n == "Set-Cookie"] == [
            "a=1; Path=/",
            "b=2; Path=/",
        ]
        assert get.request_body == b""
        assert (post.method, post.request_body, post.request_mime) == (
            "POST",
            b'{"name": "ann"}',
            "application/json",
        )
        assert (post.status, post.reason, post.response_body) == (201, "Created", b"")
        assert post.response_header("location") == "/v1/users/42"
        assert pixel.response_body == PIXEL
        assert put.request_body == UPLOAD
        assert put.response_body == b"stored"
        assert put.response_mime == "text/plain"

    def test_start_time_is_the_file_time(self, tmp_path: Path) -> None:
        """Cassettes keep no times: exchanges start at the file's modification time."""
        path = write(tmp_path, CASSETTE)
        os.utime(path, (1_900_000_000, 1_900_000_000))
        exchanges = read_cassette(path)
        expected = dt.datetime.fromtimestamp(1_900_000_000, dt.timezone.utc)
        assert {e.started_at for e in exchanges} == {expected}

    def test_empty_cassette(self, tmp_path: Path) -> None:
        """A cassette with no interactions gives no exchanges."""
        assert read_cassette(write(tmp_path, "interactions: []\nversion: 1\n")) == []


class TestCompressedBodies:
    """gzip bodies: kept as recorded when they are gzip, header dropped when they are not."""

    def cassette(self, body_yaml: str, coding: str = "gzip") -> str:
        return textwrap.dedent(
            f"""\
            interactions:
            - request:
                body: null
                headers: {{Accept-Encoding: ['gzip, deflate']}}
                method: GET
                uri: http://api.example.test/data
              response:
                body:
                  string: {body_yaml}
                headers:
                  Content-Encoding: [{coding}]
                  Content-Type: [application/json]
                  Content-Length: ['999']
                status: {{code: 200, message: OK}}
            version: 1
            """
        )

    def test_gzip_body_as_recorded(self, tmp_path: Path) -> None:
        """A gzip body stays gzip, with its Content-Encoding, so clients decode it as before."""
        packed = gzip.compress(GREETING)
        text = self.cassette(f"!!binary '{base64.b64encode(packed).decode()}'")
        (exchange,) = read_cassette(write(tmp_path, text))
        assert exchange.response_body == packed
        assert exchange.response_header("Content-Encoding") == "gzip"
        assert gzip.decompress(exchange.response_body) == GREETING
        assert exchange.response_header("Content-Length") is None  # 999 did not fit

    def test_body_stored_decoded_loses_the_header(self, tmp_path: Path) -> None:
        """A body some client handed over decoded, under a gzip header: the header goes."""
        text = self.cassette(f"'{GREETING.decode()}'")
        (exchange,) = read_cassette(write(tmp_path, text))
        assert exchange.response_body == GREETING
        assert exchange.response_header("Content-Encoding") is None
        assert exchange.response_header("Content-Type") == "application/json"

    def test_deflate_that_is_not_deflate(self, tmp_path: Path) -> None:
        """The same for deflate: a body that does not inflate was stored decoded."""
        text = self.cassette("'plain text'", coding="deflate")
        (exchange,) = read_cassette(write(tmp_path, text))
        assert exchange.response_header("Content-Encoding") is None


class TestErrors:
    """Files that are not VCR.py cassettes are refused with the file, the place and the problem."""

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("interactions: [\n  - {a: 1\n", r"at line \d+: not a readable YAML file"),
            ("- request: {}\n  response: {}\n", r"from before version 1\.0; re-record it"),
            ("http_interactions: []\nrecorded_with: VCR 6\n", r"Ruby's VCR"),
            ("just: a mapping\n", r"no 'interactions' list at the top"),
            ("interactions: []\nversion: 2\n", r"at version: cassette format version 2"),
            (
                "interactions:\n- request: {method: GET, uri: 'http://h/'}\n  response: {}\n",
                r"at interactions\[0\]\.response\.status: missing",
            ),
            (
                "interactions:\n- request: {method: GET, uri: 'http://h/'}\n"
                "  response: {status: {code: '200'}}\n",
                r"at interactions\[0\]\.response\.status\.code: expected int \(got '200'\)",
            ),
            (
                "interactions:\n- request: {method: GET}\n  response: {status: {code: 200}}\n",
                r"at interactions\[0\]\.request\.uri: missing",
            ),
            (
                "interactions:\n- request: {method: GET, uri: 'http://h/',\n"
                "    headers: {X: [{a: 1}]}}\n  response: {status: {code: 200}}\n",
                r"at interactions\[0\]\.request\.headers\.X: expected text values",
            ),
        ],
    )
    def test_refused(self, tmp_path: Path, text: str, message: str) -> None:
        """Each problem is named with the file and the place."""
        path = write(tmp_path, text)
        with pytest.raises(RecordingFormatError, match=message) as caught:
            read_cassette(path)
        assert str(caught.value).startswith(str(path))
        assert isinstance(caught.value, LocalServerError)

    def test_python_objects_are_not_built(self, tmp_path: Path) -> None:
        """The safe loader refuses tags that would run Python code."""
        text = "interactions: !!python/object/apply:os.system ['echo unsafe']\nversion: 1\n"
        with pytest.raises(RecordingFormatError, match="not a readable YAML file"):
            read_cassette(write(tmp_path, text))


class TestOptionalDependency:
    """PyYAML is the extra ``localserver[replay]``, imported only when a cassette is read."""

    def test_import_does_not_load_yaml(self) -> None:
        """Importing the recording package leaves yaml unloaded."""
        code = "import sys, localserver._recording; print('yaml' in sys.modules)"
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
        )
        assert out.stdout.strip() == "False"

    def test_missing_yaml_names_the_extra(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Without PyYAML the error says which pip command brings it."""
        monkeypatch.setitem(sys.modules, "yaml", None)
        with pytest.raises(MissingExtraError) as caught:
            read_cassette(write(tmp_path, CASSETTE))
        assert 'pip install "localserver[replay]"' in str(caught.value)
        assert "VCR.py cassettes need the 'yaml' package" in str(caught.value)
