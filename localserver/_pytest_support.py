"""What localserver's pytest modules share: settings, one test on a server, the lenient summary.

``localserver.pytest_plugin`` and the compatibility plugins
(``localserver.compat.pytest_httpserver.pytest_plugin`` and
``localserver.compat.pytest_localserver.plugin``) read the same ini options, give
servers to tests the same way and sum up lenient mode the same way:

- ``localserver_checks`` (bool, default true): run the servers' checks after each
  test; the ``localserver_no_checks`` marker turns them off for a test.
- ``localserver_strict`` (bool, default true): ``false`` is lenient mode, the
  peers' silence about unexpected requests and unused oneshot or ordered
  expectations. The ``localserver_strict`` marker sets it for one test, a class
  or a module: ``@pytest.mark.localserver_strict`` tightens, ``(False)`` loosens.

What lenient mode let pass travels with each test's teardown report (as a user
property, so pytest-xdist carries it to the controller) and is summed up at the
end of the run: ``strict mode would fail 15 tests: 15 unexpected GET /v1/...``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import pytest

from ._errors import CheckError

__all__ = [
    "CHECKS_OPTION",
    "NO_CHECKS_MARKER",
    "STRICT_OPTION",
    "OneTest",
    "Settings",
    "add_options",
    "configure",
    "current_test",
    "settings",
]

CHECKS_OPTION = "localserver_checks"
STRICT_OPTION = "localserver_strict"
NO_CHECKS_MARKER = "localserver_no_checks"
STRICT_MARKER = "localserver_strict"
_NOTES_PROPERTY = "localserver_lenient"


class _TestServer(Protocol):
    """What :class:`OneTest` needs of a server: localserver's test isolation API."""

    def begin_test(self) -> Any: ...

    def end_test(self, mark: Any, *, check: bool = True) -> Any: ...


@dataclass(frozen=True)
class Settings:
    """The ini options, read once per run."""

    checks: bool = True
    strict: bool = True


_SETTINGS = pytest.StashKey[Settings]()
_SUMMARY_PLUGIN = "localserver-lenient-summary"
_CURRENT_PLUGIN = "localserver-current-test"
_CURRENT = pytest.StashKey[pytest.Item]()
_UNSET = object()
_REASONS_SHOWN = 10


def add_options(parser: pytest.Parser) -> None:
    """Register the ini options (a second registration by another of our plugins is harmless)."""
    # "bool" is a type every pytest from 7.x to 9.x accepts.
    parser.addini(
        CHECKS_OPTION,
        "Run the localserver fixtures' checks after each test (default true).",
        type="bool",
        default=True,
    )
    parser.addini(
        STRICT_OPTION,
        "false: lenient mode, unexpected requests and unused oneshot/ordered expectations "
        "do not fail tests but are summed up at the end (default true).",
        type="bool",
        default=True,
    )


def configure(config: pytest.Config, plugin: str, rivals: Mapping[str, tuple[str, str]]) -> None:
    """Refuse to run beside a plugin defining the same fixtures; register markers; read settings.

    Args:
        config: pytest's configuration.
        plugin: The module configuring (named in the error).
        rivals: Module name -> (project, fixtures) of the plugins it cannot run beside.

    Raises:
        pytest.UsageError: A rival is loaded, or an ini option is not a bool.
    """
    _refuse_rivals(config.pluginmanager, plugin, rivals)
    config.addinivalue_line(
        "markers",
        f"{NO_CHECKS_MARKER}: do not run the localserver fixtures' checks after this test.",
    )
    config.addinivalue_line(
        "markers",
        f"{STRICT_MARKER}(strict=True): run this test's localserver checks in strict mode "
        "(or lenient with False), whatever the ini option localserver_strict says.",
    )
    if _SETTINGS not in config.stash:
        config.stash[_SETTINGS] = Settings(
            checks=_read_bool(config, CHECKS_OPTION), strict=_read_bool(config, STRICT_OPTION)
        )
    if not config.pluginmanager.has_plugin(_SUMMARY_PLUGIN):
        config.pluginmanager.register(_LenientSummary(), _SUMMARY_PLUGIN)
    if not config.pluginmanager.has_plugin(_CURRENT_PLUGIN):
        config.pluginmanager.register(_CurrentTest(), _CURRENT_PLUGIN)


def _read_bool(config: pytest.Config, name: str) -> bool:
    try:
        return bool(config.getini(name))
    except (TypeError, ValueError, pytest.UsageError) as exc:
        # pytest up to 9.1 raises the ValueError or TypeError, 9.2 a UsageError.
        raise pytest.UsageError(f"ini option {name!r} must be true or false ({exc})") from None


def _refuse_rivals(
    manager: pytest.PytestPluginManager, plugin: str, rivals: Mapping[str, tuple[str, str]]
) -> None:
    found = [
        (name, str(getattr(module, "__name__", "")))
        for name, module in manager.list_name_plugin()
        if getattr(module, "__name__", None) in rivals
    ]
    if not found:
        return
    problems = []
    for name, module in found:
        project, fixtures = rivals[module]
        problems.append(
            f"{project}'s plugin ({module}, registered as {name!r}) defines the fixtures {fixtures}"
        )
    options = " ".join(f"-p no:{name}" for name, _ in found)
    # pytest-localserver registers its plugin as "localserver": "-p no:localserver"
    # reads as if it turned this package off, so the message says whose name it is.
    note = "".join(
        f" {name!r} is the name {rivals[module][0]} registers its plugin under: "
        f"'-p no:{name}' turns {rivals[module][0]} off, not this package."
        for name, module in found
        if name == "localserver"
    )
    raise pytest.UsageError(
        f"{plugin} cannot run beside other plugins that define its fixtures, or pytest "
        f"would silently use only one of them: {'; '.join(problems)}. Disable them with "
        f"'{options}' (on the command line or in addopts), or uninstall or unload them."
        f"{note}"
    )


def settings(config: pytest.Config) -> Settings:
    """The run's settings; the defaults when no plugin of ours registered the options.

    (A test module may bind a plugin's fixture without loading the plugin, as
    ``httpserver = plugin.httpserver``.)
    """
    found = config.stash.get(_SETTINGS, None)
    if found is not None:
        return found
    values = {}
    for name, attr in ((CHECKS_OPTION, "checks"), (STRICT_OPTION, "strict")):
        try:
            values[attr] = bool(config.getini(name))
        except ValueError:  # not registered: the default
            continue
    return Settings(**values)


class _CurrentTest:
    """Keeps the test being set up in the config's stash, for :func:`current_test`.

    A fixture that asks for pytest's ``request`` pays for a new fixture
    definition on every test (a tenth of a millisecond on pytest 9); the shared
    fixtures run once per test and so find their test here instead.
    """

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        item.config.stash[_CURRENT] = item


def current_test(config: pytest.Config, fixture: str) -> pytest.Item:
    """The test being set up or torn down (for a fixture that does not take ``request``).

    Raises:
        pytest.UsageError: None of our plugins is loaded, so none keeps track.
    """
    item = config.stash.get(_CURRENT, None)
    if item is None:
        raise pytest.UsageError(
            f"the fixture {fixture!r} needs its plugin loaded ('-p localserver.pytest_plugin' "
            "on the command line, or pytest_plugins = ['localserver.pytest_plugin'] in the "
            "top conftest.py), not only its fixtures imported"
        )
    return item


def _markers(node: pytest.Item) -> tuple[bool | None, bool]:
    """The closest strict marker's value (None: no marker) and whether checks are off."""
    strict: Any = _UNSET
    no_checks = False
    for marker in node.iter_markers():  # closest first, one walk for both markers
        if marker.name == STRICT_MARKER and strict is _UNSET:
            strict = marker.kwargs.get("strict", marker.args[0] if marker.args else True)
            if not isinstance(strict, bool):
                raise pytest.UsageError(
                    f"@pytest.mark.{STRICT_MARKER} takes True or False (got {strict!r}) "
                    f"on {node.nodeid}"
                )
        elif marker.name == NO_CHECKS_MARKER:
            no_checks = True
    return (None if strict is _UNSET else strict), no_checks


class OneTest:
    """Gives a server to one test: begun on entry, checked and rolled back on exit.

    Args:
        server: A server with ``begin_test()``/``end_test()``.
        test: The test (``request.node`` of a function-scoped fixture).
        set_strict: Set the server's ``strict`` for this test from the marker and
            the ini option (False when the caller chose it explicitly).
    """

    def __init__(self, server: _TestServer, test: pytest.Item, *, set_strict: bool = True) -> None:
        self._server = server
        self._test = test
        strict, no_checks = _markers(test)
        run = settings(test.config)
        self._check = run.checks and not no_checks
        if set_strict and hasattr(server, "strict"):
            server.strict = run.strict if strict is None else strict
        self._mark: Any = server.begin_test()

    def __enter__(self) -> Any:
        return self._server

    def __exit__(self, *exc_info: object) -> None:
        __tracebackhide__ = True
        try:
            notes = self._server.end_test(self._mark, check=self._check)
        except CheckError as failure:
            # Our message says it all: the frames inside localserver add nothing, and
            # a cause that is one of our reports is already in it. A handler's own
            # exception stays chained, for its traceback.
            cause = failure.__cause__
            if isinstance(cause, CheckError):
                cause = None
            raise failure.with_traceback(None) from cause
        if notes:
            self._test.user_properties.append((_NOTES_PROPERTY, tuple(notes)))


class _LenientSummary:
    """Collects what lenient mode let pass from the test reports; sums it up at the end.

    Registered once per run, whichever of our plugins configures first. It reads
    the teardown reports, so under pytest-xdist it works on the controller.
    """

    def __init__(self) -> None:
        self.notes: dict[str, tuple[str, ...]] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "teardown":
            return
        notes = tuple(
            str(note)
            for name, value in report.user_properties
            if name == _NOTES_PROPERTY and isinstance(value, (list, tuple))
            for note in value
        )
        if notes:
            self.notes[report.nodeid] = notes

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.notes:
            return
        # How many tests each note would fail: a test that sent one request twice counts once.
        counts = Counter(note for notes in self.notes.values() for note in dict.fromkeys(notes))
        tests = len(self.notes)
        common = counts.most_common()
        reasons = ", ".join(f"{count} {note}" for note, count in common[:_REASONS_SHOWN])
        if len(common) > _REASONS_SHOWN:
            reasons += f" and {len(common) - _REASONS_SHOWN} more (-v lists them by test)"
        terminalreporter.write_sep("-", "localserver lenient mode")
        terminalreporter.write_line(
            f"strict mode would fail {tests} test{'s' if tests != 1 else ''}: {reasons}"
        )
        terminalreporter.write_line(
            f"(@pytest.mark.{STRICT_MARKER} makes a test strict; set {STRICT_OPTION} = true "
            "again once nothing is listed here)"
        )
        if terminalreporter.verbosity > 0:
            for nodeid, notes in self.notes.items():
                terminalreporter.write_line(f"  {nodeid}: {'; '.join(notes)}")
