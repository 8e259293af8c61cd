"""docs/cli.rst documents every option the CLI has."""

from __future__ import annotations

import argparse
from pathlib import Path

from localserver._cli.main import build_parser

DOC = (Path(__file__).resolve().parent.parent / "docs" / "cli.rst").read_text()


def _options(parser: argparse.ArgumentParser) -> set[str]:
    return {
        option
        for action in parser._actions
        for option in action.option_strings
        if option.startswith("--")
    }


def test_every_option_is_documented() -> None:
    """Each --option of each subcommand appears in docs/cli.rst."""
    parser = build_parser()
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    missing = set()
    for name, sub in subparsers.choices.items():
        assert f"``{name}``" in DOC, name
        missing |= {f"{name} {o}" for o in _options(sub) if f"``{o}" not in DOC}
    missing |= {o for o in _options(parser) if f"``{o}" not in DOC}
    assert not missing, f"options missing from docs/cli.rst: {sorted(missing)}"
