"""``--web-port`` and ``--web-host`` on ``python -m localserver http|https|smtp``."""

from __future__ import annotations

import signal
import smtplib
import socket
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
import requests

from localserver._cli.main import build_parser
from localserver._web import web_for

from ._cli_process import CLIProcess, run_cli
from ._web import EventReader
from .conftest import TIMEOUT


@pytest.fixture
def cli() -> Iterator[type[CLIProcess]]:
    """Factory of CLI processes; every one made is stopped after the test."""
    made: list[CLIProcess] = []

    class Tracked(CLIProcess):
        def __init__(self, *args: str, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            made.append(self)

    yield Tracked
    for proc in made:
        proc.close()


__all__ = ["cli"]  # the fixture, imported from test_cli


def web_url(proc: CLIProcess) -> str:
    return proc.wait_line("err", r"^web page: (http://\S+)/$").group(1)


class TestOptions:
    def test_no_option_no_page(self) -> None:
        """Without either option there is no web page."""
        assert web_for(build_parser().parse_args(["smtp"])) is None

    def test_host_alone_uses_the_usual_port(self) -> None:
        """--web-host alone serves the page on 8025."""
        web = web_for(build_parser().parse_args(["http", "--web-host", "::1"]))
        assert web is not None
        assert (web.host, web.port) == ("::1", 8025)

    def test_bad_port_is_a_usage_error(self) -> None:
        """A --web-port that is no port exits 2 and names the value."""
        result = run_cli("smtp", "--web-port", "70000")
        assert result.returncode == 2
        assert "invalid port '70000'" in result.stderr


class TestSMTP:
    def test_mail_appears_on_the_page(self, cli: type[CLIProcess]) -> None:
        """A mail sent to the sink is announced on the event stream and listed."""
        proc = cli("smtp", "--port", "0", "--web-port", "0")
        port = int(proc.wait_line("err", r"listening on smtp://127\.0\.0\.1:(\d+)").group(1))
        url = web_url(proc)
        proc.wait_line("err", "Press Ctrl-C")
        reader = EventReader(f"{url}/api/events")
        try:
            assert reader.next()[0] == "hello"
            message = EmailMessage()
            message["From"] = "ann@example.com"
            message["To"] = "bob@example.com"
            message["Subject"] = "Seen on the page"
            message.set_content("hello")
            with smtplib.SMTP("127.0.0.1", port, timeout=TIMEOUT) as client:
                client.send_message(message, to_addrs=["bob@example.com", "eve@example.com"])
            name, data, _ = reader.next()
            assert (name, data["summary"]["subject"]) == ("added", "Seen on the page")
        finally:
            reader.close()
        (item,) = requests.get(f"{url}/api/messages", timeout=TIMEOUT).json()["items"]
        assert item["bcc"] == ["eve@example.com"]
        assert requests.get(f"{url}/api/requests", timeout=TIMEOUT).status_code == 404
        proc.wait_line("out", r"mail from <ann@example\.com>")
        assert proc.stop(signal.SIGINT) == 0
        assert proc.lines["err"][-1] == "stopped: 1 mail received"
        with pytest.raises(requests.ConnectionError):
            requests.get(f"{url}/api/info", timeout=TIMEOUT)


class TestHTTP:
    def test_request_and_response_appear_on_the_page(self, cli: type[CLIProcess]) -> None:
        """Each request is shown with the response the server sent."""
        proc = cli("http", "--port", "0", "--status", "201", "--body", "made", "--web-port", "0")
        target = proc.wait_line("err", r"listening on (http://\S+)").group(1)
        url = web_url(proc)
        reader = EventReader(f"{url}/api/events")
        try:
            assert reader.next()[0] == "hello"
            requests.post(f"{target}/hook?x=1", json={"a": 1}, timeout=TIMEOUT)
            name, data, _ = reader.next()
            assert (name, data["summary"]["target"], data["summary"]["status"]) == (
                "added",
                "/hook?x=1",
                201,
            )
        finally:
            reader.close()
        detail = requests.get(f"{url}{data['summary']['url']}", timeout=TIMEOUT).json()
        assert detail["body"]["json"] == '{\n  "a": 1\n}'
        assert detail["response"]["body"]["text"] == "made"
        assert proc.stop(signal.SIGTERM) == 0
        assert proc.lines["err"][-1] == "stopped: 1 request received"

    def test_https_client_certificate(self, cli: type[CLIProcess]) -> None:
        """Over mutual TLS the page names the client certificate's subject."""
        proc = cli("https", "--port", "0", "--client-cert", "--web-port", "0")
        target = proc.wait_line("err", r"listening on (https://\S+)").group(1)
        bundle = proc.wait_line("err", r"^CA bundle: (\S+)").group(1)
        cert = proc.wait_line("err", r"^client certificate: (\S+)").group(1)
        key = proc.wait_line("err", r"^client key: (\S+)").group(1)
        url = web_url(proc)
        reader = EventReader(f"{url}/api/events")
        try:
            assert reader.next()[0] == "hello"
            requests.get(f"{target}/", verify=bundle, cert=(cert, key), timeout=TIMEOUT)
            _, data, _ = reader.next()
        finally:
            reader.close()
        assert "CN=localserver-cli-client" in data["summary"]["client_cert_subject"]
        assert proc.stop() == 0

    def test_busy_web_port_is_a_clean_error(self) -> None:
        """A web port in use ends the run with status 2 and a hint, no traceback."""
        with socket.socket() as holder:
            holder.bind(("127.0.0.1", 0))
            holder.listen(1)
            port = holder.getsockname()[1]
            result = run_cli("http", "--port", "0", "--web-port", str(port))
        assert result.returncode == 2
        assert f"web page: cannot listen on 127.0.0.1:{port}" in result.stderr
        assert "pass --web-port 0" in result.stderr
        assert "Traceback" not in result.stderr

    def test_public_web_host_warns(self) -> None:
        """A --web-host beyond loopback is warned about before anything is served."""
        # 192.0.2.1 (TEST-NET-1) is never this machine's: the warning, then a clean error.
        result = run_cli("smtp", "--port", "0", "--web-host", "192.0.2.1", "--web-port", "0")
        assert "warning: --web-host 192.0.2.1 makes the web page reachable" in result.stderr
        assert result.returncode == 2
        assert "Traceback" not in result.stderr
