"""``RequestMatcher``: which requests an expectation accepts, field by field.

Each constrained field (path, method, query, each header, cookies, body, JSON, form,
files, predicates) is a :class:`FieldMatcher` (see :mod:`._request_fields` and
:mod:`._body_matching`); a request matches when every field agrees, and a failure
report shows the fields one row each.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Callable

from werkzeug.wrappers import Request

from ._body_matching import BodyMatcher, FilesMatcher, FormMatcher, JSONMatcher
from ._fields import FieldMatcher, FieldResult, short
from ._public import public
from ._request_fields import (
    METHOD_ALL,
    UNDEFINED,
    CookieMatcher,
    HeaderMatcher,
    HeaderValueMatcherFunc,
    MethodMatcher,
    PathMatcher,
    PredicateMatcher,
    QueryMatcher,
    parse_query,
)

__all__ = [
    "CRITERIA",
    "METHOD_ALL",
    "UNDEFINED",
    "PathMatcher",
    "RequestMatcher",
    "matcher_for",
    "parse_query",
]


@public
class RequestMatcher:
    """Describes the requests an expectation accepts; unset arguments accept anything.

    The positional order is pytest-httpserver's. See :meth:`HTTPServer.expect_request`
    for every argument.
    """

    def __init__(
        self,
        uri: Any = "",
        method: str | None = METHOD_ALL,
        data: str | bytes | re.Pattern[Any] | None = None,
        data_encoding: str = "utf-8",
        headers: Mapping[str, Any] | None = None,
        query_string: Any = None,
        header_value_matcher: HeaderValueMatcherFunc | None = None,
        json: Any = UNDEFINED,
        *,
        json_ignore_extra_keys: bool = False,
        form: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
        cookies: Mapping[str, Any] | None = None,
        predicate: Callable[[Request], Any] | Sequence[Callable[[Request], Any]] | None = None,
    ) -> None:
        if data is not None and json is not UNDEFINED:
            raise ValueError("'data' and 'json' cannot both be given: a body is one or the other")
        if not isinstance(data_encoding, str):
            raise TypeError(f"'data_encoding' must be a str (got {data_encoding!r})")
        if header_value_matcher is not None and not callable(header_value_matcher):
            raise TypeError(
                f"'header_value_matcher' must be callable (got {header_value_matcher!r})"
            )
        self.uri = uri if uri is not None else ""
        self.path = PathMatcher(self.uri)
        self.method = _check_method(method)
        self.query_string = query_string
        self.headers = dict(headers) if headers is not None else {}
        self.data = data
        self.json = json
        fields: list[FieldMatcher] = []
        if self.path.constrained:
            fields.append(self.path)
        if self.method is not None:
            fields.append(MethodMatcher(self.method))
        if query_string is not None:
            fields.append(QueryMatcher(query_string))
        if headers is not None:
            if not isinstance(headers, Mapping):
                raise TypeError(
                    f"'headers' must be a mapping of name to value (got {headers!r:.60})"
                )
            for name, spec in headers.items():
                if not isinstance(name, str):
                    raise TypeError(f"'headers' names must be str (got {name!r})")
                fields.append(HeaderMatcher(name, spec, header_value_matcher))
        if cookies is not None:
            if not isinstance(cookies, Mapping):
                raise TypeError(
                    f"'cookies' must be a mapping of name to value (got {cookies!r:.60})"
                )
            fields.extend(CookieMatcher(str(name), spec) for name, spec in cookies.items())
        if data is not None:
            fields.append(BodyMatcher(data, data_encoding))
        if json is not UNDEFINED:
            fields.append(JSONMatcher(json, data_encoding, bool(json_ignore_extra_keys)))
        elif json_ignore_extra_keys:
            raise ValueError(
                "'json_ignore_extra_keys' needs 'json': pass the expected JSON body too"
            )
        if form is not None:
            fields.append(FormMatcher(form))
        if files is not None:
            fields.append(FilesMatcher(files))
        if predicate is not None:
            funcs = predicate if isinstance(predicate, (list, tuple)) else [predicate]
            for func in funcs:
                if not callable(func):
                    raise TypeError(
                        f"'predicate' must be callable or a list of callables (got {func!r})"
                    )
                fields.append(PredicateMatcher(func))
        self.fields = fields
        self._args = _describe_args(
            uri=self.uri,
            method=self.method,
            query_string=query_string,
            headers=headers,
            cookies=cookies,
            data=data,
            json=json,
            json_ignore_extra_keys=json_ignore_extra_keys or None,
            form=form,
            files=files,
            predicate=predicate,
        )

    @property
    def exact_path(self) -> str | None:
        """The path when it is an exact one (the registry's index key), else None."""
        return self.path.exact or None

    def match(self, request: Request) -> bool:
        """Whether *request* agrees with every field (pytest-httpserver's name).

        Raises:
            Exception: Whatever a predicate or a body parser raised (the server
                answers such a request 500 and reports it as a ``HandlerError``).
        """
        return all(field.check(request)[0] for field in self.fields)

    def explain(self, request: Request) -> list[FieldResult]:
        """Every field compared with *request*: one row each for a report.

        A field whose check raises (a predicate, a JSON body nested too deep) is a
        row that says so: a report never fails on the request it explains.
        """
        rows = []
        for field in self.fields:
            try:
                ok, reason = field.check(request)
                received = field.received(request)
            except Exception as exc:
                ok, received = False, "(could not be compared)"
                reason = f"comparing it raised {type(exc).__name__}: {exc}"
            rows.append(FieldResult(field.field, ok, field.expected(), received, reason))
        return rows

    def difference(self, request: Request) -> list[tuple[str, str, str]]:
        """``(field, received, expected)`` for each field that differs (pytest-httpserver)."""
        return [(r.field, r.received, r.expected) for r in self.explain(request) if not r.ok]

    def path_params(self, request: Request) -> dict[str, Any]:
        """Values of the path template's named parts for *request* (``{}`` if none)."""
        return self.path.params(request.path) or {}

    def __repr__(self) -> str:
        return f"<RequestMatcher {self._args}>"

    def describe(self) -> str:
        """The matcher as the call that made it, e.g. ``'/users/<int:id>', method='GET'``."""
        return self._args


def _check_method(method: object) -> str | None:
    if method is None or method in ("", METHOD_ALL):
        return None
    if not isinstance(method, str) or not _METHOD_TOKEN.fullmatch(method):
        raise TypeError(f"'method' must be an HTTP method name such as 'GET' (got {method!r})")
    return method.upper()


# RFC 9110 section 9.1: a method is a token (M-SEARCH, VERSION-CONTROL, ...).
_METHOD_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def _describe_args(**kwargs: Any) -> str:
    parts = [repr(kwargs.pop("uri"))]
    for name, value in kwargs.items():
        if value is None or value is UNDEFINED:
            continue
        if isinstance(value, re.Pattern):
            text = f"re.compile({value.pattern!r})"
        elif callable(value):
            text = getattr(value, "__qualname__", repr(value))
        else:
            text = short(value, 40)
        parts.append(f"{name}={text}")
    return ", ".join(parts)


# The keyword arguments a matcher takes besides the path: what the assertions accept.
CRITERIA = (
    "method",
    "data",
    "data_encoding",
    "headers",
    "query_string",
    "header_value_matcher",
    "json",
    "json_ignore_extra_keys",
    "form",
    "files",
    "cookies",
    "predicate",
)


def matcher_for(spec: object = "", criteria: Mapping[str, Any] | None = None) -> RequestMatcher:
    """A matcher from what an assertion was given: a matcher, an expectation or a path.

    Args:
        spec: A :class:`RequestMatcher`, an expectation (its matcher is used), or
            the path argument of :class:`RequestMatcher` (str, template, regex...).
        criteria: :class:`RequestMatcher` keyword arguments (``method=``,
            ``json=``...), only with a path.

    Raises:
        TypeError: An unknown keyword (with the closest known one), or criteria
            given with a ready matcher.
    """
    criteria = dict(criteria or {})
    unknown = [name for name in criteria if name not in CRITERIA]
    if unknown:
        name = unknown[0]
        if name == "query":
            hint = "the query is matched with query_string= (as in expect_request)"
        else:
            from difflib import get_close_matches  # only when a caller misspelt one

            close = get_close_matches(name, CRITERIA, n=1)
            hint = (
                f"did you mean {close[0]!r}?"
                if close
                else f"the criteria are {', '.join(CRITERIA)}"
            )
        raise TypeError(f"unexpected keyword argument {name!r}: {hint}")
    ready = spec if isinstance(spec, RequestMatcher) else getattr(spec, "matcher", None)
    if isinstance(ready, RequestMatcher):
        given = {k: v for k, v in criteria.items() if v is not None and v is not UNDEFINED}
        if given:
            raise TypeError(
                "pass either a RequestMatcher (or expectation) or matching arguments "
                f"({', '.join(given)}), not both"
            )
        return ready
    return RequestMatcher(spec, **criteria)
