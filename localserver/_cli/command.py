"""What a subcommand is, the options every server subcommand shares, and user errors."""

from __future__ import annotations

import argparse
from typing import Callable, NamedTuple

from .console import Console

__all__ = ["CLIError", "Subcommand", "add_common_options", "port_number"]


class CLIError(Exception):
    """A problem the user can fix; printed as one line, exit status 2."""


class Subcommand(NamedTuple):
    """One ``python -m localserver`` subcommand, as the table in ``main`` lists it.

    Attributes:
        name: What the user types, e.g. ``"http"``.
        help: Its line in ``python -m localserver --help``.
        description: The first paragraph of its own ``--help``.
        add_options: Adds its options to the parser made for it.
        run: Runs it with the parsed options; returns the exit status, or raises
            :class:`CLIError` for a problem the user can fix.
    """

    name: str
    help: str
    description: str
    add_options: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace, Console], int]


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
    """--host and --port, shared by every server subcommand."""
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
