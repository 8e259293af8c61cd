"""The module ``__getattr__`` that answers for the peers' names we do not offer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Callable, NoReturn

__all__ = ["absent_names"]


def absent_names(module: str, hints: Mapping[str, str]) -> Callable[[str], NoReturn]:
    """A module ``__getattr__`` for *module*: each name of *hints* says what to use instead.

    The error is an ``ImportError``, so that ``from module import Name`` shows
    the hint (Python replaces an ``AttributeError`` there with its own words).
    Other missing names get the usual ``AttributeError``.
    """

    def __getattr__(name: str) -> NoReturn:
        hint = hints.get(name)
        if hint is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        raise ImportError(f"{module}.{name} is not offered by localserver: {hint}", name=module)

    return __getattr__
