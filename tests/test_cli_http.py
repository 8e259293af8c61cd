"""``python -m localserver http|https``: real requests to a CLI in a subprocess."""

from __future__ import annotations

import json
import re
import signal
from pathlib import Path

import pytest
import requests

from ._cli_process import CLIProcess, run_cli
from .conftest import TIMEOUT


class TestHTTPCommand:
    def test_prints_each_request_and_a_summary(self) -> None:
        """Requests are answered as configured, printed, and counted at Ctrl-C."""
        with CLIProcess("http", "--port", "0", "--status", "201", "--body", "made") as proc:
            url = proc.wait_line("err", r"listening on (http://\S+)").group(1)
            response = requests.post(url + "/items?x=1", data=b"payload", timeout=TIMEOUT)
            assert (response.status_code, response.text) == (201, "made")
            proc.wait_line("out", r"POST /items\?x=1")
            proc.wait_line("out", r"body \(7 bytes\): payload")
            requests.get(url + "/second", timeout=TIMEOUT)
            proc.wait_line("out", r"GET /second")
            assert proc.stop(signal.SIGINT) == 0
        assert proc.lines["err"][-1] == "stopped: 2 requests received"

    def test_wrong_scheme_is_printed(self) -> None:
        """https:// sent to the plain server is printed, and not counted as a request."""
        with CLIProcess("http", "--port", "0") as proc:
            url = proc.wait_line("err", r"listening on (http://\S+)").group(1)
            with pytest.raises(requests.exceptions.SSLError):
                requests.get(url.replace("http://", "https://"), timeout=TIMEOUT)
            proc.wait_line(
                "out", r"no request: .*started a TLS handshake on this plain HTTP server"
            )
            assert proc.stop() == 0
        assert proc.lines["err"][-1] == "stopped: 0 requests received"

    def test_json_lines(self) -> None:
        """--json prints one parsable object per request on stdout."""
        with CLIProcess("http", "--port", "0", "--json") as proc:
            url = proc.wait_line("err", r"listening on (http://\S+)").group(1)
            requests.put(url + "/j?a=b", json={"k": 1}, headers={"X-Id": "7"}, timeout=TIMEOUT)
            line = proc.wait_line("out", r"^\{").string
            assert proc.stop() == 0
        record = json.loads(line)
        assert record["method"] == "PUT"
        assert (record["path"], record["query"]) == ("/j", "a=b")
        assert record["headers"]["X-Id"] == "7"
        assert json.loads(record["body"]) == {"k": 1}
        assert record["body_size"] == len(b'{"k": 1}')

    def test_body_from_a_file(self, tmp_path: Path) -> None:
        """--body @file serves the file's bytes."""
        page = tmp_path / "page.html"
        page.write_bytes(b"<h1>hi</h1>")
        args = ("http", "--port", "0", "--body", f"@{page}", "--content-type", "text/html")
        with CLIProcess(*args) as proc:
            url = proc.wait_line("err", r"listening on (http://\S+)").group(1)
            response = requests.get(url, timeout=TIMEOUT)
            assert response.content == b"<h1>hi</h1>"
            assert response.headers["Content-Type"] == "text/html"
            assert proc.stop() == 0

    def test_unreadable_body_file(self, tmp_path: Path) -> None:
        """A missing --body file is one line and exit status 2."""
        result = run_cli("http", "--port", "0", "--body", f"@{tmp_path / 'missing'}")
        assert result.returncode == 2
        assert "cannot read body file" in result.stderr
        assert "Traceback" not in result.stderr


class TestHTTPSCommand:
    def test_prints_the_trust_lines_and_verifies(self) -> None:
        """The CA bundle it prints is what a verifying client needs."""
        with CLIProcess("https", "--port", "0", "--body", "secure") as proc:
            url = proc.wait_line("err", r"listening on (https://\S+)").group(1)
            bundle = proc.wait_line("err", r"^CA bundle: (\S+)").group(1)
            curl = proc.wait_line("err", r"^trust it: (curl .*)").group(1)
            assert curl == f"curl --cacert {bundle} {url}/"
            proc.wait_line("err", rf"REQUESTS_CA_BUNDLE={re.escape(bundle)} ")
            assert requests.get(url + "/s", verify=bundle, timeout=TIMEOUT).text == "secure"
            proc.wait_line("out", r"GET /s")
            assert proc.stop() == 0
        assert proc.lines["err"][-1] == "stopped: 1 request received"

    def test_plain_http_is_printed(self) -> None:
        """http:// to the TLS port is explained on stdout (here as JSON)."""
        with CLIProcess("https", "--port", "0", "--json") as proc:
            url = proc.wait_line("err", r"listening on (https://\S+)").group(1)
            plain = url.replace("https://", "http://")
            assert requests.get(plain, timeout=TIMEOUT).status_code == 400
            line = proc.wait_line("out", r'"error": .*sent plain HTTP to this HTTPS server').string
            assert proc.stop() == 0
        assert set(json.loads(line)) == {"time", "error"}
        assert proc.lines["err"][-1] == "stopped: 0 requests received"

    def test_client_cert_mode(self) -> None:
        """--client-cert requires a certificate and prints one that works."""
        with CLIProcess("https", "--port", "0", "--client-cert") as proc:
            url = proc.wait_line("err", r"listening on (https://\S+)").group(1)
            bundle = proc.wait_line("err", r"^CA bundle: (\S+)").group(1)
            cert = proc.wait_line("err", r"^client certificate: (\S+)").group(1)
            key = proc.wait_line("err", r"^client key: (\S+)").group(1)
            curl = proc.wait_line("err", r"^trust it: (curl .*)").group(1)
            assert curl == f"curl --cacert {bundle} --cert {cert} --key {key} {url}/"
            response = requests.get(url, verify=bundle, cert=(cert, key), timeout=TIMEOUT)
            assert response.status_code == 200
            with pytest.raises(requests.exceptions.SSLError):
                requests.get(url, verify=bundle, timeout=TIMEOUT)
            assert proc.stop() == 0
