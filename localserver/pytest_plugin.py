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
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any, Generic, NoReturn, TypeVar, Union

import pytest

from ._errors import CheckError
from ._http import HTTPServer
from ._https import HTTPSServer
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

_NO_CHECKS_MARKER = "localserver_no_checks"

# The plugins that define the same fixture names, by module: pytest would let
# one silently shadow the other (pytest-dev/pytest#3966), so we refuse to load.
_RIVALS = {
    "pytest_localserver.plugin": ("pytest-localserver", "httpserver, httpsserver, smtpserver"),
    "pytest_httpserver.pytest_plugin": ("pytest-httpserver", "httpserver, make_httpserver"),
}

_S = TypeVar("_S", bound=Union[HTTPServer, SMTPServer])


@dataclass(frozen=True)
class _Settings:
    host: str
    checks: bool


_SETTINGS = pytest.StashKey[_Settings]()


# -- hooks ----------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    # "string" and "bool" are the types every pytest from 7.x to 9.x accepts.
    parser.addini(
        "localserver_host",
        "Address the localserver fixtures bind (default 127.0.0.1; ::1 for IPv6).",
        type="string",
        default="127.0.0.1",
    )
    parser.addini(
        "localserver_checks",
        "Run the localserver fixtures' checks after each test (default true).",
        type="bool",
        default=True,
    )


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    _refuse_rivals(config.pluginmanager)
    config.addinivalue_line(
        "markers",
        f"{_NO_CHECKS_MARKER}: do not run the localserver fixtures' checks after this test.",
    )
    config.stash[_SETTINGS] = _read_settings(config)


def _refuse_rivals(manager: pytest.PytestPluginManager) -> None:
    found = [
        (name, str(getattr(plugin, "__name__", "")))
        for name, plugin in manager.list_name_plugin()
        if getattr(plugin, "__name__", None) in _RIVALS
    ]
    if not found:
        return
    problems = []
    for name, module in found:
        project, fixtures = _RIVALS[module]
        problems.append(
            f"{project}'s plugin ({module}, registered as {name!r}) defines the fixtures {fixtures}"
        )
    options = " ".join(f"-p no:{name}" for name, _ in found)
    # pytest-localserver registers its plugin as "localserver": "-p no:localserver"
    # reads as if it turned this package off, so the message says whose name it is.
    note = "".join(
        f" {name!r} is the name {_RIVALS[module][0]} registers its plugin under: "
        f"'-p no:{name}' turns {_RIVALS[module][0]} off, not this package."
        for name, module in found
        if name == "localserver"
    )
    raise pytest.UsageError(
        "localserver.pytest_plugin cannot run beside other plugins that define its "
        f"fixtures, or pytest would silently use only one of them: {'; '.join(problems)}. "
        f"Disable them with '{options}' (on the command line or in addopts), or "
        f"uninstall them.{note}"
    )


def _read_settings(config: pytest.Config) -> _Settings:
    host = config.getini("localserver_host")
    if not isinstance(host, str) or not host.strip():
        raise pytest.UsageError(
            f"ini option 'localserver_host' must be an address such as 127.0.0.1 or ::1 "
            f"(got {host!r})"
        )
    try:
        checks = config.getini("localserver_checks")
    except (TypeError, ValueError, pytest.UsageError) as exc:
        # pytest up to 9.1 raises the ValueError or TypeError, 9.2 a UsageError.
        raise pytest.UsageError(
            f"ini option 'localserver_checks' must be true or false ({exc})"
        ) from None
    return _Settings(host=host.strip(), checks=bool(checks))


# -- the per-test part ----------------------------------------------------------------


def _settings(request: pytest.FixtureRequest) -> _Settings:
    return request.config.stash[_SETTINGS]


def _checks_wanted(request: pytest.FixtureRequest) -> bool:
    node = request.node
    return _settings(request).checks and node.get_closest_marker(_NO_CHECKS_MARKER) is None


class _OneTest(Generic[_S]):
    """Gives *server* to one test: emptied on entry, checked and rolled back on exit."""

    def __init__(self, server: _S, request: pytest.FixtureRequest) -> None:
        self._server = server
        self._request = request
        self._mark: Any = server.begin_test()

    def __enter__(self) -> _S:
        return self._server

    def __exit__(self, *exc_info: object) -> None:
        __tracebackhide__ = True
        try:
            self._server.end_test(self._mark, check=_checks_wanted(self._request))
        except CheckError as failure:
            # Our message says it all: the frames inside localserver add nothing, and
            # a cause that is one of our reports is already in it. A handler's own
            # exception stays chained, for its traceback.
            cause = failure.__cause__
            if isinstance(cause, CheckError):
                cause = None
            raise failure.with_traceback(None) from cause


# -- function scope: a fresh server per test ------------------------------------------


@pytest.fixture
def httpserver(request: pytest.FixtureRequest) -> Iterator[HTTPServer]:
    """A fresh HTTP server for this test, checked and stopped after it."""
    with HTTPServer(_settings(request).host) as server, _OneTest(server, request):
        yield server


@pytest.fixture
def httpsserver(request: pytest.FixtureRequest) -> Iterator[HTTPSServer]:
    """A fresh HTTPS server for this test (trust it with ``ca_bundle``), checked after it."""
    with HTTPSServer(_settings(request).host) as server, _OneTest(server, request):
        yield server


@pytest.fixture
def smtpserver(request: pytest.FixtureRequest) -> Iterator[SMTPServer]:
    """A fresh SMTP server for this test: mail lands in ``outbox``; ``addr`` is (host, port)."""
    with SMTPServer(_settings(request).host) as server, _OneTest(server, request):
        yield server


# -- shared: one server per session (per xdist worker), reset per test ----------------


@pytest.fixture(scope="session")
def _localserver_http_session(request: pytest.FixtureRequest) -> Iterator[HTTPServer]:
    with HTTPServer(_settings(request).host) as server:
        yield server


@pytest.fixture(scope="session")
def _localserver_https_session(request: pytest.FixtureRequest) -> Iterator[HTTPSServer]:
    with HTTPSServer(_settings(request).host) as server:
        yield server


@pytest.fixture(scope="session")
def _localserver_smtp_session(request: pytest.FixtureRequest) -> Iterator[SMTPServer]:
    with SMTPServer(_settings(request).host) as server:
        yield server


@pytest.fixture
def httpserver_shared(
    _localserver_http_session: HTTPServer, request: pytest.FixtureRequest
) -> Iterator[HTTPServer]:
    """The session's HTTP server, its requests emptied for this test, checked after it.

    What the test sets up is undone after it: its expectations are removed, and
    the default response (``serve_content``, the content attributes,
    ``no_handler_status_code``) goes back to what it was before the test.
    """
    with _OneTest(_localserver_http_session, request) as server:
        yield server


@pytest.fixture
def httpsserver_shared(
    _localserver_https_session: HTTPSServer, request: pytest.FixtureRequest
) -> Iterator[HTTPSServer]:
    """The session's HTTPS server, reset and checked like ``httpserver_shared``."""
    with _OneTest(_localserver_https_session, request) as server:
        yield server


@pytest.fixture
def smtpserver_shared(
    _localserver_smtp_session: SMTPServer, request: pytest.FixtureRequest
) -> Iterator[SMTPServer]:
    """The session's SMTP server, its outbox emptied for this test; its fault rules undone after."""
    with _OneTest(_localserver_smtp_session, request) as server:
        yield server


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
        options.setdefault("host", _settings(self._request).host)
        server = self._kind(**options)
        self._stack.enter_context(server)
        return self._stack.enter_context(_OneTest(server, self._request))

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
