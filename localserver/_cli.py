"""``python -m localserver``: debugging servers in the foreground.

Each subcommand starts one server, prints what arrives until Ctrl-C or SIGTERM, then
prints a summary line. Errors a user can fix (a busy port, a bad option, an
unreadable file) are one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import ipaddress
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType
from typing import Any, Callable, TextIO

from ._journal import Journal
from ._version import __version__

__all__ = ["main"]

USAGE_ERROR = 2


class CLIError(Exception):
    """A problem the user can fix; printed as one line, exit status 2."""


class _Stop(Exception):
    """Raised in the main thread by SIGINT/SIGTERM."""


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
    """Turns SIGINT and SIGTERM into a stop that interrupts a wait, never a print."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.waiting = False

    def handler(self, signum: int, frame: FrameType | None) -> None:
        first = not self.stop.is_set()
        self.stop.set()
        if first and self.waiting:
            raise _Stop


def follow(journal: Journal, emit: Callable[[Any], None], gate: SignalGate) -> int:
    """Print each journal entry as it arrives until the gate closes; return the count.

    Entries are taken out of the journal once printed, so a long session does not
    grow in memory.
    """
    count = 0
    try:
        while not gate.stop.is_set():
            gate.waiting = True
            try:
                with journal.changed:
                    journal.changed.wait_for(lambda: len(journal) > 0 or gate.stop.is_set())
            except _Stop:
                pass
            finally:
                gate.waiting = False
            for item in journal.drain():
                count += 1
                emit(item)
    except _Stop:  # raised between two bytecodes of the wait's bookkeeping
        pass
    for item in journal.drain():  # whatever arrived during shutdown
        count += 1
        emit(item)
    return count


def run_server(
    args: argparse.Namespace,
    console: Console,
    make: Callable[[argparse.Namespace], Any],
    describe: Callable[[Any, Console], None],
    journal_of: Callable[[Any], Journal],
    emit: Callable[[Any, Console], None],
    noun: tuple[str, str],
) -> int:
    """Start the server *make* builds, print what arrives, stop on a signal."""
    gate = SignalGate()
    previous = {sig: signal.signal(sig, gate.handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    server = None
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
            raise CLIError(str(exc)) from None
        describe(server, console)
        console.note("Press Ctrl-C to stop.")
        count = follow(journal_of(server), lambda item: emit(item, console), gate)
    finally:
        gate.stop.set()  # from here on a signal changes nothing: the server is stopping
        try:
            if server is not None:
                server.stop()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
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
    return status
