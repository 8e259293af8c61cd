"""``python -m localserver``: debugging servers in the foreground.

Each subcommand starts one server, prints what arrives until Ctrl-C or SIGTERM, then
prints a summary line. Errors a user can fix (a busy port, a bad option, an
unreadable file) are one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import ipaddress
import select
import signal
import socket
import sys
import threading
from collections.abc import Sequence
from types import FrameType
from typing import Any, Callable, TextIO

from ._journal import Journal
from ._version import __version__
from ._web import CLIWeb

__all__ = ["main"]

USAGE_ERROR = 2


class CLIError(Exception):
    """A problem the user can fix; printed as one line, exit status 2."""


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def port_number(text: str) -> int:
    """argparse type: a TCP port number 0-65535."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid port {text!r}: not a number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"invalid port {port}: must be between 0 and 65535")
    return port


def add_common_options(parser: argparse.ArgumentParser, default_port: int) -> None:
    """--host and --port, shared by every subcommand."""
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: 127.0.0.1; anything beyond loopback "
        "is reachable from other machines and prints a warning)",
    )
    parser.add_argument(
        "--port",
        type=port_number,
        default=default_port,
        help=f"port to listen on (default: {default_port}; 0 picks a free one)",
    )


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
    """SIGINT and SIGTERM as a stop request that never interrupts anything.

    The handler only sets a flag and writes a byte to a socket pair: it takes no
    lock and raises nothing, so a signal can arrive at any moment (while output is
    written, while a lock is held) without harm. The main thread sleeps in
    :meth:`wait` until that byte arrives.
    """

    def __init__(self) -> None:
        self.stopping = False
        self._reader, self._writer = socket.socketpair()

    def handler(self, signum: int, frame: FrameType | None) -> None:
        self.trip()

    def trip(self) -> None:
        self.stopping = True
        try:
            self._writer.send(b"\0")
        except OSError:  # the buffer is full: a byte is waiting already
            pass

    def wait(self) -> None:
        while not self.stopping:
            select.select([self._reader], [], [])
            self._reader.recv(64)

    def close(self) -> None:
        self._reader.close()
        self._writer.close()


class Follower(threading.Thread):
    """Prints each journal entry as it arrives, on a thread of its own.

    Entries are taken out of the journal once printed, so a long session does not
    grow in memory. *emit* returns whether the entry counts in the summary (a note
    about a client's mistake does not).
    """

    def __init__(self, journal: Journal, emit: Callable[[Any], bool], gate: SignalGate) -> None:
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


def run_server(
    args: argparse.Namespace,
    console: Console,
    make: Callable[[argparse.Namespace], Any],
    describe: Callable[[Any, Console], None],
    journal_of: Callable[[Any], Journal],
    emit: Callable[[Any, Console], bool],
    noun: tuple[str, str],
    web: CLIWeb | None = None,
) -> int:
    """Start the server *make* builds, print what arrives, stop on a signal.

    With *web* (``--web-port``), what arrives is also shown on a live web page.
    """
    gate = SignalGate()
    previous = {sig: signal.signal(sig, gate.handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    server = None
    follower = None
    try:
        if not _is_loopback(args.host):
            console.note(
                f"warning: listening on {args.host} makes this debugging server reachable "
                "from other machines; it is not hardened for that"
            )
        server = make(args)
        try:
            server.start()
        except OSError as exc:
            # The engine speaks Python (port=0); here the option is --port 0.
            raise CLIError(str(exc).replace("pass port=0", "pass --port 0")) from None
        describe(server, console)
        if web is not None:
            try:
                web.attach(server, console.note)
            except OSError as exc:
                raise CLIError(str(exc)) from None
        console.note("Press Ctrl-C to stop.")

        def show(item: Any) -> bool:
            if web is not None:
                web.feed(item)
            return emit(item, console)

        follower = Follower(journal_of(server), show, gate)
        follower.start()
        gate.wait()
    finally:
        try:
            if server is not None:
                server.stop()  # nothing arrives after this
            count = follower.finish() if follower is not None else 0
            if web is not None:
                web.stop()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            gate.close()
    if follower is not None and follower.error is not None:
        raise follower.error
    word = noun[0] if count == 1 else noun[1]
    console.note(f"stopped: {count} {word} received")
    return 0


def build_parser() -> argparse.ArgumentParser:
    from . import _cli_http, _cli_smtp

    parser = argparse.ArgumentParser(
        prog="python -m localserver",
        description="Debugging servers on loopback: print every request or mail that arrives.",
    )
    parser.add_argument("--version", action="version", version=f"localserver {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _cli_http.register(sub)
    _cli_smtp.register(sub)
    return parser


def main(
    argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Run the CLI; return the exit status."""
    console = Console(out or sys.stdout, err or sys.stderr)
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        status: int = args.run(args, console)
    except CLIError as exc:
        console.note(f"{parser.prog} {args.command}: error: {exc}")
        return USAGE_ERROR
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): nothing left to say to it.
        return 0
    return status
