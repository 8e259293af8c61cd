"""Which expectations could match a path, found without trying them all.

Exact paths are keys of a dict. Path templates (``/users/<int:id>/orders``) sit in a
tree of their segments: static segments are looked up, a segment with a converter
matches any one segment, and a converter that may span segments (``<path:rest>``)
ends the walk there. Everything else (regular expressions, custom matchers, "any
path") is a candidate for every request. The registry then asks each candidate's
matcher, so the index only has to never leave one out.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Generic, TypeVar

from ._matching import PathMatcher

__all__ = ["PathIndex"]

_T = TypeVar("_T")

# A werkzeug rule variable: <name>, <conv:name>, <conv(args):name>.
_VARIABLE = re.compile(r"<(?:([a-zA-Z_][a-zA-Z0-9_]*)(?:\([^)]*\))?:)?[a-zA-Z_][a-zA-Z0-9_]*>")
# Converters that never match a '/': one path segment each.
_ONE_SEGMENT = frozenset({None, "default", "string", "int", "float", "uuid", "any"})
_ANY = "\0any"  # the child for a segment with a variable


class _Node(Generic[_T]):
    __slots__ = ("children", "deep", "here")

    def __init__(self) -> None:
        self.children: dict[str, _Node[_T]] = {}
        self.here: list[_T] = []  # templates ending at this node
        self.deep: list[_T] = []  # templates whose rest may span segments


def _segments(template: str) -> tuple[list[str], bool]:
    """The segments of *template* up to one that may span '/', and whether one does."""
    keys: list[str] = []
    for segment in template.split("/"):
        converters = _VARIABLE.findall(segment)
        if not converters and "<" not in segment:
            keys.append(segment)
        elif all((name or None) in _ONE_SEGMENT for name in converters):
            keys.append(_ANY)
        else:
            return keys, True
    return keys, False


class PathIndex(Generic[_T]):
    """Items (expectations) filed under their path matcher."""

    def __init__(self) -> None:
        self._exact: dict[str, list[_T]] = {}
        self._root: _Node[_T] = _Node()
        self._always: list[_T] = []

    def add(self, path: PathMatcher, item: _T) -> None:
        """File *item* under *path*."""
        self._place(path, item).append(item)

    def remove(self, path: PathMatcher, item: _T) -> None:
        """Take *item* out (it must have been added with the same *path*)."""
        place = self._place(path, item, create=False)
        place.remove(item)
        if path.exact and not place:
            del self._exact[path.exact]

    def _place(self, path: PathMatcher, item: _T, create: bool = True) -> list[_T]:
        if path.exact:
            if create:
                return self._exact.setdefault(path.exact, [])
            return self._exact[path.exact]
        if path.adapter is None:
            return self._always
        keys, deep = _segments(str(path.uri))
        node = self._root
        for key in keys:
            child = node.children.get(key)
            if child is None:
                child = node.children[key] = _Node()
            node = child
        return node.deep if deep else node.here

    def candidates(self, path: str) -> Iterator[_T]:
        """Every item that could match *path* (and some that will not)."""
        exact = self._exact.get(path)
        if exact:
            yield from exact
        if self._root.children:
            yield from self._walk(path.split("/"))
        yield from self._always

    def _walk(self, segments: list[str]) -> Iterator[_T]:
        last = len(segments)
        # A trailing '/' may be left out by a template (strict_slashes=False).
        trailing = last > 1 and segments[-1] == ""
        level: list[_Node[_T]] = [self._root]
        for depth, segment in enumerate(segments):
            following: list[_Node[_T]] = []
            for node in level:
                yield from node.deep
                if trailing and depth == last - 1:
                    yield from node.here
                static = node.children.get(segment)
                if static is not None:
                    following.append(static)
                variable = node.children.get(_ANY)
                if variable is not None and segment:
                    following.append(variable)
            level = following
            if not level:
                return
        for node in level:
            yield from node.deep
            yield from node.here
            slash = node.children.get("")  # a template's trailing '/' may be left out
            if slash is not None:
                yield from slash.here
