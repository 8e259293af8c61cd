"""``python -m localserver http|https``: real requests to a CLI in a subprocess."""

from __future__ import annotations

import json
import re
import signal
import ssl
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import requests

from localserver._cli.http import ClientMistake, Trust, explain_mistake

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
            line = proc.wait_line(
                "out", r"no request: .*started a TLS handshake on this plain HTTP server"
            ).string
            assert f"use {url} (or run python -m localserver https)" in line
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

    def test_untrusting_client_gets_the_curl_line(self) -> None:
        """A client without the CA is told the curl line and variables, not Python."""
        with CLIProcess("https", "--port", "0") as proc:
            url = proc.wait_line("err", r"listening on (https://\S+)").group(1)
            bundle = proc.wait_line("err", r"^CA bundle: (\S+)").group(1)
            context = ssl.create_default_context()  # the system's CAs only
            with pytest.raises(urllib.error.URLError):
                urllib.request.urlopen(url, context=context, timeout=TIMEOUT)
            line = proc.wait_line("out", r"no request: .*does not trust the test CA").string
            assert proc.stop() == 0
        assert f"use curl --cacert {bundle} {url}/," in line
        assert f"REQUESTS_CA_BUNDLE={bundle} (requests)" in line
        assert f"SSL_CERT_FILE={bundle} (most other clients)" in line
        assert "verify=" not in line
        assert "server." not in line
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


class TestMistakeText:
    """What the ``no request:`` line says: command lines, never Python."""

    PEER = ("127.0.0.1", 50312)
    URL = "https://127.0.0.1:8443"

    def test_untrusted_certificate(self) -> None:
        """The curl line and both variables, for a client that refused the CA."""
        trust = Trust("/tmp/ca.pem", self.URL)
        text = explain_mistake(ClientMistake("untrusted-certificate", self.PEER, 0.0), "", trust)
        assert text == (
            "The client at 127.0.0.1:50312 refused this server's certificate at the TLS "
            "handshake: the client does not trust the test CA; use curl --cacert "
            "/tmp/ca.pem https://127.0.0.1:8443/, or set REQUESTS_CA_BUNDLE=/tmp/ca.pem "
            "(requests) or SSL_CERT_FILE=/tmp/ca.pem (most other clients)"
        )

    @pytest.mark.parametrize(
        "kind", ["rejected-certificate", "no-client-certificate", "bad-client-certificate"]
    )
    def test_client_certificate_mistakes_show_the_full_curl_line(self, kind: str) -> None:
        """With --client-cert, the curl line carries the certificate and key."""
        trust = Trust("/tmp/ca.pem", self.URL, "/tmp/c.pem", "/tmp/k.pem")
        text = explain_mistake(ClientMistake(kind, self.PEER, 0.0), self.URL, trust)
        assert text.startswith("The client at 127.0.0.1:50312 ")
        assert text.endswith(
            "curl --cacert /tmp/ca.pem --cert /tmp/c.pem --key /tmp/k.pem https://127.0.0.1:8443/"
        )
        assert "server." not in text

    def test_ipv6_peer(self) -> None:
        """An IPv6 client is written as in a URL."""
        text = explain_mistake(
            ClientMistake("tls-to-plain", ("::1", 4000, 0, 0), 0.0), "http://[::1]:8000", None
        )
        assert text.startswith("The client at [::1]:4000 started a TLS handshake")

    def test_other_mistakes_keep_the_library_text(self) -> None:
        """Mistakes the library words without Python (plain HTTP to TLS) read the same."""
        library = "The client sent plain HTTP to this HTTPS server: use " + self.URL
        mistake = ClientMistake("plain-to-tls", self.PEER, 0.0, library)
        text = explain_mistake(mistake, self.URL, None)
        assert text == library
        assert "sent plain HTTP to this HTTPS server" in text
        assert f"use {self.URL}" in text
