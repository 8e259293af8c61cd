"""What every unittest mixin shares: a server per class, isolation per test.

Each mixin declares a :class:`ServerSlot` (``http_server``, ``https_server``,
``smtp_server``): the attribute the tests read, the settings that configure it,
and the lifecycle. :class:`ServerMixinBase` drives every slot of a class:

- ``setUpClass`` starts the servers *before* calling ``super().setUpClass()``,
  so a parent's ``setUpClass`` (Django's ``setUpTestData`` too) can use them,
  and registers each stop with ``addClassCleanup`` as soon as it has started:
  a ``setUpClass`` that fails later still stops it.
- ``run()`` (and ``debug()``) begin each test on the class's servers and
  register the end of the test with ``addCleanup``, so the checks fail *that*
  test. Wrapping ``run()`` rather than ``setUp()`` means a ``setUp`` that does
  not call ``super().setUp()`` changes nothing.
- The server lives in the class's own ``__dict__``: a subclass gets a server of
  its own and never stops its parent's.
"""

from __future__ import annotations

import difflib
import inspect
import unittest
import warnings
from collections.abc import Mapping
from typing import Any, Callable, ClassVar, Generic, TypeVar, overload

from .._errors import CheckError, LenientModeWarning, LocalServerError

__all__ = ["ServerMixinBase", "ServerSlot", "failure", "without_server_checks"]

# unittest hides the frames of modules that define this from failure tracebacks.
__unittest = True

S = TypeVar("S")
F = TypeVar("F", bound=Callable[..., Any])

# Every slot made, by attribute name: to recognise settings of a mixin a class lacks.
_SLOTS: dict[str, ServerSlot[Any]] = {}
_NO_CHECKS = "__localserver_no_checks__"
_ALL = "*"


class ServerSlot(Generic[S]):
    """The server of one protocol on a test class, read as ``cls.<name>``.

    Args:
        name: The attribute, e.g. ``"http_server"``; the settings are
            ``<name>_options``, ``<name>_class`` and ``<name>_checks``.
        base: The server class that ``<name>_class`` must be or derive from.
        mixin: The name of the mixin declaring the slot, for messages.
        checks: Whether the server has after-test checks (``<name>_checks``).
    """

    def __init__(self, name: str, base: type[S], mixin: str, *, checks: bool = True) -> None:
        self.name = name
        self.base = base
        self.mixin = mixin
        self.key = f"_localserver_{name}"
        self.options_attr = f"{name}_options"
        self.class_attr = f"{name}_class"
        self.checks_attr = f"{name}_checks" if checks else ""
        self.settings = tuple(filter(None, (self.options_attr, self.class_attr, self.checks_attr)))
        self.__doc__ = (
            f"The running :class:`~localserver.{base.__name__}` of this class, started in "
            f"``setUpClass`` and stopped by a class cleanup; configured by "
            f"``{self.options_attr}`` and ``{self.class_attr}``."
        )
        _SLOTS[name] = self

    @overload
    def __get__(self, instance: None, owner: type[Any]) -> S: ...

    @overload
    def __get__(self, instance: object, owner: type[Any]) -> S: ...

    def __get__(self, instance: object, owner: type[Any]) -> S:
        server: S | None = owner.__dict__.get(self.key)
        if server is None:
            # Not an exception: runners list a class's attributes with getattr()
            # (nose2 does) before setUpClass; using the placeholder says what is wrong.
            return NotRunning(self.not_running(owner))  # type: ignore[return-value]
        return server

    def not_running(self, owner: type[Any]) -> str:
        """Why *owner* has no server now."""
        return (
            f"{owner.__qualname__}.{self.name} is not running: {self.mixin} starts it in "
            f"setUpClass and stops it after the class's tests. If {owner.__qualname__} "
            "defines setUpClass, make it call super().setUpClass() first."
        )

    def __repr__(self) -> str:
        return f"<server slot {self.name!r} of {self.mixin}>"

    # -- class creation ---------------------------------------------------------------

    def check_class(self, cls: type[Any]) -> None:
        """Validate the settings of *cls* for this slot, naming any wrong one."""
        where = cls.__qualname__
        if not isinstance(vars(cls).get(self.name, self), ServerSlot):
            raise TypeError(
                f"{where}.{self.name} is set by {self.mixin} in setUpClass; configure the "
                f"server with {self.options_attr} or {self.class_attr} instead"
            )
        server_class = getattr(cls, self.class_attr)
        if not (isinstance(server_class, type) and issubclass(server_class, self.base)):
            raise TypeError(
                f"{where}.{self.class_attr} must be {self.base.__name__} or a subclass of it "
                f"(got {server_class!r})"
            )
        checks = getattr(cls, self.checks_attr) if self.checks_attr else True
        if not isinstance(checks, bool):
            raise TypeError(f"{where}.{self.checks_attr} must be True or False (got {checks!r})")
        if self.options_attr in vars(cls) or self.class_attr in vars(cls):
            try:
                self.make(cls)
            except (OSError, ValueError) as exc:
                # A file that does not exist yet may be made before the class runs
                # (setUpModule): setUpClass reports it if it is still missing then.
                missing = (exc, exc.__cause__)
                if not any(isinstance(e, FileNotFoundError) for e in missing):
                    raise

    def make(self, cls: type[Any]) -> S:
        """A new, unstarted server built from the settings of *cls*."""
        where = f"{cls.__qualname__}.{self.options_attr}"
        options = getattr(cls, self.options_attr)
        server_class = getattr(cls, self.class_attr)
        if not isinstance(options, Mapping):
            raise TypeError(
                f"{where} must be a dict of {server_class.__name__} arguments (got {options!r})"
            )
        accepted = _keyword_names(server_class)
        for key in options:
            if not isinstance(key, str):
                raise TypeError(f"{where} keys must be str (got {key!r})")
            if accepted is not None and key not in accepted:
                close = difflib.get_close_matches(key, accepted, n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                raise TypeError(
                    f"{where}: {key!r} is not an option of {server_class.__name__}; {hint}"
                    f"the options are {', '.join(sorted(accepted))}"
                )
        try:
            server: S = server_class(**options)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"{where}: {exc}") from exc.__cause__
        return server

    # -- the class's server -----------------------------------------------------------

    def start(self, cls: type[unittest.TestCase]) -> None:
        """Start the server of *cls* and register its stop as a class cleanup."""
        leftover = cls.__dict__.get(self.key)
        if leftover is not None:  # setUpClass called twice without the cleanups between
            self.stop(cls, leftover)
        server = self.make(cls)
        server.start()  # type: ignore[attr-defined]
        type.__setattr__(cls, self.key, server)
        cls.addClassCleanup(self.stop, cls, server)

    def stop(self, cls: type[Any], server: Any) -> None:
        """Stop *server* and forget it, if it is still the server of *cls*."""
        if cls.__dict__.get(self.key) is server:
            type.__delattr__(cls, self.key)
        server.stop()

    # -- each test --------------------------------------------------------------------

    def begin(self, case: unittest.TestCase) -> None:
        """Begin *case* on its class's server; its end is registered as a cleanup."""
        cls = type(case)
        server = cls.__dict__.get(self.key)
        if server is None:
            case.addCleanup(_raise, LocalServerError(self.not_running(cls)))
            return
        mark = server.begin_test()
        case.addCleanup(self.end, case, server, mark)

    def end(self, case: unittest.TestCase, server: Any, mark: Any) -> None:
        """End *case*: run the server's checks unless opted out, roll back its setup.

        In lenient mode (``strict=False`` in the options) what strict mode would
        have failed is not raised but given as a :class:`LenientModeWarning`, one
        per test: unittest's runner shows warnings, and library code never prints.
        """
        try:
            notes = server.end_test(mark, check=self.checks_wanted(case))
        except CheckError as exc:
            # The report says it all; the server's frames would only hide it.
            text = f"{self.name}, checked after the test ({self.checks_attr} to opt out):\n{exc}"
            kind = type(exc) if isinstance(exc, case.failureException) else case.failureException
            raise kind(text) from None
        except AssertionError as exc:  # a response handler's own assertion
            if isinstance(exc, case.failureException):
                raise
            raise case.failureException(str(exc)) from exc
        if notes:
            warnings.warn(
                f"{case.id()} passed in lenient mode ({self.options_attr} strict=False); "
                f"strict mode would fail it: {'; '.join(notes)}",
                LenientModeWarning,
                stacklevel=2,
            )

    def checks_wanted(self, case: unittest.TestCase) -> bool:
        """Whether the after-test checks run for *case* (class, instance, decorator)."""
        if not self.checks_attr or not getattr(case, self.checks_attr):
            return False
        method = getattr(case, case._testMethodName, None)
        opted_out = getattr(method, _NO_CHECKS, ())
        return self.name not in opted_out and _ALL not in opted_out


def failure(case: Any, msg: str | None, report: str) -> BaseException:
    """The ``failureException`` of *case* with *report*, and *msg* as unittest wants.

    With ``longMessage`` (the default) *msg* heads the report; without, it
    replaces it.
    """
    text = report.rstrip("\n")
    if msg is not None:
        text = f"{msg}\n{text}" if getattr(case, "longMessage", True) else str(msg)
    exception: BaseException = case.failureException(text)
    return exception


class NotRunning:
    """What ``cls.http_server`` (and the others) give outside the class's run.

    Any use of it raises an ``AttributeError`` saying why there is no server.
    """

    def __init__(self, reason: str) -> None:
        self._reason = reason

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(self._reason)

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"<not running: {self._reason}>"


def _keyword_names(server_class: type[Any]) -> set[str] | None:
    """Keyword arguments *server_class* accepts; None when it takes ``**kwargs``."""
    try:
        parameters = inspect.signature(server_class).parameters.values()
    except (TypeError, ValueError):
        return None
    names = set()
    for parameter in parameters:
        if parameter.kind is parameter.VAR_KEYWORD:
            return None
        if parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY):
            names.add(parameter.name)
    return names


def _raise(error: BaseException) -> None:
    raise error


def _skipped(case: unittest.TestCase) -> bool:
    method = getattr(case, case._testMethodName, None)
    return bool(
        getattr(type(case), "__unittest_skip__", False)
        or getattr(method, "__unittest_skip__", False)
    )


def slots_of(cls: type[Any]) -> tuple[ServerSlot[Any], ...]:
    """The slots of *cls*, in the order of its bases (cached at class creation)."""
    cached = cls.__dict__.get("_localserver_slots")
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    found: dict[str, ServerSlot[Any]] = {}
    for klass in cls.__mro__:
        for value in vars(klass).values():
            if isinstance(value, ServerSlot):
                found.setdefault(value.name, value)
    return tuple(found.values())


class ServerMixinBase:
    """The lifecycle every server mixin shares; see the module's docstring."""

    failureException: ClassVar[type[BaseException]]
    _localserver_slots: ClassVar[tuple[ServerSlot[Any], ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        mro = cls.__mro__
        if unittest.TestCase in mro and mro.index(unittest.TestCase) < mro.index(ServerMixinBase):
            mixins = [k.__name__ for k in mro if ServerSlot in map(type, vars(k).values())]
            raise TypeError(
                f"{cls.__qualname__}: put {' and '.join(mixins)} before TestCase in the "
                f"bases, e.g. class {cls.__name__}({mixins[0]}, unittest.TestCase); after it, "
                "TestCase.setUpClass would never reach the mixin"
            )
        if unittest.TestCase in mro and "_class_cleanups" not in vars(cls):
            # Before 3.10.9 and 3.11.1 every TestCase shared one list of class
            # cleanups, so a suite run inside a test stopped the outer class's
            # servers (https://github.com/python/cpython/issues/99645): give each
            # class its own list, as the fix does.
            cls._class_cleanups = []  # type: ignore[attr-defined]
        slots = slots_of(cls)
        for slot in slots:
            slot.check_class(cls)
        _check_names(cls, slots)
        cls._localserver_slots = slots

    @classmethod
    def setUpClass(cls) -> None:
        for slot in slots_of(cls):
            slot.start(cls)  # type: ignore[arg-type]
        super().setUpClass()  # type: ignore[misc]

    def run(self, result: unittest.TestResult | None = None) -> Any:
        self._localserver_begin()
        return super().run(result)  # type: ignore[misc]

    def debug(self) -> None:
        self._localserver_begin()
        super().debug()  # type: ignore[misc]

    def _localserver_begin(self) -> None:
        case: Any = self
        if _skipped(case):
            return
        for slot in slots_of(type(self)):
            slot.begin(case)


def _check_names(cls: type[Any], slots: tuple[ServerSlot[Any], ...]) -> None:
    """Refuse a setting of a mixin the class lacks, or a near miss of one it has."""
    own = {name for slot in slots for name in slot.settings}
    for name in vars(cls):
        value = vars(cls)[name]
        if name.startswith("_") or name in own or name in _SLOTS:
            continue
        if callable(value) or isinstance(value, (classmethod, staticmethod, property)):
            continue
        other = next((s for s in _SLOTS.values() if name in s.settings), None)
        if other is not None:
            raise TypeError(
                f"{cls.__qualname__}.{name} configures {other.mixin}, which "
                f"{cls.__qualname__} does not inherit from: add {other.mixin} to its bases"
            )
        close = difflib.get_close_matches(name, own, n=1, cutoff=0.88)
        if close:
            raise TypeError(
                f"{cls.__qualname__}.{name} is not a setting of the server mixins; "
                f"did you mean {close[0]}?"
            )


def without_server_checks(*servers: Any) -> Any:
    """Skip the after-test checks of the class's servers for one test method.

    The test still starts from an empty journal or outbox, and what it set up is
    still removed afterwards; only the checks (unmatched requests, handler
    errors, unused expectations) are not run.

    Use it bare to skip the checks of every server of the class, or name the
    servers whose checks to skip: ``@without_server_checks("https_server")``.

    Example::

        class ProbeTests(HTTPServerMixin, unittest.TestCase):
            @without_server_checks
            def test_unknown_path(self):
                status = status_of(self.http_server.url_for("/nowhere"))
                self.assertEqual(status, 500)

    Raises:
        ValueError: A name is not a server attribute of the mixins.
    """
    if len(servers) == 1 and callable(servers[0]):
        return _mark(servers[0], (_ALL,))
    names = servers or (_ALL,)  # bare parentheses: every server, as the bare form
    for name in servers:
        if name not in _SLOTS:
            raise ValueError(
                f"without_server_checks() takes server names such as "
                f"{', '.join(map(repr, _SLOTS))} (got {name!r})"
            )

    def decorate(func: F) -> F:
        return _mark(func, names)

    return decorate


def _mark(func: F, names: tuple[str, ...]) -> F:
    if not callable(func):
        raise TypeError(f"without_server_checks must decorate a test method (got {func!r})")
    previous = getattr(func, _NO_CHECKS, ())
    setattr(func, _NO_CHECKS, tuple(previous) + tuple(names))
    return func
