"""The pieces every request matcher is made of: fields, value matchers, report rows.

A request matcher is a list of :class:`FieldMatcher` objects, one per constrained
field of a request; each compares one field and, for a report, says what it
expected and what it received (:class:`FieldResult`).

An expected header, cookie or form value is one of:

- a ``str``: the value must be equal to it;
- a compiled regular expression: the whole value must match it (``fullmatch``);
- a callable taking the received value (``None`` when missing) and returning
  ``True``/``False`` or ``(False, "reason")``;
- ``None``: the value must be absent.
"""

from __future__ import annotations

import re
from typing import Any, Callable, NamedTuple, Union

from werkzeug.wrappers import Request

__all__ = [
    "Check",
    "FieldMatcher",
    "FieldResult",
    "ValueMatcher",
    "describe_body",
    "make_value_matcher",
    "run_predicate",
    "short",
]

# (matched, reason): the reason says why not when matched is False.
Check = tuple[bool, str]
ValueSpec = Union[str, "re.Pattern[str]", Callable[[Any], Any], None]


# Short enough for a report cell (three lines of 40) to keep the stated length.
_BODY_PREVIEW = 90


class FieldResult(NamedTuple):
    """How one field of a request compares with one field of a matcher."""

    field: str
    ok: bool
    expected: str
    received: str
    reason: str


class FieldMatcher:
    """One field of a request matcher: one row of a failure report."""

    field = ""

    def check(self, request: Request) -> Check:
        """``(True, "")`` when *request* agrees, else ``(False, why)``."""
        raise NotImplementedError

    def expected(self) -> str:
        """What this field expects, in words."""
        raise NotImplementedError

    def received(self, request: Request) -> str:
        """What *request* has in this field, in words."""
        raise NotImplementedError


def describe_body(data: bytes, limit: int = _BODY_PREVIEW) -> str:
    """The body as text for a report: decoded when possible, cut with its length stated."""
    if not data:
        return "(empty)"
    try:
        text: str = data.decode("utf-8")
        shown = text if len(text) <= limit else text[:limit] + "..."
    except UnicodeDecodeError:
        shown = repr(data[:limit]) + ("..." if len(data) > limit else "")
    if len(data) > limit:
        shown += f" ({len(data)} bytes)"
    return shown


def short(value: object, limit: int = 60) -> str:
    """``repr`` of *value*, cut to about *limit* characters with the full length stated."""
    text = repr(value)
    if len(text) <= limit:
        return text
    size = len(value) if isinstance(value, (str, bytes)) else len(text)
    return f"{text[: limit - 12]}... ({size} chars)"


def run_predicate(func: Callable[..., Any], *args: Any) -> Check:
    """Call a user predicate; accept ``bool`` or ``(bool, reason)``.

    What the predicate raises propagates: a broken predicate is an error the
    checks report (the server answers 500 and keeps serving), never a quiet miss
    that a default response or another expectation would hide.
    """
    result = func(*args)
    if isinstance(result, tuple) and len(result) == 2:
        ok, reason = result
        return bool(ok), "" if ok else str(reason)
    if result:
        return True, ""
    return False, f"{_name(func)} returned {result!r}"


def _name(func: Callable[..., Any]) -> str:
    return getattr(func, "__qualname__", None) or repr(func)


class ValueMatcher:
    """Compares one received value (or ``None`` when missing) with an expectation."""

    def __init__(self, spec: ValueSpec, describe: str) -> None:
        self.spec = spec
        self._describe = describe

    def describe(self) -> str:
        """The expectation in words, for failure reports."""
        return self._describe

    def check(self, actual: str | None) -> Check:
        spec = self.spec
        if spec is None:
            if actual is None:
                return True, ""
            return False, f"expected absent, got {short(actual)}"
        if callable(spec) and not isinstance(spec, re.Pattern):
            return run_predicate(spec, actual)
        if actual is None:
            return False, "missing"
        if isinstance(spec, re.Pattern):
            if spec.fullmatch(actual):
                return True, ""
            return False, f"{short(actual)} does not match {spec.pattern!r}"
        if actual == spec:
            return True, ""
        return False, ""  # the report shows both values side by side


def make_value_matcher(argument: str, spec: object) -> ValueMatcher:
    """Validate *spec* for the argument named *argument* and build its matcher.

    Raises:
        TypeError: *spec* is not a str, compiled regex, callable or None.
    """
    if spec is None:
        return ValueMatcher(None, "absent")
    if isinstance(spec, str):
        return ValueMatcher(spec, spec or "''")
    if isinstance(spec, re.Pattern):
        if not isinstance(spec.pattern, str):
            raise TypeError(f"{argument} must use a str pattern, not bytes (got {spec!r})")
        return ValueMatcher(spec, f"matches {spec.pattern!r}")
    if callable(spec):
        return ValueMatcher(spec, f"{_name(spec)}(value)")
    raise TypeError(
        f"{argument} must be a str, a compiled regex, a callable or None for absent "
        f"(got {type(spec).__name__}: {spec!r:.60})"
    )
