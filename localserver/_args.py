"""Argument checks: one function per rule, each naming the argument and the value.

Every public entry point checks what it is given here, so one rule is written once
and says the same thing everywhere. The convention is Python's own: a value of the
wrong type raises ``TypeError``, a value of the right type out of range raises
``ValueError``.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from typing import TypeVar

__all__ = [
    "check_bool",
    "check_choice",
    "check_count",
    "check_host",
    "check_port",
    "check_seconds",
    "check_status",
    "check_str",
]

_T = TypeVar("_T")


def check_bool(name: str, value: object) -> bool:
    """*value* if it is ``True`` or ``False``.

    Raises:
        TypeError: Anything else (``1`` and ``None`` included).
    """
    if not isinstance(value, bool):
        raise TypeError(f"{name!r} must be True or False (got {value!r})")
    return value


def check_str(name: str, value: object, *, empty: bool = True) -> str:
    """*value* if it is a ``str`` (non-empty unless *empty*)."""
    if not isinstance(value, str):
        raise TypeError(f"{name!r} must be a str (got {type(value).__name__}: {value!r:.60})")
    if not empty and not value:
        raise ValueError(f"{name!r} must not be empty")
    return value


def check_seconds(
    name: str, value: object, *, none: bool = False, zero: bool = True
) -> float | None:
    """A duration in seconds: a finite number, 0 or more (more than 0 unless *zero*).

    Args:
        name: The argument's name, for the message.
        value: What was given.
        none: Whether ``None`` (no limit, wait for ever) is allowed.
        zero: Whether ``0`` is allowed.

    Raises:
        TypeError: Not a number (``True`` is not a number here).
        ValueError: Negative, zero when *zero* is false, or not finite.
    """
    if value is None and none:
        return None
    kind = ("0 or more" if zero else "more than 0") + (", or None" if none else "")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name!r} must be a number of seconds, {kind} (got {value!r})")
    if not math.isfinite(value) or value < 0 or (value == 0 and not zero):
        raise ValueError(f"{name!r} must be a number of seconds, {kind} (got {value!r})")
    return float(value)


def check_count(name: str, value: object, *, minimum: int = 0, none: bool = False) -> int | None:
    """A whole number, at least *minimum* (``None`` too when *none*).

    Raises:
        TypeError: Not an int (``True`` is not an int here).
        ValueError: Below *minimum*.
    """
    if value is None and none:
        return None
    extra = " or None" if none else ""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name!r} must be an int of {minimum} or more{extra} (got {value!r})")
    if value < minimum:
        raise ValueError(f"{name!r} must be {minimum} or more{extra} (got {value!r})")
    return value


def check_status(name: str, value: object) -> int:
    """An HTTP status code, 100 to 999.

    Raises:
        TypeError: Not an int.
        ValueError: Outside 100-999.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name!r} must be an int HTTP status such as 200 (got {value!r})")
    if not 100 <= value <= 999:
        raise ValueError(f"{name!r} must be an HTTP status between 100 and 999 (got {value!r})")
    return value


def check_choice(name: str, value: _T, choices: Collection[_T]) -> _T:
    """*value* if it is one of *choices*.

    Raises:
        ValueError: It is not; the message lists the choices.
    """
    if value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name!r} must be one of {listed} (got {value!r})")
    return value


def check_host(value: object) -> str:
    """A host to bind: a non-empty ``str``, IPv6 brackets removed."""
    if not isinstance(value, str) or not value.strip("[]"):
        raise TypeError(f"'host' must be a non-empty str such as '127.0.0.1' (got {value!r})")
    return value.strip("[]")


def check_port(value: object) -> int:
    """A TCP port to bind, 0 (any free port) to 65535."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"'port' must be an int (got {value!r})")
    if not 0 <= value <= 65535:
        raise ValueError(f"'port' must be between 0 and 65535 (got {value!r})")
    return value
