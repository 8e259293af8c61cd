"""``python -m localserver migrate PATH...``: options, output and exit statuses.

Exit statuses: 0 done (or nothing to do); 1 ``--check`` found files to change, or a
file could not be read or parsed (reported with file and line, left unchanged, the
run goes on); 2 a usage error, or libcst missing.
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn, TextIO

__all__ = ["run"]

PROG = "python -m localserver migrate"
INSTALL_HINT = 'pip install "localserver[migrate]"'

DESCRIPTION = """\
Rewrite a test suite written for pytest-httpserver and/or pytest-localserver so
that it runs on localserver with the peer uninstalled: imports and dotted names,
pytest_plugins, -p options and required_plugins in pytest's configuration files,
and the loading of the replacement plugins where the suite relied on the peer's
installed entry point. Formatting and comments are kept. It ends with what needs
a human, each with file:line and the reason.
"""

EPILOG = """\
exit status: 0 done or nothing to do; 1 --check found changes, or a file could not
be read or parsed; 2 usage error.
"""


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error on the given stream, without exiting."""

    def __init__(self, err: TextIO) -> None:
        super().__init__(
            prog=PROG,
            description=DESCRIPTION,
            epilog=EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
            add_help=False,
        )
        self.err = err

    def error(self, message: str) -> NoReturn:
        self.print_usage(self.err)
        raise _UsageError(f"{self.prog}: error: {message}")


class _UsageError(Exception):
    pass


def _parser(err: TextIO) -> _Parser:
    parser = _Parser(err)
    parser.add_argument("-h", "--help", action="store_true", help="show this help and exit")
    parser.add_argument(
        "paths", nargs="+", metavar="PATH", type=Path, help="files or directories of the suite"
    )
    mode = parser.add_argument_group("what to do (default: write the files in place)")
    mode.add_argument("--diff", action="store_true", help="print a unified diff and write nothing")
    mode.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if a file would change (for CI)",
    )
    parser.add_argument(
        "--lenient",
        action="store_true",
        help="also set localserver_strict = false: the peers' silence about unexpected "
        "requests and unused expectations, with a summary of what strict mode would flag",
    )
    return parser


def _shown(path: Path | str) -> str:
    """*path* relative to the working directory when it lies below it."""
    text = str(path)
    try:
        relative = os.path.relpath(text)
    except ValueError:  # another drive (Windows)
        return text
    return text if relative.startswith("..") else relative


def _lines(data: bytes | None) -> list[str]:
    if data is None:
        return []
    return data.decode("utf-8", errors="replace").splitlines(keepends=True)


def _diff(path: Path, old: bytes | None, new: bytes) -> str:
    name = _shown(path).replace(os.sep, "/")
    lines = difflib.unified_diff(
        _lines(old),
        _lines(new),
        fromfile="/dev/null" if old is None else f"a/{name}",
        tofile=f"b/{name}",
    )
    return "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
    )


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def run(
    argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Run ``migrate`` with *argv* (the arguments after ``migrate``); return the exit status."""
    out = out or sys.stdout
    err = err or sys.stderr
    parser = _parser(err)
    arguments = list(sys.argv[1:] if argv is None else argv)
    options = arguments[: arguments.index("--")] if "--" in arguments else arguments
    if "-h" in options or "--help" in options:
        out.write(parser.format_help())
        return 0
    try:
        args = parser.parse_args(arguments)
    except _UsageError as exc:
        err.write(f"{exc}\n")
        return 2
    try:
        import libcst  # noqa: F401  (the one optional dependency; checked before any work)
    except ImportError:
        err.write(f"{PROG}: error: migrate needs libcst: {INSTALL_HINT}\n")
        return 2
    from .plan import Problem, plan

    outcome = plan(args.paths, lenient=args.lenient)
    writing = not (args.diff or args.check)
    report = err if args.diff else out  # with --diff, stdout carries the patch alone
    changed = 0
    for change in outcome.changes:
        if args.diff:
            out.write(_diff(change.path, change.old, change.new))
        if writing:
            try:
                change.path.write_bytes(change.new)
            except OSError as exc:
                outcome.problems.append(
                    Problem(change.path, None, f"cannot write: {exc.strerror or exc}")
                )
                continue
            verb = "created" if change.old is None else "rewrote"
        else:
            verb = "would create" if change.old is None else "would rewrite"
        changed += 1
        report.write(f"{verb} {_shown(change.path)}\n")
    for path, note in outcome.notes:
        report.write(f"note: {_shown(path)}: {note}\n" if path else f"note: {note}\n")
    for problem in sorted(outcome.problems, key=lambda p: (str(p.path), p.line or 0)):
        where = _shown(problem.path) + (f":{problem.line}" if problem.line else "")
        err.write(f"{where}: error: {problem.message}\n")
    if outcome.findings:
        report.write("\nNeeds a human:\n")
        for finding in outcome.findings:
            report.write(f"{_shown(finding.path)}:{finding.line}: {finding.reason}\n")
    summary = _plural(changed, "file", "files") + (" changed" if writing else " would change")
    summary += f", {len(outcome.findings)} need a human"
    if outcome.problems:
        summary += f", {_plural(len(outcome.problems), 'file', 'files')} failed"
    report.write(("\n" if outcome.findings else "") + summary + "\n")
    if outcome.problems or (args.check and changed):
        return 1
    return 0
