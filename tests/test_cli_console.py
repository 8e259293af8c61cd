"""The CLI's console helpers: the SIGINT/SIGTERM gate and the printing thread."""

from __future__ import annotations

import io
import signal
import sys
import threading
from collections.abc import Iterator

import pytest

from localserver._cli.console import Console, Follower, SignalGate
from localserver._journal import Journal

from .conftest import TIMEOUT

needs_main_thread = pytest.mark.skipif(
    threading.current_thread() is not threading.main_thread(),
    reason="signal handlers are installed from the main thread only",
)


@pytest.fixture
def gate() -> Iterator[SignalGate]:
    made = SignalGate()
    yield made
    made.close()


class _Watchdog:
    """Trips *gate* after TIMEOUT seconds, so a gate that never opens fails, not hangs."""

    def __init__(self, gate: SignalGate) -> None:
        self.fired = False
        self.gate = gate
        self.timer = threading.Timer(TIMEOUT, self._fire)

    def _fire(self) -> None:
        self.fired = True
        self.gate.trip()

    def __enter__(self) -> _Watchdog:
        self.timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.timer.cancel()
        self.timer.join()


class TestSignalGate:
    def test_trip_from_another_thread_opens_it(self, gate: SignalGate) -> None:
        """trip() (used when printing fails) wakes the waiting thread."""
        threading.Thread(target=gate.trip).start()
        with _Watchdog(gate) as watchdog:
            gate.wait()
        assert gate.stopping
        assert not watchdog.fired

    @needs_main_thread
    @pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals only")
    @pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
    @pytest.mark.parametrize("delay", [0, 0.001, 0.01, 0.05])
    def test_a_signal_on_another_thread_opens_it(
        self, gate: SignalGate, sig: int, delay: float
    ) -> None:
        """A signal the kernel hands to another thread still wakes the main thread."""

        def signal_this_thread() -> None:
            threading.Event().wait(delay)  # a deliberately varied moment
            signal.pthread_kill(threading.get_ident(), sig)

        gate.install()
        sender = threading.Thread(target=signal_this_thread)
        with _Watchdog(gate) as watchdog:
            sender.start()
            gate.wait()
        sender.join()
        assert not watchdog.fired, "the gate missed a signal delivered to another thread"

    @needs_main_thread
    def test_install_and_close_give_the_signals_back(self) -> None:
        """Handlers and the wake-up descriptor are as before once the gate closes."""
        handlers = (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM))
        wakeup = signal.set_wakeup_fd(-1)
        signal.set_wakeup_fd(wakeup)
        gate = SignalGate()
        gate.install()
        try:
            assert signal.getsignal(signal.SIGINT) != handlers[0]
        finally:
            gate.close()
        assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == handlers
        assert signal.set_wakeup_fd(wakeup) == wakeup


class TestFollower:
    def test_prints_and_counts_what_arrives(self, gate: SignalGate) -> None:
        """Each entry is printed once, counted when emit says so, and taken out."""
        journal = Journal()
        out = io.StringIO()
        console = Console(out, io.StringIO())

        def emit(item: str) -> bool:
            console.record(item)
            return item != "note"

        follower = Follower(journal, emit, gate)
        follower.start()
        for item in ("a", "note", "b"):
            journal.append(item)
        assert follower.finish() == 2
        assert out.getvalue() == "a\nnote\nb\n"
        assert len(journal) == 0

    def test_a_failure_to_print_stops_the_server(self, gate: SignalGate) -> None:
        """When printing fails (stdout closed), the gate opens and the error is kept."""
        journal = Journal()

        def emit(item: object) -> bool:
            raise BrokenPipeError("stdout closed")

        follower = Follower(journal, emit, gate)
        follower.start()
        journal.append("a request")
        with _Watchdog(gate) as watchdog:
            gate.wait()
        assert not watchdog.fired
        follower.finish()
        assert isinstance(follower.error, BrokenPipeError)
