"""Every request matcher of expect_request, seen through real requests."""

from __future__ import annotations

import re
import socket

import pytest
from werkzeug.datastructures import MultiDict

from localserver import HandlerError, HTTPServer, RequestCountError, RequestMatcher

from .conftest import TIMEOUT


@pytest.fixture
def server(bare_server: HTTPServer) -> HTTPServer:
    return bare_server


def call(client, server, method, path, **kwargs):
    return client.request(method, server.url_for(path), timeout=TIMEOUT, **kwargs)


def hits(client, server, method, path, **kwargs):
    """True when the request got the expectation's 200 answer, False when it missed."""
    response = call(client, server, method, path, **kwargs)
    assert response.status_code in (200, 500), response.text
    return response.status_code == 200 and response.text == "hit"


class TestPath:
    def test_exact_path(self, server, client):
        """An exact path matches only itself."""
        server.expect_request("/a/b").respond_with_data("hit")
        assert hits(client, server, "GET", "/a/b")
        assert not hits(client, server, "GET", "/a/b/c")

    def test_empty_uri_matches_any_path(self, server, client):
        """uri '' accepts every path, as in pytest-httpserver."""
        server.expect_request("").respond_with_data("hit")
        assert hits(client, server, "GET", "/anything/at/all")

    def test_regex_is_anchored_at_the_start(self, server, client):
        """A compiled regex uses Pattern.match: anchored at the start only."""
        server.expect_request(re.compile(r"/items/\d+")).respond_with_data("hit")
        assert hits(client, server, "GET", "/items/12/extra")
        assert not hits(client, server, "GET", "/x/items/12")

    def test_template_values_reach_the_handler(self, server, client):
        """A path template's named parts are converted and given as request.path_params."""
        seen = []
        exp = server.expect_request("/users/<int:user_id>/files/<path:name>")
        exp.respond_with_handler(lambda request: seen.append(request.path_params) or "hit")
        assert hits(client, server, "GET", "/users/42/files/a/b.txt")
        assert seen == [{"user_id": 42, "name": "a/b.txt"}]
        assert not hits(client, server, "GET", "/users/x/files/a")

    def test_template_values_are_kept_in_the_journal(self, server, client):
        """The journal's request keeps the template values after the response."""
        server.expect_request("/orders/<order>").respond_with_data("hit")
        assert hits(client, server, "GET", "/orders/A7")
        assert server.requests[0].path_params == {"order": "A7"}

    @pytest.mark.parametrize(
        ("template", "paths"),
        [
            ("/users/<int:id>", ["/users/7", "/users/x", "/users/7/", "/users/-1"]),
            ("/f/<path:rest>", ["/f/a/b.txt", "/f/", "/f"]),
            ("/v<int(fixed_digits=2):n>/x", ["/v01/x", "/v1/x", "/v123/x"]),
            ("/s/<any(a, b):kind>/<uuid:id>", ["/s/a/" + "0" * 8 + "-0000-0000-0000-" + "0" * 12]),
            ("/f/<float:n>/<string(length=2):c>", ["/f/1.5/ab", "/f/1/ab", "/f/1.5/abc"]),
        ],
    )
    def test_template_matches_as_werkzeug_routes(self, template, paths):
        """A template matches (and converts) every path exactly as werkzeug's router does."""
        from werkzeug.exceptions import HTTPException
        from werkzeug.routing import Map, Rule

        from localserver._request_fields import PathMatcher

        ours = PathMatcher(template)
        theirs = Map([Rule(template, endpoint="e", strict_slashes=False, merge_slashes=False)])
        adapter = theirs.bind("localhost")
        for path in paths:
            try:
                expected = adapter.match(path)[1]
            except HTTPException:
                expected = None
            assert ours.params(path) == expected, path

    def test_object_with_match_method(self, server, client):
        """Any object with match(path) works, like pytest-httpserver's URIPattern."""

        class Suffix:
            def match(self, path):
                return path.endswith(".json")

        server.expect_request(Suffix()).respond_with_data("hit")
        assert hits(client, server, "GET", "/data/x.json")
        assert not hits(client, server, "GET", "/data/x.xml")

    def test_question_mark_in_uri_is_refused(self, server):
        """A '?' in the uri raises and says to use query_string."""
        with pytest.raises(ValueError, match=r"query_string='a=1'"):
            server.expect_request("/search?a=1")

    def test_bad_template_names_the_argument(self, server):
        """An unknown converter raises ValueError naming 'uri'."""
        with pytest.raises(ValueError, match=r"'uri' '/x/<nope:y>' is not a valid path template"):
            server.expect_request("/x/<nope:y>")

    def test_uri_of_wrong_type(self, server):
        """A uri that is neither str, regex nor pattern object is refused."""
        with pytest.raises(TypeError, match=r"'uri' must be a path str"):
            server.expect_request(42)


class TestMethod:
    def test_any_method_by_default(self, server, client):
        """Without method=, every method matches."""
        server.expect_request("/m").respond_with_data("hit")
        assert hits(client, server, "DELETE", "/m")
        assert hits(client, server, "PATCH", "/m")

    def test_method_is_case_insensitive_to_register(self, server, client):
        """method='post' means POST and refuses GET."""
        server.expect_request("/m", method="post").respond_with_data("hit")
        assert hits(client, server, "POST", "/m")
        assert not hits(client, server, "GET", "/m")

    def test_extension_methods_with_dashes(self, server, client):
        """Any method token is accepted, e.g. M-SEARCH (SSDP) or VERSION-CONTROL."""
        server.expect_request("/ssdp", method="M-SEARCH").respond_with_data("hit")
        with socket.create_connection(server.server_address, timeout=TIMEOUT) as sock:
            sock.sendall(b"M-SEARCH /ssdp HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            answer = b"".join(iter(lambda: sock.recv(4096), b""))
        assert answer.endswith(b"hit")

    def test_bad_method(self, server):
        """A method that is not a word is refused naming 'method'."""
        with pytest.raises(TypeError, match=r"'method' must be an HTTP method name"):
            server.expect_request("/m", method="GET /")


class TestQuery:
    def test_string_is_order_independent(self, server, client):
        """Names may come in any order; '+' and '%20' are the same space."""
        server.expect_request("/q", query_string="a=1&b=x y").respond_with_data("hit")
        assert hits(client, server, "GET", "/q?b=x%20y&a=1")
        assert hits(client, server, "GET", "/q?b=x+y&a=1")

    def test_extra_parameter_misses(self, server, client):
        """A parameter the expectation does not name is a difference."""
        server.expect_request("/q", query_string={"a": "1"}).respond_with_data("hit")
        assert hits(client, server, "GET", "/q?a=1")
        assert not hits(client, server, "GET", "/q?a=1&b=2")

    def test_bytes_and_leading_question_mark(self, server, client):
        """Bytes are decoded the same way; a leading '?' is ignored."""
        server.expect_request("/q", query_string=b"?k=%C3%A9").respond_with_data("hit")
        assert hits(client, server, "GET", "/q", params={"k": "é"})

    def test_multiple_values_in_order(self, server, client):
        """A list expects exactly those values for the name, in that order."""
        server.expect_request("/q", query_string={"t": ["a", "b"]}).respond_with_data("hit")
        assert hits(client, server, "GET", "/q?t=a&t=b")
        assert not hits(client, server, "GET", "/q?t=b&t=a")
        assert not hits(client, server, "GET", "/q?t=a")

    def test_multidict(self, server, client):
        """A werkzeug MultiDict works as the list form."""
        query = MultiDict([("t", "a"), ("t", "b"), ("u", "")])
        server.expect_request("/q", query_string=query).respond_with_data("hit")
        assert hits(client, server, "GET", "/q?u=&t=a&t=b")

    def test_wrong_type(self, server):
        """A query of another type is refused naming 'query_string'."""
        with pytest.raises(TypeError, match=r"'query_string' must be"):
            server.expect_request("/q", query_string=12)


class TestHeaders:
    def test_names_are_case_insensitive(self, server, client):
        """Header names match whatever their case."""
        server.expect_request("/h", headers={"x-token": "abc"}).respond_with_data("hit")
        assert hits(client, server, "GET", "/h", headers={"X-TOKEN": "abc"})
        assert not hits(client, server, "GET", "/h", headers={"X-Token": "abd"})

    def test_regex_must_match_the_whole_value(self, server, client):
        """A compiled regex matches the whole value (fullmatch)."""
        server.expect_request("/h", headers={"X-Id": re.compile(r"\d{3}")}).respond_with_data("hit")
        assert hits(client, server, "GET", "/h", headers={"X-Id": "123"})
        assert not hits(client, server, "GET", "/h", headers={"X-Id": "1234"})

    def test_callable_with_reason(self, server, client):
        """A callable may answer (False, reason); the reason shows in the miss report."""
        server.expect_request(
            "/h", headers={"X-N": lambda v: (v is not None and int(v) > 5) or (False, "too small")}
        ).respond_with_data("hit")
        assert hits(client, server, "GET", "/h", headers={"X-N": "9"})
        response = call(client, server, "GET", "/h", headers={"X-N": "2"})
        assert "too small" in response.text

    def test_none_means_absent(self, server, client):
        """None expects the header to be missing."""
        server.expect_request("/h", headers={"X-Debug": None}).respond_with_data("hit")
        assert hits(client, server, "GET", "/h")
        assert not hits(client, server, "GET", "/h", headers={"X-Debug": "1"})

    def test_authorization_compares_credentials(self, server, client):
        """Authorization values are compared parsed, so the scheme's case does not matter."""
        server.expect_request(
            "/h", headers={"Authorization": "Basic dXNlcjpwYXNz"}
        ).respond_with_data("hit")
        assert hits(client, server, "GET", "/h", auth=("user", "pass"))
        assert hits(client, server, "GET", "/h", headers={"Authorization": "basic dXNlcjpwYXNz"})
        assert not hits(client, server, "GET", "/h", auth=("user", "other"))

    def test_header_value_matcher(self, server, client):
        """pytest-httpserver's header_value_matcher(name, received, expected) is used."""
        server.expect_request(
            "/h",
            headers={"X-Version": "2"},
            header_value_matcher=lambda name, got, want: got is not None and got >= want,
        ).respond_with_data("hit")
        assert hits(client, server, "GET", "/h", headers={"X-Version": "3"})
        assert not hits(client, server, "GET", "/h", headers={"X-Version": "1"})

    def test_bad_value_type(self, server):
        """A header value of another type is refused naming the header."""
        with pytest.raises(TypeError, match=r"'headers' value for 'X-A' must be"):
            server.expect_request("/h", headers={"X-A": 3})


class TestBody:
    def test_exact_bytes_and_str(self, server, client):
        """data as str is encoded with data_encoding and compared byte for byte."""
        server.expect_request("/b", data="héllo", data_encoding="latin-1").respond_with_data("hit")
        assert hits(client, server, "POST", "/b", data="héllo".encode("latin-1"))
        assert not hits(client, server, "POST", "/b", data="héllo".encode())

    def test_regex_searches_the_body(self, server, client):
        """A compiled regex is searched for anywhere in the body."""
        server.expect_request("/b", data=re.compile(r"id=\d+")).respond_with_data("hit")
        assert hits(client, server, "POST", "/b", data=b"x&id=7&y")
        assert not hits(client, server, "POST", "/b", data=b"id=")

    def test_data_and_json_together_are_refused(self, server):
        """data and json cannot both be given."""
        with pytest.raises(ValueError, match=r"'data' and 'json' cannot both be given"):
            server.expect_request("/b", data="x", json={})


class TestJSON:
    def test_exact(self, server, client):
        """json= equals the parsed body; key order and spacing do not matter."""
        server.expect_request("/j", json={"a": [1, {"b": None}]}).respond_with_data("hit")
        assert hits(client, server, "POST", "/j", data=b'{"a":[1,{"b":null}]}')
        assert not hits(client, server, "POST", "/j", json={"a": [1, {"b": None}], "c": 1})

    def test_true_is_not_one(self, server, client):
        """JSON true and 1 are different values."""
        server.expect_request("/j", json={"flag": 1}).respond_with_data("hit")
        assert not hits(client, server, "POST", "/j", json={"flag": True})
        assert hits(client, server, "POST", "/j", json={"flag": 1.0})

    def test_ignore_extra_keys_at_any_depth(self, server, client):
        """json_ignore_extra_keys lets objects carry more keys, at every level."""
        server.expect_request(
            "/j", json={"user": {"id": 1}}, json_ignore_extra_keys=True
        ).respond_with_data("hit")
        assert hits(client, server, "POST", "/j", json={"user": {"id": 1, "n": "x"}, "v": 2})
        assert not hits(client, server, "POST", "/j", json={"user": {"id": 2}})

    def test_body_that_is_not_json(self, server, client):
        """A body that does not parse misses, and the report says it is not JSON."""
        server.expect_request("/j", json=[1]).respond_with_data("hit")
        response = call(client, server, "POST", "/j", data=b"{nope")
        assert "the body is not JSON" in response.text

    def test_unserialisable_is_refused(self, server):
        """A json value that cannot be serialised is refused at registration."""
        with pytest.raises(TypeError, match=r"'json' must be JSON-serialisable"):
            server.expect_request("/j", json={"s": {1, 2}})


class TestJSONArguments:
    def test_ignore_extra_keys_needs_json(self, server):
        """json_ignore_extra_keys without json= is refused, naming both arguments."""
        with pytest.raises(ValueError, match="'json_ignore_extra_keys' needs 'json'"):
            server.expect_request("/j", json_ignore_extra_keys=True)


class TestFormAndFiles:
    def test_urlencoded_fields(self, server, client):
        """form= checks the named fields; other fields may be present."""
        server.expect_request("/f", form={"name": "Ann", "tags": ["a", "b"]}).respond_with_data(
            "hit"
        )
        data = [("name", "Ann"), ("tags", "a"), ("tags", "b"), ("other", "1")]
        assert hits(client, server, "POST", "/f", data=data)
        assert not hits(client, server, "POST", "/f", data={"name": "Bob", "tags": ["a", "b"]})

    def test_multipart_fields_and_files(self, server, client):
        """Multipart fields and file parts (content and filename) are matched."""
        server.expect_request(
            "/f",
            form={"kind": "avatar"},
            files={"upload": ("me.png", b"\x89PNG..."), "notes": "text part"},
        ).respond_with_data("hit")
        files = {"upload": ("me.png", b"\x89PNG..."), "notes": ("n.txt", b"text part")}
        assert hits(client, server, "POST", "/f", data={"kind": "avatar"}, files=files)
        files["upload"] = ("you.png", b"\x89PNG...")
        assert not hits(client, server, "POST", "/f", data={"kind": "avatar"}, files=files)

    def test_form_field_mismatch_names_the_value(self, server, client):
        """The reason for a form field that differs shows what arrived."""
        server.expect_request("/f", form={"name": "Ann"}).respond_with_data("hit")
        call(client, server, "POST", "/f", data={"name": "Bob"})
        with pytest.raises(AssertionError) as info:
            server.check_assertions()
        assert "field 'name': got 'Bob'" in str(info.value)

    def test_file_content_is_still_readable_by_the_handler(self, server, client):
        """Matching a file part does not consume it for the handler."""
        exp = server.expect_request("/f", files={"up": b"data"})
        exp.respond_with_handler(lambda request: request.files["up"].read())
        assert call(client, server, "POST", "/f", files={"up": b"data"}).text == "data"


class TestCookiesAndPredicates:
    def test_cookies(self, server, client):
        """cookies= uses the same value matchers as headers."""
        server.expect_request(
            "/c", cookies={"session": re.compile("s-.*"), "debug": None}
        ).respond_with_data("hit")
        assert hits(client, server, "GET", "/c", cookies={"session": "s-1"})
        assert not hits(client, server, "GET", "/c", cookies={"session": "s-1", "debug": "1"})

    def test_predicate_bool_and_reason(self, server, client):
        """A predicate returns a bool or (False, reason); several may be given."""

        def even_length(request):
            return len(request.get_data()) % 2 == 0 or (False, "odd body length")

        server.expect_request(
            "/p", predicate=[even_length, lambda r: r.remote_addr == "127.0.0.1"]
        ).respond_with_data("hit")
        assert hits(client, server, "POST", "/p", data=b"ab")
        assert "odd body length" in call(client, server, "POST", "/p", data=b"abc").text

    def test_predicate_that_raises_is_an_error_of_the_request(self, server, client):
        """A predicate that raises answers 500 naming it, and check_assertions() raises it."""

        def broken(request):
            raise KeyError("boom")

        server.expect_request("/p", predicate=broken).respond_with_data("hit")
        response = call(client, server, "GET", "/p")
        assert response.status_code == 500
        assert "predicate=" in response.text
        assert "raised KeyError: 'boom'" in response.text
        with pytest.raises(HandlerError, match="raised KeyError: 'boom'"):
            server.check_assertions()

    def test_predicate_that_raises_is_a_row_of_a_report(self, server, client):
        """A report comparing a request with a raising predicate shows it, and does not fail."""

        def broken(request):
            raise KeyError("boom")

        call(client, server, "GET", "/other")
        with pytest.raises(RequestCountError, match="comparing it raised KeyError: 'boom'"):
            server.assert_request_made(RequestMatcher("/p", predicate=broken))


class TestRequestMatcherObject:
    def test_difference_lists_differing_fields(self, server, client):
        """difference() names each field that differs, as pytest-httpserver's does."""
        server.serve_content("ok")
        call(client, server, "POST", "/d?x=1", data=b"zz")
        matcher = RequestMatcher("/d", method="GET", query_string="x=1", data="zz")
        assert [field for field, _, _ in matcher.difference(server.requests[0])] == ["method"]

    def test_repr_shows_the_arguments(self):
        """The repr reads like the call that made it."""
        matcher = RequestMatcher("/r", method="PUT", json={"a": 1})
        assert repr(matcher) == "<RequestMatcher '/r', method='PUT', json={'a': 1}>"
