"""One server in the foreground: it listens safely and every SIGINT/SIGTERM stops it."""

from __future__ import annotations

import signal
import sys
import time

import pytest
import requests

from localserver import HTTPServer

from ._cli_process import CLIProcess, run_cli
from .conftest import TIMEOUT

LISTENING = r"listening on (\S+)"
SUMMARY = {"http": "stopped: 0 requests received", "smtp": "stopped: 0 mails received"}
SUMMARY["https"] = SUMMARY["http"]

# Moments after the "listening" line, in milliseconds: while the rest of the start-up
# lines are written, while the printing thread starts, and once all sleep in select().
OFFSETS_MS = (0, 0.1, 0.3, 1, 2, 3, 5, 10, 20, 50)
MOMENTS = [
    *((command, offset) for command in ("http",) for offset in OFFSETS_MS),
    *((command, offset) for command in ("https", "smtp") for offset in (0, 1, 10)),
]
SIGNALS = [pytest.param(signal.SIGINT, id="SIGINT"), pytest.param(signal.SIGTERM, id="SIGTERM")]


# Runs the CLI with one more thread which, told a signal number on stdin, waits until
# the main thread is inside SignalGate.wait() and sends that signal to itself: the
# signal lands on a thread other than the main one, which sits in select().
_SIGNAL_FROM_A_THREAD = """
import signal, sys, threading
from localserver._cli import main

def in_gate_wait():
    frame = sys._current_frames().get(threading.main_thread().ident)
    return (
        frame is not None
        and frame.f_code.co_name == "wait"
        and frame.f_globals.get("__name__") == "localserver._cli.console"
    )

def signal_this_thread():
    sig = int(sys.stdin.readline())
    while not in_gate_wait():  # no event marks it: spin
        pass
    signal.pthread_kill(threading.get_ident(), sig)

threading.Thread(target=signal_this_thread, daemon=True).start()
sys.exit(main(["http", "--port", "0"]))
"""


def _spin(seconds: float) -> None:
    """Busy-wait *seconds*: the moment itself is what the test varies, not a condition."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


class TestSignals:
    @pytest.mark.parametrize("sig", SIGNALS)
    @pytest.mark.parametrize(("command", "offset_ms"), MOMENTS)
    def test_a_signal_at_any_moment_after_start_stops_it(
        self, command: str, offset_ms: float, sig: int
    ) -> None:
        """A signal soon after the port opens stops the server: status 0, the summary."""
        with CLIProcess(command, "--port", "0") as proc:
            proc.wait_line("err", LISTENING)
            _spin(offset_ms / 1000)
            assert proc.stop(sig) == 0
        assert proc.lines["err"][-1] == SUMMARY[command]
        assert "Traceback" not in "\n".join(proc.lines["err"])

    @pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals only")
    @pytest.mark.parametrize("sig", SIGNALS)
    def test_a_signal_delivered_to_another_thread_stops_it(self, sig: int) -> None:
        """The main thread wakes even when the signal lands on a thread of the server's."""
        with CLIProcess(command=("-c", _SIGNAL_FROM_A_THREAD)) as proc:
            proc.wait_line("err", r"^Press Ctrl-C to stop\.$")
            proc.send(f"{int(sig)}\n")
            assert proc.finish() == 0
        assert proc.lines["err"][-1] == "stopped: 0 requests received"

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
