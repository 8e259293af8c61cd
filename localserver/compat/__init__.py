"""The public names of pytest-httpserver and pytest-localserver, over localserver's servers.

A suite moves to localserver by renaming the peer's package in its imports, and
nothing else (``python -m localserver migrate`` does it):

- ``pytest_httpserver[.X]`` becomes ``localserver.compat.pytest_httpserver[.X]``;
- ``pytest_localserver[.X]`` becomes ``localserver.compat.pytest_localserver[.X]``;
- the pytest plugins: ``localserver.compat.pytest_httpserver.pytest_plugin`` and
  ``localserver.compat.pytest_localserver.plugin``.

Each name here is localserver's own object or a thin adapter over it that gives
it the peer's signature and behaviour; none is a second server. The few names
we do not offer raise an ``ImportError`` saying what to use instead. New code
uses :mod:`localserver` directly.
"""

from __future__ import annotations

__all__: list[str] = []
