"""pytest-httpserver's fixtures, serving with localserver.

Load it in the root ``conftest.py`` (``python -m localserver migrate`` does)::

    pytest_plugins = ["localserver.compat.pytest_httpserver.pytest_plugin"]

The fixtures are the peer's, with its scopes and its ways to override them:

- ``make_httpserver``: the session's server, started once; ``httpserver`` is that
  server, cleared before each test. A ``make_httpserver`` fixture of your own
  (in a conftest) gives ``httpserver`` your server instead.
- ``httpserver_listen_address``: ``(host, port)`` of that server, from
  ``PYTEST_HTTPSERVER_HOST`` and ``PYTEST_HTTPSERVER_PORT`` by default;
  override it to pin them.
- ``httpserver_ssl_context``: None by default; override it to return a server
  ``ssl.SSLContext`` and every server of these fixtures speaks HTTPS with it.
- ``httpserver_ipv4`` / ``make_httpserver_ipv4`` and ``httpserver_ipv6`` /
  ``make_httpserver_ipv6``: the same on ``127.0.0.1`` and ``::1``.

After each test, localserver checks the server (requests nothing answered,
handler errors, oneshot and ordered handlers left unused) and fails the test
on a problem. The ini option ``localserver_strict = false`` (lenient mode) keeps
the peer's silence about unexpected requests and unused handlers, and sums up at
the end of the run what strict mode would have failed; ``localserver_checks =
false`` or ``@pytest.mark.localserver_no_checks`` turns the checks off.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Iterator

import pytest

from ..._pytest_support import OneTest, add_options, configure
from .._absent import absent_names
from ._names import NOT_OFFERED
from ._server import HTTPServer

__all__ = [
    "get_httpserver_listen_address",
    "httpserver",
    "httpserver_ipv4",
    "httpserver_ipv6",
    "httpserver_listen_address",
    "httpserver_ssl_context",
    "make_httpserver",
    "make_httpserver_ipv4",
    "make_httpserver_ipv6",
]

HOST_VARIABLE = "PYTEST_HTTPSERVER_HOST"
PORT_VARIABLE = "PYTEST_HTTPSERVER_PORT"

# Plugins defining the same fixture names: pytest would let one silently shadow
# the other (pytest-dev/pytest#3966), so we refuse to load beside them.
_RIVALS = {
    "pytest_httpserver.pytest_plugin": ("pytest-httpserver", "httpserver, make_httpserver"),
    "pytest_localserver.plugin": ("pytest-localserver", "httpserver"),
    "localserver.pytest_plugin": ("localserver", "httpserver, make_httpserver"),
}


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    configure(config, __name__, _RIVALS)


def get_httpserver_listen_address() -> tuple[str | None, int | None]:
    """``(host, port)`` from ``PYTEST_HTTPSERVER_HOST`` and ``PYTEST_HTTPSERVER_PORT``.

    Each is None when its variable is unset or empty.

    Raises:
        ValueError: ``PYTEST_HTTPSERVER_PORT`` is not a port number.
    """
    host = os.environ.get(HOST_VARIABLE) or None
    text = os.environ.get(PORT_VARIABLE)
    if not text:
        return host, None
    try:
        port = int(text)
    except ValueError:
        raise ValueError(
            f"{PORT_VARIABLE} must be a port number such as 8080 (got {text!r}); "
            "unset it to get a free port"
        ) from None
    return host, port


@pytest.fixture(scope="session")
def httpserver_listen_address() -> tuple[str | None, int | None]:
    """``(host, port)`` the session's server listens on; None means the default."""
    return get_httpserver_listen_address()


@pytest.fixture(scope="session")
def httpserver_ssl_context() -> ssl.SSLContext | None:
    """A server ``ssl.SSLContext`` for HTTPS, or None for plain HTTP (override it)."""
    return None


def _serve(host: str, port: int, context: ssl.SSLContext | None) -> Iterator[HTTPServer]:
    server = HTTPServer(host=host, port=port, ssl_context=context)
    server.start()
    try:
        yield server
    finally:
        server.clear()
        if server.is_running():
            server.stop()


def _one_test(server: HTTPServer, request: pytest.FixtureRequest) -> Iterator[HTTPServer]:
    server.clear()
    with OneTest(server, request.node):
        yield server


@pytest.fixture(scope="session")
def make_httpserver(
    httpserver_listen_address: tuple[str | None, int | None],
    httpserver_ssl_context: ssl.SSLContext | None,
) -> Iterator[HTTPServer]:
    """The session's server, on ``httpserver_listen_address``, with ``httpserver_ssl_context``."""
    host, port = httpserver_listen_address
    yield from _serve(
        host or HTTPServer.DEFAULT_LISTEN_HOST,
        port or HTTPServer.DEFAULT_LISTEN_PORT,
        httpserver_ssl_context,
    )


@pytest.fixture
def httpserver(make_httpserver: HTTPServer, request: pytest.FixtureRequest) -> Iterator[HTTPServer]:
    """The session's server, cleared for this test and checked after it."""
    yield from _one_test(make_httpserver, request)


@pytest.fixture(scope="session")
def make_httpserver_ipv4(httpserver_ssl_context: ssl.SSLContext | None) -> Iterator[HTTPServer]:
    """The session's server on ``127.0.0.1``."""
    yield from _serve("127.0.0.1", 0, httpserver_ssl_context)


@pytest.fixture
def httpserver_ipv4(
    make_httpserver_ipv4: HTTPServer, request: pytest.FixtureRequest
) -> Iterator[HTTPServer]:
    """The session's server on ``127.0.0.1``, cleared for this test and checked after it."""
    yield from _one_test(make_httpserver_ipv4, request)


@pytest.fixture(scope="session")
def make_httpserver_ipv6(httpserver_ssl_context: ssl.SSLContext | None) -> Iterator[HTTPServer]:
    """The session's server on ``::1``."""
    yield from _serve("::1", 0, httpserver_ssl_context)


@pytest.fixture
def httpserver_ipv6(
    make_httpserver_ipv6: HTTPServer, request: pytest.FixtureRequest
) -> Iterator[HTTPServer]:
    """The session's server on ``::1``, cleared for this test and checked after it."""
    yield from _one_test(make_httpserver_ipv6, request)


__getattr__ = absent_names(__name__, NOT_OFFERED["pytest_plugin"])
