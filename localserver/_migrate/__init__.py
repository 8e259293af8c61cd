"""``python -m localserver migrate``: move a suite from pytest-httpserver/pytest-localserver.

The modules, in the order a run goes through them: :mod:`.command` (options, output,
exit status), :mod:`.plan` (files, root, what to add), :mod:`.python` (the libcst
rewrite of one file), :mod:`.survey` (what a file uses of the peers), :mod:`.plugins`
(``pytest_plugins`` additions), :mod:`.ini` (configuration files, line by line). The
mapping is in :mod:`.mapping`, the needs-a-human rules in :mod:`.findings`.
libcst is imported only once a run starts, so this package imports without it.
"""

from __future__ import annotations

from .command import run

__all__ = ["run"]
