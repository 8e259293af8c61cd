"""One server in the foreground: it listens safely and every SIGINT/SIGTERM stops it."""

from __future__ import annotations

import signal

import requests

from localserver import HTTPServer

from ._cli_process import CLIProcess, run_cli
from .conftest import TIMEOUT


class TestSignals:
    def test_sigterm_after_requests_counts_them(self) -> None:
        """SIGTERM stops the server with the same summary and status 0 as Ctrl-C."""
        with CLIProcess("http", "--port", "0") as proc:
            url = proc.wait_line("err", r"listening on (http://\S+)").group(1)
            requests.get(url, timeout=TIMEOUT)
            proc.wait_line("out", r"GET /")
            assert proc.stop(signal.SIGTERM) == 0
        assert proc.lines["err"][-1] == "stopped: 1 request received"


class TestListening:
    def test_busy_port(self) -> None:
        """A busy port is one line on stderr and exit status 2."""
        with HTTPServer() as holder:
            result = run_cli("http", "--port", str(holder.port))
        assert result.returncode == 2
        assert result.stderr.count("\n") == 1
        assert f"cannot listen on 127.0.0.1:{holder.port}" in result.stderr
        assert "pass --port 0 to get a free one" in result.stderr
        assert "Traceback" not in result.stderr

    def test_non_loopback_host_warns(self) -> None:
        """An address beyond loopback prints a warning first (here it cannot bind: exit 2)."""
        result = run_cli("http", "--port", "0", "--host", "192.0.2.1")
        assert "warning: listening on 192.0.2.1" in result.stderr
        assert result.returncode == 2
        assert "cannot listen on 192.0.2.1:0" in result.stderr
