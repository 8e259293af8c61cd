"""One server in the foreground: start, print what arrives, stop on a signal, sum up."""

from __future__ import annotations

import argparse
import ipaddress
from typing import Any, Callable, Protocol, TypeVar

from .._journal import Journal
from .._web import CLIWeb
from .command import CLIError
from .console import Console, Follower, SignalGate

__all__ = ["run_server"]


class _Server(Protocol):
    def start(self) -> object: ...

    def stop(self) -> None: ...


_S = TypeVar("_S", bound=_Server)


def is_loopback(host: str) -> bool:
    """Whether *host* (a name or an address, IPv6 with or without brackets) is loopback."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def run_server(
    args: argparse.Namespace,
    console: Console,
    make: Callable[[argparse.Namespace], _S],
    describe: Callable[[_S, Console], None],
    journal_of: Callable[[_S], Journal[Any]],
    emit: Callable[[Any, Console], bool],
    noun: tuple[str, str],
    web: CLIWeb | None = None,
) -> int:
    """Start the server *make* builds, print what arrives, stop on SIGINT or SIGTERM.

    Args:
        args: The parsed options (``host`` is read for the loopback warning).
        console: Where to write.
        make: Builds the server, not started yet.
        describe: Prints how to reach the started server.
        journal_of: The server's journal of arrivals (requests, mails).
        emit: Prints one arrival; returns whether it counts in the summary.
        noun: Singular and plural of what the summary counts.
        web: The live web page (``--web-port``) that shows what arrives, too.

    Returns:
        The exit status, 0.

    Raises:
        CLIError: The server cannot listen (e.g. the port is busy).
    """
    gate = SignalGate()
    try:
        # Before the port opens: a client that sees it open may signal at once. The
        # gate stays until the summary is out, so a late second Ctrl-C is harmless.
        gate.install()
        count = _serve_until_stopped(args, console, gate, make, describe, journal_of, emit, web)
        word = noun[0] if count == 1 else noun[1]
        console.note(f"stopped: {count} {word} received")
    finally:
        gate.close()
    return 0


def _serve_until_stopped(
    args: argparse.Namespace,
    console: Console,
    gate: SignalGate,
    make: Callable[[argparse.Namespace], _S],
    describe: Callable[[_S, Console], None],
    journal_of: Callable[[_S], Journal[Any]],
    emit: Callable[[Any, Console], bool],
    web: CLIWeb | None,
) -> int:
    """Run the server until *gate* opens; return how many arrivals were counted."""
    server: _S | None = None
    follower = None
    try:
        if not is_loopback(args.host):
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
        finally:
            count = follower.finish() if follower is not None else 0
            if web is not None:
                web.stop()
    if follower is not None and follower.error is not None:
        raise follower.error
    return count
