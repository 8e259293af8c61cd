"""``python -m localserver migrate``: the codemod of :mod:`localserver._migrate`, as a subcommand.

``migrate`` parses its own options (``main`` hands it every argument after its
name), so this entry only lists it in ``python -m localserver --help``.
"""

from __future__ import annotations

import argparse

from .._migrate import run as run_migrate
from .command import Subcommand
from .console import Console

__all__ = ["MIGRATE", "run_migrate"]


def _run(args: argparse.Namespace, console: Console) -> int:
    return run_migrate(list(getattr(args, "rest", [])), console.out, console.err)


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)


MIGRATE = Subcommand(
    name="migrate",
    help="rewrite a pytest-httpserver or pytest-localserver suite for localserver",
    description="Rewrite imports, plugin loading and settings; see migrate --help.",
    add_options=_options,
    run=_run,
)
