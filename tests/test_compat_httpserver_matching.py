"""localserver.compat.pytest_httpserver: matching requests by pytest-httpserver's rules."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Request

import localserver
from localserver.compat import pytest_httpserver as ph
from localserver.compat.pytest_httpserver import httpserver as ph_module

TIMEOUT = 5


@pytest.fixture
def server() -> Iterator[ph.HTTPServer]:
    with ph.HTTPServer() as srv:
        yield srv
        srv.clear_assertions()


def status(srv: ph.HTTPServer, path: str, **kwargs: Any) -> int:
    return requests.get(srv.url_for(path), timeout=TIMEOUT, **kwargs).status_code


def request(path: str = "/", **kwargs: Any) -> Request:
    return Request.from_values(path, **kwargs)


class TestRequestMatcher:
    def test_is_localservers(self) -> None:
        """RequestMatcher is a localserver.RequestMatcher (its reports work)."""
        matcher = ph.RequestMatcher("/a")
        assert isinstance(matcher, localserver.RequestMatcher)
        assert matcher.explain(request("/b"))[0].field == "path"

    def test_match_and_difference(self) -> None:
        """match() is True when difference() is empty; difference() names fields as the peer."""
        matcher = ph.RequestMatcher("/a", method="POST", headers={"X-K": "v"}, json={"k": 1})
        good = request("/a", method="POST", headers={"X-K": "v"}, json={"k": 1})
        assert matcher.match(good)
        assert matcher.difference(good) == []
        bad = request("/b", method="GET", headers={"X-K": "w"}, data="x")
        fields = [name for name, _, _ in matcher.difference(bad)]
        assert fields == ["uri", "method", "json", "headers"]
        assert ("uri", "/b", "/a") in matcher.difference(bad)
        assert ("headers", {"X-K": "w"}, {"X-K": "v"}) in matcher.difference(bad)

    def test_attributes_and_repr(self) -> None:
        """The attributes hold the arguments (data encoded); the repr shows them."""
        matcher = ph.RequestMatcher("/a", data="é", data_encoding="latin-1")
        assert matcher.uri == "/a"
        assert matcher.method == ph.METHOD_ALL
        assert matcher.data == "é".encode("latin-1")
        assert matcher.headers == {}
        assert repr(matcher) == (
            "<RequestMatcher uri='/a' method='__ALL' query_string=None headers={} "
            "data=b'\\xe9' json=<UNDEFINED>>"
        )

    def test_partial_matches(self) -> None:
        """match_uri(), match_data() and match_json() check one field each."""
        matcher = ph.RequestMatcher("/a", data=b"body")
        assert matcher.match_uri(request("/a"))
        assert not matcher.match_data(request("/a", data=b"other"))
        assert matcher.match_json(request("/a"))
        json_matcher = ph.RequestMatcher("/a", json=[1])
        assert json_matcher.match_json(request("/a", data="[1]"))
        assert not json_matcher.match_json(request("/a", data="not json"))

    def test_data_and_json_exclude_each_other(self) -> None:
        with pytest.raises(ValueError, match="data"):
            ph.RequestMatcher("/a", data="x", json={})

    def test_json_none_matches_null(self) -> None:
        """json=None expects the body `null`."""
        assert ph.RequestMatcher("/", json=None).match(request("/", data="null"))

    def test_subclass_with_its_own_match(self, server: ph.HTTPServer) -> None:
        """A subclass overriding match() decides, as in the peer's how-to."""

        class Even(ph.RequestMatcher):
            def match(self, request: Request) -> bool:
                return super().match(request) and request.json["value"] % 2 == 0

        server.expect(Even("/n")).respond_with_data("even")
        url = server.url_for("/n")
        assert requests.post(url, json={"value": 2}, timeout=TIMEOUT).text == "even"
        assert requests.post(url, json={"value": 3}, timeout=TIMEOUT).status_code == 500

    def test_kwargs_typed_dict(self) -> None:
        """RequestMatcherKwargs names expect_request()'s keyword arguments."""
        assert set(ph.RequestMatcherKwargs.__annotations__) == {
            "method",
            "data",
            "data_encoding",
            "headers",
            "query_string",
            "header_value_matcher",
            "json",
        }


class TestPaths:
    def test_uri_pattern_subclass(self, server: ph.HTTPServer) -> None:
        """A URIPattern subclass is a path matcher."""

        class Prefix(ph.URIPattern):
            def __init__(self, prefix: str) -> None:
                self.prefix = prefix

            def match(self, uri: str) -> bool:
                return uri.startswith(self.prefix)

        server.expect_request(Prefix("/api")).respond_with_data("api")
        assert status(server, "/api/users") == 200
        assert status(server, "/web") == 500

    def test_uri_pattern_is_abstract(self) -> None:
        with pytest.raises(TypeError):
            ph.URIPattern()  # type: ignore[abstract]

    def test_regex(self, server: ph.HTTPServer) -> None:
        """A compiled regex matches from the start of the path."""
        server.expect_request(re.compile(r"/foo/\d+")).respond_with_data("n")
        assert status(server, "/foo/12") == 200
        assert status(server, "/bar/foo/12") == 500

    def test_object_equal_to_the_path(self, server: ph.HTTPServer) -> None:
        """Any object comparing equal to the path is accepted as uri."""

        class Prefix:
            def __eq__(self, other: object) -> bool:
                return isinstance(other, str) and other.startswith("/p")

            __hash__ = None  # type: ignore[assignment]

        server.expect_request(Prefix()).respond_with_data("p")
        assert status(server, "/plain") == 200
        assert status(server, "/other") == 500

    def test_a_path_with_a_query_never_matches(self, server: ph.HTTPServer) -> None:
        """ "/foo?user=bar" is accepted and, as with the peer, matches no request."""
        server.expect_request("/foo?user=bar").respond_with_data("never")
        assert status(server, "/foo", params={"user": "bar"}) == 500

    def test_uri_default_matches_every_path(self, server: ph.HTTPServer) -> None:
        server.expect_request(ph.URI_DEFAULT).respond_with_data("any")
        assert status(server, "/whatever/path") == 200


class TestQueryStrings:
    def test_text_is_compared_exactly(self) -> None:
        """A str or bytes query must be the request's query byte for byte."""
        matcher = ph.RequestMatcher("/", query_string="a=1&b=2")
        assert matcher.match(request("/", query_string="a=1&b=2"))
        assert not matcher.match(request("/", query_string="b=2&a=1"))
        assert ph.RequestMatcher("/", query_string=b"a=1").match(request("/", query_string="a=1"))

    def test_mapping_compares_first_values(self) -> None:
        """A mapping compares each parameter's first value, in any order."""
        matcher = ph.RequestMatcher("/", query_string={"a": "1", "b": "2"})
        assert matcher.match(request("/", query_string="b=2&a=1"))
        assert ph.RequestMatcher("/", query_string={"k": "v1"}).match(
            request("/", query_string="k=v1&k=v2")
        )
        assert not matcher.match(request("/", query_string="a=1"))

    def test_multidict_compares_every_value(self) -> None:
        matcher = ph.RequestMatcher("/", query_string=MultiDict([("k", "1"), ("k", "2")]))
        assert matcher.match(request("/", query_string="k=1&k=2"))
        assert not matcher.match(request("/", query_string="k=1"))

    def test_blank_values_count(self) -> None:
        """`?flag` is {"flag": ""}; an empty mapping means no parameter at all."""
        assert ph.RequestMatcher("/", query_string={"flag": ""}).match(
            request("/", query_string="flag")
        )
        assert not ph.RequestMatcher("/", query_string={}).match(request("/", query_string="flag="))

    def test_query_matcher_classes(self) -> None:
        """The QueryMatcher classes of the peer's httpserver module work alone too."""
        assert ph_module.StringQueryMatcher("a=1").match(b"a=1")
        assert ph_module.MappingQueryMatcher({"a": "1"}).match(b"a=1&a=2")
        assert ph_module.BooleanQueryMatcher(result=True).match(b"anything")
        assert not ph_module.BooleanQueryMatcher(result=False).match(b"")

        class Sorted(ph_module.QueryMatcher):
            def get_comparing_values(self, request_query_string: bytes) -> tuple[Any, Any]:
                return sorted(request_query_string.split(b"&")), [b"a=1", b"b=2"]

        assert ph.RequestMatcher("/", query_string=Sorted()).match(
            request("/", query_string="b=2&a=1")
        )

    def test_bad_query_type(self) -> None:
        with pytest.raises(TypeError, match="query_string"):
            ph.RequestMatcher("/", query_string=12)  # type: ignore[arg-type]


class TestHeaderValues:
    def test_authorization_by_its_credentials(self) -> None:
        """Authorization values compare by their parsed parameters, not their spelling."""
        one = 'Digest username="u", realm="r", nonce="n", uri="/", response="x"'
        two = 'Digest realm="r", username="u", response="x", uri="/", nonce="n"'
        matcher = ph.RequestMatcher("/", headers={"Authorization": one})
        assert matcher.match(request("/", headers={"Authorization": two}))

    def test_header_value_matcher_function(self) -> None:
        """A function (name, actual, expected) -> bool compares the values."""

        def same_case(name: str, actual: str | None, expected: str) -> bool:
            return actual is not None and actual.lower() == expected.lower()

        matcher = ph.RequestMatcher("/", headers={"X-A": "b"}, header_value_matcher=same_case)
        assert matcher.match(request("/", headers={"X-A": "B"}))

    def test_per_header_matchers(self) -> None:
        """A HeaderValueMatcher with its own mapping compares those headers its way."""
        loose = ph.HeaderValueMatcher({"X-A": lambda a, e: (a or "").lower() == e})
        matcher = ph.RequestMatcher("/", headers={"X-A": "b"}, header_value_matcher=loose)
        assert matcher.match(request("/", headers={"X-A": "B"}))
        # A header it has no comparator for raises, as in pytest-httpserver (a server
        # answers that request 500 and its checks report the error); the report says why.
        other = ph.RequestMatcher("/", headers={"X-B": "b"}, header_value_matcher=loose)
        with pytest.raises(ph_module.NoMethodFoundForMatchingHeaderValueError):
            other.match(request("/", headers={"X-B": "b"}))
        row = other.explain(request("/", headers={"X-B": "b"}))[-1]
        assert "NoMethodFoundForMatchingHeaderValueError" in row.reason
        assert "no comparator for header 'X-B'" in row.reason
        with pytest.raises(ph_module.NoMethodFoundForMatchingHeaderValueError, match="X-B"):
            loose("X-B", "b", "b")

    def test_editing_default_matchers(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """An entry added to DEFAULT_MATCHERS applies to every expectation made after."""
        monkeypatch.setitem(
            ph.HeaderValueMatcher.DEFAULT_MATCHERS,
            "X-Foo",
            lambda actual, expected: (actual or "").lower() == expected.lower(),
        )
        matcher = ph.RequestMatcher("/", headers={"X-Foo": "bar"})
        assert matcher.match(request("/", headers={"X-Foo": "BAR"}))
        assert not matcher.match(request("/", headers={"X-Foo": "baz"}))
        assert not ph.RequestMatcher("/", headers={"X-Other": "a"}).match(
            request("/", headers={"X-Other": "A"})
        )

    def test_defaults(self) -> None:
        """The default comparators: equality, and Authorization's parsed credentials."""
        assert ph.HeaderValueMatcher.default_header_value_matcher("a", "a")
        assert not ph.HeaderValueMatcher.default_header_value_matcher(None, "a")
        auth = ph.HeaderValueMatcher.authorization_header_value_matcher
        assert auth("Basic dTpw", "basic dTpw")
        default = ph.HeaderValueMatcher()
        assert default("X-Anything", "v", "v")
        assert "X-Anything" not in ph.HeaderValueMatcher.DEFAULT_MATCHERS
