"""``python -m localserver``: the parser, its table of subcommands, and main()."""

from __future__ import annotations

import argparse
import ast
import io
import signal
from pathlib import Path

import pytest

from localserver import __version__
from localserver._cli import main
from localserver._cli.command import Subcommand
from localserver._cli.console import Console
from localserver._cli.main import SUBCOMMANDS, build_parser

from ._cli_process import run_cli

CLI_PACKAGE = Path(__file__).resolve().parent.parent / "localserver" / "_cli"


def _imports_within_the_package(path: Path) -> set[str]:
    """The sibling modules *path* imports (``from .x import ...``, ``from . import x``)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(alias.name for alias in node.names)
    return found


class TestHelp:
    def test_version(self) -> None:
        """--version prints the package version."""
        result = run_cli("--version")
        assert (result.returncode, result.stdout.strip()) == (0, f"localserver {__version__}")

    @pytest.mark.parametrize("command", ["http", "https", "smtp"])
    def test_help_per_subcommand(self, command: str) -> None:
        """Each subcommand has --help listing its options."""
        result = run_cli(command, "--help")
        assert result.returncode == 0
        assert "--port" in result.stdout
        assert "--host" in result.stdout


class TestErrors:
    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (["http", "--port", "-1"], "invalid port -1"),
            (["http", "--port", "http"], "invalid port 'http'"),
            (["http", "--status", "abc"], "invalid status 'abc'"),
            (["nope"], "invalid choice: 'nope'"),
            ([], "required: COMMAND"),
            (["smtp", "--auth", "nopassword"], "invalid auth 'nopassword'"),
            (["smtp", "--starttls", "--smtps"], "not allowed with argument"),
            (["https", "--port", "99999"], "invalid port 99999"),
        ],
    )
    def test_bad_options(self, args: list[str], message: str) -> None:
        """Bad options give a usage error, exit status 2, no traceback."""
        result = run_cli(*args)
        assert result.returncode == 2
        assert message in result.stderr
        assert "Traceback" not in result.stderr

    def test_user_error_is_one_line_and_status_2(self, tmp_path: Path) -> None:
        """A CLIError becomes ``prog command: error: ...`` on stderr, status 2."""
        out, err = io.StringIO(), io.StringIO()
        missing = tmp_path / "missing"
        status = main(["http", "--port", "0", "--body", f"@{missing}"], out, err)
        assert status == 2
        assert out.getvalue() == ""
        assert err.getvalue().startswith("python -m localserver http: error: cannot read body")
        assert err.getvalue().count("\n") == 1

    def test_signal_handlers_are_given_back(self, tmp_path: Path) -> None:
        """main() called in-process leaves SIGINT and SIGTERM as it found them."""
        before = (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM))
        wakeup = signal.set_wakeup_fd(-1)
        signal.set_wakeup_fd(wakeup)
        # The server is built after the signals are taken over: a bad --body fails there.
        args = ["http", "--port", "0", "--body", f"@{tmp_path / 'missing'}"]
        assert main(args, io.StringIO(), io.StringIO()) == 2
        assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before
        assert signal.set_wakeup_fd(wakeup) == wakeup


class TestTable:
    def test_lists_every_subcommand(self) -> None:
        """The table names http, https, smtp and migrate, in --help's order."""
        assert [c.name for c in SUBCOMMANDS] == ["http", "https", "smtp", "migrate"]

    def test_one_entry_makes_a_subcommand(self) -> None:
        """A Subcommand in the table is all a new subcommand needs to parse its options."""

        def options(parser: argparse.ArgumentParser) -> None:
            parser.add_argument("--level", type=int, default=1)

        def run(args: argparse.Namespace, console: Console) -> int:
            return int(args.level)

        extra = Subcommand("extra", "an extra command", "Does extra things.", options, run)
        parser = build_parser((*SUBCOMMANDS, extra))
        args = parser.parse_args(["extra", "--level", "3"])
        assert (args.command, args.level) == ("extra", 3)
        assert "an extra command" in parser.format_help()


class TestLayout:
    def test_modules_import_each_other_without_a_cycle(self) -> None:
        """Each module of localserver._cli imports only modules that do not import it back."""
        graph = {path.stem: _imports_within_the_package(path) for path in CLI_PACKAGE.glob("*.py")}
        order: list[str] = []
        while graph:
            leaves = sorted(name for name, deps in graph.items() if deps <= set(order))
            assert leaves, f"import cycle among {sorted(graph)}: {graph}"
            order.extend(leaves)
            for name in leaves:
                del graph[name]
        assert order[-1] == "__init__"
