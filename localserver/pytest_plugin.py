"""pytest fixtures for localserver's servers: opt-in, checked at teardown.

Nothing here loads by itself (there is no ``pytest11`` entry point). Load it in
the root ``conftest.py``::

    pytest_plugins = ["localserver.pytest_plugin"]

or on the command line with ``-p localserver.pytest_plugin``.

Fixtures, named as pytest-localserver names them:

- ``httpserver``, ``httpsserver``, ``smtpserver``: a fresh server for each test.
- ``httpserver_shared``, ``httpsserver_shared``, ``smtpserver_shared``: one
  server for the whole session (per pytest-xdist worker), emptied before each
  test; what a test adds (expectations, fault rules) is removed after it.
- ``make_httpserver``, ``make_httpsserver``, ``make_smtpserver``: factories
  taking the server's own options, for servers with custom settings.

After each test, its HTTP servers' checks run (requests nothing answered,
handler errors, oneshot, ordered and ``times=`` expectations left unused): a
failure is reported as an error of that test. ``@pytest.mark.localserver_no_checks`` turns
them off for a test, a class or a module; the ini option ``localserver_checks``
for the whole run.

Lenient mode, the ini option ``localserver_strict = false``, keeps unexpected
requests and unused oneshot and ordered expectations out of those checks (as the
peers never report them) and sums up at the end of the run what strict mode would
have failed. ``@pytest.mark.localserver_strict`` makes one test strict again.
"""

from __future__ import annotations

import types
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any, Generic, NoReturn, TypeVar, Union, cast

import pytest

from ._http import HTTPServer
from ._https import HTTPSServer
from ._pytest_support import OneTest, add_options, configure, current_test
from ._smtp.server import SMTPServer

__all__ = [
    "httpserver",
    "httpserver_shared",
    "httpsserver",
    "httpsserver_shared",
    "make_httpserver",
    "make_httpsserver",
    "make_smtpserver",
    "smtpserver",
    "smtpserver_shared",
]

# The plugins that define the same fixture names, by module: pytest would let
# one silently shadow the other (pytest-dev/pytest#3966), so we refuse to load.
_RIVALS = {
    "pytest_localserver.plugin": ("pytest-localserver", "httpserver, httpsserver, smtpserver"),
    "pytest_httpserver.pytest_plugin": ("pytest-httpserver", "httpserver, make_httpserver"),
    "localserver.compat.pytest_localserver.plugin": (
        "localserver's pytest-localserver replacement",
        "httpserver, httpsserver, smtpserver",
    ),
    "localserver.compat.pytest_httpserver.pytest_plugin": (
        "localserver's pytest-httpserver replacement",
        "httpserver, make_httpserver",
    ),
}

_S = TypeVar("_S", bound=Union[HTTPServer, SMTPServer])

_HOST = pytest.StashKey[str]()
_SESSION_PLUGIN = "localserver-session-servers"


# -- hooks ----------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    # "string" is a type every pytest from 7.x to 9.x accepts.
    parser.addini(
        "localserver_host",
        "Address the localserver fixtures bind (default 127.0.0.1; ::1 for IPv6).",
        type="string",
        default="127.0.0.1",
    )
    add_options(parser)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    configure(config, __name__, _RIVALS)
    host = config.getini("localserver_host")
    if not isinstance(host, str) or not host.strip():
        raise pytest.UsageError(
            f"ini option 'localserver_host' must be an address such as 127.0.0.1 or ::1 "
            f"(got {host!r})"
        )
    config.stash[_HOST] = host.strip()
    if not config.pluginmanager.has_plugin(_SESSION_PLUGIN):
        config.pluginmanager.register(_session_servers(config), _SESSION_PLUGIN)


def _host(request: pytest.FixtureRequest) -> str:
    return request.config.stash.get(_HOST, "127.0.0.1")


# -- function scope: a fresh server per test ------------------------------------------


@pytest.fixture
def httpserver(request: pytest.FixtureRequest) -> Iterator[HTTPServer]:
    """A fresh HTTP server for this test, checked and stopped after it."""
    with HTTPServer(_host(request)) as server, OneTest(server, request.node):
        yield server


@pytest.fixture
def httpsserver(request: pytest.FixtureRequest) -> Iterator[HTTPSServer]:
    """A fresh HTTPS server for this test (trust it with ``ca_bundle``), checked after it."""
    with HTTPSServer(_host(request)) as server, OneTest(server, request.node):
        yield server


@pytest.fixture
def smtpserver(request: pytest.FixtureRequest) -> Iterator[SMTPServer]:
    """A fresh SMTP server for this test: mail lands in ``outbox``; ``addr`` is (host, port)."""
    with SMTPServer(_host(request)) as server, OneTest(server, request.node):
        yield server


# -- shared: one server per session (per xdist worker), reset per test ----------------


def _session_servers(config: pytest.Config) -> types.ModuleType:
    """A plugin, registered per run, whose fixtures make the session's servers.

    A fixture that takes pytest's ``request`` costs a new fixture definition on
    every test that uses it, even when its value is cached for the session
    (pytest 9), so these take nothing: they close over the run's config.
    """
    host = config.stash.get(_HOST, "127.0.0.1")
    plugin = types.ModuleType(f"{__name__}.session_servers")

    @pytest.fixture(scope="session")
    def _localserver_http_session() -> Iterator[tuple[HTTPServer, pytest.Config]]:
        with HTTPServer(host) as server:
            yield server, config

    @pytest.fixture(scope="session")
    def _localserver_https_session() -> Iterator[tuple[HTTPSServer, pytest.Config]]:
        with HTTPSServer(host) as server:
            yield server, config

    @pytest.fixture(scope="session")
    def _localserver_smtp_session() -> Iterator[tuple[SMTPServer, pytest.Config]]:
        with SMTPServer(host) as server:
            yield server, config

    for fixture in (
        _localserver_http_session,
        _localserver_https_session,
        _localserver_smtp_session,
    ):
        setattr(plugin, fixture.__name__, fixture)
    return plugin


@pytest.fixture
def httpserver_shared(
    _localserver_http_session: tuple[HTTPServer, pytest.Config],
) -> Iterator[HTTPServer]:
    """The session's HTTP server, its requests emptied for this test, checked after it.

    What the test sets up is undone after it: its expectations are removed, and
    the default response (``serve_content``, the content attributes,
    ``no_handler_status_code``) goes back to what it was before the test.
    """
    server, config = _localserver_http_session
    # The test comes from our plugin, not from pytest's request: see current_test().
    with OneTest(server, current_test(config, "httpserver_shared")) as shared:
        yield shared


@pytest.fixture
def httpsserver_shared(
    _localserver_https_session: tuple[HTTPSServer, pytest.Config],
) -> Iterator[HTTPSServer]:
    """The session's HTTPS server, reset and checked like ``httpserver_shared``."""
    server, config = _localserver_https_session
    # The test comes from our plugin, not from pytest's request: see current_test().
    with OneTest(server, current_test(config, "httpsserver_shared")) as shared:
        yield shared


@pytest.fixture
def smtpserver_shared(
    _localserver_smtp_session: tuple[SMTPServer, pytest.Config],
) -> Iterator[SMTPServer]:
    """The session's SMTP server, its outbox emptied for this test; its fault rules undone after."""
    server, config = _localserver_smtp_session
    # The test comes from our plugin, not from pytest's request: see current_test().
    with OneTest(server, current_test(config, "smtpserver_shared")) as shared:
        yield shared


# -- factories: servers with custom settings ------------------------------------------


class _ServerFactory(Generic[_S]):
    """Call it with the server's options to get a started server; all stop after the test."""

    def __init__(
        self, kind: type[_S], fixture: str, request: pytest.FixtureRequest, stack: ExitStack
    ) -> None:
        self._kind = kind
        self._fixture = fixture
        self._request = request
        self._stack = stack

    def __call__(self, **options: Any) -> _S:
        options.setdefault("host", _host(self._request))
        server = self._kind(**options)
        self._stack.enter_context(server)
        # An explicit strict= wins over the ini option and the marker.
        one_test = OneTest(server, self._request.node, set_strict="strict" not in options)
        return cast(_S, self._stack.enter_context(one_test))

    def __getattr__(self, name: str) -> NoReturn:
        if name.startswith("_"):
            raise AttributeError(name)
        # pytest-httpserver's make_httpserver is the server itself; ours makes servers.
        raise AttributeError(
            f"{self._fixture!r} is a factory, it has no attribute {name!r}: call it, "
            f"server = {self._fixture}(), to get a server (or use the "
            f"'{self._fixture[len('make_') :]}_shared' fixture for one server per session)"
        )


@pytest.fixture
def make_httpserver(request: pytest.FixtureRequest) -> Iterator[_ServerFactory[HTTPServer]]:
    """Factory of HTTP servers: ``make_httpserver(**options)`` takes HTTPServer's options."""
    with ExitStack() as stack:
        yield _ServerFactory(HTTPServer, "make_httpserver", request, stack)


@pytest.fixture
def make_httpsserver(request: pytest.FixtureRequest) -> Iterator[_ServerFactory[HTTPSServer]]:
    """Factory of HTTPS servers: ``make_httpsserver(require_client_cert=True)`` and so on."""
    with ExitStack() as stack:
        yield _ServerFactory(HTTPSServer, "make_httpsserver", request, stack)


@pytest.fixture
def make_smtpserver(request: pytest.FixtureRequest) -> Iterator[_ServerFactory[SMTPServer]]:
    """Factory of SMTP servers: ``make_smtpserver(auth={"user": "pw"}, starttls=True)``."""
    with ExitStack() as stack:
        yield _ServerFactory(SMTPServer, "make_smtpserver", request, stack)
