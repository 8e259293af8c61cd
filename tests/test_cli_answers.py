"""``python -m localserver http --template/--replay/--proxy/--record`` in a subprocess."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from localserver import HTTPServer, HTTPSServer
from localserver._recording import Exchange, HARWriter, read_har

from ._cli_process import CLIProcess, run_cli
from .conftest import TIMEOUT


@pytest.fixture
def client() -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.trust_env = False
        yield session


class TestTemplate:
    def test_serves_the_template_rendered_per_request(
        self, tmp_path: Path, client: requests.Session
    ) -> None:
        """--template answers every request with the file rendered from it."""
        template = tmp_path / "hello.j2"
        template.write_text(
            '{"hello": {{ request.args.name | tojson }}, "path": "{{ request.path }}"}'
        )
        args = ("http", "--port", "0", "--template", str(template))
        with CLIProcess(*args, "--status", "202", "--content-type", "application/json") as proc:
            url = proc.wait_line("err", r"listening on (http://\S+)").group(1)
            proc.wait_line("err", f"answering with the template {template}")
            response = client.get(url + "/greet?name=Ann", timeout=TIMEOUT)
            assert response.status_code == 202
            assert response.headers["Content-Type"] == "application/json"
            assert response.json() == {"hello": "Ann", "path": "/greet"}
            proc.wait_line("out", r"GET /greet\?name=Ann")
            assert proc.stop(signal.SIGINT) == 0

    def test_a_broken_template_is_one_line_and_status_2(self, tmp_path: Path) -> None:
        """A syntax error is reported with its line, without a traceback."""
        template = tmp_path / "bad.j2"
        template.write_text("fine\n{{ request.method }\n")
        result = run_cli("http", "--port", "0", "--template", str(template))
        assert result.returncode == 2
        assert "error: body template, line 2:" in result.stderr
        assert "Traceback" not in result.stderr

    def test_missing_template_file(self, tmp_path: Path) -> None:
        """An unreadable template file is named."""
        result = run_cli("http", "--port", "0", "--template", str(tmp_path / "none.j2"))
        assert result.returncode == 2
        assert "cannot read template file" in result.stderr


class TestConflicts:
    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (("--record", "x.har"), "--record needs --proxy URL"),
            (("--template", "t.j2", "--body", "b"), "--template and --body both give the body"),
            (("--proxy", "http://127.0.0.1:1", "--body", "b"), "--body answers every request"),
            (("--proxy", "http://127.0.0.1:1", "--status", "201"), "--status answers every"),
            (("--proxy", "ftp://x"), "the upstream URL must look like http://host:port"),
        ],
    )
    def test_options_that_cannot_go_together(self, args: tuple[str, ...], message: str) -> None:
        """Each conflict is one line naming the options, exit status 2."""
        result = run_cli("http", "--port", "0", *args)
        assert result.returncode == 2
        assert message in result.stderr
        assert "Traceback" not in result.stderr


class TestProxyAndReplay:
    def test_proxy_records_then_replay_answers(
        self, tmp_path: Path, client: requests.Session
    ) -> None:
        """--proxy --record writes a HAR file that --replay then answers from."""
        har = tmp_path / "session.har"
        with HTTPServer() as upstream:
            upstream.expect_request("/api/items").respond_with_json([1, 2], status=200)
            args = ("http", "--port", "0", "--proxy", upstream.url, "--record", str(har))
            with CLIProcess(*args) as proc:
                url = proc.wait_line("err", r"listening on (http://\S+)").group(1)
                proc.wait_line("err", f"forwarding .* to {upstream.url}, recording to {har}")
                response = client.get(url + "/api/items", timeout=TIMEOUT)
                assert response.json() == [1, 2]
                assert proc.stop() == 0
            assert len(upstream.requests) == 1
        assert [e.url.rpartition("/")[2] for e in read_har(har)] == ["items"]
        with CLIProcess("http", "--port", "0", "--replay", str(har)) as proc:
            url = proc.wait_line("err", r"listening on (http://\S+)").group(1)
            proc.wait_line("err", f"replaying the exchanges recorded in {har}")
            assert client.get(url + "/api/items", timeout=TIMEOUT).json() == [1, 2]
            unknown = client.get(url + "/api/other", timeout=TIMEOUT)
            assert unknown.status_code == 500
            assert "Closest expectations" in unknown.text
            assert proc.stop() == 0

    def test_https_upstream_trusted_through_ssl_cert_file(
        self, client: requests.Session, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """--proxy verifies an https upstream; SSL_CERT_FILE makes it trust a test CA."""
        with HTTPSServer() as secure:
            secure.expect_request("/s").respond_with_data("verified")
            monkeypatch.setenv("SSL_CERT_FILE", secure.ca_bundle)
            with CLIProcess("http", "--port", "0", "--proxy", secure.url) as proc:
                url = proc.wait_line("err", r"listening on (http://\S+)").group(1)
                assert client.get(url + "/s", timeout=TIMEOUT).text == "verified"
                assert proc.stop() == 0
            monkeypatch.delenv("SSL_CERT_FILE")
            with CLIProcess("http", "--port", "0", "--proxy", secure.url) as proc:
                url = proc.wait_line("err", r"listening on (http://\S+)").group(1)
                response = client.get(url + "/s", timeout=TIMEOUT)
                assert response.status_code == 502
                assert "TLS certificate of the upstream" in response.text
                assert proc.stop() == 0

    def test_replay_with_a_fallback_body(self, tmp_path: Path, client: requests.Session) -> None:
        """--replay with --body: what was not recorded gets the fixed response."""
        har = tmp_path / "r.har"
        HARWriter(har).append(
            Exchange(method="GET", url="http://x.test/rec", status=200, response_body=b"rec")
        )
        args = ("http", "--port", "0", "--replay", str(har), "--body", "fallback")
        with CLIProcess(*args) as proc:
            url = proc.wait_line("err", r"listening on (http://\S+)").group(1)
            assert client.get(url + "/rec", timeout=TIMEOUT).text == "rec"
            assert client.get(url + "/else", timeout=TIMEOUT).text == "fallback"
            assert proc.stop() == 0

    def test_bad_recording_is_one_line(self, tmp_path: Path) -> None:
        """A file that is not a recording: its name and the problem, exit status 2."""
        bad = tmp_path / "bad.har"
        bad.write_text("{}")
        result = run_cli("http", "--port", "0", "--replay", str(bad))
        assert result.returncode == 2
        assert f"error: {bad}" in result.stderr
        assert "Traceback" not in result.stderr
