"""pytest-localserver's fixtures, serving with localserver.

Load it in the root ``conftest.py`` (``python -m localserver migrate`` does)::

    pytest_plugins = ["localserver.compat.pytest_localserver.plugin"]

- ``httpserver``: a :class:`~.http.ContentServer`, started for this test;
- ``httpsserver``: a :class:`~.https.SecureContentServer` (trust ``certificate``);
- ``smtpserver``: an :class:`~.smtp.Server` (mail in ``outbox``, address in ``addr``).

Each is new for each test and stopped after it, as with the peer. After each
test localserver also checks the HTTP servers (handler errors; and, if the test
used expectations, requests nothing answered and unused oneshot or ordered
ones). The ini option ``localserver_strict = false`` (lenient mode) keeps the
peer's silence about those, summed up at the end of the run;
``localserver_checks = false`` or ``@pytest.mark.localserver_no_checks`` turns the
checks off.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeVar

import pytest

from ..._pytest_support import OneTest, add_options, configure
from .._absent import absent_names
from ._names import NOT_OFFERED
from ._threadlike import ThreadLike
from .http import ContentServer
from .https import SecureContentServer
from .smtp import Server

__all__ = ["httpserver", "httpsserver", "smtpserver"]

# Plugins defining the same fixture names: pytest would let one silently shadow
# the other (pytest-dev/pytest#3966), so we refuse to load beside them.
_RIVALS = {
    "pytest_localserver.plugin": ("pytest-localserver", "httpserver, httpsserver, smtpserver"),
    "pytest_httpserver.pytest_plugin": ("pytest-httpserver", "httpserver"),
    "localserver.pytest_plugin": ("localserver", "httpserver, httpsserver, smtpserver"),
}

_S = TypeVar("_S", bound=ThreadLike)


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    configure(config, __name__, _RIVALS)


def _serve(server: _S, request: pytest.FixtureRequest) -> Iterator[_S]:
    server.start()
    try:
        with OneTest(server, request.node):
            yield server
    finally:
        server.stop()


@pytest.fixture
def httpserver(request: pytest.FixtureRequest) -> Iterator[ContentServer]:
    """A :class:`ContentServer` for this test: set its content, read its ``requests``."""
    yield from _serve(ContentServer(), request)


@pytest.fixture
def httpsserver(request: pytest.FixtureRequest) -> Iterator[SecureContentServer]:
    """A :class:`SecureContentServer` for this test; clients trust ``certificate``."""
    yield from _serve(SecureContentServer(), request)


@pytest.fixture
def smtpserver(request: pytest.FixtureRequest) -> Iterator[Server]:
    """An SMTP :class:`Server` for this test: mail in ``outbox``, address in ``addr``."""
    yield from _serve(Server(), request)


__getattr__ = absent_names(__name__, NOT_OFFERED["plugin"])
