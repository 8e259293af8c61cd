"""``python -m localserver``: debugging servers in the foreground.

Each subcommand starts one server, prints what arrives until Ctrl-C or SIGTERM, then
prints a summary line. Errors a user can fix (a busy port, a bad option, an
unreadable file) are one line on stderr and exit status 2, never a traceback.

Modules, each importing only those listed after it:

- ``main``: the parser, built from the table of subcommands, and :func:`main`.
- ``http``, ``smtp``: the subcommands (``http`` and ``https``; ``smtp``).
- ``serve``: one server in the foreground, from start to the summary line.
- ``command``: what a subcommand is, the options they share, :class:`CLIError`.
- ``console``: stdout and stderr, the SIGINT/SIGTERM gate, the printing thread.
"""

from __future__ import annotations

from .main import main

__all__ = ["main"]
