"""``python -m localserver``: run in a subprocess, fed real traffic, stopped by a signal."""

from __future__ import annotations

import json
import os
import re
import selectors
import signal
import smtplib
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
import requests

from localserver import HTTPServer, __version__

from .conftest import TIMEOUT

LINE_TIMEOUT = 20.0


class CLIProcess:
    """A running ``python -m localserver`` whose output lines can be awaited."""

    def __init__(self, *args: str) -> None:
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "localserver", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        self.selector = selectors.DefaultSelector()
        assert self.proc.stdout is not None
        assert self.proc.stderr is not None
        self.buffers = {"out": b"", "err": b""}
        self.selector.register(self.proc.stdout, selectors.EVENT_READ, "out")
        self.selector.register(self.proc.stderr, selectors.EVENT_READ, "err")
        self.lines: dict[str, list[str]] = {"out": [], "err": []}

    def _pump(self, deadline: float) -> bool:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        events = self.selector.select(remaining)
        for key, _ in events:
            data = os.read(key.fileobj.fileno(), 65536)  # type: ignore[union-attr]
            if not data:
                self.selector.unregister(key.fileobj)
                continue
            self.buffers[key.data] += data
            *complete, self.buffers[key.data] = self.buffers[key.data].split(b"\n")
            self.lines[key.data].extend(line.decode() for line in complete)
        return bool(events) or bool(self.selector.get_map())

    def wait_line(self, stream: str, pattern: str) -> re.Match[str]:
        """Wait for a line of *stream* ("out"/"err") matching *pattern*."""
        deadline = time.monotonic() + LINE_TIMEOUT
        seen = 0
        while True:
            for line in self.lines[stream][seen:]:
                match = re.search(pattern, line)
                if match:
                    return match
            seen = len(self.lines[stream])
            if not self._pump(deadline):
                raise AssertionError(
                    f"no line matching {pattern!r} on std{stream}; got {self.lines}"
                )

    def stop(self, sig: int = signal.SIGINT) -> int:
        self.proc.send_signal(sig)
        return self.finish()

    def finish(self) -> int:
        deadline = time.monotonic() + LINE_TIMEOUT
        while self.selector.get_map() and self._pump(deadline):
            pass
        code = self.proc.wait(timeout=LINE_TIMEOUT)
        for stream in ("out", "err"):
            if self.buffers[stream]:
                self.lines[stream].append(self.buffers[stream].decode())
                self.buffers[stream] = b""
        self.close()
        return code

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.selector.close()
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def cli() -> Iterator[type[CLIProcess]]:
    made: list[CLIProcess] = []

    class Tracked(CLIProcess):
        def __init__(self, *args: str) -> None:
            super().__init__(*args)
            made.append(self)

    yield Tracked
    for proc in made:
        proc.close()


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "localserver", *args],
        capture_output=True,
        text=True,
        timeout=LINE_TIMEOUT,
    )


class TestHTTPCommand:
    def test_prints_each_request_and_a_summary(self, cli: type[CLIProcess]) -> None:
        """Requests are answered as configured, printed, and counted at Ctrl-C."""
        proc = cli("http", "--port", "0", "--status", "201", "--body", "made")
        url = proc.wait_line("err", r"listening on (http://\S+)").group(1)
        response = requests.post(url + "/items?x=1", data=b"payload", timeout=TIMEOUT)
        assert (response.status_code, response.text) == (201, "made")
        proc.wait_line("out", r"POST /items\?x=1")
        proc.wait_line("out", r"body \(7 bytes\): payload")
        requests.get(url + "/second", timeout=TIMEOUT)
        proc.wait_line("out", r"GET /second")
        assert proc.stop(signal.SIGINT) == 0
        assert proc.lines["err"][-1] == "stopped: 2 requests received"

    def test_wrong_scheme_is_printed(self, cli: type[CLIProcess]) -> None:
        """https:// sent to the plain server is printed, and not counted as a request."""
        proc = cli("http", "--port", "0")
        url = proc.wait_line("err", r"listening on (http://\S+)").group(1)
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(url.replace("http://", "https://"), timeout=TIMEOUT)
        proc.wait_line("out", r"no request: .*started a TLS handshake on this plain HTTP server")
        assert proc.stop() == 0
        assert proc.lines["err"][-1] == "stopped: 0 requests received"

    def test_sigterm_stops_cleanly(self, cli: type[CLIProcess]) -> None:
        """SIGTERM stops the server with the same summary and status 0."""
        proc = cli("http", "--port", "0")
        url = proc.wait_line("err", r"listening on (http://\S+)").group(1)
        requests.get(url, timeout=TIMEOUT)
        proc.wait_line("out", r"GET /")
        assert proc.stop(signal.SIGTERM) == 0
        assert proc.lines["err"][-1] == "stopped: 1 request received"

    def test_json_lines(self, cli: type[CLIProcess]) -> None:
        """--json prints one parsable object per request on stdout."""
        proc = cli("http", "--port", "0", "--json")
        url = proc.wait_line("err", r"listening on (http://\S+)").group(1)
        requests.put(url + "/j?a=b", json={"k": 1}, headers={"X-Id": "7"}, timeout=TIMEOUT)
        line = proc.wait_line("out", r"^\{").string
        record = json.loads(line)
        assert record["method"] == "PUT"
        assert (record["path"], record["query"]) == ("/j", "a=b")
        assert record["headers"]["X-Id"] == "7"
        assert json.loads(record["body"]) == {"k": 1}
        assert record["body_size"] == len(b'{"k": 1}')
        assert proc.stop() == 0

    def test_body_from_a_file(self, cli: type[CLIProcess], tmp_path: Path) -> None:
        """--body @file serves the file's bytes."""
        page = tmp_path / "page.html"
        page.write_bytes(b"<h1>hi</h1>")
        proc = cli("http", "--port", "0", "--body", f"@{page}", "--content-type", "text/html")
        url = proc.wait_line("err", r"listening on (http://\S+)").group(1)
        response = requests.get(url, timeout=TIMEOUT)
        assert response.content == b"<h1>hi</h1>"
        assert response.headers["Content-Type"] == "text/html"
        assert proc.stop() == 0

    def test_non_loopback_host_warns(self) -> None:
        """An address beyond loopback prints a warning first (here it cannot bind: exit 2)."""
        result = run_cli("http", "--port", "0", "--host", "192.0.2.1")
        assert "warning: listening on 192.0.2.1" in result.stderr
        assert result.returncode == 2
        assert "cannot listen on 192.0.2.1:0" in result.stderr


class TestHTTPSCommand:
    def test_prints_the_trust_lines_and_verifies(self, cli: type[CLIProcess]) -> None:
        """The CA bundle it prints is what a verifying client needs."""
        proc = cli("https", "--port", "0", "--body", "secure")
        url = proc.wait_line("err", r"listening on (https://\S+)").group(1)
        bundle = proc.wait_line("err", r"^CA bundle: (\S+)").group(1)
        curl = proc.wait_line("err", r"^trust it: (curl .*)").group(1)
        assert curl == f"curl --cacert {bundle} {url}/"
        proc.wait_line("err", rf"REQUESTS_CA_BUNDLE={re.escape(bundle)} ")
        assert requests.get(url + "/s", verify=bundle, timeout=TIMEOUT).text == "secure"
        proc.wait_line("out", r"GET /s")
        assert proc.stop() == 0
        assert proc.lines["err"][-1] == "stopped: 1 request received"

    def test_plain_http_and_untrusted_clients_are_printed(self, cli: type[CLIProcess]) -> None:
        """http:// to the TLS port and a client without the CA are explained on stdout."""
        proc = cli("https", "--port", "0", "--json")
        url = proc.wait_line("err", r"listening on (https://\S+)").group(1)
        assert requests.get(url.replace("https://", "http://"), timeout=TIMEOUT).status_code == 400
        line = proc.wait_line("out", r'"error": .*sent plain HTTP to this HTTPS server').string
        assert set(json.loads(line)) == {"time", "error"}
        assert proc.stop() == 0

    def test_client_cert_mode(self, cli: type[CLIProcess]) -> None:
        """--client-cert requires a certificate and prints one that works."""
        proc = cli("https", "--port", "0", "--client-cert")
        url = proc.wait_line("err", r"listening on (https://\S+)").group(1)
        bundle = proc.wait_line("err", r"^CA bundle: (\S+)").group(1)
        cert = proc.wait_line("err", r"^client certificate: (\S+)").group(1)
        key = proc.wait_line("err", r"^client key: (\S+)").group(1)
        response = requests.get(url, verify=bundle, cert=(cert, key), timeout=TIMEOUT)
        assert response.status_code == 200
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(url, verify=bundle, timeout=TIMEOUT)
        assert proc.stop() == 0


def _mail_with_attachment() -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Ann <ann@example.com>"
    message["To"] = "bob@example.com"
    message["Subject"] = "Grüße"
    message.set_content("Hello Bob,\nsee attached.\n")
    message.add_attachment(
        b"%PDF-1.4 fake", maintype="application", subtype="pdf", filename="report.pdf"
    )
    return message


class TestSMTPCommand:
    def test_prints_envelope_headers_text_and_attachments(
        self, cli: type[CLIProcess], tmp_path: Path
    ) -> None:
        """Each mail is printed in full and saved as .eml with its bytes."""
        proc = cli("smtp", "--port", "0", "--save", str(tmp_path / "mails"))
        port = int(proc.wait_line("err", r"listening on smtp://127\.0\.0\.1:(\d+)").group(1))
        with smtplib.SMTP("127.0.0.1", port, local_hostname="tester", timeout=TIMEOUT) as client:
            client.send_message(_mail_with_attachment(), to_addrs=["bob@example.com", "cc@x.org"])
        proc.wait_line("out", r"mail from <ann@example\.com> to <bob@example\.com>, <cc@x\.org>")
        proc.wait_line("out", r"^    Subject: Grüße$")
        proc.wait_line("out", r"^    Hello Bob,$")
        proc.wait_line("out", r"attachment: report\.pdf \(application/pdf, 13 bytes\)")
        saved = Path(proc.wait_line("out", r"saved: (\S+)").group(1))
        assert saved.parent == tmp_path / "mails"
        assert b"Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=" in saved.read_bytes()
        assert proc.stop() == 0
        assert proc.lines["err"][-1] == "stopped: 1 mail received"

    def test_raw_mode(self, cli: type[CLIProcess]) -> None:
        """--raw prints the message bytes as received."""
        proc = cli("smtp", "--port", "0", "--raw")
        port = int(proc.wait_line("err", r"listening on smtp://127\.0\.0\.1:(\d+)").group(1))
        with smtplib.SMTP("127.0.0.1", port, local_hostname="t", timeout=TIMEOUT) as client:
            client.sendmail("a@x", ["b@x"], b"X-Raw: yes\r\n\r\nraw body\r\n")
        proc.wait_line("out", r"^X-Raw: yes$")
        proc.wait_line("out", r"^raw body$")
        assert proc.stop(signal.SIGTERM) == 0

    def test_starttls_and_auth(self, cli: type[CLIProcess]) -> None:
        """--starttls --auth user:pass: the printed CA verifies; wrong passwords get 535."""
        proc = cli("smtp", "--port", "0", "--starttls", "--auth", "ann:secret")
        port = int(proc.wait_line("err", r"listening on smtp://127\.0\.0\.1:(\d+)").group(1))
        bundle = proc.wait_line("err", r"^CA bundle: (\S+)").group(1)
        context = ssl.create_default_context(cafile=bundle)
        with smtplib.SMTP("localhost", port, local_hostname="t", timeout=TIMEOUT) as client:
            client.starttls(context=context)
            with pytest.raises(smtplib.SMTPAuthenticationError) as info:
                client.login("ann", "wrong")
            assert info.value.smtp_code == 535
            client.login("ann", "secret")
            client.sendmail("ann@x", ["b@x"], b"Subject: s\r\n\r\nbody\r\n")
        proc.wait_line("out", r"tls starttls, auth ann;")
        assert proc.stop() == 0


class TestErrors:
    def test_busy_port(self) -> None:
        """A busy port is one line on stderr and exit status 2."""
        with HTTPServer() as holder:
            result = run_cli("http", "--port", str(holder.port))
        assert result.returncode == 2
        assert result.stderr.count("\n") == 1
        assert f"cannot listen on 127.0.0.1:{holder.port}" in result.stderr
        assert "pass --port 0 to get a free one" in result.stderr
        assert "Traceback" not in result.stderr

    def test_unreadable_body_file(self, tmp_path: Path) -> None:
        """A missing --body file is one line and exit status 2."""
        result = run_cli("http", "--port", "0", "--body", f"@{tmp_path / 'missing'}")
        assert result.returncode == 2
        assert "cannot read body file" in result.stderr
        assert "Traceback" not in result.stderr

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (["http", "--port", "-1"], "invalid port -1"),
            (["http", "--port", "http"], "invalid port 'http'"),
            (["http", "--status", "abc"], "invalid status 'abc'"),
            (["nope"], "invalid choice: 'nope'"),
            ([], "required: COMMAND"),
            (["smtp", "--auth", "nopassword"], "invalid auth 'nopassword'"),
            (["smtp", "--starttls", "--smtps"], "not allowed with argument"),
            (["https", "--port", "99999"], "invalid port 99999"),
        ],
    )
    def test_bad_options(self, args: list[str], message: str) -> None:
        """Bad options give a usage error, exit status 2, no traceback."""
        result = run_cli(*args)
        assert result.returncode == 2
        assert message in result.stderr
        assert "Traceback" not in result.stderr


class TestHelp:
    def test_version(self) -> None:
        """--version prints the package version."""
        result = run_cli("--version")
        assert (result.returncode, result.stdout.strip()) == (0, f"localserver {__version__}")

    @pytest.mark.parametrize("command", ["http", "https", "smtp"])
    def test_help_per_subcommand(self, command: str) -> None:
        """Each subcommand has --help listing its options."""
        result = run_cli(command, "--help")
        assert result.returncode == 0
        assert "--port" in result.stdout
        assert "--host" in result.stdout
