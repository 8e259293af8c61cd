"""The fields of a request a matcher can constrain, one :class:`FieldMatcher` each.

Path (exact, template, regex or custom), method, query, each header, each cookie
and predicates. Body matchers (raw, JSON, form, files) are in :mod:`._body_matching`.
"""

from __future__ import annotations

import functools
import re
import urllib.parse
from collections.abc import Mapping
from typing import Any, Callable, Union

from werkzeug.datastructures import Authorization, MultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request

from ._fields import Check, FieldMatcher, ValueMatcher, make_value_matcher, run_predicate, short

__all__ = [
    "METHOD_ALL",
    "UNDEFINED",
    "CookieMatcher",
    "HeaderMatcher",
    "HeaderValueMatcherFunc",
    "MethodMatcher",
    "PathMatcher",
    "PredicateMatcher",
    "QueryMatcher",
    "parse_query",
]

HeaderValueMatcherFunc = Callable[[str, Union[str, None], str], bool]

METHOD_ALL = "__ALL"


class _Undefined:
    def __repr__(self) -> str:
        return "UNDEFINED"


UNDEFINED: Any = _Undefined()


def parse_query(query: str | bytes) -> dict[str, list[str]]:
    """Decode a query string to ``{name: [values in order]}`` (blank values kept)."""
    if isinstance(query, bytes):
        query = query.decode("utf-8", "replace")
    result: dict[str, list[str]] = {}
    for name, value in urllib.parse.parse_qsl(query.lstrip("?"), keep_blank_values=True):
        result.setdefault(name, []).append(value)
    return result


def _format_query(query: Mapping[str, list[str]]) -> str:
    return urllib.parse.urlencode([(k, v) for k, vs in query.items() for v in vs]) or "(none)"


# -- path ---------------------------------------------------------------------------


class PathMatcher(FieldMatcher):
    """The path: exact, ``re.compile`` (``Pattern.match``), template or ``match()`` object."""

    field = "path"

    def __init__(self, uri: object) -> None:
        self.exact: str | None = None
        self.adapter: Any = None
        self.pattern: re.Pattern[str] | None = None
        self.custom: Any = None
        self.uri = uri
        if isinstance(uri, str):
            if "?" in uri:
                raise ValueError(
                    f"'uri' must be a path without a query (got {uri!r}); pass the query as "
                    f"query_string={uri.partition('?')[2]!r}"
                )
            if uri and not uri.startswith("/"):
                raise ValueError(f"'uri' must start with '/' (got {uri!r})")
            if "<" in uri:
                from werkzeug.routing import RequestRedirect

                self.redirect: type[Exception] = RequestRedirect
                self.adapter = _template_adapter(uri)
            else:
                self.exact = uri
        elif isinstance(uri, re.Pattern):
            if not isinstance(uri.pattern, str):
                raise TypeError(f"'uri' must be a str pattern, not bytes (got {uri!r})")
            self.pattern = uri
        elif callable(getattr(uri, "match", None)):
            self.custom = uri
        else:
            raise TypeError(
                "'uri' must be a path str, a path template like '/users/<int:id>', a compiled "
                "regex or an object with a match(path) method "
                f"(got {type(uri).__name__}: {uri!r:.60})"
            )

    @property
    def constrained(self) -> bool:
        return self.exact != ""

    def params(self, path: str) -> dict[str, Any] | None:
        """The template's values for *path* (``{}`` for other kinds), None if no match."""
        if self.adapter is not None:
            try:
                _, values = self.adapter.match(path)
            except (HTTPException, self.redirect):
                return None
            return dict(values)
        if self.exact is not None:
            return {} if self.exact in ("", path) else None
        if self.pattern is not None:
            found = self.pattern.match(path)
            return found.groupdict() if found else None
        return {} if self.custom.match(path) else None

    def check(self, request: Request) -> Check:
        path = request.path
        if self.params(path) is not None:
            return True, ""
        if "//" in path and self.params(_SLASHES.sub("/", path)) is not None:
            return False, (
                "the path has a doubled slash ('//'): the client joined a base URL and a "
                "path that both have a '/'"
            )
        return False, ""  # the report shows both side by side

    def expected(self) -> str:
        if self.pattern is not None:
            return f"matches {self.pattern.pattern!r}"
        if self.custom is not None:
            return repr(self.custom)
        return str(self.uri)

    def received(self, request: Request) -> str:
        return request.path


_SLASHES = re.compile(r"/{2,}")


def _builds_nothing(rule: object, *args: object, **kwargs: object) -> Any:
    raise NotImplementedError("a path template of an expectation matches paths, it builds no URL")


@functools.cache
def _rule_classes() -> tuple[type, type]:
    """werkzeug's ``Map`` and a ``Rule`` that builds no URLs, made on the first template.

    werkzeug compiles two URL builders for every rule (Python source run through
    ``compile``), nine tenths of what making a rule costs, and a template only
    matches. Should werkzeug rename the method, the rule is a plain ``Rule``
    again: slower to make, the same to use.
    """
    from werkzeug.routing import Map, Rule

    class MatchOnlyRule(Rule):
        def _compile_builder(self, append_unknown: bool = True) -> Callable[..., Any]:
            return _builds_nothing

    return Map, MatchOnlyRule


def _template_adapter(template: str) -> Any:
    Map, MatchOnlyRule = _rule_classes()
    try:
        rules = Map(
            [MatchOnlyRule(template, endpoint="e", strict_slashes=False, merge_slashes=False)],
            strict_slashes=False,
            merge_slashes=False,
            redirect_defaults=False,
        )
        return rules.bind("localhost")
    except (ValueError, LookupError) as exc:
        raise ValueError(
            f"'uri' {template!r} is not a valid path template ({exc}); use werkzeug's syntax, "
            "e.g. '/users/<int:id>' or '/files/<path:name>'"
        ) from None


# -- method, query, headers, cookies, predicates ------------------------------------


class MethodMatcher(FieldMatcher):
    field = "method"

    def __init__(self, method: str) -> None:
        self.method = method.upper()

    def check(self, request: Request) -> Check:
        if request.method == self.method:
            return True, ""
        return False, ""

    def expected(self) -> str:
        return self.method

    def received(self, request: Request) -> str:
        return request.method


class QueryMatcher(FieldMatcher):
    """The whole query: the same names, each with the same values in the same order.

    The order of different names does not matter; ``+`` and ``%20`` are the same.
    """

    field = "query"

    def __init__(self, query: object) -> None:
        self.custom: Any = None
        if isinstance(query, (str, bytes)):
            self.query = parse_query(query)
        elif isinstance(query, MultiDict):
            self.query = {k: list(v) for k, v in query.lists()}
        elif isinstance(query, Mapping):
            self.query = {}
            for name, value in query.items():
                if isinstance(value, str):
                    self.query[str(name)] = [value]
                elif isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
                    self.query[str(name)] = list(value)
                else:
                    raise TypeError(
                        f"'query_string' value for {name!r} must be a str or a list of str "
                        f"(got {value!r:.60})"
                    )
        elif callable(getattr(query, "match", None)):
            self.custom = query  # pytest-httpserver's QueryMatcher objects
            self.query = {}
        else:
            raise TypeError(
                "'query_string' must be a str, bytes, a mapping of name to value(s) or an object "
                f"with a match(query_bytes) method (got {type(query).__name__}: {query!r:.60})"
            )

    def check(self, request: Request) -> Check:
        if self.custom is not None:
            if self.custom.match(request.query_string):
                return True, ""
            return False, f"{self.custom!r} did not match"
        actual = parse_query(request.query_string)
        if actual == self.query:
            return True, ""
        for name, values in self.query.items():
            if name not in actual:
                return False, f"{name!r} is missing"
            if actual[name] != values:
                return False, f"{name!r}: expected {short(values)}, got {short(actual[name])}"
        extra = next(name for name in actual if name not in self.query)
        return False, f"unexpected parameter {extra!r}"

    def expected(self) -> str:
        return repr(self.custom) if self.custom is not None else _format_query(self.query)

    def received(self, request: Request) -> str:
        return _format_query(parse_query(request.query_string))


def _same_authorization(received: str | None, expected: str) -> bool:
    """Authorization values compare by scheme and credentials, not by spelling."""
    if received is None:
        return False
    parsed = Authorization.from_header(received)
    if parsed is None:
        return received == expected
    return bool(parsed == Authorization.from_header(expected))


class HeaderMatcher(FieldMatcher):
    """One header, by case-insensitive name; its value by a value matcher."""

    def __init__(
        self, name: str, spec: object, custom: HeaderValueMatcherFunc | None = None
    ) -> None:
        self.name = name
        self.field = f"header {name}"
        if isinstance(spec, str) and custom is not None:
            self.matcher = ValueMatcher(
                lambda got: custom(name, got, spec) or (False, "header_value_matcher said no"),
                spec,
            )
        elif isinstance(spec, str) and name.lower() == "authorization":
            self.matcher = ValueMatcher(
                lambda got: _same_authorization(got, spec) or (False, ""),
                spec,
            )
        else:
            self.matcher = make_value_matcher(f"'headers' value for {name!r}", spec)

    def _value(self, request: Request) -> str | None:
        values = request.headers.getlist(self.name)
        return ", ".join(values) if values else None

    def check(self, request: Request) -> Check:
        return self.matcher.check(self._value(request))

    def expected(self) -> str:
        return self.matcher.describe()

    def received(self, request: Request) -> str:
        value = self._value(request)
        return "(absent)" if value is None else value


class CookieMatcher(FieldMatcher):
    def __init__(self, name: str, spec: object) -> None:
        self.name = name
        self.field = f"cookie {name}"
        self.matcher = make_value_matcher(f"'cookies' value for {name!r}", spec)

    def check(self, request: Request) -> Check:
        return self.matcher.check(request.cookies.get(self.name))

    def expected(self) -> str:
        return self.matcher.describe()

    def received(self, request: Request) -> str:
        value = request.cookies.get(self.name)
        return "(absent)" if value is None else value


class PredicateMatcher(FieldMatcher):
    """Any callable taking the request, returning a bool or ``(False, "reason")``."""

    field = "predicate"

    def __init__(self, func: Callable[[Request], Any]) -> None:
        self.func = func
        self.name = getattr(func, "__qualname__", None) or repr(func)

    def check(self, request: Request) -> Check:
        return run_predicate(self.func, request)

    def expected(self) -> str:
        return f"{self.name}(request) is true"

    def received(self, request: Request) -> str:
        ok, reason = self.check(request)
        return "true" if ok else reason


# -- the whole request --------------------------------------------------------------
