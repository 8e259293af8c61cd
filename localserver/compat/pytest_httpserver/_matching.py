"""pytest-httpserver's request matching, as arguments to localserver's ``RequestMatcher``.

:class:`RequestMatcher` is :class:`localserver.RequestMatcher` with the peer's
arguments and rules: its query-string comparison (the text byte for byte, or the
first value of each parameter of a mapping), its header-value matchers, and any
object comparing equal to the path as ``uri``. The matching itself, and the
failure reports, are localserver's.
"""

from __future__ import annotations

import abc
import re
import urllib.parse
from collections import defaultdict
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any, ClassVar, Optional, TypedDict, Union

from werkzeug.datastructures import Authorization, MultiDict
from werkzeug.wrappers import Request

from ... import RequestMatcher as _Matcher
from ..._body_matching import BodyMatcher, JSONMatcher
from ..._request_fields import METHOD_ALL, UNDEFINED
from ._errors import NoMethodFoundForMatchingHeaderValueError

__all__ = [
    "METHOD_ALL",
    "UNDEFINED",
    "URI_DEFAULT",
    "BooleanQueryMatcher",
    "HeaderValueMatcher",
    "MappingQueryMatcher",
    "QueryMatcher",
    "RequestMatcher",
    "RequestMatcherKwargs",
    "StringQueryMatcher",
    "URIPattern",
]

#: The ``uri`` that matches every path.
URI_DEFAULT = ""

#: ``comparator(actual, expected) -> bool`` for one header's value.
ValueComparator = Callable[[Optional[str], str], bool]
#: ``matcher(header_name, actual, expected) -> bool``.
HeaderValueMatcherFunc = Callable[[str, Optional[str], str], bool]


class URIPattern(abc.ABC):
    """Base class of path matchers: subclass it and write :meth:`match`.

    localserver takes any object with a ``match(path)`` method as ``uri``;
    this class only names the method to write.
    """

    @abc.abstractmethod
    def match(self, uri: str) -> bool:
        """Whether *uri*, the request's path (no query), is one this pattern accepts."""


def _compare_authorization(actual: str | None, expected: str) -> bool:
    return bool(Authorization.from_header(actual) == Authorization.from_header(expected))


def _compare_equal(actual: str | None, expected: str) -> bool:
    return actual == expected


def _equal_comparator() -> ValueComparator:
    return _compare_equal


class HeaderValueMatcher:
    """Compares header values with a comparator per header name.

    Give an instance as ``header_value_matcher=``. Without a mapping it uses
    ``DEFAULT_MATCHERS``, which compares ``Authorization`` by its parsed
    credentials and every other header for equality; add an entry there to
    change a header's comparison for every expectation.

    Args:
        matchers: Header name (as written in ``headers=``) -> ``comparator(actual,
            expected) -> bool``, where *actual* is None for a missing header.
    """

    DEFAULT_MATCHERS: ClassVar[MutableMapping[str, ValueComparator]]

    def __init__(self, matchers: Mapping[str, ValueComparator] | None = None) -> None:
        self.matchers = self.DEFAULT_MATCHERS if matchers is None else matchers

    @staticmethod
    def authorization_header_value_matcher(actual: str | None, expected: str) -> bool:
        """Whether two ``Authorization`` values hold the same scheme and credentials."""
        return _compare_authorization(actual, expected)

    @staticmethod
    def default_header_value_matcher(actual: str | None, expected: str) -> bool:
        """Whether the value is exactly the expected one."""
        return _compare_equal(actual, expected)

    def __call__(self, header_name: str, actual: str | None, expected: str) -> bool:
        """Compare *actual* with *expected* using the comparator for *header_name*.

        Raises:
            NoMethodFoundForMatchingHeaderValueError: The mapping has no comparator
                for the header (and no default, as ``DEFAULT_MATCHERS`` has).
        """
        matchers = self.matchers
        if header_name in matchers:
            comparator = matchers[header_name]
        elif isinstance(matchers, defaultdict) and matchers.default_factory is not None:
            comparator = matchers.default_factory()  # looked up without adding a key
        else:
            raise NoMethodFoundForMatchingHeaderValueError(
                f"the HeaderValueMatcher has no comparator for header {header_name!r} "
                f"(it has {', '.join(map(repr, matchers)) or 'none'}): add one to its "
                "mapping, or start from HeaderValueMatcher.DEFAULT_MATCHERS.copy()"
            )
        return bool(comparator(actual, expected))

    def __repr__(self) -> str:
        return f"<HeaderValueMatcher for {', '.join(map(repr, self.matchers)) or 'no header'}>"


HeaderValueMatcher.DEFAULT_MATCHERS = defaultdict(
    _equal_comparator, {"Authorization": HeaderValueMatcher.authorization_header_value_matcher}
)
_STOCK_AUTHORIZATION = HeaderValueMatcher.authorization_header_value_matcher


def _defaults_changed() -> bool:
    """Whether someone edited (or replaced) ``HeaderValueMatcher.DEFAULT_MATCHERS``."""
    defaults = HeaderValueMatcher.DEFAULT_MATCHERS
    return not (
        isinstance(defaults, defaultdict)
        and defaults.default_factory is _equal_comparator
        and list(defaults) == ["Authorization"]
        and defaults["Authorization"] is _STOCK_AUTHORIZATION
    )


# -- query strings ------------------------------------------------------------------


class QueryMatcher(abc.ABC):
    """Base class of query-string matchers: subclass it and write :meth:`get_comparing_values`.

    localserver takes any object with a ``match(query_bytes)`` method as
    ``query_string``; this class gives one that compares two values.
    """

    def match(self, request_query_string: bytes) -> bool:
        """Whether the request's raw query string (bytes, without ``?``) is accepted."""
        received, expected = self.get_comparing_values(request_query_string)
        return bool(received == expected)

    @abc.abstractmethod
    def get_comparing_values(self, request_query_string: bytes) -> tuple[Any, Any]:
        """``(from the request, expected)``: the query matches when they are equal."""


class StringQueryMatcher(QueryMatcher):
    """The query string must be exactly this text (a str is encoded as UTF-8)."""

    def __init__(self, query_string: bytes | str) -> None:
        if not isinstance(query_string, (str, bytes)):
            raise TypeError(f"'query_string' must be a str or bytes (got {query_string!r:.60})")
        self.query_string = query_string

    def get_comparing_values(self, request_query_string: bytes) -> tuple[bytes, bytes]:
        expected = self.query_string
        if isinstance(expected, str):
            expected = expected.encode()
        return request_query_string, expected

    def __repr__(self) -> str:
        return f"StringQueryMatcher({self.query_string!r})"


class MappingQueryMatcher(QueryMatcher):
    """The query's parameters, as a mapping: the first value of each parameter.

    A plain mapping compares each parameter's first value; a werkzeug
    ``MultiDict`` compares every value. Blank values count (``?flag`` is
    ``{"flag": ""}``), and a parameter left out must be absent.
    """

    def __init__(self, query_dict: Mapping[str, str] | MultiDict[str, str]) -> None:
        if not isinstance(query_dict, Mapping):
            raise TypeError(f"'query_string' must be a mapping (got {query_dict!r:.60})")
        self.query_dict = query_dict

    def get_comparing_values(self, request_query_string: bytes) -> tuple[Any, Any]:
        pairs = urllib.parse.parse_qsl(
            request_query_string.decode("utf-8", "replace"), keep_blank_values=True
        )
        received: MultiDict[str, str] = MultiDict(pairs)
        if isinstance(self.query_dict, MultiDict):
            return received, self.query_dict
        return received.to_dict(), dict(self.query_dict)

    def __repr__(self) -> str:
        return f"MappingQueryMatcher({self.query_dict!r})"


class BooleanQueryMatcher(QueryMatcher):
    """Every query string (``result=True``) or none (``False``)."""

    def __init__(self, result: bool) -> None:
        self.result = result

    def get_comparing_values(self, request_query_string: bytes) -> tuple[bool, bool]:
        return True, bool(self.result)

    def __repr__(self) -> str:
        return f"BooleanQueryMatcher({self.result!r})"


QueryArg = Union[QueryMatcher, str, bytes, Mapping[str, str], None]


def _query_matcher(query_string: object) -> QueryMatcher | None:
    if query_string is None:
        return None
    if isinstance(query_string, QueryMatcher):
        return query_string
    if isinstance(query_string, (str, bytes)):
        return StringQueryMatcher(query_string)
    if isinstance(query_string, Mapping):
        return MappingQueryMatcher(query_string)
    raise TypeError(
        "'query_string' must be a str, bytes, a mapping or a QueryMatcher "
        f"(got {type(query_string).__name__}: {query_string!r:.60})"
    )


# -- paths ----------------------------------------------------------------------------


class _SamePath:
    """A ``uri`` localserver would refuse, kept as pytest-httpserver keeps it: ``uri == path``.

    A text with a query (``"/foo?a=1"``) or without the leading ``/`` never equals
    a path; an object with its own ``__eq__`` decides for itself.
    """

    def __init__(self, uri: object) -> None:
        self.uri = uri

    def match(self, path: str) -> bool:
        return bool(self.uri == path)

    def __repr__(self) -> str:
        return repr(self.uri)


def _path_spec(uri: object) -> object:
    if isinstance(uri, str):
        if uri and ("?" in uri or not uri.startswith("/")):
            return _SamePath(uri)
        return uri
    if isinstance(uri, re.Pattern) or callable(getattr(uri, "match", None)):
        return uri
    return _SamePath(uri)


class RequestMatcherKwargs(TypedDict, total=False):
    """The keyword arguments ``expect_request()`` and ``bake()`` share."""

    method: str
    data: str | bytes | None
    data_encoding: str
    headers: Mapping[str, str] | None
    query_string: QueryArg
    header_value_matcher: HeaderValueMatcherFunc | None
    json: Any


# pytest-httpserver's field names in difference(), by localserver's.
_PEER_FIELDS = {"path": "uri", "query": "query_string", "body": "data"}


class RequestMatcher(_Matcher):
    """Which requests an expectation accepts: localserver's matcher with pytest-httpserver's rules.

    Args:
        uri: The path: a str (exact), a compiled regex (``match`` from the
            start), a :class:`URIPattern`, or any object equal to the path.
        method: The HTTP method; ``METHOD_ALL`` for any.
        data: The exact body (a str is encoded with *data_encoding*).
        data_encoding: Encoding of *data*, and of the body read as JSON.
        headers: Header name -> expected value.
        query_string: The exact query text (str or bytes), a mapping of first
            values, a werkzeug ``MultiDict`` of all values, or a
            :class:`~localserver.compat.pytest_httpserver.httpserver.QueryMatcher`.
        header_value_matcher: ``matcher(name, actual, expected) -> bool`` for the
            header values (:class:`HeaderValueMatcher` by default).
        json: The body, parsed as JSON, must equal this.
        **more: localserver's other criteria (``form=``, ``cookies=``,
            ``predicate=``, ``json_ignore_extra_keys=``...).

    Raises:
        ValueError: *data* and *json* were both given.
    """

    def __init__(
        self,
        uri: Any,
        method: str = METHOD_ALL,
        data: str | bytes | None = None,
        data_encoding: str = "utf-8",
        headers: Mapping[str, str] | None = None,
        query_string: QueryArg = None,
        header_value_matcher: HeaderValueMatcherFunc | None = None,
        json: Any = UNDEFINED,
        **more: Any,
    ) -> None:
        query_matcher = _query_matcher(query_string)
        value_matcher = header_value_matcher
        if value_matcher is None and _defaults_changed():
            value_matcher = HeaderValueMatcher()
        super().__init__(
            _path_spec(uri),
            method,
            data,
            data_encoding,
            headers,
            query_matcher,
            value_matcher,
            json,
            **more,
        )
        # The attributes as pytest-httpserver keeps them (its repr shows them).
        self.uri = uri
        self.method = method
        self.query_string = query_string
        self.query_matcher = query_matcher or BooleanQueryMatcher(result=True)
        self.headers = dict(headers) if headers is not None else {}
        self.data = data.encode(data_encoding) if isinstance(data, str) else data
        self.data_encoding = data_encoding
        self.header_value_matcher = value_matcher or HeaderValueMatcher()

    def match_uri(self, request: Request) -> bool:
        """Whether the request's path is accepted."""
        return self.path.params(request.path) is not None

    def match_data(self, request: Request) -> bool:
        """Whether the body is the expected one (True when no body is expected)."""
        return all(f.check(request)[0] for f in self.fields if isinstance(f, BodyMatcher))

    def match_json(self, request: Request) -> bool:
        """Whether the body, as JSON, is the expected value (True when none is expected)."""
        return all(f.check(request)[0] for f in self.fields if isinstance(f, JSONMatcher))

    def difference(self, request: Request) -> list[tuple[str, Any, Any]]:
        """``(field, from the request, expected)`` for each field that differs; [] on a match.

        The fields are named as pytest-httpserver names them (``uri``, ``method``,
        ``query_string``, ``headers``, ``data``, ``json``); the headers that
        differ are grouped in one entry of two dicts.
        """
        rows: list[tuple[str, Any, Any]] = []
        received_headers: dict[str, str | None] = {}
        expected_headers: dict[str, Any] = {}
        for row in self.explain(request):
            if row.ok:
                continue
            if row.field.startswith("header "):
                name = row.field[len("header ") :]
                received_headers[name] = request.headers.get(name)
                expected_headers[name] = self.headers.get(name, row.expected)
                continue
            field = _PEER_FIELDS.get(row.field, row.field)
            rows.append((field, *self._values(field, request, row.received, row.expected)))
        if expected_headers:
            rows.append(("headers", received_headers, expected_headers))
        return rows

    def _values(
        self, field: str, request: Request, received: str, expected: str
    ) -> tuple[Any, Any]:
        if field == "uri":
            return request.path, self.uri
        if field == "method":
            return request.method, self.method
        if field == "query_string":
            return request.query_string, self.query_string
        if field == "data":
            return request.get_data(), self.data
        if field == "json":
            return request.get_data(), self.json
        return received, expected

    def __repr__(self) -> str:
        json = "<UNDEFINED>" if self.json is UNDEFINED else repr(self.json)
        return (
            f"<{type(self).__name__} uri={self.uri!r} method={self.method!r} "
            f"query_string={self.query_string!r} headers={self.headers!r} "
            f"data={self.data!r} json={json}>"
        )
