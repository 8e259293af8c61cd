"""Where the CLI writes, how it learns to stop, and the thread that prints arrivals."""

from __future__ import annotations

import select
import signal
import socket
import threading
from types import FrameType
from typing import Any, Callable, Optional, TextIO, Union

from .._journal import Journal

__all__ = ["Console", "Follower", "SignalGate"]

# The signals that stop a foreground server.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)

# What signal.signal() returns and takes back.
_Handler = Union[Callable[[int, Optional[FrameType]], Any], int, signal.Handlers, None]


class Console:
    """Where a subcommand writes: records to stdout, messages to stderr."""

    def __init__(self, out: TextIO, err: TextIO) -> None:
        self.out = out
        self.err = err

    def record(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def note(self, text: str) -> None:
        self.err.write(text + "\n")
        self.err.flush()


class SignalGate:
    """SIGINT and SIGTERM as a stop request, noticed whichever thread receives them.

    The operating system hands a signal to any thread of the process, while Python
    runs the handler only on the main thread, between two bytecodes: a main thread
    asleep in ``select()`` would never get to run it. So the gate's socket pair is
    also the interpreter's wake-up descriptor (:func:`signal.set_wakeup_fd`): the
    C-level handler writes the signal's number there from whichever thread the
    signal interrupts, and :meth:`wait` stops on that byte alone.

    The Python handler only sets a flag and writes a byte: it takes no lock and
    raises nothing, so a signal can arrive at any moment (while output is written,
    while a lock is held) without harm.
    """

    def __init__(self) -> None:
        self.stopping = False
        self._reader, self._writer = socket.socketpair()
        # set_wakeup_fd needs a non-blocking descriptor; a full buffer just means a
        # byte is waiting already.
        self._reader.setblocking(False)
        self._writer.setblocking(False)
        self._wake_bytes = frozenset({0, *(int(sig) for sig in STOP_SIGNALS)})
        self._previous_handlers: dict[signal.Signals, _Handler] = {}
        self._previous_wakeup: int | None = None

    def install(self) -> None:
        """Take over SIGINT and SIGTERM (call it on the main thread).

        Call it before the server listens: from then on no signal finds the
        interpreter's default handlers, whatever the main thread is doing.
        """
        self._previous_wakeup = signal.set_wakeup_fd(
            self._writer.fileno(), warn_on_full_buffer=False
        )
        for sig in STOP_SIGNALS:
            self._previous_handlers[sig] = signal.signal(sig, self._handler)

    def uninstall(self) -> None:
        """Give SIGINT and SIGTERM back to the handlers found by :meth:`install`."""
        for sig, handler in self._previous_handlers.items():
            signal.signal(sig, handler)
        self._previous_handlers.clear()
        if self._previous_wakeup is not None:
            signal.set_wakeup_fd(self._previous_wakeup)
            self._previous_wakeup = None

    def _handler(self, signum: int, frame: FrameType | None) -> None:
        self.trip()

    def trip(self) -> None:
        """Ask :meth:`wait` to return (from any thread, or a signal handler)."""
        self.stopping = True
        try:
            self._writer.send(b"\0")
        except OSError:  # the buffer is full: a byte is waiting already
            pass

    def wait(self) -> None:
        """Sleep until a stop request: SIGINT or SIGTERM on any thread, or :meth:`trip`."""
        while not self.stopping:
            select.select([self._reader], [], [])
            try:
                data = self._reader.recv(4096)
            except BlockingIOError:
                continue
            # The bytes are signal numbers (or trip's 0): wake on ours, ignore the
            # numbers of signals someone else handles.
            if not self._wake_bytes.isdisjoint(data):
                self.stopping = True

    def close(self) -> None:
        """Uninstall (if installed) and close the socket pair."""
        self.uninstall()
        self._reader.close()
        self._writer.close()


class Follower(threading.Thread):
    """Prints each journal entry as it arrives, on a thread of its own.

    Entries are taken out of the journal once printed, so a long session does not
    grow in memory. *emit* returns whether the entry counts in the summary (a note
    about a client's mistake does not).
    """

    def __init__(
        self, journal: Journal[Any], emit: Callable[[Any], bool], gate: SignalGate
    ) -> None:
        super().__init__(name="localserver-cli-printer", daemon=True)
        self.journal = journal
        self.emit = emit
        self.gate = gate
        self.count = 0
        self.error: BaseException | None = None
        self.done = False

    def run(self) -> None:
        try:
            while not self.done:
                with self.journal.changed:
                    self.journal.changed.wait_for(lambda: len(self.journal) > 0 or self.done)
                for item in self.journal.drain():
                    self.count += self.emit(item)
        except BaseException as exc:  # e.g. stdout closed: stop the server too
            self.error = exc
            self.gate.trip()

    def finish(self) -> int:
        """Print what is left, stop the thread and return how many entries it printed."""
        with self.journal.changed:
            self.done = True
            self.journal.changed.notify_all()
        self.join()
        if self.error is None:
            for item in self.journal.drain():
                self.count += self.emit(item)
        return self.count
