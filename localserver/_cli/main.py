"""The ``python -m localserver`` parser, built from the table of subcommands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TextIO

from .._version import __version__
from .command import CLIError, Subcommand
from .console import Console
from .http import HTTP, HTTPS
from .migrate import MIGRATE, run_migrate
from .smtp import SMTP

__all__ = ["SUBCOMMANDS", "build_parser", "main"]

USAGE_ERROR = 2

# Every subcommand, in the order --help lists them. A new one is a module that
# defines a Subcommand, imported above and named here.
SUBCOMMANDS: tuple[Subcommand, ...] = (HTTP, HTTPS, SMTP, MIGRATE)


def build_parser(subcommands: Sequence[Subcommand] = SUBCOMMANDS) -> argparse.ArgumentParser:
    """The parser for ``python -m localserver`` and each of *subcommands*."""
    parser = argparse.ArgumentParser(
        prog="python -m localserver",
        description="Debugging servers on loopback: print every request or mail that arrives.",
    )
    parser.add_argument("--version", action="version", version=f"localserver {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in subcommands:
        command.add_options(
            sub.add_parser(command.name, help=command.help, description=command.description)
        )
    return parser


def main(
    argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Run the CLI; return the exit status.

    Args:
        argv: The arguments after ``python -m localserver`` (default: ``sys.argv[1:]``).
        out: Where requests and mails are printed (default: stdout).
        err: Where messages go (default: stderr).
    """
    arguments = sys.argv[1:] if argv is None else list(argv)
    if arguments[:1] == ["migrate"]:
        # migrate parses its own options (argparse would take its --flags for ours).
        return run_migrate(arguments[1:], out, err)
    console = Console(out or sys.stdout, err or sys.stderr)
    parser = build_parser()
    args = parser.parse_args(arguments)
    run = {command.name: command.run for command in SUBCOMMANDS}[args.command]
    try:
        return run(args, console)
    except CLIError as exc:
        console.note(f"{parser.prog} {args.command}: error: {exc}")
        return USAGE_ERROR
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): nothing left to say to it.
        return 0
