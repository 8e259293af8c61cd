"""localserver.compat.pytest_httpserver: hooks, bake() and the blocking server."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator

import pytest
import requests
from werkzeug.wrappers import Request, Response

import localserver
from localserver.compat.pytest_httpserver import (
    BakedHTTPServer,
    BlockingHTTPServer,
    BlockingRequestHandler,
    HTTPServer,
)
from localserver.compat.pytest_httpserver.hooks import Chain, Delay, Garbage

TIMEOUT = 5


@pytest.fixture
def server() -> Iterator[HTTPServer]:
    with HTTPServer() as srv:
        yield srv


class TestHooks:
    def test_delay_becomes_localservers_delay(self, server: HTTPServer) -> None:
        """Delay given to with_post_hook() is localserver's delay (it ends at stop)."""
        handler = server.expect_request("/slow").with_post_hook(Delay(0.01))
        handler.respond_with_data("late")
        assert handler.delay is not None
        assert handler.hooks == []
        assert requests.get(server.url_for("/slow"), timeout=TIMEOUT).text == "late"

    def test_delay_subclass_sleeps_its_way(self, server: HTTPServer) -> None:
        """A subclass overriding _sleep() is called once per response."""
        calls: list[float] = []

        class Recorded(Delay):
            def _sleep(self) -> None:
                calls.append(self.seconds)

        server.expect_request("/d").with_post_hook(Recorded(10)).respond_with_data("OK")
        assert requests.get(server.url_for("/d"), timeout=TIMEOUT).text == "OK"
        assert calls == [10]

    def test_garbage(self, server: HTTPServer) -> None:
        """Garbage surrounds the body with that many random bytes."""
        server.expect_request("/g").with_post_hook(Garbage(3, 4)).respond_with_data("OK")
        body = requests.get(server.url_for("/g"), timeout=TIMEOUT).content
        assert len(body) == 9
        assert body[3:5] == b"OK"

    @pytest.mark.parametrize(("prefix", "suffix"), [(-1, 0), (0, -1), (1.5, 0)])
    def test_garbage_sizes(self, prefix: int, suffix: int) -> None:
        with pytest.raises(ValueError, match="must be an int >= 0"):
            Garbage(prefix, suffix)

    def test_chain(self, server: HTTPServer) -> None:
        """Chain runs its hooks in turn."""
        calls: list[str] = []

        def tag(name: str):  # type: ignore[no-untyped-def]
            def hook(request: Request, response: Response) -> Response:
                calls.append(name)
                response.headers[f"X-{name}"] = "1"
                return response

            return hook

        server.expect_request("/c").with_post_hook(Chain(tag("a"), tag("b"))).respond_with_data("c")
        response = requests.get(server.url_for("/c"), timeout=TIMEOUT)
        assert calls == ["a", "b"]
        assert response.headers["X-a"] == response.headers["X-b"] == "1"


class TestBake:
    def test_baked_defaults_and_call_time_override(self, server: HTTPServer) -> None:
        """Baked keyword arguments are defaults; the call's win."""
        posts = server.bake(method="POST")
        assert isinstance(posts, BakedHTTPServer)
        posts.expect_request("/p").respond_with_data("post")
        posts.expect_request("/g", method="GET").respond_with_data("get")
        assert requests.post(server.url_for("/p"), timeout=TIMEOUT).text == "post"
        assert requests.get(server.url_for("/g"), timeout=TIMEOUT).text == "get"
        assert requests.get(server.url_for("/p"), timeout=TIMEOUT).status_code == 500
        server.clear_assertions()

    def test_chained_and_limited(self, server: HTTPServer) -> None:
        """bake() on a baked server layers defaults; oneshot and ordered work too."""
        baked = server.bake(method="PUT").bake(headers={"X-K": "v"})
        assert baked is not server.bake(method="PUT")
        baked.expect_oneshot_request("/once").respond_with_data("1")
        baked.expect_ordered_request("/o").respond_with_data("2")
        headers = {"X-K": "v"}
        assert requests.put(server.url_for("/o"), headers=headers, timeout=TIMEOUT).text == "2"
        assert requests.put(server.url_for("/once"), headers=headers, timeout=TIMEOUT).text == "1"

    def test_delegation_and_repr(self) -> None:
        """Other attributes are the server's; repr shows defaults and server."""
        server = HTTPServer(port=12345)
        baked = server.bake(method="GET")
        assert baked.url_for("/x") == server.url_for("/x")
        assert repr(baked) == (
            "<BakedHTTPServer defaults={'method': 'GET'} "
            "server=<HTTPServer host=localhost port=12345>>"
        )

    def test_context_manager_nests(self) -> None:
        """The outermost `with` of the baked server starts and stops the server."""
        server = HTTPServer()
        baked = server.bake(method="GET")
        with baked:
            with baked:
                assert server.is_running()
            assert server.is_running()
        assert not server.is_running()
        with server, server.bake():
            pass
        assert not server.is_running()


@pytest.fixture
def blocking() -> Iterator[BlockingHTTPServer]:
    server = BlockingHTTPServer(timeout=TIMEOUT)
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()


def send(url: str) -> queue.Queue[requests.Response]:
    """GET *url* on a thread; the response arrives in the queue (None if it failed)."""
    responses: queue.Queue[requests.Response] = queue.Queue()

    def client() -> None:
        try:
            responses.put(requests.get(url, timeout=TIMEOUT))
        except requests.RequestException:  # the server stopped first: tests say so
            responses.put(None)  # type: ignore[arg-type]

    threading.Thread(target=client, daemon=True).start()
    return responses


class TestBlocking:
    def test_take_check_and_answer(self, blocking: BlockingHTTPServer) -> None:
        """assert_request() takes the request; the handler's answer reaches the client."""
        responses = send(blocking.url_for("/my/path?x=1"))
        handler = blocking.assert_request("/my/path", method="GET", query_string="x=1")
        assert isinstance(handler, BlockingRequestHandler)
        handler.respond_with_json({"ok": True})
        assert responses.get(timeout=TIMEOUT).json() == {"ok": True}
        blocking.check()

    def test_a_request_that_differs(self, blocking: BlockingHTTPServer) -> None:
        """A request unlike the expected one fails assert_request() and gets a 500."""
        responses = send(blocking.url_for("/my/path"))
        with pytest.raises(localserver.UnmatchedRequestError, match="does not match"):
            blocking.assert_request("/other/path")
        assert responses.get(timeout=TIMEOUT).status_code == 500
        blocking.clear_assertions()

    def test_no_request(self, blocking: BlockingHTTPServer) -> None:
        with pytest.raises(localserver.UnmetExpectationError, match="timed out"):
            blocking.assert_request("/never", timeout=0.01)

    def test_a_request_nobody_takes(self) -> None:
        """A request no assert_request() takes in time gets no_handler_status_code."""
        with BlockingHTTPServer(timeout=0.01) as server:
            server.no_handler_status_code = 404
            response = requests.get(server.url_for("/alone"), timeout=TIMEOUT)
            assert response.status_code == 404
            with pytest.raises(AssertionError, match="/alone"):
                server.check_assertions()

    def test_stop_ends_a_wait_for_the_answer(self, blocking: BlockingHTTPServer) -> None:
        """stop() while a taken request waits for its answer records "no response"."""
        responses = send(blocking.url_for("/my/path"))
        blocking.assert_request("/my/path")
        # The failure is recorded before stop() returns, long before the 5 s timeout.
        blocking.stop()
        responses.get(timeout=TIMEOUT)
        with pytest.raises(AssertionError, match="no response"):
            blocking.check_assertions()

    def test_respond_with_data_and_repr(self, blocking: BlockingHTTPServer) -> None:
        responses = send(blocking.url_for("/d"))
        blocking.assert_request("/d").respond_with_data("text", status=201)
        response = responses.get(timeout=TIMEOUT)
        assert (response.status_code, response.text) == (201, "text")
        assert repr(blocking) == f"<BlockingHTTPServer host=localhost port={blocking.port}>"
