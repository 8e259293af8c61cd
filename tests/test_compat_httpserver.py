"""localserver.compat.pytest_httpserver: the server, as pytest-httpserver documents it."""

from __future__ import annotations

import re
import ssl
import threading
from collections.abc import Iterator

import pytest
import requests
from werkzeug.wrappers import Request, Response

import localserver
from localserver.compat import pytest_httpserver as ph
from localserver.compat.pytest_httpserver import httpserver as ph_module

TIMEOUT = 5


@pytest.fixture
def server() -> Iterator[ph.HTTPServer]:
    """A started compat server, stopped after the test."""
    with ph.HTTPServer() as srv:
        yield srv


def get(srv: ph.HTTPServer, path: str, **kwargs: object) -> requests.Response:
    return requests.get(srv.url_for(path), timeout=TIMEOUT, **kwargs)  # type: ignore[arg-type]


class TestNames:
    def test_every_name_of_the_peers_all(self) -> None:
        """The package offers every name of pytest-httpserver 1.0-1.2's __all__."""
        expected = {
            "METHOD_ALL",
            "URI_DEFAULT",
            "BakedHTTPServer",
            "BlockingHTTPServer",
            "BlockingRequestHandler",
            "Error",
            "HTTPServer",
            "HTTPServerError",
            "HandlerType",
            "HeaderValueMatcher",
            "NoHandlerError",
            "RequestHandler",
            "RequestMatcher",
            "RequestMatcherKwargs",
            "URIPattern",
            "WaitingSettings",
        }
        assert set(ph.__all__) == expected
        for name in expected:
            assert getattr(ph, name) is getattr(ph_module, name, getattr(ph, name))

    def test_real_objects_where_localserver_has_them(self) -> None:
        """Error, NoHandlerError and HandlerType are localserver's own."""
        assert ph.Error is localserver.LocalServerError
        assert ph.NoHandlerError is localserver.NoHandlerError
        assert ph.HandlerType is localserver.HandlerType
        assert issubclass(ph.HTTPServerError, ph.Error)
        assert issubclass(ph.NoHandlerError, ph.Error)
        assert ph.METHOD_ALL == "__ALL"
        assert ph.URI_DEFAULT == ""

    def test_the_server_is_localservers(self, server: ph.HTTPServer) -> None:
        """The compat server is a localserver.HTTPServer: everything of localserver works."""
        assert isinstance(server, localserver.HTTPServer)
        server.serve_content("default")
        assert get(server, "/anything").text == "default"

    @pytest.mark.parametrize(
        ("module", "name", "hint"),
        [
            ("localserver.compat.pytest_httpserver.httpserver", "HTTPServerBase", "subclass"),
            ("localserver.compat.pytest_httpserver.httpserver", "make_server", "start()"),
            ("localserver.compat.pytest_httpserver.pytest_plugin", "Plugin", "make_httpserver"),
        ],
    )
    def test_names_not_offered_say_what_to_use(self, module: str, name: str, hint: str) -> None:
        """`from ... import X` of a name we do not offer says what to use instead."""
        with pytest.raises(ImportError, match="not offered by localserver") as caught:
            exec(f"from {module} import {name}", {})
        assert hint in str(caught.value)

    def test_migrate_passes_the_hint_on(self) -> None:
        """python -m localserver migrate reports a name we do not offer with our hint."""
        from localserver._migrate import findings

        module = "localserver.compat.pytest_httpserver.httpserver"
        assert "subclass HTTPServer" in str(findings.missing_name(module, "HTTPServerBase"))
        assert findings.missing_name(module, "RequestHandlerList") is None
        assert findings.missing_name("localserver.compat.pytest_httpserver", "HTTPServer") is None

    def test_unknown_name_is_a_plain_attribute_error(self) -> None:
        """A name the peer never had is an ordinary AttributeError."""
        with pytest.raises(AttributeError, match="has no attribute 'Nonsense'"):
            ph.Nonsense  # noqa: B018

    def test_serving_machinery_is_not_offered(self, server: ph.HTTPServer) -> None:
        """server_thread (werkzeug's thread) is not there, with what to use instead."""
        with pytest.raises(AttributeError, match="is_running"):
            server.server_thread  # noqa: B018
        with pytest.raises(AttributeError, match="respond_with_handler"):
            server.expect_request("/x").request_handler  # noqa: B018


class TestLifecycle:
    def test_defaults_and_repr(self) -> None:
        """Default host localhost, port 0; repr names host and port."""
        server = ph.HTTPServer()
        assert server.host == ph.HTTPServer.DEFAULT_LISTEN_HOST == "localhost"
        assert server.port == ph.HTTPServer.DEFAULT_LISTEN_PORT == 0
        assert repr(server) == "<HTTPServer host=localhost port=0>"
        assert not server.is_running()

    def test_start_twice_and_stop_twice_raise(self) -> None:
        """A second start() or a stop() of a stopped server raises HTTPServerError."""
        server = ph.HTTPServer()
        server.start()
        try:
            with pytest.raises(ph.HTTPServerError, match="already running"):
                server.start()
        finally:
            server.stop()
        with pytest.raises(ph.HTTPServerError, match="not running"):
            server.stop()

    def test_context_manager_after_a_stop(self) -> None:
        """Leaving `with` after stop() inside it raises nothing."""
        with ph.HTTPServer() as server:
            assert server.is_running()
            server.stop()
        assert not server.is_running()

    def test_url_for_ipv6(self) -> None:
        """url_for() puts an IPv6 host in brackets."""
        with ph.HTTPServer(host="::1") as server:
            assert server.url_for("x") == f"http://[::1]:{server.port}/x"
        assert ph.HTTPServer.format_host("::1") == "[::1]"

    def test_constructor_keywords(self) -> None:
        """threaded, startup_timeout and default_waiting_settings are kept."""
        settings = ph.WaitingSettings(timeout=1)
        server = ph.HTTPServer(default_waiting_settings=settings, threaded=True, startup_timeout=3)
        assert server.threaded is True
        assert server.startup_timeout == 3
        assert server.default_waiting_settings is settings

    def test_startup_timeout_waits_for_readiness(self) -> None:
        """With startup_timeout, start() asks wait_for_server_ready(); a failure there stops it."""

        class Failing(ph.HTTPServer):
            def wait_for_server_ready(self) -> None:
                raise ph.HTTPServerError("not ready")

        server = Failing(startup_timeout=1)
        with pytest.raises(ph.HTTPServerError, match="not ready"):
            server.start()
        assert not server.is_running()

    def test_connections_run_concurrently(self, server: ph.HTTPServer) -> None:
        """Requests are served on threads of their own (threaded=True or not)."""
        barrier = threading.Barrier(2, timeout=TIMEOUT)

        def handler(request: Request) -> Response:
            barrier.wait()
            return Response("met")

        server.expect_request("/meet").respond_with_handler(handler)
        results: list[str] = []
        thread = threading.Thread(target=lambda: results.append(get(server, "/meet").text))
        thread.start()
        assert get(server, "/meet").text == "met"
        thread.join(TIMEOUT)
        assert results == ["met"]


class TestTLS:
    def test_ssl_context_serves_https(self) -> None:
        """Given an ssl_context the same class serves HTTPS with it."""
        authority = localserver.TestAuthority()
        with ph.HTTPServer(ssl_context=authority.server_context()) as server:
            assert isinstance(server, ph.HTTPServer)
            assert isinstance(server, localserver.HTTPSServer)
            assert server.url_for("/").startswith("https://")
            server.expect_request("/secure").respond_with_data("tls")
            response = requests.get(
                server.url_for("/secure"), verify=authority.ca_bundle, timeout=TIMEOUT
            )
            assert response.text == "tls"

    def test_certificate_loaded_after_start(self) -> None:
        """The context is used as it is: a certificate loaded after start() counts."""
        authority = localserver.TestAuthority()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        with ph.HTTPServer(ssl_context=context) as server:
            assert server.ssl_context is context
            context.load_cert_chain(authority.server_pem_file)
            server.expect_request("/").respond_with_data("late")
            response = requests.get(server.url_for("/"), verify=authority.ca_bundle, timeout=5)
            assert response.text == "late"


class TestPrecedence:
    def test_first_registered_permanent_handler_wins(self, server: ph.HTTPServer) -> None:
        """Of two permanent handlers matching a request, the first registered answers."""
        server.expect_request("/users/1").respond_with_data("specific")
        server.expect_request(re.compile("/users/.*")).respond_with_data("catch-all")
        assert get(server, "/users/1").text == "specific"
        assert get(server, "/users/2").text == "catch-all"

    def test_oneshot_before_permanent(self, server: ph.HTTPServer) -> None:
        """A oneshot handler answers once, before a permanent one; then it is gone."""
        server.expect_request("/x").respond_with_data("permanent")
        server.expect_oneshot_request("/x").respond_with_data("once")
        assert len(server.oneshot_handlers) == 1
        assert get(server, "/x").text == "once"
        assert get(server, "/x").text == "permanent"
        assert len(server.oneshot_handlers) == 0

    def test_ordered_in_turn(self, server: ph.HTTPServer) -> None:
        """Ordered handlers answer in their order, then are gone."""
        server.expect_ordered_request("/first").respond_with_data("1")
        server.expect_ordered_request("/second").respond_with_data("2")
        assert [get(server, "/first").text, get(server, "/second").text] == ["1", "2"]
        assert server.ordered_handlers == []
        server.check_assertions()

    def test_ordered_come_before_everything(self, server: ph.HTTPServer) -> None:
        """While ordered handlers wait, another request fails, even one a permanent matches."""
        server.expect_request("/permanent").respond_with_data("p")
        server.expect_ordered_request("/first").respond_with_data("1")
        assert get(server, "/permanent").status_code == 500
        with pytest.raises(AssertionError, match="next ordered handler"):
            server.check_assertions()

    def test_a_miss_fails_every_later_request(self, server: ph.HTTPServer) -> None:
        """After a request missed the next ordered handler every request fails until clear()."""
        server.expect_ordered_request("/first").respond_with_data("1")
        server.expect_ordered_request("/second").respond_with_data("2")
        assert get(server, "/second").status_code == 500
        assert server.permanently_failed
        assert get(server, "/first").status_code == 500
        assert len(server.ordered_handlers) == 2
        assert len(server.assertions) == 2
        server.clear()
        assert not server.permanently_failed
        server.expect_ordered_request("/first").respond_with_data("1")
        assert get(server, "/first").text == "1"

    def test_no_handler_status_code(self, server: ph.HTTPServer) -> None:
        """A request nothing answers gets no_handler_status_code, and a failure is recorded."""
        server.no_handler_status_code = 404
        assert get(server, "/nothing").status_code == 404
        with pytest.raises(localserver.UnmatchedRequestError):
            server.check_assertions()


class TestHandlerLists:
    def test_lists_in_registration_order(self, server: ph.HTTPServer) -> None:
        """handlers, oneshot_handlers and ordered_handlers list each kind, oldest first."""
        a = server.expect_request("/a")
        b = server.expect_request("/b").respond_with_data("b")
        one = server.expect_oneshot_request("/one")
        first = server.expect_ordered_request("/first")
        assert server.handlers == [a, b]
        assert server.oneshot_handlers == [one]
        assert server.ordered_handlers == [first]
        assert isinstance(server.handlers, ph_module.RequestHandlerList)

    def test_removing_from_a_list_removes_the_handler(self, server: ph.HTTPServer) -> None:
        """handlers.clear() (and remove, pop, del) take handlers off the server."""
        server.expect_request("/a").respond_with_data("a")
        server.expect_request("/b").respond_with_data("b")
        server.handlers.pop(0)
        assert get(server, "/a").status_code == 500
        server.handlers.clear()
        assert get(server, "/b").status_code == 500
        assert server.handlers == []
        server.clear_assertions()

    def test_list_match(self) -> None:
        """RequestHandlerList.match() gives the first handler whose matcher accepts."""
        matcher = ph.RequestMatcher("/x")
        handlers = ph_module.RequestHandlerList([ph.RequestHandler(matcher)])
        request = Request.from_values("/x")
        assert handlers.match(request) is handlers[0]
        assert handlers.match(Request.from_values("/y")) is None

    def test_clear_all_handlers(self, server: ph.HTTPServer) -> None:
        """clear_all_handlers() removes every kind and keeps the log."""
        server.expect_request("/p").respond_with_data("p")
        get(server, "/p")
        server.expect_oneshot_request("/o")
        server.expect_ordered_request("/r")
        server.clear_all_handlers()
        assert server.handlers == server.oneshot_handlers == server.ordered_handlers == []
        assert len(server.log) == 1

    def test_format_matchers(self, server: ph.HTTPServer) -> None:
        """format_matchers() lists the matchers by kind, "none" for an empty kind."""
        server.expect_ordered_request("/r", method="POST")
        server.expect_request("/p")
        text = server.format_matchers()
        assert text.splitlines()[0] == "Ordered matchers:"
        assert "uri='/r' method='POST'" in text
        assert "Oneshot matchers:\n    none" in text
        assert "Persistent matchers:\n    <RequestMatcher uri='/p'" in text


class TestHandlers:
    def test_respond_with_json_data_response_handler(self, server: ph.HTTPServer) -> None:
        """The respond_with_* methods answer as documented."""
        server.expect_request("/json").respond_with_json({"a": 1}, status=201)
        server.expect_request("/data").respond_with_data("d", headers={"X-A": "1"})
        server.expect_request("/response").respond_with_response(Response("r", 202))
        server.expect_request("/handler").respond_with_handler(lambda r: Response(r.path))
        assert get(server, "/json").json() == {"a": 1}
        assert get(server, "/data").headers["X-A"] == "1"
        assert get(server, "/response").status_code == 202
        assert get(server, "/handler").text == "/handler"

    def test_response_as_text_and_handler_returning_text(self, server: ph.HTTPServer) -> None:
        """respond_with_response() takes a str; a handler may return a str or None."""
        server.expect_request("/text").respond_with_response("as text")  # type: ignore[arg-type]
        server.expect_request("/str").respond_with_handler(lambda r: "from handler")
        server.expect_request("/none").respond_with_handler(lambda r: None)
        assert get(server, "/text").text == "as text"
        assert get(server, "/str").text == "from handler"
        none = get(server, "/none")
        assert (none.status_code, none.text) == (200, "")

    def test_header_values_as_lists(self, server: ph.HTTPServer) -> None:
        """A header value given as a list sends the header once per value."""
        server.expect_request("/h").respond_with_data(headers={"X-Foo": ["1", "2"]})
        response = get(server, "/h")
        assert response.raw.headers.getlist("X-Foo") == ["1", "2"]

    def test_respond_again_replaces_the_answer(self, server: ph.HTTPServer) -> None:
        """A second respond_with_* on a handler replaces its answer."""
        handler = server.expect_request("/x")
        handler.respond_with_data("first")
        assert get(server, "/x").text == "first"
        handler.respond_with_json({"second": True})
        assert get(server, "/x").json() == {"second": True}

    def test_post_hooks_in_order(self, server: ph.HTTPServer) -> None:
        """with_post_hook() hooks run in the order added, each given the previous response."""

        def suffix(text: bytes):  # type: ignore[no-untyped-def]
            def hook(request: Request, response: Response) -> Response:
                response.set_data(response.get_data() + text)
                return response

            return hook

        server.expect_request("/h").with_post_hook(suffix(b"-1")).with_post_hook(
            suffix(b"-2")
        ).respond_with_data("OK")
        assert get(server, "/h").text == "OK-1-2"

    def test_repr(self, server: ph.HTTPServer) -> None:
        """A handler's repr names its matcher's fields as pytest-httpserver's does."""
        handler = server.expect_request("/foo", method="post")
        assert repr(handler) == (
            "<RequestHandler uri='/foo' method='POST' query_string=None headers={} "
            "data=None json=<UNDEFINED>>"
        )

    def test_expect_with_a_matcher(self, server: ph.HTTPServer) -> None:
        """expect() takes a RequestMatcher (create_matcher() makes one) and a HandlerType."""
        matcher = server.create_matcher("/m", method="POST")
        server.expect(matcher, ph.HandlerType.ONESHOT).respond_with_data("m")
        response = requests.post(server.url_for("/m"), timeout=TIMEOUT)
        assert response.text == "m"
        assert server.oneshot_handlers == []

    def test_create_matcher_can_be_overridden(self) -> None:
        """expect_request() builds its matcher with create_matcher()."""
        made: list[ph.RequestMatcher] = []

        class Recording(ph.HTTPServer):
            def create_matcher(self, *args: object, **kwargs: object) -> ph.RequestMatcher:
                matcher = super().create_matcher(*args, **kwargs)
                made.append(matcher)
                return matcher

        server = Recording()
        handler = server.expect_request("/r")
        assert made == [handler.matcher]


class TestChecks:
    def test_handler_assertion_and_error(self, server: ph.HTTPServer) -> None:
        """A handler's AssertionError goes to check_assertions(), others to check_handler_errors."""

        def failing(request: Request) -> Response:
            raise AssertionError("handler check")

        def broken(request: Request) -> Response:
            raise ValueError("handler bug")

        server.expect_request("/a").respond_with_handler(failing)
        server.expect_request("/b").respond_with_handler(broken)
        assert get(server, "/a").status_code == 500
        assert get(server, "/b").status_code == 500
        assert len(server.assertions) == 1
        assert len(server.handler_errors) == 1
        with pytest.raises(AssertionError, match="handler check"):
            server.check()
        with pytest.raises(ValueError, match="handler bug"):
            server.check()
        server.check()

    def test_add_assertion(self, server: ph.HTTPServer) -> None:
        """add_assertion() takes a str or an AssertionError; check_assertions() raises it."""
        server.add_assertion("first")
        error = AssertionError("second")
        server.add_assertion(error)
        with pytest.raises(AssertionError, match="first"):
            server.check_assertions()
        with pytest.raises(AssertionError) as caught:
            server.check_assertions()
        assert caught.value is error

    def test_clear_parts(self, server: ph.HTTPServer) -> None:
        """clear_assertions(), clear_handler_errors() and clear_log() empty one thing each."""
        server.expect_request("/bad").respond_with_handler(lambda r: 1 / 0)
        get(server, "/bad")
        get(server, "/nothing")
        assert server.assertions
        assert server.handler_errors
        assert server.log
        server.clear_assertions()
        assert server.assertions == []
        assert server.handler_errors
        server.clear_handler_errors()
        assert server.handler_errors == []
        server.clear_log()
        assert server.log == []

    def test_clear_resets_everything(self, server: ph.HTTPServer) -> None:
        """clear() empties handlers, log and failures and resets no_handler_status_code."""
        server.no_handler_status_code = 418
        server.expect_request("/x").respond_with_data("x")
        get(server, "/y")
        server.clear()
        assert server.log == []
        assert server.assertions == []
        assert server.handlers == []
        assert server.no_handler_status_code == 500

    def test_respond_nohandler(self, server: ph.HTTPServer) -> None:
        """respond_nohandler() records an unmatched request and returns its response."""
        server.no_handler_status_code = 404
        response = server.respond_nohandler(Request.from_values("/lost"), "\nextra")
        assert response.status_code == 404
        assert response.get_data(as_text=True).endswith("extra")
        with pytest.raises(localserver.UnmatchedRequestError, match="/lost"):
            server.check_assertions()

    def test_respond_permanent_failure(self, server: ph.HTTPServer) -> None:
        """respond_permanent_failure() records a failure and answers 500."""
        assert server.respond_permanent_failure().status_code == 500
        with pytest.raises(AssertionError, match="ordered"):
            server.check_assertions()


class TestLog:
    def test_log_queries(self, server: ph.HTTPServer) -> None:
        """iter_matching_requests, get_matching_requests_count and assert_request_made."""
        server.expect_request("/foo").respond_with_data("OK")
        get(server, "/foo")
        get(server, "/bar")
        assert len(server.log) == 2
        pairs = list(server.iter_matching_requests(ph.RequestMatcher("/foo")))
        assert len(pairs) == 1
        request, response = pairs[0]
        assert request.path == "/foo"
        assert response.get_data() == b"OK"
        assert server.get_matching_requests_count(ph.RequestMatcher("/foo")) == 1
        server.assert_request_made(ph.RequestMatcher("/foo"))
        server.assert_request_made(ph.RequestMatcher("/baz"), count=0)
        with pytest.raises(AssertionError):
            server.assert_request_made(ph.RequestMatcher("/foo"), count=2)
        server.clear_assertions()


class TestWait:
    def test_result_when_used_up(self, server: ph.HTTPServer) -> None:
        """wait() ends with result True when the oneshot and ordered handlers are used up."""
        server.expect_oneshot_request("/a").respond_with_data("a")
        client = threading.Thread(target=get, args=(server, "/a"))
        with server.wait(timeout=TIMEOUT) as waiting:
            client.start()
        client.join(TIMEOUT)
        assert waiting.result
        assert waiting.elapsed_time >= 0

    def test_handlers_added_inside_the_block(self, server: ph.HTTPServer) -> None:
        """Handlers registered in the block and used there count."""
        with server.wait(stop_on_nohandler=False, timeout=TIMEOUT) as waiting:
            get(server, "/early")
            server.expect_oneshot_request("/early").respond_with_data("ok")
            get(server, "/early")
        assert waiting.result
        server.clear_assertions()

    def test_stop_on_nohandler(self, server: ph.HTTPServer) -> None:
        """An unexpected request ends the wait with result False and raises it."""
        server.expect_oneshot_request("/a").respond_with_data("a")
        waiting = server.wait(raise_assertions=True, timeout=TIMEOUT)
        with pytest.raises(localserver.UnmatchedRequestError), waiting:
            get(server, "/unexpected")

    def test_no_raise(self, server: ph.HTTPServer) -> None:
        """raise_assertions=False reports the outcome in result only."""
        server.expect_oneshot_request("/a").respond_with_data("a")
        with server.wait(raise_assertions=False, timeout=TIMEOUT) as waiting:
            get(server, "/unexpected")
        assert not waiting.result
        server.clear_assertions()

    def test_timeout(self, server: ph.HTTPServer) -> None:
        """A timeout raises UnmetExpectationError naming the handlers left."""
        server.expect_oneshot_request("/never").respond_with_data("a")
        with (
            pytest.raises(localserver.UnmetExpectationError, match="/never"),
            server.wait(timeout=0.05),
        ):
            pass

    def test_default_settings(self) -> None:
        """default_waiting_settings gives the arguments left out."""
        settings = ph.WaitingSettings(raise_assertions=False, timeout=0.05)
        with ph.HTTPServer(default_waiting_settings=settings) as server:
            server.expect_oneshot_request("/never").respond_with_data("a")
            with server.wait() as waiting:
                pass
        assert not waiting.result
